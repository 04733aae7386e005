// `repin reconcile --pending`: the spool the hook fills, handled until every
// request is done or dropped, waiting for each guest as long as it is arriving.
import { printable } from '../core/cpuset.js';
import { backoffDelay, decide, expiresAt, type Sighting } from '../core/reconcile/wait.js';
import { hasYoungTemps, listRequests, removeRequest, removeStaleTemps, setAsideStrays } from '../io/state/spool.js';
import { describe, note, sleep, type Run } from './run.js';
import { reconcileDomain } from './saved-definition.js';

/**
 * `virsh domstate --reason` of a guest still arriving: an incoming migration
 * (`paused (migrating)`), post-copy in either state, or QEMU starting up. A
 * guest that has arrived reads `running (migrated)`, which is not one.
 */
const ARRIVING = /^(paused \((migrating|post-copy|starting up)|running \(post-copy)/i;

/**
 * One look at a request's guest. `persistent`: this round's list of persistent
 * domains, or the error that list gave.
 */
async function sight(run: Run, uuid: string, persistent: ReadonlySet<string> | string): Promise<Sighting> {
  let state: string | undefined;
  try {
    state = await run.virsh.domState(uuid);
  } catch (error) {
    return { kind: 'no-answer', error: describe(error) };
  }
  if (state === undefined) return { kind: 'absent' };
  if (ARRIVING.test(state)) return { kind: 'arriving', state };
  if (typeof persistent === 'string') return { kind: 'no-answer', error: persistent };
  if (persistent.has(uuid)) return { kind: 'persistent' };
  // Listed before this state was read: libvirt makes an incoming guest persistent
  // (qemuMigrationDstPersist) before it resumes it, so a second look settles a guest that just landed.
  try {
    if ((await run.virsh.listPersistent()).includes(uuid)) return { kind: 'persistent' };
  } catch (error) {
    return { kind: 'no-answer', error: describe(error) };
  }
  return { kind: 'transient', state };
}

/** Handle the spool until every request is done or dropped; new requests are picked up on the way. */
export async function runPending(run: Run, waitMs: number, spoolDir: string): Promise<void> {
  if (!run.dryRun) removeStaleTemps(spoolDir, Date.now());
  // What each waiting request was last said to wait for: said again only when it changes.
  const said = new Map<string, string>();
  for (let round = 0; ; round++) {
    const entries = listRequests(spoolDir);
    if (entries.length === 0) {
      // The path unit restarts this service at once while anything is left in the spool: move
      // strays aside, and wait for a request being written to land (or its temp file to age out).
      if (run.dryRun) return;
      for (const name of setAsideStrays(spoolDir)) {
        note(run, 'error', { name: '', uuid: '' }, { started: performance.now(), error: `${name} in the spool is not a reconcile request: moved to ${spoolDir}.rejected` });
      }
      if (!hasYoungTemps(spoolDir, Date.now())) return;
      await sleep(1000);
      removeStaleTemps(spoolDir, Date.now());
      continue;
    }
    let persistent: ReadonlySet<string> | string;
    try {
      persistent = new Set(await run.virsh.listPersistent());
    } catch (error) {
      persistent = describe(error);
    }
    let waiting = 0;
    // The soonest moment a waiting request is due to be dropped: no sleep goes past it.
    let soonest = Number.POSITIVE_INFINITY;
    for (const entry of entries) {
      const started = performance.now();
      if ('problem' in entry) {
        note(run, 'error', { name: '', uuid: '' }, { started, error: `bad reconcile request ${entry.path}: ${entry.problem}` });
        if (!run.dryRun) removeRequest(entry);
        continue;
      }
      const { request } = entry;
      const requestMs = Date.parse(request.time);
      const sighting = await sight(run, request.uuid, persistent);
      // An incoming guest already defined here is listed as persistent for the whole migration,
      // with its old saved definition, and qemuMigrationDstPersist replaces that definition with
      // the source's when the migration ends: reconciling before then would be undone (decide).
      const decision = decide(sighting, requestMs, Date.now(), waitMs);
      const name = `${printable(request.name)} ${request.uuid}`;
      if (decision.action === 'handle') {
        // virsh failing (libvirt restarting, a timeout) keeps the request for a later round, until it expires.
        const expired = Date.now() >= expiresAt(request.time, waitMs);
        if ((await reconcileDomain(run, request.uuid, request, false, !expired)) === 'retry') {
          waiting++;
          continue;
        }
      } else if (run.dryRun) {
        run.io.stdout.write(`${name}: ${decision.action === 'wait' ? 'request waits' : 'request would be dropped'} — ${decision.why}\n`);
        continue;
      } else if (decision.action === 'wait') {
        waiting++;
        soonest = Math.min(soonest, decision.untilMs);
        const left = Math.max(0, Math.round((decision.untilMs - Date.now()) / 1000));
        if (said.get(request.uuid) !== decision.why) run.io.stdout.write(`${name}: waiting (up to ${left}s more) — ${decision.why}\n`);
        said.set(request.uuid, decision.why);
        continue;
      } else {
        note(run, 'expired', request, { changes: request.changes, started, notes: [`request dropped: ${decision.why}`] });
      }
      said.delete(request.uuid);
      if (!run.dryRun) removeRequest(entry);
    }
    if (run.dryRun) return;
    if (waiting > 0) await sleep(Math.max(50, Math.min(backoffDelay(round), soonest - Date.now())));
  }
}

