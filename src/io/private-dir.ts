// Directories that hold domain XML or changes (journal, captures, reconcile
// spool): root-only whatever the umask, and re-tightened if an operator
// loosened them.
import { chmodSync, mkdirSync } from 'node:fs';

export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}
