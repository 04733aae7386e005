// policy-unpin.ts: every misfit released, every pin that fits kept.
import { expect } from 'chai';
import { parseCpuset } from '../../../src/core/cpuset.js';
import { findMisfits } from '../../../src/core/plan/fit.js';
import { flatHost } from '../../../src/core/host/host.js';
import { unpinChanges } from '../../../src/core/plan/policy-unpin.js';
import { computePools, type PoolOptions } from '../../../src/core/plan/pools.js';
import { pinsOf, shown } from '../../support/pins.js';

const HOST = flatHost(parseCpuset('0-7'));
const CELL = "<cpu><numa><cell id='0' cpus='0-3' memory='1024'/></numa></cpu>";

describe('policy unpin', () => {
  // [what, domain body, <vcpu> attributes, pools, changes]
  const cases: [string, string, string, PoolOptions, string[]][] = [
    ['a partly fitting pin is released whole; one that fits stays', "<cputune><vcpupin vcpu='0' cpuset='6-9'/><vcpupin vcpu='1' cpuset='1'/></cputune>", '', {}, ['vcpupin/0 6-9→-']],
    ['released to a narrower pool', "<cputune><emulatorpin cpuset='9'/></cputune>", '', { emulatorCpus: parseCpuset('4-7') }, ['emulatorpin 9→4-7']],
    ['written out as the pool while a fitting <vcpu cpuset> stays', "<cputune><vcpupin vcpu='0' cpuset='9'/></cputune>", " cpuset='0-3'", {}, ['vcpupin/0 9→0-7']],
    ['removed when the <vcpu cpuset> goes too', "<cputune><vcpupin vcpu='0' cpuset='9'/></cputune>", " cpuset='8-9'", {}, ['vcpu 8-9→-', 'vcpupin/0 9→-']],
    ['a nodeset that does not fit is released', "<numatune><memory nodeset='0-1'/></numatune>", '', {}, ['numatune 0-1→-']],
    ['a <memory> is widened while a fitting memnode stays', `<numatune><memory mode='strict' nodeset='1'/><memnode cellid='0' mode='strict' nodeset='0'/></numatune>${CELL}`, '', {}, ['numatune 1→0']],
  ];
  for (const [what, body, vcpuAttrs, options, changes] of cases) {
    it(what, () => {
      const pins = pinsOf(body, 4, vcpuAttrs);
      const pools = computePools(HOST, options);
      expect(unpinChanges(pins, findMisfits(pins, pools, undefined), pools).map(shown)).to.deep.equal(changes);
    });
  }
});
