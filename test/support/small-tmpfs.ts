// A full disk, for real: a tiny tmpfs mounted on a test directory. Needs root
// (the test is skipped otherwise); unmounted by the returned function.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';

export function mountSmallTmpfs(dir: string, size: string): (() => void) | undefined {
  if (process.getuid?.() !== 0) return undefined;
  mkdirSync(dir, { recursive: true });
  if (spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'repin-test', dir]).status !== 0) return undefined;
  return () => {
    spawnSync('umount', [dir]);
  };
}
