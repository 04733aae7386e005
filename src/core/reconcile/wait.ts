// How long reconcile waits for a migrated domain, and how often it looks:
// durations as operators write them, and a capped exponential backoff. Pure.
import { printable } from '../cpuset.js';
import { ConfigError } from '../errors.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `500ms`, `90s`, `10m`, `1h`, or a bare number of seconds, to milliseconds. */
export function parseDuration(text: string, what: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(text);
  if (!match) throw new ConfigError(`${what} '${printable(text)}' is not a duration; expected e.g. 500ms, 90s, 10m or 1h`);
  return Math.round(Number(match[1]) * (UNITS[match[2] ?? 's'] ?? 1000));
}

export interface Backoff {
  readonly firstMs: number;
  readonly maxMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { firstMs: 250, maxMs: 10_000 };

/** Delay before look number `round + 1`: firstMs, doubling, capped at maxMs. */
export function backoffDelay(round: number, backoff: Backoff = DEFAULT_BACKOFF): number {
  return Math.min(backoff.maxMs, backoff.firstMs * 2 ** Math.min(round, 30));
}

/** A request expires this long after the hook wrote it. */
export function expiresAt(requestTime: string, waitMs: number): number {
  return Date.parse(requestTime) + waitMs;
}
