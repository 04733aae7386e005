// Exit codes, decided in one place.
import { RepinError } from '../core/errors.js';
import type { Io } from '../io/process-io.js';

export const EXIT = {
  ok: 0,
  /** Refused by policy, or (for `check`) does not fit. */
  no: 1,
  /** Bad usage, config, input or host description. */
  error: 2,
  /** `check`: another manager owns the domain's pins (manageForeign off), so repin leaves it alone and judges nothing. */
  leftAlone: 3,
  /** A bug or an environment fault. */
  internal: 70,
} as const;

/** Carries an exit code out of a command handler without printing anything more. */
export class ExitCode extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

/** Turn anything thrown by a command into one stderr line (stack only for internal faults). */
export function reportError(io: Io, error: unknown): number {
  if (error instanceof ExitCode) return error.code;
  if (error instanceof RepinError) {
    io.stderr.write(`repin: ${error.message}\n`);
    return EXIT.error;
  }
  const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
  io.stderr.write(`repin: internal error: ${text}\n`);
  return EXIT.internal;
}
