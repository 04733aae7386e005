// Reading SMT and package topology a node at a time (src/io/host/sysfs.ts) must
// never change a plan: for the shipped examples on a 4-node SMT host, and for
// generated sysfs trees (offline CPUs, affinity limits, memoryless nodes, no
// NUMA dir) and generated domains, every policy plans the same on the lazily
// read host as on that host loaded whole from its profile.
import { expect } from 'chai';
import fc from 'fast-check';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_CONFIG } from '../../../src/core/config.js';
import { filterDomainXml } from '../../../src/core/plan/filter-xml.js';
import { hostFromProfile, hostToProfile } from '../../../src/core/host/host-json.js';
import { readHost } from '../../../src/io/host/sysfs.js';
import { fakeHostDir, type FakeHostSpec } from '../../support/fake-sysfs.js';
import { arbDomainSpec, domainXml } from '../../support/gen-domain.js';

const arbSpec: fc.Arbitrary<FakeHostSpec> = fc
  .record({
    sockets: fc.integer({ min: 1, max: 2 }),
    coresPerSocket: fc.integer({ min: 1, max: 6 }),
    threadsPerCore: fc.integer({ min: 1, max: 2 }),
    nodes: fc.integer({ min: 1, max: 3 }),
    offline: fc.uniqueArray(fc.integer({ min: 1, max: 23 }), { maxLength: 3 }),
    allowedMask: fc.option(fc.integer({ min: 1, max: 2 ** 24 - 1 }), { nil: undefined }),
    memoryless: fc.boolean(),
    noNumaDir: fc.boolean(),
  })
  .map(({ allowedMask, memoryless, ...r }) => {
    const cpus = r.sockets * r.coresPerSocket * r.threadsPerCore;
    const nodes = Math.min(r.nodes, r.sockets * r.coresPerSocket);
    // CPU 0 is never offline here and always allowed: a host with no usable CPU is refused, not planned.
    const allowed = allowedMask === undefined ? [] : Array.from({ length: cpus }, (_, id) => id).filter((id) => id === 0 || ((allowedMask >> id) & 1) === 1);
    return {
      ...r,
      nodes,
      offline: r.offline.filter((id) => id < cpus),
      ...(allowed.length > 0 ? { allowed: allowed.join(',') } : {}),
      ...(memoryless && nodes > 1 ? { memorylessNodes: [nodes - 1] } : {}),
    };
  });

/**
 * Plan each XML under every policy on the host in `dir` read lazily (afresh per
 * call) and loaded whole from its profile; they must agree. Returns the outcomes seen.
 */
function expectSamePlans(dir: string, xmls: readonly { label: string; xml: string }[]): Set<string> {
  const whole = hostFromProfile(hostToProfile(readHost(dir)), 'profile');
  const outcomes = new Set<string>();
  for (const { label, xml } of xmls) {
    for (const policy of ['remap', 'intersect', 'unpin', 'strict'] as const) {
      const lazy = filterDomainXml(xml, readHost(dir), DEFAULT_CONFIG, policy);
      const eager = filterDomainXml(xml, whole, DEFAULT_CONFIG, policy);
      expect(lazy.plan, `${label} ${policy}`).to.deep.equal(eager.plan);
      expect(lazy.output, `${label} ${policy}`).to.equal(eager.output);
      outcomes.add(`${policy} ${lazy.plan.outcome}`);
    }
  }
  return outcomes;
}

describe('lazy topology: plans match the host loaded whole', () => {
  it('for every example and the reliability fixture on a 4-node SMT host', () => {
    const dir = fakeHostDir({ sockets: 2, coresPerSocket: 8, threadsPerCore: 2, nodes: 4 });
    try {
      const files = [...readdirSync('examples').filter((n) => n.endsWith('.xml')).map((n) => join('examples', n)), 'test/fixtures/reliability/pinned.xml'];
      const outcomes = expectSamePlans(dir, files.map((file) => ({ label: file, xml: readFileSync(file, 'utf8') })));
      expect([...outcomes]).to.include.members(['remap rewritten', 'strict refused']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('for generated sysfs trees and domains, under every policy', function () {
    this.timeout(120_000);
    fc.assert(
      fc.property(arbSpec, fc.array(arbDomainSpec, { minLength: 1, maxLength: 3 }), (spec, domains) => {
        const dir = fakeHostDir(spec);
        try {
          expectSamePlans(dir, domains.map((domain, i) => ({ label: `domain ${i}`, xml: domainXml(domain) })));
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }),
      { numRuns: 60 },
    );
  });
});
