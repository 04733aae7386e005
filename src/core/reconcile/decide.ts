// Plan a saved (inactive) definition after a migration: make its pins what
// the live guest got wherever the two had the same pins. When the changes
// the hook recorded apply to the saved XML as they stand (same element, id
// and old value), apply exactly those; else, for a guest running here, the
// pins it runs with; otherwise plan afresh, around other guests' CPUs. Pure.
import type { Config } from '../config.js';
import { parseCpuset } from '../cpuset.js';
import { readDomainPins, type DomainPins } from '../domain/pins.js';
import { withClaims, type Claims } from './claims.js';
import { liveChanges, sameIds } from './live.js';
import { filterDomainXml } from '../plan/filter-xml.js';
import type { FilterResult } from '../plan/filter-tree.js';
import type { Host } from '../host/host.js';
import type { Change, Plan, Policy } from '../plan/plan.js';
import { applyOwnChanges, elementKey as key, recordFirst, recordOf } from '../domain/intent.js';
import { readDomain, type DomainTree } from '../xml/read-domain.js';

/** Where the saved definition's changes came from. */
export type ReconcileSource = 'recorded' | 'recorded+fresh' | 'live' | 'live+fresh' | 'fresh';

/** What reconcile knows besides the saved XML and the host (already holding other running guests' CPUs). */
export interface ReconcileInputs {
  /** The changes the hook made to the live XML on arrival (its reconcile request). */
  readonly recorded?: readonly Change[];
  /** The definition the guest runs with here (`virsh dumpxml`); for a shut-off guest, the saved one. */
  readonly live?: string;
  /** Other saved definitions' dedicated CPUs: a rewrite avoids them, a definition that fits is not moved off them. */
  readonly claims?: Claims;
}

export interface ReconcileResult extends FilterResult {
  readonly source: ReconcileSource;
}

/**
 * The host as this domain sees it once it runs here: CPUs it holds itself are
 * not "held by another domain" (the migrated guest is running when reconcile plans).
 */
export function hostWithoutDomain(host: Host, name: string): Host {
  const own = host.occupancy?.holders[name];
  if (!host.occupancy || own === undefined) return host;
  return { ...host, occupancy: { ...host.occupancy, exclusive: host.occupancy.exclusive.minus(parseCpuset(own)) } };
}

/** Same ids, however written; an absent element matches only a change that creates one. */
function sameSet(text: string | undefined, old: string | null): boolean {
  if (text === undefined || old === null) return text === undefined && old === null;
  return sameIds(text, old);
}

/** The recorded changes that do not apply to these pins, as short labels; empty when all apply. */
export function unmatchedChanges(pins: DomainPins, recorded: readonly Change[]): string[] {
  const current = new Map<string, string>();
  for (const pin of pins.cpuPins) current.set(key({ element: pin.kind, id: pin.id }), pin.text);
  for (const pin of pins.nodePins) current.set(key({ element: pin.kind, id: pin.id }), pin.text);
  const misses: string[] = [];
  for (const change of recorded) {
    if (change.element === 'shares') {
      if (pins.shares?.text.trim() !== change.old?.trim()) misses.push(`shares saved ${pins.shares?.text ?? '(absent)'}, live had ${change.old ?? '(absent)'}`);
      continue;
    }
    const text = current.get(key(change));
    if (!sameSet(text, change.old)) misses.push(`${key(change)} saved ${text ?? '(absent)'}, live had ${change.old ?? '(absent)'}`);
  }
  return misses;
}

/** Recorded changes followed by further ones, as one change per element (old from the first, new from the last). */
export function mergeChanges(first: readonly Change[], then: readonly Change[]): Change[] {
  const merged = new Map<string, Change>(first.map((c) => [key(c), c]));
  for (const c of then) {
    const before = merged.get(key(c));
    merged.set(key(c), before ? { ...c, old: before.old, rule: `${before.rule}; then ${c.rule}` } : c);
  }
  return [...merged.values()];
}

export function planReconcile(xml: string, host: Host, config: Config, policy?: Policy, inputs: ReconcileInputs = {}): ReconcileResult {
  const probe = readDomainPins(readDomain(xml).doc);
  const here = hostWithoutDomain(host, probe.name);
  const fits = filterDomainXml(xml, here, config, policy);
  // Fits already, or refused: nothing of the recording can make it better.
  if (fits.plan.outcome !== 'rewritten') return { ...fits, source: 'fresh' };
  const fresh = freshAroundClaims(xml, here, config, policy, inputs.claims, fits);
  const recorded = inputs.recorded ?? [];
  const notes: string[] = [];
  if (recorded.length > 0) {
    const misses = unmatchedChanges(fresh.pins, recorded);
    if (misses.length === 0) {
      const found = fromChanges(xml, here, config, policy, fresh, recorded, 'recorded');
      if (found) return found;
    } else {
      notes.push(`the hook's recorded changes do not match the saved definition (${misses.join('; ')})`);
    }
  }
  if (inputs.live !== undefined) {
    const changes = liveChanges(fresh.pins, readDomainPins(readDomain(inputs.live).doc));
    const found = changes.length > 0 ? fromChanges(xml, here, config, policy, fresh, changes, 'live') : undefined;
    if (found) return notes.length === 0 ? found : { ...found, plan: { ...found.plan, notes: [...notes.map((n) => `${n}: took the pins the guest runs with`), ...found.plan.notes] } };
  }
  if (notes.length > 0) notes[notes.length - 1] += ': planned afresh';
  return { ...fresh, plan: { ...fresh.plan, notes: [...fresh.plan.notes, ...notes] }, source: 'fresh' };
}

/**
 * A fresh plan whose substitutes also keep off other saved definitions'
 * dedicated CPUs. Those claims only steer where moved pins go: a pin that fits
 * around the running guests stays (those guests may never run together), and
 * when the claims leave no room, the plan is the one without them, saying so.
 */
function freshAroundClaims(xml: string, here: Host, config: Config, policy: Policy | undefined, claims: Claims | undefined, fits: FilterResult): FilterResult {
  const planning = claims ? withClaims(here, claims, fits.pins.uuid.toLowerCase()) : here;
  if (planning === here) return fits;
  const around = filterDomainXml(xml, planning, config, policy);
  if (around.plan.outcome !== 'rewritten') {
    const note = `no room around other saved definitions' dedicated CPUs (${around.plan.refusal ?? around.plan.outcome}): planned around running guests only`;
    return { ...fits, plan: { ...fits.plan, notes: [...fits.plan.notes, note] } };
  }
  const needed = new Set(fits.plan.changes.map(key));
  const changes = around.plan.changes.filter((c) => needed.has(key(c)));
  if (changes.length === around.plan.changes.length) return around;
  const tree = readDomain(xml);
  applyOwnChanges(tree.doc, changes);
  recordFirst(tree.doc, recordOf(fits.pins));
  return { ...around, plan: { ...around.plan, changes }, output: tree.write() };
}

/** The saved XML with `changes` applied, and whatever still misfits planned afresh; undefined when that does not fit. */
function fromChanges(xml: string, here: Host, config: Config, policy: Policy | undefined, fresh: FilterResult, changes: readonly Change[], source: 'recorded' | 'live'): ReconcileResult | undefined {
  let tree: DomainTree;
  let candidate: string;
  try {
    tree = readDomain(xml);
    applyOwnChanges(tree.doc, changes);
    candidate = tree.write();
  } catch {
    return undefined;
  }
  // The saved definition records the same original placement the hook recorded live: its pins
  // from before the changes (not the candidate's, which already carry them).
  const original = recordOf(fresh.pins);
  const after = filterDomainXml(candidate, here, config, policy, { originalRecord: original });
  if (after.plan.outcome !== 'unchanged' && after.plan.outcome !== 'rewritten') return undefined;
  const more = after.plan.outcome === 'rewritten';
  const merged = more ? mergeChanges(changes, after.plan.changes) : [...changes];
  const plan: Plan = { ...fresh.plan, outcome: 'rewritten', changes: merged, notes: after.plan.notes };
  // Nothing more to change: the candidate, with the original-placement record unless it has one already.
  const output = after.output ?? (recordFirst(tree.doc, original) ? tree.write() : candidate);
  return { plan, pins: fresh.pins, output, shadow: fresh.shadow, source: more ? `${source}+fresh` : source };
}
