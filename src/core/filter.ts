// The filter in one call, for the CLI, reconcile and the tests: domain XML in,
// plan and (when it changes anything) the rewritten XML out. XML in
// plain-xml.ts's subset (what libvirt sends) is read and rewritten without
// xmldom, other XML with it. The hook runs the same steps (filter-plan.ts),
// loading xmldom only for XML outside the subset.
import type { Config } from './config.js';
import { filterTree, type FilterExtras, type FilterResult } from './filter-plan.js';
import type { Host } from './host.js';
import type { Policy } from './plan.js';
import { writePlainXml } from './plain-dom.js';
import { readPlainXml } from './plain-xml.js';
import { parseDomainXml, readDomainXml, serializeXml } from './xml.js';

export function filterDomainXml(xml: string, host: Host, config: Config, policy?: Policy, extras: FilterExtras = {}): FilterResult {
  const tick = extras.clock ?? (() => 0);
  const t = tick();
  const plain = readPlainXml(xml);
  const read = plain ? { tree: plain } : readDomainXml(xml);
  if (extras.timings) extras.timings.parse = tick() - t;
  return filterTree(read, host, config, policy, extras);
}

/** The input as repin would write it unchanged (XML in plain-xml.ts's subset: as it is): diffs against this show only real changes. */
export function normalizeXml(xml: string): string {
  const plain = readPlainXml(xml);
  return plain ? writePlainXml(plain) : serializeXml(parseDomainXml(xml));
}
