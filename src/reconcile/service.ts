// The reconcile service: under the spool's lock (one run at a time, the path
// unit's or an operator's), the pending requests, then every saved definition.
import { printable } from '../core/cpuset.js';
import { acquireLock } from '../io/fs/lock.js';
import { runPending } from './pending.js';
import { sleep, type Run } from './run.js';
import { claimSaved, reconcileDomain } from './saved-definition.js';

export interface ReconcileWork {
  /** The requests the hook left in `spoolDir`. */
  readonly pending: boolean;
  /** Every persistent domain on this host. */
  readonly all: boolean;
  readonly waitMs: number;
  readonly spoolDir: string;
  readonly lockPath: string;
  readonly lockWaitMs: number;
}

/** Do the work; another run holding the lock does it instead (said, not an error). A dry run takes no lock. */
export async function reconcile(run: Run, work: ReconcileWork): Promise<void> {
  const locked = run.dryRun ? undefined : await acquireLock(work.lockPath, work.lockWaitMs, sleep);
  if (locked && 'heldBy' in locked) {
    run.io.stdout.write(`another repin reconcile (pid ${printable(locked.heldBy)}) holds ${work.lockPath}; it handles the spool, nothing done here\n`);
    return;
  }
  try {
    if (work.pending) await runPending(run, work.waitMs, work.spoolDir);
    if (work.all) {
      const uuids = await run.virsh.listPersistent();
      await claimSaved(run, uuids);
      for (const uuid of uuids) await reconcileDomain(run, uuid, undefined, !run.dryRun);
    }
  } finally {
    locked?.lock.release();
  }
}
