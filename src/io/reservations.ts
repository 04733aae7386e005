// Short-lived CPU reservations for arriving guests, under a host-wide lock,
// so two migrations planned at the same moment never get the same free CPUs.
// A reservation ends when the guest is seen running (its CPUs then show in
// /proc), when its `release` hook fires, or after a time-out. A hook killed
// while holding the lock leaves a pid behind; the next one sees it is dead.
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { CpuSet, parseCpuset } from '../core/cpuset.js';

export interface Reservation {
  readonly uuid: string;
  readonly name: string;
  readonly cpus: string;
  /** Epoch milliseconds. */
  readonly expires: number;
}

export const RESERVATION_TTL_MS = 120_000;
const LOCK = 'lock';
const FILE = 'reservations.json';
const STALE_LOCK_MS = 30_000;

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Run `fn` holding the host-wide lock; after `waitMs` run it anyway (a hook must never hang). */
export function withHostLock<T>(dir: string, fn: (locked: boolean) => T, waitMs = 3000): T {
  const lock = join(dir, LOCK);
  let locked = false;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const deadline = Date.now() + waitMs;
    while (!locked) {
      try {
        const fd = openSync(lock, 'wx', 0o600);
        writeSync(fd, String(process.pid));
        closeSync(fd);
        locked = true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') break;
        if (isStale(lock)) {
          try {
            unlinkSync(lock);
          } catch {
            // someone else removed it first
          }
          continue;
        }
        if (Date.now() >= deadline) break;
        sleep(10);
      }
    }
  } catch {
    locked = false;
  }
  try {
    return fn(locked);
  } finally {
    if (locked) {
      try {
        unlinkSync(lock);
      } catch {
        // nothing to do
      }
    }
  }
}

function isStale(lock: string): boolean {
  try {
    const pid = Number(readFileSync(lock, 'utf8').trim());
    if (Number.isInteger(pid) && pid > 0 && !alive(pid)) return true;
    return Date.now() - statSync(lock).mtimeMs > STALE_LOCK_MS;
  } catch {
    return false;
  }
}

export function loadReservations(dir: string, now = Date.now()): Reservation[] {
  try {
    const list = JSON.parse(readFileSync(join(dir, FILE), 'utf8')) as unknown;
    if (!Array.isArray(list)) return [];
    return (list as Reservation[]).filter(
      (r) => typeof r.uuid === 'string' && typeof r.name === 'string' && typeof r.cpus === 'string' && typeof r.expires === 'number' && r.expires > now,
    );
  } catch {
    return [];
  }
}

export function saveReservations(dir: string, list: readonly Reservation[]): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, FILE);
  const temp = `${path}.${process.pid}`;
  writeFileSync(temp, JSON.stringify(list), { mode: 0o600 });
  renameSync(temp, path);
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
