// The original placement travels in metadata: A→B→A restores it exactly,
// A→B→C plans from the original, not from B's copy.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { parseConfig } from '../../src/core/config.js';
import { readDomainPins } from '../../src/core/domain-pins.js';
import { filterDomainXml } from '../../src/core/filter.js';
import { hostFromProfile } from '../../src/core/host-json.js';
import type { Host } from '../../src/core/host.js';
import type { Policy } from '../../src/core/plan.js';
import { readOriginal } from '../../src/core/metadata.js';
import { parseDomainXml } from '../../src/core/xml.js';
import { makeHost } from '../support/gen-domain.js';

const hostA = hostFromProfile(JSON.parse(readFileSync('examples/hosts/large.json', 'utf8')), 'A');
const hostB = hostFromProfile(JSON.parse(readFileSync('examples/hosts/small.json', 'utf8')), 'B');
const hostC = makeHost(2, 4, 2, 2);
const config = parseConfig({});

/** Every pin as `kind/id=text`, in document order: byte-for-byte comparison of the placement. */
const placement = (xml: string): string[] => {
  const pins = readDomainPins(parseDomainXml(xml));
  return [...pins.cpuPins, ...pins.nodePins].map((p) => `${p.kind}/${p.id ?? ''}=${p.text}`).sort();
};
const migrate = (xml: string, host: Host, policy?: Policy): string => filterDomainXml(xml, host, config, policy).output ?? xml;

describe('intent record: the original placement survives migrations', () => {
  const original = readFileSync('examples/smt-numa.xml', 'utf8');

  it('A→B (smaller) then B→A: the original pins come back exactly', () => {
    const onB = migrate(original, hostB);
    expect(placement(onB)).to.not.deep.equal(placement(original));
    expect(onB).to.include('urn:repin:original:2');
    const backOnA = filterDomainXml(onB, hostA, config);
    expect(backOnA.plan.changes.every((c) => c.rule === 'original placement restored')).to.equal(true);
    expect(placement(backOnA.output ?? '')).to.deep.equal(placement(original));
  });

  it('A→B→C→A: C is planned from the original, and A gets the original back', () => {
    const onB = migrate(original, hostB);
    const onC = migrate(onB, hostC);
    expect(placement(onC)).to.deep.equal(placement(migrate(original, hostC)));
    expect(placement(migrate(onC, hostA))).to.deep.equal(placement(original));
  });

  it('planning the output again on the same host changes nothing (no churn)', () => {
    const onB = migrate(original, hostB);
    expect(filterDomainXml(onB, hostB, config).plan.outcome).to.equal('unchanged');
  });

  it('pins released by unpin are recreated when the original fits again', () => {
    const onB = migrate(original, hostB, 'unpin');
    expect(readDomainPins(parseDomainXml(onB)).cpuPins.length).to.be.below(readDomainPins(parseDomainXml(original)).cpuPins.length);
    const back = filterDomainXml(onB, hostA, config, 'unpin');
    expect(back.plan.changes.some((c) => c.old === null)).to.equal(true);
    expect(placement(back.output ?? '')).to.deep.equal(placement(original));
    expect(back.output).to.include('<memnode cellid="1" mode="strict" nodeset="1"/>');
  });

  it('reads a record in the earlier per-pin layout (urn:repin:original:1) the same way', () => {
    const onB = migrate(original, hostB);
    const pins = readOriginal(parseDomainXml(onB)) ?? [];
    expect(pins.length).to.be.above(0);
    const v1 = pins
      .map((p) => `<repin:pin element="${p.element}"${p.id === undefined ? '' : ` id="${p.id}"`} value="${p.value}"${p.mode ? ` mode="${p.mode}"` : ''}/>`)
      .join('');
    const onBv1 = onB.replace(/<repin:original xmlns:repin="urn:repin:original:2">[^<]*<\/repin:original>/, `<repin:original xmlns:repin="urn:repin:original:1">${v1}</repin:original>`);
    expect(onBv1).to.include('urn:repin:original:1').and.not.include('urn:repin:original:2');
    expect(readOriginal(parseDomainXml(onBv1))).to.deep.equal(pins);
    expect(placement(migrate(onBv1, hostA))).to.deep.equal(placement(original));
    // A damaged record is ignored, not trusted: the current pins are planned as they are.
    const damaged = onB.replace('vcpupin#0=', 'vcpupin#0=x');
    expect(readOriginal(parseDomainXml(damaged))).to.equal(undefined);
  });

  it('the record is written once: a later change keeps the first original', () => {
    const onB = migrate(original, hostB);
    const onC = migrate(onB, hostC);
    expect(onC.match(/urn:repin:original:2/g)).to.have.length(1);
  });
});

describe('per-VM policy in metadata, and domains other managers own', () => {
  const base = readFileSync('examples/dedicated-1to1.xml', 'utf8');
  const withMeta = (xml: string, element: string): string => xml.replace('</metadata>', `  ${element}\n  </metadata>`);

  it('a policy set in the domain metadata applies; the config file override wins over it', () => {
    const strict = withMeta(base, '<repin:policy xmlns:repin="urn:repin:policy:1" name="strict"/>');
    expect(filterDomainXml(strict, hostB, config).plan.outcome).to.equal('refused');
    const overridden = parseConfig({ domains: { 'db-primary': { policy: 'intersect' } } });
    expect(filterDomainXml(strict, hostB, overridden).plan.policy).to.equal('intersect');
  });

  it('pools in the metadata narrow where vCPUs may go', () => {
    const pooled = withMeta(base, '<repin:policy xmlns:repin="urn:repin:policy:1" allowedCpus="4-7"/>');
    const plan = filterDomainXml(pooled, hostB, config).plan;
    expect(plan.changes.filter((c) => c.element === 'vcpupin').map((c) => c.new)).to.deep.equal(['4', '5', '6', '7']);
    expect(plan.changes.find((c) => c.element === 'emulatorpin')?.new).to.match(/^[4-7]$/);
  });

  for (const [manager, ns] of [
    ['OpenStack Nova', 'http://openstack.org/xmlns/libvirt/nova/1.1'],
    ['oVirt', 'http://ovirt.org/vm/tune/1.0'],
    ['KubeVirt', 'http://kubevirt.io'],
  ] as const) {
    it(`a domain managed by ${manager} is left alone unless config opts in`, () => {
      const managed = withMeta(base, `<m:instance xmlns:m="${ns}"/>`);
      const plan = filterDomainXml(managed, hostB, config).plan;
      expect(plan.outcome).to.equal('skipped');
      expect(plan.skipped).to.include(manager);
      expect(filterDomainXml(managed, hostB, parseConfig({ manageForeign: true })).plan.outcome).to.equal('rewritten');
    });
  }
});
