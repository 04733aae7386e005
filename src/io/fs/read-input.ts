// Read a whole stream as UTF-8 text, refusing more than `limit` bytes and
// bytes that are not UTF-8. Stops reading at the limit: libvirt ignores the
// EPIPE of a hook that did not read all of its stdin.
import { readSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { DomainXmlError } from '../../core/errors.js';
import { monotonicMs } from '../monotonic.js';
import { sleepSync } from '../sleep-sync.js';

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

/** How long the hook waits for the end of its stdin: libvirt has no timeout of its own, so a hang would hang it. */
export const STDIN_DEADLINE_MS = 30_000;

export interface FdReadOptions {
  readonly deadlineMs?: number;
  /** read(2) into the buffer: tests pass one that answers EINTR or EAGAIN. */
  readonly read?: (fd: number, buffer: Buffer) => number;
}

const readInto = (fd: number, buffer: Buffer): number => readSync(fd, buffer, 0, buffer.length, null);

/**
 * The same, read synchronously from a descriptor: creating process.stdin
 * loads Node's stream machinery (~15 ms), which a hook call need not pay.
 * EINTR is retried; a non-blocking descriptor with nothing to read yet
 * (EAGAIN) is polled with short sleeps, not spun on, and given up on with an
 * error once `deadlineMs` have passed without the end of the input.
 */
export function readFdText(fd: number, limit: number, what = 'input', { deadlineMs = STDIN_DEADLINE_MS, read = readInto }: FdReadOptions = {}): string {
  const chunks: Buffer[] = [];
  let total = 0;
  const deadline = monotonicMs() + deadlineMs;
  let pause = 1;
  for (;;) {
    const buffer = Buffer.allocUnsafe(65536);
    let n: number;
    try {
      n = read(fd, buffer);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EINTR') continue;
      if (code === 'EOF') break;
      if (code !== 'EAGAIN') throw error;
      if (monotonicMs() >= deadline) throw new DomainXmlError(`${what}: no end of input after ${deadlineMs} ms (${total} bytes read); gave up`, { cause: error });
      sleepSync(pause);
      pause = Math.min(pause * 2, 20);
      continue;
    }
    if (n === 0) break;
    pause = 1;
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
