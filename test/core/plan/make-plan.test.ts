// make-plan.ts: one plan per policy for small domains on a flat 8-CPU host,
// one row per case, so a broken policy names itself.
import { expect } from 'chai';
import { CpuSet, parseCpuset } from '../../../src/core/cpuset.js';
import { flatHost } from '../../../src/core/host/host.js';
import type { Outcome, Policy } from '../../../src/core/plan/plan.js';
import { planDomain } from '../../../src/core/plan/make-plan.js';
import { pinsOf, shown } from '../../support/pins.js';

const HOST = flatHost(parseCpuset('0-7'));
const DOMAINS = {
  fits: "<cputune><vcpupin vcpu='0' cpuset='1'/><emulatorpin cpuset='0-3'/></cputune>",
  moved: "<cputune><vcpupin vcpu='0' cpuset='10'/><vcpupin vcpu='1' cpuset='2'/><emulatorpin cpuset='10'/></cputune>",
  partial: "<cputune><vcpupin vcpu='0' cpuset='6-9'/><vcpupin vcpu='1' cpuset='1'/></cputune>",
  shared: "<cputune><vcpupin vcpu='0' cpuset='10'/><vcpupin vcpu='1' cpuset='11'/><vcpupin vcpu='2' cpuset='10'/></cputune>",
  nodes: "<cputune><vcpupin vcpu='0' cpuset='1'/></cputune><numatune><memory mode='strict' nodeset='0-1'/></numatune>",
};

// [domain, policy, outcome, changes]
const cases: [keyof typeof DOMAINS, Policy, Outcome, string[]][] = [
  ['fits', 'remap', 'unchanged', []],
  ['fits', 'intersect', 'unchanged', []],
  ['fits', 'unpin', 'unchanged', []],
  ['fits', 'strict', 'unchanged', []],
  // remap: a free CPU first (2 is taken), the emulator follows the vCPU it shared 10 with
  ['moved', 'remap', 'rewritten', ['vcpupin/0 10→0', 'emulatorpin 10→0']],
  ['moved', 'intersect', 'rewritten', ['vcpupin/0 10→-', 'emulatorpin 10→-']],
  ['moved', 'unpin', 'rewritten', ['vcpupin/0 10→-', 'emulatorpin 10→-']],
  ['moved', 'strict', 'refused', []],
  // remap keeps 6-7 and substitutes 8, 9 with free CPUs (1 is vCPU 1's)
  ['partial', 'remap', 'rewritten', ['vcpupin/0 6-9→0,2,6-7']],
  ['partial', 'intersect', 'rewritten', ['vcpupin/0 6-9→6-7']],
  ['partial', 'unpin', 'rewritten', ['vcpupin/0 6-9→-']],
  ['partial', 'strict', 'refused', []],
  // remap: distinct CPUs stay distinct, shared ones stay shared
  ['shared', 'remap', 'rewritten', ['vcpupin/0 10→0', 'vcpupin/1 11→1', 'vcpupin/2 10→0']],
  ['shared', 'intersect', 'rewritten', ['vcpupin/0 10→-', 'vcpupin/1 11→-', 'vcpupin/2 10→-']],
  ['nodes', 'remap', 'rewritten', ['numatune 0-1→0']],
  ['nodes', 'intersect', 'rewritten', ['numatune 0-1→0']],
  ['nodes', 'unpin', 'rewritten', ['numatune 0-1→-']],
  ['nodes', 'strict', 'refused', []],
];

describe('planner: planDomain per policy', () => {
  for (const [domain, policy, outcome, changes] of cases) {
    it(`${domain} / ${policy}: ${outcome}${changes.length ? `, ${changes.join(', ')}` : ''}`, () => {
      const plan = planDomain(pinsOf(DOMAINS[domain]), HOST, { policy });
      expect(plan.outcome).to.equal(outcome);
      expect(plan.changes.map(shown)).to.deep.equal(changes);
      expect(plan.policy).to.equal(policy);
      expect(plan.refusal !== undefined).to.equal(outcome === 'refused');
    });
  }

  it('a refusal names every misfit, what the host offers and the policy', () => {
    const plan = planDomain(pinsOf(DOMAINS.moved), HOST, { policy: 'strict' });
    expect(plan.refusal).to.equal('vcpupin vcpu=0 cpuset=10: host offers CPUs 0-7; emulatorpin cpuset=10: host offers CPUs 0-7 (policy strict)');
  });

  it('pools from config limit what fits: reservedCpus make a pin on them misfit, released to the narrower pool', () => {
    const plan = planDomain(pinsOf(DOMAINS.fits), HOST, { policy: 'intersect', reservedCpus: parseCpuset('1') });
    expect(plan.changes.map(shown)).to.deep.equal(['vcpupin/0 1→0,2-7', 'emulatorpin 0-3→0,2-3']);
  });

  it("another guest's dedicated CPU: protectDedicated decides whether a one-CPU pin on it fits", () => {
    const busy = { ...HOST, occupancy: { exclusive: parseCpuset('1'), floating: CpuSet.empty, holders: { other: '1' } } };
    expect(planDomain(pinsOf(DOMAINS.fits), busy, { policy: 'remap' }).changes.map(shown)).to.deep.equal(['vcpupin/0 1→4']);
    expect(planDomain(pinsOf(DOMAINS.fits), busy, { policy: 'remap', protectDedicated: false }).outcome).to.equal('unchanged');
  });
});
