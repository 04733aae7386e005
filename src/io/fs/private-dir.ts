// Directories that hold domain XML or changes (journal, captures, reconcile
// spool): root-only whatever the umask. The hook runs as root, so a directory
// it did not make safe is refused rather than trusted: a symlink (it could
// point anywhere), one owned by another user, or one others may write to
// (they could have planted files in it). Group/other read bits an operator
// added are taken away again.
import { closeSync, constants, fchmodSync, fstatSync, lstatSync, mkdirSync, openSync } from 'node:fs';
import { UnsafePath } from '../../core/errors.js';
import { kindOf } from './regular-file.js';

export function ensurePrivateDir(dir: string): void {
  let fd: number;
  try {
    fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw refusal(dir, error);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  }
  try {
    // fstat and fchmod on the open directory: nothing can swap it for a link in between.
    const stat = fstatSync(fd);
    const uid = process.getuid?.();
    if (uid !== undefined && stat.uid !== uid) throw new UnsafePath(`${dir} is owned by uid ${stat.uid}, not ${uid}; refused`);
    if ((stat.mode & 0o022) !== 0) throw new UnsafePath(`${dir} is writable by group or others (mode ${(stat.mode & 0o777).toString(8)}); refused`);
    if ((stat.mode & 0o777) !== 0o700) fchmodSync(fd, 0o700);
  } finally {
    closeSync(fd);
  }
}

/** ELOOP/ENOTDIR from O_NOFOLLOW|O_DIRECTORY: say what is there instead. */
function refusal(dir: string, error: unknown): Error {
  const code = (error as NodeJS.ErrnoException).code;
  if (code !== 'ELOOP' && code !== 'ENOTDIR') return error as Error;
  let kind = `${code}: a file on the path`;
  try {
    kind = kindOf(lstatSync(dir));
  } catch {
    // a parent is a file: lstat fails the same way
  }
  return new UnsafePath(`${dir} is not a real directory (${kind}); refused`, { cause: error });
}
