// Where remap puts substitutes when the host is full: a free CPU, then one only
// the domain's floating pins (or its emulator) use, then one another of its
// vCPUs holds (the squeeze). Generated cases check the promise behind the
// order: when the pool has room for every dedicated vCPU on a CPU of its own,
// remap finds such a placement.
import { expect } from 'chai';
import fc from 'fast-check';
import { parseConfig } from '../../../../src/core/config.js';
import { CpuSet, parseCpuset } from '../../../../src/core/cpuset.js';
import { readDomainPins, type DomainPins } from '../../../../src/core/domain/pins.js';
import { filterDomainXml } from '../../../../src/core/plan/filter-xml.js';
import type { Host } from '../../../../src/core/host/host.js';
import { computePools } from '../../../../src/core/plan/pools.js';
import { parseDomainXml } from '../../../../src/core/xml/xmldom.js';
import { makeHost } from '../../../support/gen-domain.js';

const config = parseConfig({});

interface Spec {
  readonly vcpuCpus: readonly number[];
  readonly threads: number;
  readonly emulator: string | null;
  readonly iothread: string | null;
  readonly vcpuCpuset: string | null;
}

function xmlOf(spec: Spec): string {
  const pins = spec.vcpuCpus.map((cpu, vcpu) => `<vcpupin vcpu='${vcpu}' cpuset='${cpu}'/>`).join('');
  const emulator = spec.emulator ? `<emulatorpin cpuset='${spec.emulator}'/>` : '';
  const iothread = spec.iothread ? `<iothreadpin iothread='1' cpuset='${spec.iothread}'/>` : '';
  const cpuset = spec.vcpuCpuset ? ` cpuset='${spec.vcpuCpuset}'` : '';
  const n = spec.vcpuCpus.length;
  return (
    `<domain type='kvm'><name>gen</name><uuid>00000000-0000-4000-8000-000000000002</uuid>` +
    `<vcpu placement='static'${cpuset}>${n}</vcpu><iothreads>1</iothreads><cputune>${pins}${emulator}${iothread}</cputune>` +
    `<cpu mode='host-passthrough'><topology sockets='1' dies='1' cores='${n / spec.threads}' threads='${spec.threads}'/></cpu></domain>`
  );
}

/** The vCPUs' CPUs after the plan, for vCPUs pinned to one CPU. */
function dedicatedAfter(xml: string, output: string | undefined): Map<number, number> {
  const pins: DomainPins = readDomainPins(parseDomainXml(output ?? xml));
  const out = new Map<number, number>();
  for (const pin of pins.cpuPins) if (pin.kind === 'vcpupin' && pin.id !== undefined && pin.cpus.size === 1) out.set(pin.id, pin.cpus.ids[0] ?? -1);
  return out;
}

/**
 * Whether every vCPU can have a CPU of its own in the pool: the vCPUs that
 * keep their CPU hold those; the others need as many CPUs from the rest of
 * the pool, minus what other domains hold (overcommit is off).
 */
function roomForAll(spec: Spec, host: Host): { fits: boolean; moved: number; free: number } {
  const pools = computePools(host, {});
  const held = host.occupancy?.exclusive ?? CpuSet.empty;
  const kept = spec.vcpuCpus.filter((cpu) => pools.vcpu.has(cpu) && !held.has(cpu));
  const moved = spec.vcpuCpus.length - kept.length;
  const room = pools.vcpu.minus(held).minus(CpuSet.of(kept));
  const used = CpuSet.of([...kept, ...[spec.emulator, spec.iothread, spec.vcpuCpuset].flatMap((s) => (s ? parseCpuset(s).ids : []))]);
  return { fits: moved <= room.size, moved, free: room.minus(used).size };
}

describe('remap substitutes when the host is full', () => {
  it('regression: vCPUs are not stacked on a CPU another vCPU keeps while CPUs only the emulator and I/O thread float over are left', () => {
    // 16 CPUs, 2 nodes, SMT 2; vCPUs 0-3 keep CPUs 0-3, 12 vCPUs come from CPUs 20-31; emulator and I/O thread float over 8-15.
    const host = makeHost(2, 4, 2, 2);
    const spec: Spec = { vcpuCpus: [0, 1, 2, 3, ...Array.from({ length: 12 }, (_, i) => 20 + i)], threads: 1, emulator: '8-15', iothread: '8-15', vcpuCpuset: null };
    const xml = xmlOf(spec);
    const result = filterDomainXml(xml, host, config, 'remap');
    expect(result.plan.outcome).to.equal('rewritten');
    const after = dedicatedAfter(xml, result.output);
    expect(new Set(after.values()).size, [...after].join(' ')).to.equal(16);
    expect(result.plan.notes.join('\n')).to.match(/dedicated substitutes on CPUs 8-15, which only the domain's own floating pins also use/);
    expect(result.plan.notes.join('\n')).not.to.match(/share CPUs the domain already uses/);
    expect(result.plan.changes.find((c) => c.element === 'vcpupin' && c.id === 15)?.rule).to.match(/own-floating/);
  });

  it('regression: a guest core lands on host siblings among the CPUs only the floating pins use', () => {
    // 8 CPUs, one node, SMT 2 (siblings 0/4, 1/5, 2/6, 3/7); the emulator floats over everything; 4 guest cores of 2 threads arrive.
    const host = makeHost(1, 4, 2, 1);
    const spec: Spec = { vcpuCpus: Array.from({ length: 8 }, (_, i) => 20 + i), threads: 2, emulator: '0-7', iothread: null, vcpuCpuset: null };
    const xml = xmlOf(spec);
    const after = dedicatedAfter(xml, filterDomainXml(xml, host, config, 'remap').output);
    for (let core = 0; core < 4; core++) {
      const a = after.get(core * 2) ?? -1;
      const b = after.get(core * 2 + 1) ?? -1;
      expect(host.cpus.find((c) => c.id === a)?.siblings.has(b), `guest core ${core} on ${a},${b}`).to.equal(true);
    }
  });

  it('property: if the pool has a CPU for every dedicated vCPU, remap gives each its own', function () {
    this.timeout(120_000);
    const arb = fc
      .record({
        cores: fc.integer({ min: 2, max: 8 }),
        threads: fc.integer({ min: 1, max: 2 }),
        nodes: fc.integer({ min: 1, max: 2 }),
        guestThreads: fc.integer({ min: 1, max: 2 }),
        vcpuHalf: fc.integer({ min: 1, max: 8 }),
        // Distinct source CPUs: some on this host, most off it.
        sources: fc.uniqueArray(fc.integer({ min: 0, max: 47 }), { minLength: 16, maxLength: 16 }),
        floatLow: fc.integer({ min: 0, max: 15 }),
        floatLen: fc.integer({ min: 0, max: 12 }),
        iothread: fc.boolean(),
        cpuset: fc.boolean(),
        othersHold: fc.uniqueArray(fc.integer({ min: 0, max: 31 }), { maxLength: 4 }),
      })
      .map((r) => {
        const host = makeHost(2, r.cores, r.threads, r.nodes);
        const ids = host.cpus.map((c) => c.id);
        const floating = r.floatLen === 0 ? null : CpuSet.of(ids.filter((id) => id >= r.floatLow && id < r.floatLow + r.floatLen)).toString() || null;
        const exclusive = CpuSet.of(r.othersHold.filter((id) => ids.includes(id)));
        const withOthers: Host = exclusive.isEmpty ? host : { ...host, occupancy: { exclusive, floating: CpuSet.empty, holders: { other: exclusive.toString() } } };
        const spec: Spec = {
          vcpuCpus: r.sources.slice(0, r.vcpuHalf * 2),
          threads: r.guestThreads,
          emulator: floating,
          iothread: r.iothread ? floating : null,
          vcpuCpuset: r.cpuset ? floating : null,
        };
        return { host: withOthers, spec };
      });
    let generated = 0;
    let checked = 0;
    let full = 0;
    fc.assert(
      fc.property(arb, ({ host, spec }) => {
        generated++;
        const room = roomForAll(spec, host);
        if (!room.fits || room.moved === 0) return true;
        checked++;
        if (room.moved > room.free) full++;
        const xml = xmlOf(spec);
        const result = filterDomainXml(xml, host, config, 'remap');
        expect(result.plan.outcome, result.plan.refusal).to.equal('rewritten');
        const after = dedicatedAfter(xml, result.output);
        expect(after.size).to.equal(spec.vcpuCpus.length);
        expect(new Set(after.values()).size, `${xml}\n${[...after].join(' ')}`).to.equal(spec.vcpuCpus.length);
        return true;
      }),
      { numRuns: 600, seed: 21 },
    );
    console.log(`      remap distinct placement: ${checked} of ${generated} generated cases checked, ${full} with fewer free CPUs than vCPUs to move`);
    expect(checked, 'cases where a distinct placement exists and something moves').to.be.at.least(200);
    expect(full, 'cases where the free CPUs alone do not suffice').to.be.at.least(40);
  });
});
