// The reconcile spool: the hook leaves one request per rewritten domain in
// <spoolDir>/<uuid>.json; `repin reconcile --pending` fixes the saved
// definition and removes it. Root-only (the changes name the domain), written
// atomically (temp file + rename) so a reader never sees half a request, and
// named by uuid only: a domain name never becomes a path component.
import { readdirSync, readFileSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { printable } from '../../core/cpuset.js';
import { DomainXmlError } from '../../core/errors.js';
import type { Change } from '../../core/plan/plan.js';
import { ensurePrivateDir } from '../fs/private-dir.js';
import { renameNewFile } from '../fs/regular-file.js';

export interface ReconcileRequest {
  readonly uuid: string;
  readonly name: string;
  /** When the hook rewrote the live XML (ISO 8601). */
  readonly time: string;
  /** The changes the hook made (or, in shadow mode, would have made) to the live XML. */
  readonly changes: readonly Change[];
}

export type SpoolEntry =
  | { readonly path: string; readonly raw: string; readonly request: ReconcileRequest }
  | { readonly path: string; readonly raw: string; readonly problem: string };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const REQUEST_FILE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.json$/;
const TEMP_FILE = /^\..*\.tmp$/;
// 'shares': <cputune><shares> brought into this host's cgroup range (src/core/plan/cpu-shares.ts).
const ELEMENTS = ['vcpu', 'vcpupin', 'emulatorpin', 'iothreadpin', 'numatune', 'memnode', 'memdev', 'shares'];

export function isUuid(text: string): boolean {
  return UUID.test(text.toLowerCase());
}

/** Called by the hook after a `migrate begin` rewrite: leave a request for `repin reconcile`. */
export function writeReconcileRequest(spoolDir: string, request: { uuid: string; name: string; time: string; changes: Change[] }): void {
  const uuid = request.uuid.toLowerCase();
  if (!UUID.test(uuid)) throw new DomainXmlError(`reconcile request: domain uuid '${printable(request.uuid)}' is not a UUID`);
  ensurePrivateDir(spoolDir);
  const body = `${JSON.stringify({ uuid, name: request.name, time: request.time, changes: request.changes })}\n`;
  // Named by pid: a temp of a killed hook that had our pid is ours to replace; O_EXCL: nothing is written through a link.
  renameNewFile(join(spoolDir, `.${uuid}.${process.pid}.tmp`), join(spoolDir, `${uuid}.json`), body, { fsync: true });
}

function isChange(value: unknown): value is Change {
  if (typeof value !== 'object' || value === null) return false;
  const c = value as Record<string, unknown>;
  return (
    typeof c.element === 'string' &&
    ELEMENTS.includes(c.element) &&
    (c.id === undefined || (typeof c.id === 'number' && Number.isInteger(c.id) && c.id >= 0)) &&
    (c.old === null || typeof c.old === 'string') &&
    (c.new === null || typeof c.new === 'string') &&
    typeof c.rule === 'string'
  );
}

/** Validate one request file's text; the problem names what is wrong. */
export function parseRequest(raw: string, fileUuid: string): ReconcileRequest | string {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (error) {
    return `not JSON (${(error as Error).message})`;
  }
  if (typeof value !== 'object' || value === null) return 'not a JSON object';
  const r = value as Record<string, unknown>;
  if (typeof r.uuid !== 'string' || r.uuid.toLowerCase() !== fileUuid) return `uuid ${printable(String(r.uuid))} does not match the file name`;
  if (typeof r.name !== 'string') return 'name missing';
  if (typeof r.time !== 'string' || Number.isNaN(Date.parse(r.time))) return `time ${printable(String(r.time))} is not a date`;
  if (!Array.isArray(r.changes) || !r.changes.every(isChange)) return 'changes is not a list of repin changes';
  return { uuid: fileUuid, name: r.name, time: r.time, changes: r.changes };
}

/** Every request in the spool; an absent spool is empty. */
export function listRequests(spoolDir: string): SpoolEntry[] {
  let names: string[];
  try {
    names = readdirSync(spoolDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const entries: SpoolEntry[] = [];
  for (const name of names.filter((n) => REQUEST_FILE.test(n)).sort()) {
    const path = join(spoolDir, name);
    let raw: string;
    try {
      raw = readFileSync(path, 'utf8');
    } catch {
      continue; // removed since readdir
    }
    const parsed = parseRequest(raw, name.slice(0, -'.json'.length));
    entries.push(typeof parsed === 'string' ? { path, raw, problem: parsed } : { path, raw, request: parsed });
  }
  return entries;
}

/**
 * Remove a handled request, unless the hook has replaced it since it was read
 * (a second migration of the same domain): that one is still to do.
 */
export function removeRequest(entry: { path: string; raw: string }): boolean {
  try {
    if (readFileSync(entry.path, 'utf8') !== entry.raw) return false;
    unlinkSync(entry.path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw error;
  }
}

/**
 * Move what is neither a request nor a request being written (an editor's
 * backup, an operator's copy) out of the spool, into `<spoolDir>.rejected/`:
 * the path unit starts the service again at once while the spool is not
 * empty, until systemd's start limit fails it for good. Returns the names moved.
 */
export function setAsideStrays(spoolDir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(spoolDir);
  } catch {
    return [];
  }
  const strays = names.filter((n) => !REQUEST_FILE.test(n) && !TEMP_FILE.test(n));
  if (strays.length === 0) return [];
  const rejected = `${spoolDir.replace(/\/+$/, '')}.rejected`;
  ensurePrivateDir(rejected);
  const moved: string[] = [];
  for (const name of strays) {
    try {
      renameSync(join(spoolDir, name), join(rejected, `${Date.now()}-${name}`));
      moved.push(name);
    } catch {
      // gone already, or not ours to move: the next run says so again
    }
  }
  return moved;
}

/** Whether a request is being written (a temp file younger than `ageMs`): it becomes a request or ages out. */
export function hasYoungTemps(spoolDir: string, now: number, ageMs = 60_000): boolean {
  try {
    return readdirSync(spoolDir).some((n) => TEMP_FILE.test(n) && now - statSync(join(spoolDir, n)).mtimeMs < ageMs);
  } catch {
    return false;
  }
}

/**
 * Remove temp files a killed hook left behind (older than `ageMs`): the path
 * unit fires while the spool is not empty, so leftovers would re-trigger it forever.
 */
export function removeStaleTemps(spoolDir: string, now: number, ageMs = 60_000): string[] {
  let names: string[];
  try {
    names = readdirSync(spoolDir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names.filter((n) => TEMP_FILE.test(n))) {
    const path = join(spoolDir, name);
    try {
      if (now - statSync(path).mtimeMs < ageMs) continue;
      unlinkSync(path);
      removed.push(name);
    } catch {
      // gone already
    }
  }
  return removed;
}
