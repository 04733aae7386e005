// The one seam between repin and its process: tests pass their own.
import type { Readable, Writable } from 'node:stream';

export interface Io {
  /** Arguments after the script path. */
  readonly argv: readonly string[];
  /** How the script was invoked (argv[1]): decides hook or CLI. */
  readonly scriptPath: string;
  readonly stdin: Readable;
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Root under which sys/, proc/ and run/ are read (default `/`). */
  readonly fsRoot: string;
}

export function processIo(): Io {
  return {
    argv: process.argv.slice(2),
    scriptPath: process.argv[1] ?? 'repin',
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    fsRoot: '/',
  };
}
