// Open a file that must be a regular file: the hook runs as root, in libvirt's
// critical path, so a FIFO must not block the open (or the read), a planted
// symlink must not redirect it and a file another user made must not be trusted.
import { closeSync, constants, fchmodSync, fstatSync, fsyncSync, ftruncateSync, lstatSync, openSync, readSync, renameSync, statSync, unlinkSync, writeSync, type Stats } from 'node:fs';
import { UnsafePath } from '../../core/errors.js';

export interface RegularFileOptions {
  /** Mode for a file the open creates. */
  readonly mode?: number;
  /** Follow a symlink at the last path component (an operator's config may be one). Default: refuse it. */
  readonly followLinks?: boolean;
  /** Refuse a file not owned by this uid. */
  readonly owner?: number;
}

/** What a path that is not a regular file is, in words. */
export function kindOf(stat: Stats): string {
  if (stat.isSymbolicLink()) return 'a symlink';
  if (stat.isDirectory()) return 'a directory';
  if (stat.isFIFO()) return 'a FIFO';
  if (stat.isSocket()) return 'a socket';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'a device';
  return stat.isFile() ? 'a file' : 'not a file';
}

function notRegular(path: string, kind: string, cause?: unknown): UnsafePath {
  return new UnsafePath(`${path} is not a regular file (${kind}); refused`, { cause });
}

/**
 * open(2) with O_NONBLOCK (a FIFO answers at once instead of waiting for the
 * other end) and O_NOFOLLOW, then fstat: anything but a regular file of the
 * right owner is closed again and refused with an error naming what it is.
 */
export function openRegularFile(path: string, flags: number, options: RegularFileOptions = {}): number {
  let fd: number;
  try {
    fd = openSync(path, flags | constants.O_NONBLOCK | (options.followLinks ? 0 : constants.O_NOFOLLOW), options.mode ?? 0o600);
  } catch (error) {
    // ELOOP: a link O_NOFOLLOW refused; ENXIO: a FIFO without a reader (or a device) opened for writing.
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ELOOP' && code !== 'ENXIO') throw error;
    let kind = code;
    try {
      kind = kindOf(options.followLinks ? statSync(path) : lstatSync(path));
    } catch {
      // gone since: the open's error stands
    }
    throw notRegular(path, kind, error);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw notRegular(path, kindOf(stat));
    if (options.owner !== undefined && stat.uid !== options.owner) {
      throw new UnsafePath(`${path} is owned by uid ${stat.uid}, not ${options.owner}; refused`);
    }
    return fd;
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}

/** The whole text of a regular file (symlinks followed), read without blocking on a FIFO. */
export function readRegularFile(path: string): string {
  const fd = openRegularFile(path, constants.O_RDONLY, { followLinks: true });
  try {
    const chunks: Buffer[] = [];
    for (;;) {
      const buffer = Buffer.allocUnsafe(65536);
      const n = readSync(fd, buffer, 0, buffer.length, null);
      if (n === 0) break;
      chunks.push(buffer.subarray(0, n));
    }
    return Buffer.concat(chunks).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/**
 * Write all of `data` (write(2) may write less on a nearly full disk). If a
 * write fails part way, cut the file back to `undoSize` so no half record
 * stays behind to merge with the next one, and rethrow.
 */
export function writeAll(fd: number, data: string | Buffer, undoSize?: number): void {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let at = 0;
  try {
    while (at < bytes.length) {
      const n = writeSync(fd, bytes, at, bytes.length - at);
      if (n <= 0) throw Object.assign(new Error(`write returned ${n} after ${at} of ${bytes.length} bytes`), { code: 'EIO' });
      at += n;
    }
  } catch (error) {
    // Only our own bytes: if another writer appended after them, cutting would lose its record.
    try {
      if (at > 0 && undoSize !== undefined && fstatSync(fd).size === undoSize + at) ftruncateSync(fd, undoSize);
    } catch {
      // the write's error is the one to report
    }
    throw error;
  }
}

/**
 * Create `path` 0600 (O_EXCL: never through a planted link or over an existing
 * file) and write all of `data`; on any failure remove it again, so a full
 * disk leaves no empty or half file behind.
 */
export function writeNewFile(path: string, data: string, { fsync = false } = {}): void {
  const fd = openRegularFile(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, { mode: 0o600 });
  try {
    try {
      fchmodSync(fd, 0o600);
      writeAll(fd, data);
      if (fsync) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    removeQuietly(path);
    throw error;
  }
}

/**
 * Put `data` at `path` by way of `temp` (same directory, a name only this
 * writer uses): `writeNewFile`, then rename, so a reader sees the old file or
 * the whole new one. A temp left by a killed writer of the same name goes
 * first; on any failure the temp is removed again.
 */
export function renameNewFile(temp: string, path: string, data: string, options: { fsync?: boolean } = {}): void {
  removeQuietly(temp);
  writeNewFile(temp, data, options);
  try {
    renameSync(temp, path);
  } catch (error) {
    removeQuietly(temp);
    throw error;
  }
}

/** Remove a file of ours after a failure: the failure is the error to report, not this. */
export function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}
