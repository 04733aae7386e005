// The filter itself: domain XML in, plan and (when it changes anything) the
// rewritten XML out. Shared by the hook, `repin rewrite/plan/replay` and
// reconcile, so every path makes exactly the same decision.
import type { Document } from '@xmldom/xmldom';
import { resolveForDomain, type Config } from './config.js';
import { readDomainPins, type DomainPins } from './domain-pins.js';
import type { Host } from './host.js';
import type { Plan, Policy } from './plan.js';
import { planDomain } from './planner.js';
import { applyChanges } from './rewrite.js';
import { parseDomainXml, serializeXml } from './xml.js';

export interface FilterResult {
  readonly plan: Plan;
  readonly pins: DomainPins;
  /** The rewritten XML; undefined when the plan changes nothing or refuses. */
  readonly output?: string;
  /** Config says plan and record only. */
  readonly shadow: boolean;
}

export interface FilterTimings {
  parse?: number;
  plan?: number;
  serialize?: number;
}

export function filterDomainXml(
  xml: string,
  host: Host,
  config: Config,
  policy?: Policy,
  clock?: () => number,
  timings?: FilterTimings,
): FilterResult {
  const tick = clock ?? (() => 0);
  let t = tick();
  const doc: Document = parseDomainXml(xml);
  const pins = readDomainPins(doc);
  if (timings) timings.parse = tick() - t;
  t = tick();
  const resolved = resolveForDomain(config, pins, policy);
  const plan = planDomain(pins, host, resolved.options);
  if (timings) timings.plan = tick() - t;
  if (plan.outcome !== 'rewritten') return { plan, pins, shadow: resolved.shadow };
  t = tick();
  const output = serializeXml(applyChanges(doc, plan.changes));
  if (timings) timings.serialize = tick() - t;
  return { plan, pins, output, shadow: resolved.shadow };
}

/** The input as repin would serialize it unchanged: diffs against this show only real changes. */
export function normalizeXml(xml: string): string {
  return serializeXml(parseDomainXml(xml));
}
