// remap/cells.ts: which host node each guest NUMA cell lands on (-1: the domain as a whole).
import { expect } from 'chai';
import { CpuAllocator } from '../../../../src/core/plan/remap/cpu-allocator.js';
import { CpuSet, parseCpuset } from '../../../../src/core/cpuset.js';
import { planCellNodes } from '../../../../src/core/plan/remap/cells.js';
import { collectDemands, vcpuCells } from '../../../../src/core/plan/remap/demands.js';
import { makeHost } from '../../../support/gen-domain.js';
import { pinsOf } from '../../../support/pins.js';

// node 0 = CPUs 0-3,8-11; node 1 = CPUs 4-7,12-15
const HOST = makeHost(2, 4, 2, 2);
const CELLS = "<cpu><numa><cell id='0' cpus='0-1' memory='1024'/><cell id='1' cpus='2-3' memory='1024'/></numa></cpu>";

function cellNodes(body: string, busy = ''): [number, number][] {
  const pins = pinsOf(body);
  const cellOf = vcpuCells(pins);
  const usable = HOST.usable;
  const bad = (_: unknown, cpu: number): boolean => !usable.has(cpu);
  const demands = collectDemands(pins, cellOf, pins.cpuPins, bad);
  const kept = CpuSet.of(pins.cpuPins.flatMap((p) => p.cpus.ids.filter((cpu) => usable.has(cpu))));
  const allocator = new CpuAllocator({ host: HOST, pool: usable, ownUsed: kept, heldByOthers: busy ? parseCpuset(busy) : CpuSet.empty, floatingByOthers: CpuSet.empty, overcommit: false });
  return [...planCellNodes(pins, cellOf, demands, kept, allocator, HOST)].sort((a, b) => a[0] - b[0]);
}

describe('remap cells', () => {
  // [what, domain body, CPUs held by others, cell → node]
  const cases: [string, string, string, [number, number][]][] = [
    ['the node a cell’s memory is bound to wins', `<cputune><vcpupin vcpu='0' cpuset='40'/><vcpupin vcpu='2' cpuset='41'/></cputune><numatune><memnode cellid='0' nodeset='1'/><memnode cellid='1' nodeset='0'/></numatune>${CELLS}`, '', [[-1, 1], [0, 1], [1, 0]]],
    ['then the node its kept vCPUs are on', `<cputune><vcpupin vcpu='0' cpuset='5'/><vcpupin vcpu='1' cpuset='40'/><vcpupin vcpu='2' cpuset='41'/></cputune>${CELLS}`, '', [[-1, 1], [0, 1], [1, 0]]],
    ['then the emptiest node no other cell took (both free: in order)', `<cputune><vcpupin vcpu='0' cpuset='40'/><vcpupin vcpu='2' cpuset='41'/></cputune>${CELLS}`, '', [[-1, 0], [0, 0], [1, 1]]],
    ['then the emptiest node no other cell took (node 0 busier)', `<cputune><vcpupin vcpu='0' cpuset='40'/><vcpupin vcpu='2' cpuset='41'/></cputune>${CELLS}`, '0-2', [[-1, 1], [0, 1], [1, 0]]],
    ['a domain without cells: one node for all, <numatune><memory> first', "<cputune><vcpupin vcpu='0' cpuset='40'/></cputune><numatune><memory nodeset='1'/></numatune>", '', [[-1, 1]]],
    ['a binding to a node without that many nodes is no binding', "<cputune><vcpupin vcpu='0' cpuset='40'/></cputune><numatune><memory nodeset='7'/></numatune>", '0-1', [[-1, 1]]],
  ];
  for (const [what, body, busy, want] of cases) it(what, () => expect(cellNodes(body, busy)).to.deep.equal(want));
});
