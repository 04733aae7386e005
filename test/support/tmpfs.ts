// A tiny tmpfs to run out of space on (root only: callers skip when it cannot be mounted).
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';

/** Mount a tmpfs of `size` (default 16 KiB) at `dir`; false when this process may not mount. */
export function mountSmallTmpfs(dir: string, size = '16k'): boolean {
  mkdirSync(dir, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function unmount(dir: string): void {
  execFileSync('umount', [dir]);
}

/** Fill the filesystem holding `path` until write(2) answers ENOSPC. */
export function fillUp(path: string): void {
  try {
    writeFileSync(path, Buffer.alloc(64 * 1024));
  } catch {
    // ENOSPC: full, as wanted
  }
}
