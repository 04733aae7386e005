// release-pin.ts: what a released pin becomes, by what stays in the domain.
import { expect } from 'chai';
import { parseCpuset } from '../../../src/core/cpuset.js';
import { flatHost } from '../../../src/core/host/host.js';
import { computePools, type PoolOptions } from '../../../src/core/plan/pools.js';
import { change, releaseCpuPin, releaseNodePin } from '../../../src/core/plan/release-pin.js';
import { pinsOf, shown } from '../../support/pins.js';

const HOST = flatHost(parseCpuset('0-7'));

describe('release: releaseCpuPin', () => {
  // [element, pools, <vcpu cpuset> stays, change, rule ends]
  const cases: [string, PoolOptions, boolean, string, string][] = [
    ["<vcpupin vcpu='1' cpuset='9'/>", {}, false, 'vcpupin/1 9→-', 'released to all usable CPUs'],
    ["<vcpupin vcpu='1' cpuset='9'/>", { allowedCpus: parseCpuset('2-5') }, false, 'vcpupin/1 9→2-5', 'released to pool 2-5'],
    // libvirt runs a thread without a pin on <vcpu cpuset> (qemuProcessSetupPid): the pool is written out
    ["<vcpupin vcpu='1' cpuset='9'/>", {}, true, 'vcpupin/1 9→0-7', 'written out: without a pin the thread would run on <vcpu cpuset>'],
    ["<emulatorpin cpuset='9'/>", { emulatorCpus: parseCpuset('6-7') }, false, 'emulatorpin 9→6-7', 'released to pool 6-7'],
    ["<iothreadpin iothread='2' cpuset='9'/>", {}, false, 'iothreadpin/2 9→-', 'released to all usable CPUs'],
  ];
  for (const [element, options, stays, want, rule] of cases) {
    it(`${element}${stays ? ' with <vcpu cpuset> staying' : ''} → ${want}`, () => {
      const [pin] = pinsOf(`<cputune>${element}</cputune>`).cpuPins;
      if (!pin) throw new Error('no pin');
      const released = releaseCpuPin(pin, computePools(HOST, options), 'why', stays);
      expect(shown(released)).to.equal(want);
      expect(released.rule.startsWith('why; ')).to.equal(true);
      expect(released.rule.endsWith(rule), released.rule).to.equal(true);
    });
  }
  it('the <vcpu cpuset> itself is removed even when it "stays" elsewhere', () => {
    const [pin] = pinsOf('', 4, " cpuset='9'").cpuPins;
    if (!pin) throw new Error('no pin');
    expect(shown(releaseCpuPin(pin, computePools(HOST, {}), 'why', true))).to.equal('vcpu 9→-');
  });
});

describe('release: releaseNodePin', () => {
  const numa = "<cpu><numa><cell id='0' cpus='0-3' memory='1024'/></numa></cpu>";
  // [numatune body, memnodes stay, kind, change]
  const cases: [string, boolean, string, string][] = [
    ["<memory mode='strict' nodeset='3'/>", false, 'numatune', 'numatune 3→-'],
    // libvirt refuses a memnode without a restrictive <memory> (virDomainNumatuneParseXML): widened instead
    ["<memory mode='strict' nodeset='3'/>", true, 'numatune', 'numatune 3→0'],
    ["<memnode cellid='0' mode='strict' nodeset='3'/>", false, 'memnode', 'memnode/0 3→-'],
    ["<memnode cellid='0' mode='strict' nodeset='3'/>", true, 'memnode', 'memnode/0 3→-'],
  ];
  for (const [body, stay, kind, want] of cases) {
    it(`${body}${stay ? ' with memnodes staying' : ''} → ${want}`, () => {
      const pin = pinsOf(`<numatune>${body}</numatune>${numa}`).nodePins.find((p) => p.kind === kind);
      if (!pin) throw new Error('no pin');
      expect(shown(releaseNodePin(pin, computePools(HOST, {}), 'why', stay))).to.equal(want);
    });
  }
});

describe('release: change', () => {
  it('carries the id only for elements that have one', () => {
    const pins = pinsOf("<cputune><vcpupin vcpu='2' cpuset='1'/><emulatorpin cpuset='1'/></cputune>").cpuPins;
    expect(pins.map((p) => change(p, '3', 'r'))).to.deep.equal([
      { element: 'vcpupin', id: 2, old: '1', new: '3', rule: 'r' },
      { element: 'emulatorpin', old: '1', new: '3', rule: 'r' },
    ]);
  });
});
