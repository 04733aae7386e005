// FIFOs for the tests that a blocking open or read would hang, and a pipe whose
// reader never reads (a full pipe answers EAGAIN to a non-blocking writer).
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function makeFifo(path: string): string {
  execFileSync('mkfifo', ['-m', '0600', path]);
  return path;
}

export interface FifoPipe {
  /** A fresh temp dir holding the FIFO, removed after each test. */
  dir: string;
  reader: number;
  /** Set to -1 by a test that closed it itself. */
  writer: number;
}

/**
 * For the enclosing describe: before each test a new FIFO with both ends open
 * non-blocking (nothing reads from `reader` unless the test does); after it, closed and removed.
 */
export function fifoPipeEach(): FifoPipe {
  const pipe: FifoPipe = { dir: '', reader: -1, writer: -1 };
  beforeEach(() => {
    pipe.dir = mkdtempSync(join(tmpdir(), 'repin-fifo-'));
    const path = makeFifo(join(pipe.dir, 'pipe'));
    pipe.reader = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    pipe.writer = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
  });
  afterEach(() => {
    closeSync(pipe.reader);
    if (pipe.writer >= 0) closeSync(pipe.writer);
    rmSync(pipe.dir, { recursive: true, force: true });
  });
  return pipe;
}
