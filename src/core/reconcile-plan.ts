// Plan a saved (inactive) definition after a migration: make its pins what
// the live guest got wherever the two had the same pins. When the changes
// the hook recorded apply to the saved XML as they stand (same element, id
// and old value), apply exactly those; otherwise plan afresh. Pure.
import type { Config } from './config.js';
import { parseCpuset } from './cpuset.js';
import { readDomainPins, type DomainPins } from './domain-pins.js';
import { filterDomainXml, type FilterResult } from './filter.js';
import type { Host } from './host.js';
import type { Change, Plan, Policy } from './plan.js';
import { applyOwnChanges, recordFirst, recordOf } from './intent.js';
import type { OriginalPin } from './metadata.js';
import { parseDomainXml, serializeXml } from './xml.js';

/** Where the saved definition's changes came from. */
export type ReconcileSource = 'recorded' | 'recorded+fresh' | 'fresh';

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

const key = (c: { element: string; id?: number }): string => `${c.element}/${c.id ?? ''}`;

/** Same ids, however written; an absent element matches only a change that creates one. */
function sameSet(text: string | undefined, old: string | null): boolean {
  if (text === undefined || old === null) return text === undefined && old === null;
  try {
    return parseCpuset(text).equals(parseCpuset(old));
  } catch {
    return false;
  }
}

/** The recorded changes that do not apply to these pins, as short labels; empty when all apply. */
export function unmatchedChanges(pins: DomainPins, recorded: readonly Change[]): string[] {
  const current = new Map<string, string>();
  for (const pin of pins.cpuPins) current.set(key({ element: pin.kind, id: pin.id }), pin.text);
  for (const pin of pins.nodePins) current.set(key({ element: pin.kind, id: pin.id }), pin.text);
  const misses: string[] = [];
  for (const change of recorded) {
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

export function planReconcile(xml: string, host: Host, config: Config, policy?: Policy, recorded: readonly Change[] = []): ReconcileResult {
  const probe = readDomainPins(parseDomainXml(xml));
  const here = hostWithoutDomain(host, probe.name);
  const fresh = filterDomainXml(xml, here, config, policy);
  // Fits already, or refused: nothing of the recording can make it better.
  if (fresh.plan.outcome !== 'rewritten' || recorded.length === 0) return { ...fresh, source: 'fresh' };
  const misses = unmatchedChanges(fresh.pins, recorded);
  if (misses.length > 0) {
    const note = `the hook's recorded changes do not match the saved definition (${misses.join('; ')}): planned afresh`;
    return { ...fresh, plan: { ...fresh.plan, notes: [...fresh.plan.notes, note] }, source: 'fresh' };
  }
  const candidate = serializeXml(applyOwnChanges(parseDomainXml(xml), recorded));
  // The saved definition records the same original placement the hook recorded live: its pins
  // from before the changes (not the candidate's, which already carry them).
  const original = recordOf(fresh.pins);
  const after = filterDomainXml(candidate, here, config, policy, { originalRecord: original });
  if (after.plan.outcome !== 'unchanged' && after.plan.outcome !== 'rewritten') return { ...fresh, source: 'fresh' };
  const more = after.plan.outcome === 'rewritten';
  const changes = more ? mergeChanges(recorded, after.plan.changes) : [...recorded];
  const plan: Plan = { ...fresh.plan, outcome: 'rewritten', changes, notes: after.plan.notes };
  return { plan, pins: fresh.pins, output: after.output ?? withOriginal(candidate, original), shadow: fresh.shadow, source: more ? 'recorded+fresh' : 'recorded' };
}

/** `xml` with the original-placement record, unless it has one already. */
function withOriginal(xml: string, original: readonly OriginalPin[]): string {
  const doc = parseDomainXml(xml);
  return recordFirst(doc, original) ? serializeXml(doc) : xml;
}
