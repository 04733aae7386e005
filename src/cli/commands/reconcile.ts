// `repin reconcile`: fix the saved definition of migrated domains. libvirt's
// hook filters only the live XML; with `virsh migrate --persistent` the saved
// definition arrives unfiltered (qemuMigrationDstPersist) and the next cold
// boot fails. The hook leaves a request in the spool; this command waits for
// the domain to be persistent here, plans its inactive XML and redefines it.
import type { Argv, CommandModule } from 'yargs';
import type { Config } from '../../core/config.js';
import { printable } from '../../core/cpuset.js';
import { readDomainPins, type DomainPins } from '../../core/domain/pins.js';
import { ExitCode, RepinError, UsageError, VirshError } from '../../core/errors.js';
import type { Host } from '../../core/host/host.js';
import type { Change, Policy } from '../../core/plan/plan.js';
import { claimOf, type Claims } from '../../core/reconcile/claims.js';
import { planReconcile, type ReconcileResult } from '../../core/reconcile/decide.js';
import { backoffDelay, decide, expiresAt, parseDuration, type Sighting } from '../../core/reconcile/wait.js';
import { configPath, loadConfig } from '../../io/state/config-file.js';
import { hookHostSource, hostView } from '../../io/host/view.js';
import { record, type JournalOutcome, type JournalTarget } from '../../io/state/journal.js';
import { acquireLock } from '../../io/fs/lock.js';
import type { Io } from '../../io/process-io.js';
import { hasYoungTemps, listRequests, removeRequest, removeStaleTemps, setAsideStrays, type ReconcileRequest } from '../../io/state/spool.js';
import { DEFAULT_CONNECT, virsh, type Virsh } from '../../io/virsh.js';
import { readDomain } from '../../core/xml/read-domain.js';
import { EXIT } from '../exit.js';
import { hostSourceOf, withPlanningOptions, type PlanningArgs } from '../options.js';
import { guestCpusetOutside } from '../outside.js';
import { renderPlan } from '../render/plan-view.js';

interface Args extends PlanningArgs {
  pending?: boolean;
  all?: boolean;
  'dry-run'?: boolean;
  wait: string;
  connect: string;
  'virsh-timeout': string;
  'spool-dir'?: string;
  lock?: string;
  'lock-wait'?: string;
}

interface Run {
  readonly io: Io;
  readonly virsh: Virsh;
  readonly config: Config;
  readonly host: () => Host;
  /** Other guests' CPUs on this host, as the hook sees them (none for a --host profile or --host-cpus). */
  readonly occupied: (pins: DomainPins, host: Host) => Host;
  /** Each saved definition's dedicated CPUs, as this run has seen or left them. */
  readonly claims: Claims;
  readonly policy?: Policy;
  readonly journal: JournalTarget;
  readonly dryRun: boolean;
  /** Something needs an operator: an error, a refusal, a definition someone else kept changing. */
  failed: boolean;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const describe = (error: unknown): string => (error instanceof RepinError ? error.message : `internal error: ${error instanceof Error ? error.message : String(error)}`);
const SOURCE_TEXT = {
  recorded: 'the changes the hook made live',
  'recorded+fresh': 'the hook’s live changes, then a fresh plan',
  live: 'the pins the guest runs with here',
  'live+fresh': 'the pins the guest runs with here, then a fresh plan',
  fresh: 'a fresh plan',
} as const;

interface Note {
  readonly policy?: string;
  readonly changes?: readonly Change[];
  readonly notes?: string[];
  readonly error?: string;
  readonly started: number;
  readonly failed?: boolean;
}

function note(run: Run, outcome: JournalOutcome, domain: { name: string; uuid: string }, entry: Note, capture?: string): void {
  if (entry.failed || entry.error !== undefined) run.failed = true;
  const name = printable(domain.name || '(unnamed)');
  const detail = entry.error ?? entry.notes?.[entry.notes.length - 1] ?? '';
  run.io.stdout.write(`${name} ${domain.uuid}: ${outcome}${detail ? ` — ${printable(detail, 300)}` : ''}\n`);
  if (run.dryRun) return;
  try {
    record(
      run.journal,
      {
        time: new Date().toISOString(),
        op: 'reconcile',
        domain: domain.name,
        uuid: domain.uuid,
        policy: entry.policy ?? run.policy ?? run.config.policy,
        outcome,
        changes: entry.changes ?? [],
        durationMs: Math.round(performance.now() - entry.started),
        ...(entry.notes && entry.notes.length > 0 ? { notes: entry.notes } : {}),
        ...(entry.error ? { error: entry.error } : {}),
      },
      capture,
    );
  } catch (error) {
    run.io.stderr.write(`repin: journal not written (${describe(error)})\n`);
  }
}

/**
 * The plan for a saved definition, made as the hook plans a live one: around
 * other guests' CPUs (not the guest's own) and the other saved definitions'.
 * When it does not fit and the hook's changes do not apply, the guest's live
 * pins, fitted by the hook on arrival, are what it should start with next time.
 */
async function planSaved(run: Run, uuid: string, xml: string, request: ReconcileRequest | undefined): Promise<ReconcileResult> {
  const host = run.occupied(readDomainPins(readDomain(xml).doc), run.host());
  const inputs = { claims: run.claims, ...(request ? { recorded: request.changes } : {}) };
  const result = planReconcile(xml, host, run.config, run.policy, inputs);
  if (result.plan.outcome !== 'rewritten' || result.source !== 'fresh') return result;
  const live = await run.virsh.dumpLiveXml(uuid);
  return live === xml ? result : planReconcile(xml, host, run.config, run.policy, { ...inputs, live });
}

/**
 * Plan one persistent domain's saved definition and, unless it fits, redefine
 * it. 'retry': virsh itself failed (libvirt restarting, a timeout) while the
 * request may still wait: nothing is journaled and the request stays.
 */
async function reconcileDomain(run: Run, uuid: string, request: ReconcileRequest | undefined, quietIfFits: boolean, mayRetry = false): Promise<'done' | 'retry'> {
  const started = performance.now();
  const domain = { name: request?.name ?? '', uuid };
  try {
    for (let attempt = 1; ; attempt++) {
      const xml = await run.virsh.dumpInactiveXml(uuid);
      const result = await planSaved(run, uuid, xml, request);
      Object.assign(domain, { name: result.pins.name });
      const base = { policy: result.plan.policy, changes: result.plan.changes, started };
      // What later plans of this run keep off: the plan's result when it is defined (or shown), else the pins as they are.
      const leaves = run.dryRun || (result.plan.outcome === 'rewritten' && !result.shadow) ? result : { pins: result.pins };
      run.claims.set(uuid, { name: result.pins.name, cpus: claimOf(leaves) });
      if (run.dryRun) {
        run.io.stdout.write(renderPlan(result.plan, result.pins, run.host()));
        if (result.plan.outcome === 'rewritten') run.io.stdout.write(`source: ${SOURCE_TEXT[result.source]}; dry run, not defined\n\n`);
        return 'done';
      }
      if (result.plan.outcome === 'unchanged' || result.plan.outcome === 'skipped') {
        const why = result.plan.skipped ?? 'saved definition fits this host';
        if (!quietIfFits) note(run, result.plan.outcome, domain, { ...base, notes: [why] });
        return 'done';
      }
      if (result.plan.outcome === 'refused') {
        note(run, 'refused', domain, { ...base, failed: true, notes: [result.plan.refusal ?? 'refused'] });
        return 'done';
      }
      if (result.shadow) {
        note(run, 'shadow', domain, { ...base, notes: [...result.plan.notes, 'shadow mode: not defined'] });
        return 'done';
      }
      // Right before define: has anyone else changed the saved definition since we read it?
      const again = await run.virsh.dumpInactiveXml(uuid);
      if (again !== xml) {
        if (attempt < 2) continue;
        note(run, 'skipped', domain, { ...base, failed: true, notes: ['the saved definition changed between read and define twice (someone else is editing it): left alone'] });
        return 'done';
      }
      await run.virsh.defineXml(result.output ?? xml).catch((error: unknown) => {
        run.claims.set(uuid, { name: result.pins.name, cpus: claimOf({ pins: result.pins }) });
        throw error;
      });
      const why = `saved definition redefined from ${SOURCE_TEXT[result.source]} (${result.plan.changes.length} change${result.plan.changes.length === 1 ? '' : 's'})`;
      note(run, 'rewritten', domain, { ...base, notes: [...result.plan.notes, why] }, xml);
      return 'done';
    }
  } catch (error) {
    if (mayRetry && error instanceof VirshError) return 'retry';
    note(run, 'error', domain, { changes: request?.changes ?? [], started, error: describe(error) });
    return 'done';
  }
}


/**
 * `virsh domstate --reason` of a guest still arriving: an incoming migration
 * (`paused (migrating)`), post-copy in either state, or QEMU starting up. A
 * guest that has arrived reads `running (migrated)`, which is not one.
 */
export const ARRIVING = /^(paused \((migrating|post-copy|starting up)|running \(post-copy)/i;

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
async function runPending(run: Run, waitMs: number, spoolDir: string): Promise<void> {
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

/** Before --all plans anything: every saved definition's dedicated CPUs as they are, so no rewrite lands on them. */
async function claimSaved(run: Run, uuids: readonly string[]): Promise<void> {
  for (const uuid of uuids) {
    try {
      const pins = readDomainPins(readDomain(await run.virsh.dumpInactiveXml(uuid)).doc);
      if (!run.claims.has(uuid)) run.claims.set(uuid, { name: pins.name, cpus: claimOf({ pins }) });
    } catch {
      // reconcileDomain reads it again and reports what is wrong
    }
  }
}

export function reconcileCommand(io: Io): CommandModule<object, Args> {
  return {
    command: 'reconcile',
    describe: "fit migrated domains' saved definitions to this host (talks to libvirt through virsh)",
    builder: (y) =>
      (withPlanningOptions(y) as unknown as Argv<Args>)
        .option('pending', { type: 'boolean', describe: 'handle the requests the hook left in the spool (what the systemd path unit runs)' })
        .option('all', { type: 'boolean', describe: 'check every persistent domain on this host' })
        .option('dry-run', { type: 'boolean', describe: 'show the plans only: no define, no journal, spool untouched' })
        .option('wait', { type: 'string', default: '10m', describe: 'how long after the hook’s request a domain may take to become persistent here' })
        .option('connect', { type: 'string', default: DEFAULT_CONNECT, describe: 'libvirt URI for virsh --connect' })
        .option('virsh-timeout', { type: 'string', default: '60s', describe: 'time limit per virsh call' })
        .option('spool-dir', { type: 'string', describe: 'request spool (default: config spoolDir, /var/lib/repin/pending)' })
        .option('lock', { type: 'string', describe: 'lock file (default: <spool-dir>.lock)' })
        .option('lock-wait', { type: 'string', describe: 'how long to wait for another run to finish (default: --wait; 0 = exit at once)' })
        .check((a) => {
          if (!a.pending && !a.all) throw new UsageError('name what to reconcile: --pending, --all or both');
          return true;
        }),
    handler: async (args) => {
      const waitMs = parseDuration(args.wait, '--wait');
      const config = loadConfig(configPath(io.env, args.config), { mustExist: args.config !== undefined });
      const explicitHost = args.host !== undefined || args['host-root'] !== undefined || args['host-cpus'] !== undefined;
      // Without a --host option, plan against the same host the hook used, with other guests' CPUs
      // as the hook reads them; as a systemd service, not the daemon's child, with the guests'
      // cgroup as the hook sees it.
      const view = hostView(explicitHost ? hostSourceOf(args, io) : { ...hookHostSource(io.env), guestCpuset: guestCpusetOutside(io) }, io.fsRoot, io.env);
      const host = view.read();
      const spoolDir = args['spool-dir'] ?? config.spoolDir;
      const { withOthers } = view;
      const occupied = (pins: DomainPins, base: Host): Host => (withOthers ? withOthers(pins, base) : base);
      const run: Run = {
        io,
        virsh: virsh({ connect: args.connect, timeoutMs: parseDuration(args['virsh-timeout'], '--virsh-timeout'), env: io.env }),
        config,
        host: explicitHost ? () => host : view.read,
        occupied,
        claims: new Map(),
        ...(args.policy ? { policy: args.policy } : {}),
        journal: { ...config.journal, dir: io.env.REPIN_JOURNAL_DIR ?? config.journal.dir },
        dryRun: args['dry-run'] === true,
        failed: false,
      };
      const lockPath = args.lock ?? `${spoolDir.replace(/\/+$/, '')}.lock`;
      const lockWaitMs = args['lock-wait'] === undefined ? waitMs : parseDuration(args['lock-wait'], '--lock-wait');
      const locked = run.dryRun ? undefined : await acquireLock(lockPath, lockWaitMs, sleep);
      if (locked && 'heldBy' in locked) {
        io.stdout.write(`another repin reconcile (pid ${printable(locked.heldBy)}) holds ${lockPath}; it handles the spool, nothing done here\n`);
        return;
      }
      try {
        if (args.pending) await runPending(run, waitMs, spoolDir);
        if (args.all) {
          const uuids = await run.virsh.listPersistent();
          await claimSaved(run, uuids);
          for (const uuid of uuids) await reconcileDomain(run, uuid, undefined, !run.dryRun);
        }
      } finally {
        locked?.lock.release();
      }
      if (run.failed) throw new ExitCode(EXIT.no);
    },
  };
}
