// Read a whole stream as UTF-8 text, refusing more than `limit` bytes and
// bytes that are not UTF-8. Stops reading at the limit: libvirt ignores the
// EPIPE of a hook that did not read all of its stdin.
import type { Readable } from 'node:stream';
import { DomainXmlError } from '../core/errors.js';

export async function readText(stream: Readable, limit: number, what = 'input'): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    total += buffer.length;
    if (total > limit) {
      stream.destroy();
      throw new DomainXmlError(`${what} is larger than ${limit} bytes; refused unread`);
    }
    chunks.push(buffer);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
  } catch (error) {
    throw new DomainXmlError(`${what} is not valid UTF-8`, { cause: error });
  }
}
