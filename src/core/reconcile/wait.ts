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

/**
 * How long a request may name a guest libvirt does not know at all before it
 * is dropped: the hook writes it during `migrate begin`, before libvirt adds
 * the incoming domain (qemuMigrationDstPrepareFresh), so a fresh request's
 * guest is briefly unknown. Past this, the migration failed or was cancelled,
 * or the guest was transient and is gone: waiting out --wait would not help.
 */
export const ABSENT_GRACE_MS = 30_000;

/** What one look at libvirt showed of a request's guest. */
export type Sighting =
  /** Listed among the persistent domains, and not arriving. */
  | { readonly kind: 'persistent' }
  /** Incoming migration (or QEMU start) still under way: `state` as `virsh domstate --reason` says it. */
  | { readonly kind: 'arriving'; readonly state: string }
  /** Known to libvirt, not persistent, done arriving: migrated without --persistent. */
  | { readonly kind: 'transient'; readonly state: string }
  /** libvirt answered that it does not know this uuid. */
  | { readonly kind: 'absent' }
  /** virsh failed (libvirt restarting, a timeout): nothing is known. */
  | { readonly kind: 'no-answer'; readonly error: string };

/** What to do with a request now, and why (shown to the operator while it waits). */
export type Decision =
  | { readonly action: 'handle' }
  | { readonly action: 'wait'; readonly why: string; readonly untilMs: number }
  | { readonly action: 'drop'; readonly why: string };

/**
 * How long a request may wait in total for a guest that stays visibly arriving
 * (a long live migration): this many times --wait, 20 minutes by default,
 * inside the service's TimeoutStartSec (30 min).
 */
export const ARRIVING_WAIT_FACTOR = 2;

const seconds = (ms: number): string => `${Math.max(0, Math.round(ms / 1000))}s`;

/**
 * The request written at `requestMs` (the hook's clock, this host), looked at
 * `nowMs` with --wait `waitMs`. A persistent guest that has landed is handled;
 * one still arriving waits (its definition would be replaced when the migration
 * ends) up to ARRIVING_WAIT_FACTOR × --wait; a guest libvirt does not know is
 * dropped once ABSENT_GRACE_MS (or --wait, if shorter) has passed; a transient
 * one that has landed is dropped at once (there is no saved definition).
 */
export function decide(sighting: Sighting, requestMs: number, nowMs: number, waitMs: number): Decision {
  const age = nowMs - requestMs;
  switch (sighting.kind) {
    case 'persistent':
      return { action: 'handle' };
    case 'arriving': {
      const until = requestMs + ARRIVING_WAIT_FACTOR * waitMs;
      if (nowMs < until) return { action: 'wait', untilMs: until, why: `${sighting.state}: its migration is still under way, and would replace a definition fixed now` };
      return { action: 'drop', why: `still ${sighting.state} ${seconds(age)} after the hook's request (${ARRIVING_WAIT_FACTOR} × --wait)` };
    }
    case 'transient':
      return { action: 'drop', why: `present but transient (migrated without --persistent?), ${sighting.state}: no saved definition to fit` };
    case 'absent': {
      const until = requestMs + Math.min(waitMs, ABSENT_GRACE_MS);
      if (nowMs < until) return { action: 'wait', untilMs: until, why: 'libvirt does not know it yet (the hook writes its request before libvirt adds the incoming guest)' };
      return { action: 'drop', why: `not on this host: libvirt does not know it ${seconds(age)} after the hook's request (failed or cancelled migration, or a transient guest since gone)` };
    }
    case 'no-answer': {
      // libvirt not answering is no reason to give up on the request yet.
      const until = requestMs + 2 * waitMs;
      if (nowMs < until) return { action: 'wait', untilMs: until, why: `libvirt did not answer (${sighting.error})` };
      return { action: 'drop', why: `libvirt did not answer for ${seconds(age)} after the hook's request: ${sighting.error}` };
    }
  }
}
