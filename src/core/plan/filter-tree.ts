// The filter's decision: a domain's XML, read into a tree, planned against a
// host, and when the plan changes anything, the change written into the tree.
// Shared by the hook, `repin rewrite/plan/replay` and reconcile (through
// filter-xml.ts), so every path makes exactly the same decision. Nothing here
// loads xmldom: the tree comes read (domain-tree.ts) and writes itself.
import { resolveForDomain, type Config, type DomainOverride } from '../config.js';
import type { DomainTree } from '../xml/domain-tree.js';
import { nextRecord, planFromOriginal, readIntent } from '../domain/intent.js';
import { foreignManager, ORIGINAL_NS, readOriginal, readPolicyMetadata, writeOriginal, type OriginalPin } from '../domain/metadata.js';
import { readDomainPins, type DomainPins } from '../domain/pins.js';
import type { Host } from '../host/host.js';
import type { Plan, Policy } from './plan.js';
import { occupancyMatters } from './fit.js';
import { planDomain } from './make-plan.js';
import { computePools } from './pools.js';
import { applyChanges } from './rewrite.js';

export interface FilterResult {
  readonly plan: Plan;
  readonly pins: DomainPins;
  /** The rewritten XML; undefined when the plan changes nothing or refuses. */
  readonly output?: string;
  /** Config says plan and record only. */
  readonly shadow: boolean;
  /** The original placement from the domain's repin metadata, when it has one. */
  readonly original?: readonly OriginalPin[];
}

export interface FilterTimings {
  /** The XML read into a tree (plain-xml.ts's, else xmldom's) and its pins read. */
  parse?: number;
  /** enrichHost: other guests' occupancy and reservations. */
  occupancy?: number;
  plan?: number;
  serialize?: number;
}

/** What a caller may add around the plan: the hook times it and reads the local host's occupancy. */
export interface FilterExtras {
  readonly clock?: () => number;
  /** Filled in with each step's time, by `clock`. */
  readonly timings?: FilterTimings;
  /** Add what depends on the domain's identity (other domains' occupancy) before planning. */
  readonly enrichHost?: (pins: DomainPins, host: Host) => Host;
  /**
   * The original placement to record when the domain has none (default: its
   * pins as they are). Reconcile passes the saved definition's pins from before
   * the hook's changes were applied to it, as the hook recorded them live.
   */
  readonly originalRecord?: readonly OriginalPin[];
}

/**
 * Plan, and when the plan changes anything, change the tree and write it out.
 * A plain tree (plain-xml.ts) and xmldom's of the same XML give the same plan.
 */
export function filterTree(tree: DomainTree, host: Host, config: Config, policy?: Policy, extras: FilterExtras = {}): FilterResult {
  const { doc } = tree;
  const { clock, timings, enrichHost } = extras;
  const tick = clock ?? (() => 0);
  let t = tick();
  const pins = readDomainPins(doc);
  if (timings) timings.parse = (timings.parse ?? 0) + tick() - t;
  t = tick();
  const notes: string[] = [];
  let metadata: DomainOverride | undefined;
  try {
    metadata = readPolicyMetadata(doc);
  } catch (error) {
    notes.push(`ignored the domain's repin policy metadata: ${error instanceof Error ? error.message : String(error)}`);
  }
  const resolved = resolveForDomain(config, pins, policy, metadata);
  const domain = { name: pins.name, uuid: pins.uuid };
  const manager = foreignManager(doc);
  if (manager !== undefined && !config.manageForeign) {
    const skipped = `managed by ${manager}, which places pins itself (config manageForeign is off)`;
    return { plan: { domain, policy: resolved.options.policy, outcome: 'skipped', changes: [], notes, skipped }, pins, shadow: resolved.shadow };
  }
  const original = readOriginal(doc);
  const enriching = tick();
  // Other guests' occupancy changes no pool: one computation serves the check and the plan.
  const pools = computePools(host, resolved.options);
  const planningHost = enrichHost && occupancyMatters(pins, pools, original !== undefined) ? enrichHost(pins, host) : host;
  const occupancy = tick() - enriching;
  if (timings) timings.occupancy = occupancy;
  const intent = original ? readIntent(pins, original) : undefined;
  if (intent && intent.changed.length > 0) notes.push(changedNote(intent.changed));
  const planned =
    intent && resolved.options.policy !== 'strict'
      ? planFromOriginal(pins, intent, planningHost, resolved.options)
      : planDomain(pins, planningHost, resolved.options, pools);
  if (timings) timings.plan = tick() - t - occupancy;
  const withOriginal = original ? { original } : {};
  const result = { plan: { ...planned, notes: [...notes, ...planned.notes] }, pins, shadow: resolved.shadow, ...withOriginal };
  if (planned.outcome !== 'rewritten') return result;
  t = tick();
  applyChanges(doc, planned.changes);
  // The record says what the output holds, so a later plan can tell a pin changed since by someone.
  const record = nextRecord(pins, intent ?? readIntent(pins, extras.originalRecord ?? []), planned.changes);
  const written = writeOriginal(doc, record, intent !== undefined);
  if (!intent) {
    notes.push(
      written
        ? `original placement recorded in the domain metadata (${ORIGINAL_NS})`
        : 'the domain metadata holds a repin original-placement record this repin cannot read; kept as it is, none written',
    );
  }
  const output = tree.write();
  if (timings) timings.serialize = tick() - t;
  return { ...result, plan: { ...planned, notes: [...notes, ...planned.notes] }, output };
}

/** Pins changed since repin wrote them: their current values are the new intent. At most a few named. */
function changedNote(changed: readonly string[]): string {
  const shown = changed.slice(0, 8).join(', ');
  const more = changed.length > 8 ? ` and ${changed.length - 8} more` : '';
  return `changed since repin last wrote them, so planned as they are now and recorded as the new original: ${shown}${more}`;
}
