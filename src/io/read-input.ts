// Read a whole stream as UTF-8 text, refusing more than `limit` bytes and
// bytes that are not UTF-8. Stops reading at the limit: libvirt ignores the
// EPIPE of a hook that did not read all of its stdin.
import { readSync } from 'node:fs';
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

/**
 * The same, read synchronously from a descriptor: creating process.stdin
 * loads Node's stream machinery (~15 ms), which a hook call need not pay.
 * Returns undefined when the descriptor is non-blocking (EAGAIN) and nothing
 * was read yet, so the caller can fall back to the stream.
 */
export function readFdText(fd: number, limit: number, what = 'input'): string | undefined {
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    const buffer = Buffer.allocUnsafe(65536);
    let n: number;
    try {
      n = readSync(fd, buffer, 0, buffer.length, null);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN' && total === 0) return undefined;
      if (code === 'EAGAIN') continue;
      if (code === 'EOF') break;
      throw error;
    }
    if (n === 0) break;
    total += n;
    if (total > limit) throw new DomainXmlError(`${what} is larger than ${limit} bytes; refused unread`);
    chunks.push(buffer.subarray(0, n));
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
  } catch (error) {
    throw new DomainXmlError(`${what} is not valid UTF-8`, { cause: error });
  }
}
