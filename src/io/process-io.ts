// The one seam between repin and its process: tests pass their own.
import type { Readable, Writable } from 'node:stream';

export interface Io {
  /** Arguments after the script path. */
  readonly argv: readonly string[];
  /** How the script was invoked (argv[1]): decides hook or CLI. */
  readonly scriptPath: string;
  readonly stdin: Readable;
  /** When set, stdin may be read straight from this descriptor (no stream set-up). */
  readonly stdinFd?: number;
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Root under which sys/, proc/ and run/ are read (default `/`). */
  readonly fsRoot: string;
}

/**
 * The real process. The streams are getters: Node builds process.stdin and
 * friends (and loads its stream and net modules) on first touch, ~15 ms that
 * a hook call which never reads stdin should not pay.
 */
export function processIo(): Io {
  return {
    argv: process.argv.slice(2),
    scriptPath: process.argv[1] ?? 'repin',
    get stdin() {
      return process.stdin;
    },
    get stdout() {
      return process.stdout;
    },
    get stderr() {
      return process.stderr;
    },
    stdinFd: 0,
    env: process.env,
    fsRoot: '/',
  };
}
