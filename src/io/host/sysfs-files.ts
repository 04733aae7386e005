// Small, careful readers for sysfs and procfs files: a file that vanishes
// between reads (a CPU or cgroup going away) reads as absent, never as a crash.
import { closeSync, openSync, readdirSync, readSync } from 'node:fs';
import { parseSysfsList, type CpuSet } from '../../core/cpuset.js';
import { HostError } from '../../core/errors.js';

const chunk = Buffer.allocUnsafe(64 * 1024);
/** A file that vanished under us: a CPU or cgroup going away between reads. */
const GONE = new Set(['ENOENT', 'ENOTDIR', 'ENODEV', 'ENXIO']);
export const isGone = (err: unknown): boolean => GONE.has((err as NodeJS.ErrnoException | undefined)?.code ?? '');
export const fault = (path: string, err: unknown): HostError =>
  new HostError(`cannot read ${path}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });

/**
 * `dir/a/b` by concatenation. path.join normalizes every call (~30 µs each in
 * a process that just started, a few ms over a host's topology files); the
 * parts here are ids and fixed names, nothing to normalize.
 */
export const under = (dir: string, ...names: string[]): string => `${dir.endsWith('/') ? dir.slice(0, -1) : dir}/${names.join('/')}`;

/** A file's text, or undefined when it does not exist (open, read, close: no fstat). */
export function readText(path: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    if (isGone(err)) return undefined;
    throw fault(path, err);
  }
  try {
    // A short read is the end: a sysfs attribute is one show() of at most a page, and the
    // procfs files read here are single_open seq_files. Saves a syscall per file.
    let n = readSync(fd, chunk, 0, chunk.length, null);
    if (n < chunk.length) return chunk.toString('utf8', 0, n);
    const parts: Buffer[] = [];
    for (; n > 0; n = readSync(fd, chunk, 0, chunk.length, null)) parts.push(Buffer.from(chunk.subarray(0, n)));
    return Buffer.concat(parts).toString('utf8');
  } catch (err) {
    if (isGone(err)) return undefined;
    throw fault(path, err);
  } finally {
    closeSync(fd);
  }
}

/**
 * A file's text, or undefined when it cannot be read for any reason (gone, or
 * not ours to read): for another process's files, where an odd one is skipped,
 * never a failure.
 */
export function readIfReadable(path: string): string | undefined {
  try {
    return readText(path);
  } catch {
    return undefined;
  }
}

export function readList(path: string, what: string): CpuSet | undefined {
  const text = readText(path);
  if (text === undefined) return undefined;
  try {
    return parseSysfsList(text, `${what} in ${path}`);
  } catch (err) {
    throw new HostError(err instanceof Error ? err.message : String(err), { cause: err });
  }
}

/** A non-negative id; the kernel writes -1 for "unknown" (physical_package_id on some arm64). */
export function readId(path: string): number | undefined {
  const text = readText(path)?.trim();
  if (text === undefined || text === '') return undefined;
  if (!/^-?\d+$/.test(text)) throw new HostError(`${path}: expected an integer, got '${text.slice(0, 20)}'`);
  const value = Number(text);
  return value >= 0 ? value : undefined;
}

/** Numeric suffixes of the entries named like `pattern` (one capture group). */
export function listIds(dir: string, pattern: RegExp): number[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    if (isGone(err)) return [];
    throw fault(dir, err);
  }
  const ids: number[] = [];
  for (const entry of names) {
    const match = pattern.exec(entry);
    if (match) ids.push(Number(match[1]));
  }
  return ids.sort((a, b) => a - b);
}
