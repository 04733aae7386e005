// fit.ts: which pins fit a host's pools, and how a misfit is described.
import { expect } from 'chai';
import { CpuSet, parseCpuset } from '../../../src/core/cpuset.js';
import { cpuPinFits, describeMisfit, findMisfits, heldByOthers, nodePinFits, occupancyMatters } from '../../../src/core/plan/fit.js';
import { flatHost } from '../../../src/core/host/host.js';
import { computePools } from '../../../src/core/plan/pools.js';
import { pinsOf } from '../../support/pins.js';

const HOST = flatHost(parseCpuset('0-7'));
const POOLS = computePools(HOST, { allowedCpus: parseCpuset('0-5'), emulatorCpus: parseCpuset('6-7') });
const HELD = parseCpuset('3');

const cpuPin = (element: string): ReturnType<typeof pinsOf>['cpuPins'][number] => {
  const pin = pinsOf(`<cputune>${element}</cputune>`).cpuPins[0];
  if (!pin) throw new Error(`no pin in ${element}`);
  return pin;
};

describe('fit: cpuPinFits', () => {
  // [element, held by others, fits]
  const cases: [string, CpuSet | undefined, boolean][] = [
    ["<vcpupin vcpu='0' cpuset='1'/>", undefined, true],
    ["<vcpupin vcpu='0' cpuset='0-5'/>", undefined, true],
    ["<vcpupin vcpu='0' cpuset='6'/>", undefined, false], // the emulator pool, not the vCPUs'
    ["<vcpupin vcpu='0' cpuset='5-6'/>", undefined, false],
    ["<vcpupin vcpu='0' cpuset='3'/>", HELD, false], // dedicated, on a CPU another guest holds alone
    ["<vcpupin vcpu='0' cpuset='3-4'/>", HELD, true], // floating over it is fine
    ["<vcpupin vcpu='0' cpuset='3'/>", undefined, true],
    ["<emulatorpin cpuset='6-7'/>", undefined, true],
    ["<emulatorpin cpuset='5'/>", undefined, false],
    ["<iothreadpin iothread='1' cpuset='7'/>", undefined, true],
  ];
  for (const [element, held, fits] of cases) {
    it(`${element}${held ? ` with ${held.toString()} held` : ''}: ${fits ? 'fits' : 'does not fit'}`, () => expect(cpuPinFits(cpuPin(element), POOLS, held)).to.equal(fits));
  }
});

describe('fit: nodePinFits and findMisfits', () => {
  it('a nodeset fits only nodes with memory the host lets guests use', () => {
    const [ok] = pinsOf("<numatune><memory nodeset='0'/></numatune>").nodePins;
    const [bad] = pinsOf("<numatune><memory nodeset='0-1'/></numatune>").nodePins;
    expect(ok && nodePinFits(ok, POOLS)).to.equal(true);
    expect(bad && nodePinFits(bad, POOLS)).to.equal(false);
  });

  it('findMisfits lists each pin that does not fit, CPU and node pins apart', () => {
    const pins = pinsOf("<cputune><vcpupin vcpu='0' cpuset='1'/><vcpupin vcpu='1' cpuset='9'/><emulatorpin cpuset='0'/></cputune><numatune><memory nodeset='2'/></numatune>");
    const misfits = findMisfits(pins, POOLS, undefined);
    expect(misfits.cpu.map((p) => `${p.kind}/${p.id ?? ''}`)).to.deep.equal(['vcpupin/1', 'emulatorpin/']);
    expect(misfits.node.map((p) => p.kind)).to.deep.equal(['numatune']);
  });
});

describe('fit: describeMisfit', () => {
  // [element, held, message]
  const cases: [string, CpuSet | undefined, string][] = [
    ["<cputune><vcpupin vcpu='3' cpuset='20-21'/></cputune>", undefined, 'vcpupin vcpu=3 cpuset=20-21: host offers CPUs 0-5'],
    ["<cputune><emulatorpin cpuset='0'/></cputune>", undefined, 'emulatorpin cpuset=0: host offers CPUs 6-7'],
    ["<cputune><vcpupin vcpu='0' cpuset='3'/></cputune>", HELD, 'vcpupin vcpu=0 cpuset=3: CPU held exclusively by another running domain (3)'],
    ["<numatune><memnode cellid='0' nodeset='1'/></numatune><cpu><numa><cell id='0' cpus='0-3' memory='1024'/></numa></cpu>", undefined, 'memnode cellid=0 nodeset=1: host has memory on nodes 0'],
    // Regression: the attribute was named twice ('numatune memory nodeset nodeset=1').
    ["<numatune><memory nodeset='1'/></numatune>", undefined, 'numatune memory nodeset=1: host has memory on nodes 0'],
  ];
  for (const [body, held, message] of cases) {
    it(message, () => {
      const pins = pinsOf(body);
      const pin = pins.cpuPins[0] ?? pins.nodePins[0];
      expect(pin && describeMisfit(pin, POOLS, held)).to.equal(message);
    });
  }
  it('the <vcpu cpuset> names no extra attribute', () => {
    const [pin] = pinsOf('', 4, " cpuset='8-9'").cpuPins;
    expect(pin && describeMisfit(pin, POOLS, undefined)).to.equal('vcpu cpuset=8-9: host offers CPUs 0-5');
  });
});

describe('fit: heldByOthers and occupancyMatters', () => {
  const busy = { ...HOST, occupancy: { exclusive: HELD, floating: CpuSet.empty, holders: { other: '3' } } };
  it('held CPUs count unless protectDedicated is off', () => {
    expect(heldByOthers(busy, {})?.toString()).to.equal('3');
    expect(heldByOthers(busy, { protectDedicated: false })).to.equal(undefined);
    expect(heldByOthers(HOST, {})).to.equal(undefined);
  });
  // [domain body, has an original record, other guests matter]
  const cases: [string, boolean, boolean][] = [
    ["<cputune><vcpupin vcpu='0' cpuset='0-3'/></cputune>", false, false], // floating and fits: same plan either way
    ["<cputune><vcpupin vcpu='0' cpuset='0-3'/></cputune>", true, true], // planned from the original: may move
    ["<cputune><vcpupin vcpu='0' cpuset='2'/></cputune>", false, true], // dedicated: fits only if no one holds it
    ["<cputune><vcpupin vcpu='0' cpuset='8-9'/></cputune>", false, true], // misfit: substitutes avoid held CPUs
    ['', false, false],
  ];
  for (const [body, original, matters] of cases) {
    it(`${body || 'no pins'}${original ? ' (with a record)' : ''}: ${matters ? 'read other guests' : 'no need to'}`, () => {
      expect(occupancyMatters(pinsOf(body), POOLS, original)).to.equal(matters);
    });
  }
});
