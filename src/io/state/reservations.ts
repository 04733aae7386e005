// Short-lived CPU reservations for arriving guests, under a host-wide lock,
// so two migrations planned at the same moment never get the same free CPUs.
// A reservation ends when the guest is seen running (its CPUs then show in
// /proc), when its `release` hook fires, or after a time-out. A hook killed
// while holding the lock leaves a pid behind; the next one sees it is dead
// (src/io/fs/lock.ts).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CpuSet, parseCpuset } from '../../core/cpuset.js';
import type { HugepageClaim } from '../../core/plan/hugepage-fit.js';
import { tryLock, type Lock } from '../fs/lock.js';
import { readRegularFile, renameNewFile } from '../fs/regular-file.js';
import { monotonicMs } from '../monotonic.js';
import { sleepSync } from '../sleep-sync.js';

export interface Reservation {
  readonly uuid: string;
  readonly name: string;
  readonly cpus: string;
  /** Huge pages the arriving guest will take per node (absent in older files and for guests without hugepages). */
  readonly hugepages?: readonly HugepageClaim[];
  /** Epoch milliseconds. */
  readonly expires: number;
}

export const RESERVATION_TTL_MS = 120_000;
const LOCK = 'lock';
const FILE = 'reservations.json';

/** Run `fn` holding the host-wide lock; after `waitMs` run it anyway (a hook must never hang). */
export function withHostLock<T>(dir: string, fn: (locked: boolean) => T, waitMs = 3000): T {
  let lock: Lock | undefined;
  try {
    const deadline = monotonicMs() + waitMs;
    for (;;) {
      const result = tryLock(join(dir, LOCK));
      if ('lock' in result) {
        lock = result.lock;
        break;
      }
      if (monotonicMs() >= deadline) break;
      sleepSync(10);
    }
  } catch {
    lock = undefined; // an unusable run dir: plan without the lock rather than fail
  }
  try {
    return fn(lock !== undefined);
  } finally {
    try {
      lock?.release();
    } catch {
      // nothing to do
    }
  }
}

/**
 * The reservations still running at `now` (wall clock, as stored). One that
 * ends further ahead than a whole TTL was written before the clock stepped
 * back: treated as expired, or it would hold its CPUs for as long as the step.
 */
export function loadReservations(dir: string, now = Date.now()): Reservation[] {
  try {
    const list = JSON.parse(readRegularFile(join(dir, FILE))) as unknown;
    if (!Array.isArray(list)) return [];
    return (list as Reservation[]).filter(
      (r) => typeof r.uuid === 'string' && typeof r.name === 'string' && typeof r.cpus === 'string' && typeof r.expires === 'number' &&
        r.expires > now &&
        r.expires - now <= RESERVATION_TTL_MS,
    );
  } catch {
    return [];
  }
}

export function saveReservations(dir: string, list: readonly Reservation[]): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, FILE);
  renameNewFile(`${path}.${process.pid}`, path, JSON.stringify(list));
}

/** Reserved CPUs by domain (name → CPUs), leaving out `self` and domains already running. */
export function reservedByOthers(list: readonly Reservation[], self: { uuid: string; name: string }, running: ReadonlySet<string>): Map<string, CpuSet> {
  const map = new Map<string, CpuSet>();
  for (const r of list) {
    if (r.uuid === self.uuid || running.has(r.uuid)) continue;
    try {
      map.set(r.name, parseCpuset(r.cpus));
    } catch {
      // a damaged entry reserves nothing
    }
  }
  return map;
}

/** Drop the reservation of a domain (its `release` hook fired). Never throws. */
export function releaseReservation(dir: string, domainName: string): void {
  try {
    if (!loadReservations(dir).some((r) => r.name === domainName)) return;
    withHostLock(dir, (locked) => {
      if (!locked) return;
      const list = loadReservations(dir);
      const kept = list.filter((r) => r.name !== domainName);
      if (kept.length !== list.length) saveReservations(dir, kept);
    }, 500);
  } catch {
    // release must never fail
  }
}

/** Huge pages reserved by other arriving domains (not `self`, not running yet); damaged entries claim nothing. */
export function pagesReservedByOthers(list: readonly Reservation[], self: { uuid: string }, running: ReadonlySet<string>): HugepageClaim[] {
  const claims: HugepageClaim[] = [];
  for (const r of list) {
    if (r.uuid === self.uuid || running.has(r.uuid) || !Array.isArray(r.hugepages)) continue;
    for (const c of r.hugepages as unknown[]) {
      const { node, sizeKb, pages } = (c ?? {}) as Partial<HugepageClaim>;
      if ([node, sizeKb, pages].every((n) => typeof n === 'number' && Number.isInteger(n) && n >= 0)) claims.push({ node, sizeKb, pages } as HugepageClaim);
    }
  }
  return claims;
}
