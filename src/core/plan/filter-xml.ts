// The filter in one call, for the CLI, reconcile and the tests: domain XML in,
// plan and (when it changes anything) the rewritten XML out. The hook runs
// the same steps (filter-tree.ts) on a tree it reads with readDomainOnDemand.
import type { Config } from '../config.js';
import { filterTree, type FilterExtras, type FilterResult } from './filter-tree.js';
import type { Host } from '../host/host.js';
import type { Policy } from './plan.js';
import { readDomain } from '../xml/read-domain.js';

export function filterDomainXml(xml: string, host: Host, config: Config, policy?: Policy, extras: FilterExtras = {}): FilterResult {
  const tick = extras.clock ?? (() => 0);
  const t = tick();
  const tree = readDomain(xml);
  if (extras.timings) extras.timings.parse = tick() - t;
  return filterTree(tree, host, config, policy, extras);
}

/** The input as repin would write it unchanged (XML in plain-xml.ts's subset: as it is): diffs against this show only real changes. */
export function normalizeXml(xml: string): string {
  return readDomain(xml).write();
}
