// policy-strict.ts: no change; one refusal line naming every misfit.
import { expect } from 'chai';
import { parseCpuset } from '../../../src/core/cpuset.js';
import { findMisfits } from '../../../src/core/plan/fit.js';
import { flatHost } from '../../../src/core/host/host.js';
import { strictRefusal } from '../../../src/core/plan/policy-strict.js';
import { computePools } from '../../../src/core/plan/pools.js';
import { pinsOf } from '../../support/pins.js';

const HOST = flatHost(parseCpuset('0-7'));

describe('policy strict', () => {
  // [domain body, CPUs held by others, refusal]
  const cases: [string, string | undefined, string | undefined][] = [
    ["<cputune><vcpupin vcpu='0' cpuset='1'/></cputune>", undefined, undefined],
    ["<cputune><vcpupin vcpu='3' cpuset='20-21'/></cputune>", undefined, 'vcpupin vcpu=3 cpuset=20-21: host offers CPUs 0-7 (policy strict)'],
    [
      "<cputune><vcpupin vcpu='0' cpuset='2'/><emulatorpin cpuset='9'/></cputune><numatune><memory nodeset='3'/></numatune>",
      '2',
      'vcpupin vcpu=0 cpuset=2: CPU held exclusively by another running domain (2); emulatorpin cpuset=9: host offers CPUs 0-7; numatune memory nodeset=3: host has memory on nodes 0 (policy strict)',
    ],
  ];
  for (const [body, heldText, refusal] of cases) {
    it(refusal ?? 'everything fits: no refusal', () => {
      const pins = pinsOf(body);
      const pools = computePools(HOST, {});
      const held = heldText === undefined ? undefined : parseCpuset(heldText);
      expect(strictRefusal(findMisfits(pins, pools, held), pools, held)).to.equal(refusal);
    });
  }
});
