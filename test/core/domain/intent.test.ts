// The original placement travels in metadata: A→B→A restores it exactly,
// A→B→C plans from the original, not from B's copy.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { parseConfig } from '../../../src/core/config.js';
import { readDomainPins } from '../../../src/core/domain/pins.js';
import { filterDomainXml } from '../../../src/core/plan/filter-xml.js';
import { hostFromProfile } from '../../../src/core/host/host-json.js';
import type { Host } from '../../../src/core/host/host.js';
import type { Policy } from '../../../src/core/plan/plan.js';
import { applyOwnChanges } from '../../../src/core/domain/intent.js';
import { ORIGINAL_NS, ORIGINAL_NS_V2, readOriginal, type OriginalPin } from '../../../src/core/domain/metadata.js';
import { readDomain } from '../../../src/core/xml/read-domain.js';
import { parseDomainXml } from '../../../src/core/xml/xmldom.js';
import { makeHost } from '../../support/gen-domain.js';
import { doubleQuoted } from '../../support/quotes.js';

const hostA = hostFromProfile(JSON.parse(readFileSync('examples/hosts/large.json', 'utf8')), 'A');
const hostB = hostFromProfile(JSON.parse(readFileSync('examples/hosts/small.json', 'utf8')), 'B');
const hostC = makeHost(2, 4, 2, 2);
const config = parseConfig({});

/** Every pin as `kind/id=text`, in document order: byte-for-byte comparison of the placement. */
const placement = (xml: string): string[] => {
  const pins = readDomainPins(parseDomainXml(xml));
  return [...pins.cpuPins, ...pins.nodePins].map((p) => `${p.kind}/${p.id ?? ''}=${p.text}`).sort();
};
const migrate = (xml: string, host: Host, policy?: Policy): string => doubleQuoted(filterDomainXml(xml, host, config, policy).output ?? xml);
/** The record's entries as `kind/id=original:written`. */
const recorded = (xml: string): string[] => (readOriginal(parseDomainXml(xml)) ?? []).map((p) => `${p.element}/${p.id ?? ''}=${p.value}:${p.written === undefined ? '?' : (p.written ?? 'none')}`);
/** An entry without what repin wrote, as earlier records hold it. */
const legacy = ({ written: _, ...pin }: OriginalPin): OriginalPin => pin;
/**
 * examples/smt-numa.xml without its realtime marking: on host B (8 CPUs) its 8
 * realtime vCPUs and the emulator cannot each have a CPU of their own, so
 * remap refuses (realtime-fit.test.ts); these tests are about the record.
 */
const smtNuma = (): string => readFileSync('examples/smt-numa.xml', 'utf8').replace("scheduler='fifo' priority='1'", "scheduler='batch'");
const RECORD = new RegExp(`<repin:original xmlns:repin="${ORIGINAL_NS}">[^<]*</repin:original>`);

describe('intent record: the original placement survives migrations', () => {
  const original = smtNuma();

  it('A→B (smaller) then B→A: the original pins come back exactly', () => {
    const onB = migrate(original, hostB);
    expect(placement(onB)).to.not.deep.equal(placement(original));
    expect(onB).to.include(ORIGINAL_NS);
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
    expect(doubleQuoted(back.output ?? '')).to.include('<memnode cellid="1" mode="strict" nodeset="1"/>');
  });

  it('reads a record in the earlier per-pin layout (urn:repin:original:1) the same way', () => {
    const onB = migrate(original, hostB);
    const pins = (readOriginal(parseDomainXml(onB)) ?? []).map(legacy);
    expect(pins.length).to.be.above(0);
    const v1 = pins
      .map((p) => `<repin:pin element="${p.element}"${p.id === undefined ? '' : ` id="${p.id}"`} value="${p.value}"${p.mode ? ` mode="${p.mode}"` : ''}/>`)
      .join('');
    const onBv1 = onB.replace(RECORD, `<repin:original xmlns:repin="urn:repin:original:1">${v1}</repin:original>`);
    expect(onBv1).to.include('urn:repin:original:1').and.not.include(ORIGINAL_NS);
    expect(readOriginal(parseDomainXml(onBv1))).to.deep.equal(pins);
    expect(placement(migrate(onBv1, hostA))).to.deep.equal(placement(original));
    // A damaged record is ignored, not trusted: the current pins are planned as they are.
    const damaged = onB.replace('vcpupin#0=', 'vcpupin#0=x');
    expect(readOriginal(parseDomainXml(damaged))).to.equal(undefined);
  });

  it('reads a urn:repin:original:2 record (no written values): a pin changed since is not told apart, as before', () => {
    const onB = migrate(original, hostB);
    const pins = (readOriginal(parseDomainXml(onB)) ?? []).map(legacy);
    const v2 = pins.map((p) => `${p.element}${p.id === undefined ? '' : `#${p.id}`}=${p.value}${p.mode ? `@${p.mode}` : ''};`).join('');
    const onBv2 = onB.replace(RECORD, `<repin:original xmlns:repin="${ORIGINAL_NS_V2}">${v2}</repin:original>`);
    expect(readOriginal(parseDomainXml(onBv2))).to.deep.equal(pins);
    const back = migrate(onBv2.replace('<vcpupin vcpu="0" cpuset="1"/>', '<vcpupin vcpu="0" cpuset="2"/>'), hostA);
    expect(placement(back)).to.deep.equal(placement(original));
    // The rewrite upgrades the record: one record, in the current namespace, originals kept.
    expect(back).to.include(ORIGINAL_NS).and.not.include(ORIGINAL_NS_V2);
    expect((readOriginal(parseDomainXml(back)) ?? []).map(legacy)).to.deep.equal(pins);
  });

  it('one record, rewritten with each change: the first originals stay, the written values follow the output', () => {
    const onB = migrate(original, hostB);
    const onC = migrate(onB, hostC);
    expect(onC.match(new RegExp(ORIGINAL_NS, 'g'))).to.have.length(1);
    expect((readOriginal(parseDomainXml(onC)) ?? []).map(legacy)).to.deep.equal((readOriginal(parseDomainXml(onB)) ?? []).map(legacy));
    const now = readDomainPins(parseDomainXml(onC));
    const byKey = new Map([...now.cpuPins, ...now.nodePins].map((p) => [`${p.kind}/${p.id ?? ''}`, p.text]));
    for (const entry of readOriginal(parseDomainXml(onC)) ?? []) expect(entry.written, `${entry.element} ${entry.id ?? ''}`).to.equal(byKey.get(`${entry.element}/${entry.id ?? ''}`) ?? null);
  });

  it('A→B→A keeps the record, every entry back at its original (no written value printed)', () => {
    const back = migrate(migrate(original, hostB), hostA);
    expect(recorded(back).length).to.equal(placement(original).length);
    for (const entry of readOriginal(parseDomainXml(back)) ?? []) expect(entry.written).to.equal(entry.value);
    expect(back.match(RECORD)?.[0]).to.include('vcpupin#0=8;').and.include('emulatorpin=0,32;');
  });
});

describe('intent record: a pin changed since repin wrote it is the new intent', () => {
  const original = smtNuma();
  const onB = migrate(original, hostB);
  /** `virsh vcpupin guest 0 2 --live --config` on B, where repin wrote 1. */
  const repinned = onB.replace('<vcpupin vcpu="0" cpuset="1"/>', '<vcpupin vcpu="0" cpuset="2"/>');

  it('an operator re-pin of one vCPU sticks across the next migration; the other pins are restored', () => {
    const back = filterDomainXml(repinned, hostA, config);
    const want = placement(original).map((p) => (p === 'vcpupin/0=8' ? 'vcpupin/0=2' : p));
    expect(placement(back.output ?? '')).to.deep.equal(want);
    expect(back.plan.notes.join('\n')).to.include('changed since repin last wrote them').and.include('vcpupin vcpu=0 (now 2)');
    // Recorded as if for the first time: its original is now 2; the other entries are untouched.
    expect(recorded(back.output ?? '')).to.include('vcpupin/0=2:2').and.include('vcpupin/1=40:40');
    // …so it stays the intent on the following trips, while the rest still comes back.
    expect(placement(migrate(migrate(back.output ?? '', hostB), hostA))).to.deep.equal(want);
  });

  it('a re-pin that fits nowhere here is remapped from the operator’s value, not from the old original', () => {
    const onC = filterDomainXml(repinned, hostC, config);
    expect(recorded(onC.output ?? '').find((e) => e.startsWith('vcpupin/0='))).to.match(/^vcpupin\/0=2:/);
  });

  it('pins still as repin left them are restored; a plan that changes nothing leaves the record as it is', () => {
    expect(filterDomainXml(onB, hostA, config).plan.changes.every((c) => c.rule === 'original placement restored')).to.equal(true);
    const emulatorMoved = onB.replace('<emulatorpin cpuset="0-1"/>', '<emulatorpin cpuset="0"/>');
    expect(filterDomainXml(emulatorMoved, hostB, config).plan.outcome).to.equal('unchanged');
  });

  it('a numatune nodeset changed by hand is kept, and so is an emulatorpin removed by hand', () => {
    const edited = onB.replace('<memory mode="strict" nodeset="0"/>', '<memory mode="strict" nodeset="0-1"/>').replace(/\s*<emulatorpin cpuset="0-1"\/>/, '');
    const back = migrate(edited, hostA);
    expect(back).to.include('<memory mode="strict" nodeset="0-1"/>').and.not.include('emulatorpin');
    expect(recorded(back)).to.include('numatune/=0-1:0-1');
    expect(recorded(back).some((e) => e.startsWith('emulatorpin'))).to.equal(false);
  });

  it('an element repin released and finds still absent is restored; one added since by hand is kept', () => {
    const unpinned = migrate(original, hostB, 'unpin');
    expect(recorded(unpinned)).to.include('vcpupin/1=40:none');
    expect(placement(migrate(unpinned, hostA, 'unpin'))).to.deep.equal(placement(original));
    const pinned = unpinned.replace('</cputune>', '<vcpupin vcpu="1" cpuset="3"/></cputune>');
    expect(placement(migrate(pinned, hostA, 'unpin'))).to.include('vcpupin/1=3');
  });

  it('changes applied from elsewhere (reconcile applying the hook’s) are noted as repin’s, not taken as the operator’s', () => {
    const live = filterDomainXml(onB, hostC, config);
    const tree = readDomain(onB);
    applyOwnChanges(tree.doc, live.plan.changes);
    const saved = tree.write();
    expect(recorded(saved)).to.deep.equal(recorded(live.output ?? ''));
    expect(filterDomainXml(saved, hostC, config).plan.outcome).to.equal('unchanged');
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
