// Replace a file so that its reader (libvirt running hooks, systemd reading
// units, node running the CLI) sees the old bytes or the new ones, never a
// part, even after a full disk or a crash. libvirt runs every executable
// regular file in hooks/qemu.d/ whatever its name (virHookCall in
// src/util/virhook.c), so a temp file there would be run as a hook: the temp
// goes where the caller says, is private and not executable until complete.
import { closeSync, fchmodSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { writeAll } from './regular-file.js';

function openExclusive(path: string): number {
  try {
    return openSync(path, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    // Left by an install killed half-way; O_EXCL again, so a symlink planted in its place is not followed.
    rmSync(path, { force: true });
    return openSync(path, 'wx', 0o600);
  }
}

/** fsync a file or a directory by path: what a rename or a copy wrote is on disk before the next step. */
export function syncPath(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** The temp file `replaceFile` uses for `path`: a dot-file in `tempDir`. */
export function tempPathFor(path: string, tempDir = dirname(path)): string {
  return join(tempDir, `.${basename(path)}.repin-new`);
}

/**
 * Put `content` at `path` with `mode`: a 0600 temp in `tempDir` (same
 * filesystem), written fully, chmod'ed, fsync'ed, renamed into place, the
 * directory fsync'ed. On any failure the temp is removed and `path` is as it was.
 */
export function replaceFile(path: string, content: string | Buffer, mode: number, tempDir = dirname(path)): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  const temp = tempPathFor(path, tempDir);
  const fd = openExclusive(temp);
  try {
    try {
      writeAll(fd, content);
      fchmodSync(fd, mode);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
  syncPath(dirname(path));
  if (tempDir !== dirname(path)) syncPath(tempDir);
}
