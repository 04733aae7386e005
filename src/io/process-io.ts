// The one seam between repin and its process: tests pass their own.
import { writeSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { sleepSync } from './sleep-sync.js';

/** Where repin writes text: a stream, or a descriptor written synchronously. */
export interface Sink {
  write(text: string): unknown;
}

export interface Io {
  /** Arguments after the script path. */
  readonly argv: readonly string[];
  /** How the script was invoked (argv[1]): decides hook or CLI. */
  readonly scriptPath: string;
  readonly stdin: Readable;
  /** When set, stdin may be read straight from this descriptor (no stream set-up). */
  readonly stdinFd?: number;
  readonly stdout: Sink;
  readonly stderr: Sink;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Root under which sys/, proc/ and run/ are read (default `/`). */
  readonly fsRoot: string;
  /** The dir of the built CLI running now (what `repin install` copies); undefined when run from source. */
  readonly bundleDir?: string;
}

/**
 * The real process. The streams are getters: Node builds process.stdin and
 * friends (and loads its stream and net modules) on first touch, ~15 ms that
 * a hook call which never reads stdin should not pay. With `direct`, stdout
 * and stderr are written with write(2) and never become streams at all.
 */
export function processIo(direct = false): Io {
  const stdout = direct ? fdSink(1) : undefined;
  const stderr = direct ? fdSink(2) : undefined;
  return {
    argv: process.argv.slice(2),
    scriptPath: process.argv[1] ?? 'repin',
    get stdin() {
      return process.stdin;
    },
    get stdout() {
      return stdout ?? process.stdout;
    },
    get stderr() {
      return stderr ?? process.stderr;
    },
    stdinFd: 0,
    env: process.env,
    fsRoot: '/',
  };
}

/** Give a full pipe (a non-blocking descriptor answering EAGAIN) this long to drain. */
const DRAIN_WAIT_MS = 10_000;

/**
 * A write that failed after part of the text had reached the reader: what it
 * got is not whole. Told by its code, not a class: the tests load the hook's
 * filter through a dynamic import, which under mocha + tsx can be another
 * module instance than the test's own, and a class would not match across them.
 */
export interface OutputCutShort extends Error {
  readonly code: 'REPIN_OUTPUT_CUT_SHORT';
  readonly written: number;
}

export function isOutputCutShort(error: unknown): error is OutputCutShort {
  return error instanceof Error && (error as Partial<OutputCutShort>).code === 'REPIN_OUTPUT_CUT_SHORT';
}

function outputCutShort(written: number, reason: string, cause: unknown): OutputCutShort {
  return Object.assign(new Error(`output cut short after ${written} bytes (${reason})`, { cause }), { code: 'REPIN_OUTPUT_CUT_SHORT' as const, written });
}

/**
 * Writes all of each text before returning, so the caller's next step (the
 * journal, exit) follows a complete document. A reader that went away (EPIPE)
 * is its business: the rest is dropped, as libvirt ignores a hook's output
 * once it stopped reading. Any other failure after some bytes of the text
 * were written is an OutputCutShort; before the first byte, the error itself.
 */
export function fdSink(fd: number, drainWaitMs = DRAIN_WAIT_MS): Sink {
  let closed = false;
  return {
    write(text: string): boolean {
      const bytes = Buffer.from(text, 'utf8');
      let waited = 0;
      for (let at = 0; at < bytes.length && !closed; ) {
        try {
          at += writeSync(fd, bytes, at, bytes.length - at);
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (code === 'EPIPE') closed = true;
          else if (code === 'EAGAIN' && waited < drainWaitMs) {
            sleepSync(1);
            waited += 1;
          } else if (at > 0) {
            throw outputCutShort(at, code === 'EAGAIN' ? `the reader took nothing for ${drainWaitMs} ms` : (error as Error).message, error);
          } else throw error;
        }
      }
      return !closed;
    },
  };
}
