// A lock file: two `repin reconcile` runs never both redefine a domain, and
// two hooks never plan reservations at once (src/io/state/reservations.ts). Created
// with O_EXCL and holding "<pid> <token> <start time>"; a lock whose process is
// gone, or whose pid now belongs to a process started later (pid reuse), is
// stale and broken, under a second short-lived lock so two runs breaking it at
// once cannot delete each other's fresh lock.
import { mkdirSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { readRegularFile, writeNewFile } from './regular-file.js';
import { monotonicMs } from '../monotonic.js';

export interface Lock {
  readonly path: string;
  release(): void;
}

export type LockResult = { readonly lock: Lock } | { readonly heldBy: string };

/** Tokens of the locks this process holds: a same-pid lock without one is stale (pid reuse). */
const heldHere = new Set<string>();
const YOUNG_MS = 10_000;

/** Create the lock with `content`, false when it exists. A write that fails (a full disk) leaves no empty lock to hold everyone off for YOUNG_MS. */
function create(path: string, content: string): boolean {
  try {
    writeNewFile(path, content);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

function read(path: string): string | undefined {
  try {
    // Not readFileSync: a FIFO planted at the lock's path would block the hook for good.
    return readRegularFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** How far the file's mtime is from now, either way: a wall-clock step back must not make a leftover look young for as long as the step. */
function ageMs(path: string): number {
  try {
    return Math.abs(Date.now() - statSync(path).mtimeMs);
  } catch {
    return 0;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * When the process started: field 22 of /proc/PID/stat, in clock ticks since
 * boot (proc(5)). A pid reused by a later process has a later one. Parsed after
 * the last ')': field 2, the command name, may hold spaces and parentheses.
 */
function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

let ownStart: string | undefined;

/** Whether the holder named in a lock file still runs. */
function holderAlive(path: string, content: string): boolean {
  const [pidText, token, started] = content.trim().split(/\s+/);
  const pid = Number(pidText);
  // Being written this instant by its creator: give it time.
  if (!Number.isInteger(pid) || pid <= 0 || token === undefined) return ageMs(path) < YOUNG_MS;
  if (pid === process.pid) return heldHere.has(token);
  if (!processAlive(pid)) return false;
  // A lock from a killed holder whose pid a long-lived process took since: that process never releases it.
  const now = started === undefined || started === '-' ? undefined : startTime(pid);
  return now === undefined || now === started;
}

function unlinkIf(path: string, content: string): void {
  if (read(path) === content) unlinkSync(path);
}

function breakStale(path: string, stale: string): void {
  const breaker = `${path}.break`;
  if (!create(breaker, `${process.pid}\n`)) {
    if (ageMs(breaker) > YOUNG_MS) unlinkIf(breaker, read(breaker) ?? '');
    return;
  }
  try {
    unlinkIf(path, stale);
  } finally {
    unlinkSync(breaker);
  }
}

/** Try once: the lock, or who holds it. */
export function tryLock(path: string): LockResult {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  for (let attempt = 0; attempt < 3; attempt++) {
    // Unique within this process is enough (it tells our own locks from a reused pid's); no node:crypto on the hook path.
    const token = `${process.hrtime.bigint().toString(36)}${Math.random().toString(36).slice(2)}`;
    ownStart ??= startTime(process.pid) ?? '-';
    const content = `${process.pid} ${token} ${ownStart}\n`;
    if (create(path, content)) {
      heldHere.add(token);
      return {
        lock: {
          path,
          release: () => {
            heldHere.delete(token);
            unlinkIf(path, content);
          },
        },
      };
    }
    const current = read(path);
    if (current === undefined) continue;
    if (holderAlive(path, current)) return { heldBy: current.trim().split(/\s+/)[0] ?? '?' };
    breakStale(path, current);
  }
  return { heldBy: (read(path) ?? '?').trim().split(/\s+/)[0] ?? '?' };
}

/** Wait up to `waitMs` for the lock, polling with a growing interval. */
export async function acquireLock(path: string, waitMs: number, sleep: (ms: number) => Promise<void>): Promise<LockResult> {
  const deadline = monotonicMs() + waitMs;
  let delay = 100;
  for (;;) {
    const result = tryLock(path);
    if ('lock' in result || monotonicMs() >= deadline) return result;
    await sleep(Math.min(delay, Math.max(0, deadline - monotonicMs())));
    delay = Math.min(delay * 2, 2000);
  }
}
