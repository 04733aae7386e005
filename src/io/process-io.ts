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
 * Writes all of each text before returning, so the caller's next step (the
 * journal, exit) follows a complete document. A reader that went away (EPIPE)
 * is its business: the rest is dropped, as libvirt ignores a hook's output
 * once it stopped reading.
 */
export function fdSink(fd: number): Sink {
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
          else if (code === 'EAGAIN' && waited < DRAIN_WAIT_MS) {
            sleepSync(1);
            waited += 1;
          } else throw error;
        }
      }
      return !closed;
    },
  };
}
