// Occupancy from fake /run/libvirt/qemu and /proc trees, and how remap uses it.
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../../src/core/config.js';
import { parseCpuset } from '../../../src/core/cpuset.js';
import { filterDomainXml } from '../../../src/core/plan/filter-xml.js';
import { flatHost } from '../../../src/core/host/host.js';
import { occupancyOf, readRunningDomains } from '../../../src/io/host/occupancy.js';
import { withLocalOccupancy } from '../../../src/io/host/local-occupancy.js';
import { saveReservations } from '../../../src/io/state/reservations.js';
import { addRunningDomain } from '../../support/fake-running.js';
import { makeHost } from '../../support/gen-domain.js';

const SELF = { name: 'incoming', uuid: '99999999-0000-4000-8000-000000000000' };

function domain(pins: string[], extra = ''): string {
  return `<domain type='kvm'><name>incoming</name><uuid>${SELF.uuid}</uuid><vcpu>${pins.length}</vcpu><cputune>${pins
    .map((p, i) => `<vcpupin vcpu='${i}' cpuset='${p}'/>`)
    .join('')}${extra}</cputune></domain>`;
}

describe('occupancy: what other running domains hold', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'repin-occ-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('reads vCPU and emulator thread affinity from /proc for each status file, skipping the incoming domain', () => {
    addRunningDomain(root, { name: 'db', uuid: '11111111-0000-4000-8000-000000000000', pid: 4000, vcpus: ['2', '3'], emulator: '0-1' });
    addRunningDomain(root, { name: 'web', uuid: '22222222-0000-4000-8000-000000000000', pid: 5000, vcpus: ['0-7', '0-7'], emulator: '0-7' });
    addRunningDomain(root, { name: 'incoming', uuid: SELF.uuid, pid: 6000, vcpus: ['4'], emulator: '4' });
    const running = readRunningDomains(root, SELF);
    expect(running.map((d) => d.name).sort()).to.deep.equal(['db', 'web']);
    const occ = occupancyOf(running, parseCpuset('0-7'));
    expect(occ.exclusive.toString()).to.equal('2-3');
    expect(occ.floating.toString()).to.equal('0-1'); // db's emulator floats over 0-1; web is unpinned
    expect(occ.holders).to.deep.equal({ db: '2-3' });
  });

  it('takes vCPU threads from the status file when libvirt lists them, else finds them by name', () => {
    const db = { uuid: '11111111-0000-4000-8000-000000000000', pid: 4000, vcpus: ['2', '3'], emulator: '0-1' };
    addRunningDomain(root, { ...db, name: 'listed' });
    // Listed threads count whatever they are called; the name is not read.
    writeFileSync(join(root, 'proc/4000/task/4001/comm'), 'renamed\n');
    expect(readRunningDomains(root, SELF)[0]?.threads.map(String)).to.deep.equal(['0-1', '2', '3']);
    rmSync(join(root, 'run'), { recursive: true });
    addRunningDomain(root, { ...db, name: 'unlisted', noThreadList: true });
    writeFileSync(join(root, 'proc/4000/task/4001/comm'), 'renamed\n');
    // Without the list, a thread is a vCPU by its name: the renamed one is not.
    expect(readRunningDomains(root, SELF)[0]?.threads.map(String).sort()).to.deep.equal(['0-1', '3']);
  });

  it('falls back to the status file pins when /proc has no such process', () => {
    addRunningDomain(root, { name: 'db', uuid: '11111111-0000-4000-8000-000000000000', pid: 4000, vcpus: [], emulator: '', noProc: true, statusPins: ['5', '6'] });
    const occ = occupancyOf(readRunningDomains(root, SELF), parseCpuset('0-7'));
    expect(occ.exclusive.toString()).to.equal('5-6');
  });

  it('no status directory means an empty host', () => {
    expect(readRunningDomains(root, SELF)).to.deep.equal([]);
  });

  it('remap moves a dedicated pin off a CPU another domain holds exclusively', () => {
    addRunningDomain(root, { name: 'db', uuid: '11111111-0000-4000-8000-000000000000', pid: 4000, vcpus: ['0'], emulator: '0' });
    const host = flatHost(parseCpuset('0-1'));
    const enrich = (pins: { uuid: string; name: string }, h: typeof host): typeof host => withLocalOccupancy(root, join(root, 'run/repin'), pins, h);
    const result = filterDomainXml(domain(['0']), host, parseConfig({}), undefined, { enrichHost: enrich });
    expect(result.plan.changes).to.have.length(1);
    expect(result.plan.changes[0]).to.include({ element: 'vcpupin', old: '0', new: '1' });
    expect(result.plan.changes[0]?.rule).to.match(/0→1 \(free, node 0\)/);
  });

  it('dedicated means a vCPU or the emulator on one CPU, as in occupancy and reservations: an I/O thread on a held CPU stays', () => {
    addRunningDomain(root, { name: 'db', uuid: '11111111-0000-4000-8000-000000000000', pid: 4000, vcpus: ['0'], emulator: '0' });
    const host = flatHost(parseCpuset('0-3'));
    const enrich = (pins: { uuid: string; name: string }, h: typeof host): typeof host => withLocalOccupancy(root, join(root, 'run/repin'), pins, h);
    const config = parseConfig({});
    // Other guests' I/O threads are not read, so an arriving one does not claim its CPU alone either.
    const io = filterDomainXml(domain(['2'], "<iothreadpin iothread='1' cpuset='0'/>"), host, config, undefined, { enrichHost: enrich });
    expect(io.plan.outcome).to.equal('unchanged');
    const emulator = filterDomainXml(domain(['2'], "<emulatorpin cpuset='0'/>"), host, config, undefined, { enrichHost: enrich });
    expect(emulator.plan.changes.map((c) => [c.element, c.old])).to.deep.equal([['emulatorpin', '0']]);
  });

  it('other guests are not scanned when they cannot change the plan (no dedicated pin, every pin fits)', () => {
    const host = flatHost(parseCpuset('0-7'));
    let scans = 0;
    const enrich = (_pins: { uuid: string; name: string }, h: typeof host): typeof host => {
      scans++;
      return h;
    };
    const config = parseConfig({});
    expect(filterDomainXml(domain(['0-3', '0-3']), host, config, undefined, { enrichHost: enrich }).plan.outcome).to.equal('unchanged');
    expect(scans, 'shared pins that fit').to.equal(0);
    filterDomainXml(domain(['0-3', '2']), host, config, undefined, { enrichHost: enrich });
    expect(scans, 'a dedicated pin').to.equal(1);
    filterDomainXml(domain(['0-3', '6-9']), host, config, undefined, { enrichHost: enrich });
    expect(scans, 'a pin that needs substitutes').to.equal(2);
  });

  it('protectDedicated: false lets a dedicated pin share a held CPU', () => {
    addRunningDomain(root, { name: 'db', uuid: '11111111-0000-4000-8000-000000000000', pid: 4000, vcpus: ['0'], emulator: '0' });
    const host = flatHost(parseCpuset('0-1'));
    const enrich = (pins: { uuid: string; name: string }, h: typeof host): typeof host => withLocalOccupancy(root, join(root, 'run/repin'), pins, h);
    const result = filterDomainXml(domain(['0']), host, parseConfig({ protectDedicated: false }), undefined, { enrichHost: enrich });
    expect(result.plan.outcome).to.equal('unchanged');
  });

  it('substitutes come tier by tier: free on the node, free elsewhere, floating, then (overcommit only) held', () => {
    const host = makeHost(2, 2, 1, 2); // node 0: CPUs 0-1, node 1: CPUs 2-3
    const occupied = (exclusive: string, floating: string): typeof host => ({
      ...host,
      occupancy: { exclusive: parseCpuset(exclusive), floating: floating ? parseCpuset(floating) : parseCpuset('0,^0'), holders: {} },
    });
    const xml = domain(['1', '40']); // vCPU 0 fits on node 0; vCPU 1 must move
    const sub = (h: typeof host, overcommit = false): string | null | undefined =>
      filterDomainXml(xml, h, parseConfig({ overcommit }), 'remap').plan.changes.find((c) => c.id === 1)?.new;
    expect(sub(occupied('3', ''))).to.equal('0'); // free on the node vCPU 0 is on
    expect(sub(occupied('0', ''))).to.equal('2'); // node 0 full: free on node 1
    expect(sub(occupied('0,3', '2'))).to.equal('2'); // only a floating CPU left
    const full = filterDomainXml(xml, occupied('0,2-3', ''), parseConfig({}), 'remap').plan;
    expect(full.changes.find((c) => c.id === 1)?.rule).to.match(/shared/); // shares its own CPU 1 before touching others'
    const noRoom = filterDomainXml(domain(['40']), occupied('0-3', ''), parseConfig({}), 'remap').plan;
    expect(noRoom.outcome).to.equal('refused');
    expect(noRoom.refusal).to.match(/no CPU left for 40 .*held by other domains 0-3, overcommit off/);
    expect(filterDomainXml(domain(['40']), occupied('0-3', ''), parseConfig({ overcommit: true }), 'remap').plan.outcome).to.equal('rewritten');
  });

  it('CPUs reserved for another arriving domain count as held', () => {
    saveReservations(join(root, 'run/repin'), [{ uuid: 'aaaaaaaa-0000-4000-8000-000000000000', name: 'other', cpus: '0', expires: Date.now() + 60_000 }]);
    const host = flatHost(parseCpuset('0-1'));
    const enriched = withLocalOccupancy(root, join(root, 'run/repin'), SELF, host);
    expect(enriched.occupancy?.exclusive.toString()).to.equal('0');
    expect(enriched.occupancy?.holders).to.deep.equal({ 'other (arriving)': '0' });
  });
});
