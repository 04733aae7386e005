// One run of `repin reconcile`: what it needs (virsh, the config, the host as
// the hook sees it, the claims of saved definitions seen so far) and how it
// says what it did (a line on stdout, a journal entry).
import type { Config } from '../core/config.js';
import { printable } from '../core/cpuset.js';
import type { DomainPins } from '../core/domain/pins.js';
import { RepinError } from '../core/errors.js';
import type { Host } from '../core/host/host.js';
import type { Change, Policy } from '../core/plan/plan.js';
import type { Claims } from '../core/reconcile/claims.js';
import type { ReconcileResult } from '../core/reconcile/decide.js';
import type { Io } from '../io/process-io.js';
import { record, type JournalOutcome, type JournalTarget } from '../io/state/journal.js';
import type { Virsh } from '../io/virsh.js';

/** One reconcile run: its connections, what it plans against, where it journals, and whether anything needs an operator. */
export interface Run {
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
  /** How a dry run shows a plan (the CLI's plan table). */
  readonly showPlan: (result: ReconcileResult, host: Host) => string;
  /** Something needs an operator: an error, a refusal, a definition someone else kept changing. */
  failed: boolean;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
export const describe = (error: unknown): string => (error instanceof RepinError ? error.message : `internal error: ${error instanceof Error ? error.message : String(error)}`);
export const SOURCE_TEXT = {
  recorded: 'the changes the hook made live',
  'recorded+fresh': 'the hook’s live changes, then a fresh plan',
  live: 'the pins the guest runs with here',
  'live+fresh': 'the pins the guest runs with here, then a fresh plan',
  fresh: 'a fresh plan',
} as const;

export interface Note {
  readonly policy?: string;
  readonly changes?: readonly Change[];
  readonly notes?: string[];
  readonly error?: string;
  readonly started: number;
  readonly failed?: boolean;
}

export function note(run: Run, outcome: JournalOutcome, domain: { name: string; uuid: string }, entry: Note, capture?: string): void {
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

