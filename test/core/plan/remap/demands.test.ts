// remap/demands.ts: the CPUs remap must replace, what each is to the guest, and the order they are placed in.
import { expect } from 'chai';
import { collectDemands, orderDemands, vcpuCells, type Demand } from '../../../../src/core/plan/remap/demands.js';
import { pinsOf } from '../../../support/pins.js';

const TWO_CELLS = "<cpu><topology sockets='1' cores='2' threads='2'/><numa><cell id='0' cpus='0-1' memory='1024'/><cell id='1' cpus='2-3' memory='1024'/></numa></cpu>";
const row = (d: Demand): string => `${d.cpu}${d.dedicated ? ' dedicated' : ''}${d.vcpu ? ' vcpu' : ''}${d.cell === undefined ? '' : ` cell${d.cell}`}${d.core === undefined ? '' : ` core${d.core}`}`;

describe('remap demands', () => {
  it('vcpuCells: the guest cell of each vCPU a <numa><cell cpus> names', () => {
    expect([...vcpuCells(pinsOf(TWO_CELLS))]).to.deep.equal([[0, 0], [1, 0], [2, 1], [3, 1]]);
    expect(vcpuCells(pinsOf('')).size).to.equal(0);
  });

  // [what, domain body, CPUs that do not fit, demands]
  const cases: [string, string, number[], string[]][] = [
    ['only the CPUs that do not fit', "<cputune><vcpupin vcpu='0' cpuset='1'/><vcpupin vcpu='1' cpuset='40'/></cputune>", [40], ['40 dedicated vcpu']],
    ['one demand per CPU, however many pins use it', "<cputune><vcpupin vcpu='0' cpuset='40'/><emulatorpin cpuset='40'/></cputune>", [40], ['40 dedicated vcpu']],
    ['an emulator-only CPU is no vCPU’s; a floating pin is not dedicated', "<cputune><vcpupin vcpu='0' cpuset='40-41'/><emulatorpin cpuset='42'/></cputune>", [40, 41, 42], ['40 vcpu', '41 vcpu', '42 dedicated']],
    [
      'guest cell and, with guest SMT, guest core of dedicated vCPUs',
      `<cputune><vcpupin vcpu='0' cpuset='40'/><vcpupin vcpu='1' cpuset='41'/><vcpupin vcpu='2' cpuset='42'/><vcpupin vcpu='3' cpuset='43-44'/></cputune>${TWO_CELLS}`,
      [40, 41, 42, 43, 44],
      ['40 dedicated vcpu cell0 core0', '41 dedicated vcpu cell0 core0', '42 dedicated vcpu cell1 core1', '43 vcpu cell1', '44 vcpu cell1'],
    ],
  ];
  for (const [what, body, bad, want] of cases) {
    it(`collectDemands: ${what}`, () => {
      const pins = pinsOf(body);
      const demands = collectDemands(pins, vcpuCells(pins), pins.cpuPins, (_pin, cpu) => bad.includes(cpu));
      expect(demands.map(row)).to.deep.equal(want);
    });
  }

  it('orderDemands: a guest core’s siblings together; dedicated vCPUs, then dedicated others, then floating; by cell and CPU', () => {
    const d = (cpu: number, dedicated: boolean, vcpu: boolean, cell?: number, core?: number): Demand => ({ cpu, dedicated, vcpu, cell, core });
    const groups = orderDemands([d(9, false, true), d(8, true, false), d(7, true, true, 1, 1), d(6, true, true, 0, 0), d(5, true, true, 1, 1), d(4, true, true, 0, 0), d(3, true, true)]);
    expect(groups.map((g) => g.map((x) => x.cpu))).to.deep.equal([[3], [6, 4], [7, 5], [8], [9]]);
  });
});
