// policy-intersect.ts: each misfit ANDed with its pool; what is left empty is released.
import { expect } from 'chai';
import { CpuSet, parseCpuset } from '../../../src/core/cpuset.js';
import { findMisfits } from '../../../src/core/plan/fit.js';
import { flatHost } from '../../../src/core/host/host.js';
import { intersectChanges } from '../../../src/core/plan/policy-intersect.js';
import { computePools, type PoolOptions } from '../../../src/core/plan/pools.js';
import { pinsOf, shown } from '../../support/pins.js';

const HOST = flatHost(parseCpuset('0-7'));
const CELL = "<cpu><numa><cell id='0' cpus='0-3' memory='1024'/></numa></cpu>";

describe('policy intersect', () => {
  // [what, domain body, <vcpu> attributes, pools, CPUs held by others, changes]
  const cases: [string, string, string, PoolOptions, CpuSet | undefined, string[]][] = [
    ['keeps the CPUs in the pool', "<cputune><vcpupin vcpu='0' cpuset='6-9'/></cputune>", '', {}, undefined, ['vcpupin/0 6-9→6-7']],
    ['a pin with no CPU in the pool is removed (the pool is every usable CPU)', "<cputune><vcpupin vcpu='0' cpuset='8-9'/></cputune>", '', {}, undefined, ['vcpupin/0 8-9→-']],
    ['…or set to the pool when the pool is narrower', "<cputune><vcpupin vcpu='0' cpuset='8-9'/></cputune>", '', { allowedCpus: parseCpuset('0-3') }, undefined, ['vcpupin/0 8-9→0-3']],
    ['…or written out when <vcpu cpuset> stays (libvirt would run the thread there)', "<cputune><vcpupin vcpu='0' cpuset='8-9'/></cputune>", " cpuset='0-3'", {}, undefined, ['vcpupin/0 8-9→0-7']],
    ['a <vcpu cpuset> left empty goes, so the others are removed too', "<cputune><vcpupin vcpu='0' cpuset='8-9'/></cputune>", " cpuset='10-11'", {}, undefined, ['vcpu 10-11→-', 'vcpupin/0 8-9→-']],
    ['a dedicated pin on a CPU another guest holds alone is released', "<cputune><vcpupin vcpu='0' cpuset='3'/></cputune>", '', {}, parseCpuset('3'), ['vcpupin/0 3→-']],
    ['nodesets keep their nodes with memory', "<numatune><memory nodeset='0-1'/></numatune>", '', {}, undefined, ['numatune 0-1→0']],
    ['a <memory> with no node left is widened while a memnode stays', `<numatune><memory mode='strict' nodeset='1'/><memnode cellid='0' mode='strict' nodeset='0'/></numatune>${CELL}`, '', {}, undefined, ['numatune 1→0']],
    ['…and released when none stays', `<numatune><memory mode='strict' nodeset='1'/><memnode cellid='0' mode='strict' nodeset='1'/></numatune>${CELL}`, '', {}, undefined, ['numatune 1→-', 'memnode/0 1→-']],
  ];
  for (const [what, body, vcpuAttrs, options, held, changes] of cases) {
    it(what, () => {
      const pins = pinsOf(body, 4, vcpuAttrs);
      const pools = computePools(HOST, options);
      expect(intersectChanges(pins, findMisfits(pins, pools, held), pools, held).map(shown)).to.deep.equal(changes);
    });
  }
  it('changes nothing when everything fits', () => {
    const pins = pinsOf("<cputune><vcpupin vcpu='0' cpuset='1'/></cputune>");
    const pools = computePools(HOST, {});
    expect(intersectChanges(pins, findMisfits(pins, pools, CpuSet.empty), pools, CpuSet.empty)).to.deep.equal([]);
  });
});
