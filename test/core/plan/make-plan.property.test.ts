// Invariants of every policy over generated domains and hosts.
import { expect } from 'chai';
import fc from 'fast-check';
import { XMLSerializer, type Element } from '@xmldom/xmldom';
import { parseConfig } from '../../../src/core/config.js';
import { CpuSet } from '../../../src/core/cpuset.js';
import { readDomainPins } from '../../../src/core/domain/pins.js';
import { filterDomainXml } from '../../../src/core/plan/filter-xml.js';
import { computePools, poolFor } from '../../../src/core/plan/pools.js';
import { parseXml } from '../../../src/core/xml/parse-any.js';
import { parseDomainXml } from '../../../src/core/xml/xmldom.js';
import { arbDomainSpec, arbHost, domainXml } from '../../support/gen-domain.js';
import { CaseTally } from '../../support/case-tally.js';
import { canonicalXml } from '../../support/xml-compare.js';

const config = parseConfig({});
const runs = { numRuns: 150 };
/**
 * Of the 150 cases each property generates, how many must reach its
 * assertions: rewritten (an output to check), or not refused. The generators
 * put pins on CPUs up to 47 on hosts of at most 32, so nearly every case is
 * rewritten (150 of 150 in every run measured); fewer than 120 means they drifted.
 */
const MIN_CHECKED = 120;

/** The document without anything a plan may change (pins, and the original-placement record it adds). */
function withoutPins(xml: string): string {
  const doc = parseXml(xml);
  const drop = (names: string[]): void => {
    for (const name of names) {
      const list = doc.getElementsByTagName(name);
      for (let i = list.length - 1; i >= 0; i--) list.item(i)?.parentNode?.removeChild(list.item(i) as Element);
    }
  };
  drop(['vcpupin', 'emulatorpin', 'iothreadpin', 'memory', 'memnode', 'repin:original']);
  doc.getElementsByTagName('vcpu').item(0)?.removeAttribute('cpuset');
  return canonicalXml(new XMLSerializer().serializeToString(doc));
}

for (const policy of ['remap', 'intersect', 'unpin'] as const) {
  describe(`planner properties: ${policy}`, () => {
    it('output parses, every pin lies in its pool, nodesets name nodes with memory', function () {
      const tally = new CaseTally();
      fc.assert(
        fc.property(arbHost, arbDomainSpec, (host, spec) => {
          tally.generatedOne();
          const result = filterDomainXml(domainXml(spec), host, config, policy);
          if (result.plan.outcome === 'refused') return true;
          tally.checkedOne();
          const out = result.output ?? domainXml(spec);
          const pins = readDomainPins(parseDomainXml(out));
          const pools = computePools(host, {});
          for (const pin of pins.cpuPins) expect(pin.cpus.isSubsetOf(poolFor(pin.kind, pools)), `${pin.kind} ${pin.text}`).to.equal(true);
          for (const pin of pins.nodePins) expect(pin.nodes.isSubsetOf(pools.nodes), `${pin.kind} ${pin.text}`).to.equal(true);
          return true;
        }),
        runs,
      );
      tally.expectAtLeast(MIN_CHECKED, this);
    });

    it('changes nothing outside the pin attributes and elements', function () {
      const tally = new CaseTally();
      fc.assert(
        fc.property(arbHost, arbDomainSpec, (host, spec) => {
          tally.generatedOne();
          const xml = domainXml(spec);
          const result = filterDomainXml(xml, host, config, policy);
          if (!result.output) return true;
          tally.checkedOne();
          expect(withoutPins(result.output)).to.equal(withoutPins(xml));
          return true;
        }),
        runs,
      );
      tally.expectAtLeast(MIN_CHECKED, this);
    });

    it('is idempotent: planning its own output on the same host changes nothing', function () {
      const tally = new CaseTally();
      fc.assert(
        fc.property(arbHost, arbDomainSpec, (host, spec) => {
          tally.generatedOne();
          const first = filterDomainXml(domainXml(spec), host, config, policy);
          if (!first.output) return true;
          tally.checkedOne();
          const second = filterDomainXml(first.output, host, config, policy);
          expect(second.plan.changes).to.deep.equal([]);
          expect(second.plan.outcome).to.equal('unchanged');
          return true;
        }),
        runs,
      );
      tally.expectAtLeast(MIN_CHECKED, this);
    });
  });
}

describe('planner properties: remap keeps distinct CPUs distinct when the host has enough', () => {
  it('dedicated vCPUs on distinct CPUs stay on distinct CPUs', () => {
    fc.assert(
      fc.property(arbHost, arbDomainSpec, (host, spec) => {
        const xml = domainXml(spec);
        const before = readDomainPins(parseDomainXml(xml));
        const used = CpuSet.of(before.cpuPins.flatMap((p) => [...p.cpus.ids]));
        fc.pre(used.size <= host.usable.size);
        const result = filterDomainXml(xml, host, config, 'remap');
        const after = readDomainPins(parseDomainXml(result.output ?? xml));
        const dedicated = (pins: typeof before): Map<number, number> =>
          new Map(pins.cpuPins.filter((p) => p.kind === 'vcpupin' && p.cpus.size === 1).map((p) => [p.id ?? -1, p.cpus.ids[0] ?? -1]));
        const was = dedicated(before);
        const now = dedicated(after);
        for (const [a, ca] of was) {
          for (const [b, cb] of was) {
            if (a < b && ca !== cb) expect(now.get(a), `vcpu ${a} vs ${b}`).to.not.equal(now.get(b));
            if (a < b && ca === cb) expect(now.get(a), `vcpu ${a} and ${b} shared a CPU`).to.equal(now.get(b));
          }
        }
        return true;
      }),
      { numRuns: 300 },
    );
  });
});
