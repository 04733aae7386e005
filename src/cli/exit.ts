// The command line's exit codes and how each error becomes one stderr line,
// decided here and nowhere else (src/bundle/cli.ts reports through it what
// escapes the command line itself). The hook's are in src/hook/exit.ts.
import { ExitCode, InternalError, RepinError } from '../core/errors.js';
import type { Io } from '../io/process-io.js';

export const EXIT = {
  ok: 0,
  /** Refused by policy, or (for `check`) does not fit; reconcile: something needs an operator. */
  no: 1,
  /** Bad usage, config, input, host description or path; a conflict; virsh or systemctl failed (RepinError). */
  error: 2,
  /** `check`: another manager owns the domain's pins (manageForeign off), so repin leaves it alone and judges nothing. */
  leftAlone: 3,
  /** A bug, or the system refused (permission, missing or full file system): see the message. */
  internal: 70,
} as const;

/** An error from a system call (fs, spawn): its message names the call, the path and the errno. */
function isSystemError(error: unknown): error is NodeJS.ErrnoException {
  const e = error as Partial<NodeJS.ErrnoException> | undefined;
  return error instanceof Error && typeof e?.code === 'string' && typeof e.syscall === 'string';
}

/**
 * Turn anything thrown by a command into its exit code and one stderr line.
 * Only a fault of repin's own (not something an operator did or the system
 * said) carries its stack trace.
 */
export function reportError(io: Io, error: unknown): number {
  if (error instanceof ExitCode) return error.code;
  if (error instanceof RepinError) {
    io.stderr.write(`repin: ${error.message}\n`);
    return EXIT.error;
  }
  if (isSystemError(error) && !(error instanceof InternalError)) {
    io.stderr.write(`repin: ${error.message}\n`);
    return EXIT.internal;
  }
  const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
  io.stderr.write(`repin: internal error: ${text}\n`);
  return EXIT.internal;
}

/** A command line yargs refused (unknown command or option, bad value): its help, when it printed one, then one line. */
export function reportUsage(io: Io, help: string, message: string): number {
  io.stderr.write(`${help ? `${help}\n` : ''}repin: ${message}\n`);
  return EXIT.error;
}
