// remap/remap.ts: one substitution map for the CPUs that do not fit, keeping
// what the domain's pins say about each other.
import { expect } from 'chai';
import { CpuSet, parseCpuset } from '../../../../src/core/cpuset.js';
import { findMisfits, heldByOthers } from '../../../../src/core/plan/fit.js';
import type { Host } from '../../../../src/core/host/host.js';
import { remapChanges } from '../../../../src/core/plan/remap/remap.js';
import { computePools, type PoolOptions } from '../../../../src/core/plan/pools.js';
import { makeHost } from '../../../support/gen-domain.js';
import { pinsOf, shown } from '../../../support/pins.js';

// 2 sockets × 4 cores × 2 threads, one NUMA node per socket: node 0 = 0-3,8-11 (siblings n and n+8), node 1 = 4-7,12-15.
const HOST = makeHost(2, 4, 2, 2);
const TWO_CELLS =
  "<cpu><topology sockets='1' cores='2' threads='2'/><numa><cell id='0' cpus='0-1' memory='1024'/><cell id='1' cpus='2-3' memory='1024'/></numa></cpu>";

function remap(body: string, host: Host = HOST, options: PoolOptions & { overcommit?: boolean } = {}): ReturnType<typeof remapChanges> {
  const pins = pinsOf(body);
  const pools = computePools(host, options);
  const held = heldByOthers(host, {});
  return remapChanges(pins, findMisfits(pins, pools, held), host, pools, held, options);
}

describe('policy remap', () => {
  // [what it keeps, domain body, changes]
  const cases: [string, string, string[]][] = [
    ['a pin that fits stays; the misfit takes a free CPU on the kept pin’s node', "<cputune><vcpupin vcpu='0' cpuset='1'/><vcpupin vcpu='1' cpuset='40'/></cputune>", ['vcpupin/1 40→0']],
    ['an emulator that shared a vCPU’s CPU still shares its substitute', "<cputune><vcpupin vcpu='0' cpuset='40'/><emulatorpin cpuset='40'/><iothreadpin iothread='1' cpuset='41'/></cputune><iothreads>1</iothreads>", ['vcpupin/0 40→0', 'emulatorpin 40→0', 'iothreadpin/1 41→1']],
    [
      'guest SMT siblings land on host siblings, each guest cell on one node, its memnode following',
      `<cputune><vcpupin vcpu='0' cpuset='40'/><vcpupin vcpu='1' cpuset='41'/><vcpupin vcpu='2' cpuset='42'/><vcpupin vcpu='3' cpuset='43'/></cputune><numatune><memnode cellid='0' mode='strict' nodeset='4'/><memnode cellid='1' mode='strict' nodeset='5'/></numatune>${TWO_CELLS}`,
      ['vcpupin/0 40→0', 'vcpupin/1 41→8', 'vcpupin/2 42→4', 'vcpupin/3 43→12', 'memnode/0 4→0', 'memnode/1 5→1'],
    ],
    ['a floating pin keeps what fits and gets substitutes for the rest', "<cputune><vcpupin vcpu='0' cpuset='6-9,40'/></cputune>", ['vcpupin/0 6-9,40→0,6-9']],
  ];
  for (const [what, body, changes] of cases) {
    it(what, () => {
      const result = remap(body);
      expect(result.refusal).to.equal(undefined);
      expect(result.changes.map(shown)).to.deep.equal(changes);
    });
  }

  it('separate emulator CPUs: vCPU and emulator pins are mapped within their own pools', () => {
    const result = remap("<cputune><vcpupin vcpu='0' cpuset='40'/><emulatorpin cpuset='40'/></cputune>", HOST, { allowedCpus: parseCpuset('0-7'), emulatorCpus: parseCpuset('8-15') });
    expect(result.changes.map(shown)).to.deep.equal(['vcpupin/0 40→0', 'emulatorpin 40→8']);
  });

  it('too few CPUs for distinct substitutes: they share, and a note says which', () => {
    const result = remap("<cputune><vcpupin vcpu='0' cpuset='40'/><vcpupin vcpu='1' cpuset='41'/></cputune>", makeHost(1, 1, 1, 1));
    expect(result.changes.map(shown)).to.deep.equal(['vcpupin/0 40→0', 'vcpupin/1 41→0']);
    expect(result.notes).to.deep.equal(['host has too few free CPUs for distinct substitutes: 41 share CPUs the domain already uses']);
  });

  describe('every usable CPU held by other guests', () => {
    const busy: Host = { ...HOST, occupancy: { exclusive: parseCpuset('0-15'), floating: CpuSet.empty, holders: { other: '0-15' } } };
    it('refuses without overcommit, naming the CPU, the pool and what is held', () => {
      const result = remap("<cputune><vcpupin vcpu='0' cpuset='40'/></cputune>", busy);
      expect(result.changes).to.deep.equal([]);
      expect(result.refusal).to.equal('remap: no CPU left for 40 (needed 1 substitutes; pool 0-15, held by other domains 0-15, overcommit off)');
    });
    it('shares a held CPU with overcommit, saying so', () => {
      const result = remap("<cputune><vcpupin vcpu='0' cpuset='40'/></cputune>", busy, { overcommit: true });
      expect(result.changes.map(shown)).to.deep.equal(['vcpupin/0 40→0']);
      expect(result.notes).to.deep.equal(['CPU 0 is held by another domain; shared because overcommit is on']);
    });
  });
});
