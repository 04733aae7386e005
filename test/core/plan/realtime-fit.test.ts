// Realtime vCPUs (vcpusched fifo/rr) after a plan, on fake sysfs trees: each
// keeps a CPU of its own, isolated CPUs first; intersect and unpin refuse
// rather than share one.
import { expect } from 'chai';
import { parseConfig } from '../../../src/core/config.js';
import { parseCpuset } from '../../../src/core/cpuset.js';
import { readDomainPins } from '../../../src/core/domain/pins.js';
import { filterDomainXml } from '../../../src/core/plan/filter-xml.js';
import type { Policy } from '../../../src/core/plan/plan.js';
import { parseDomainXml } from '../../../src/core/xml/xmldom.js';
import { readHost } from '../../../src/io/host/sysfs.js';
import { fakeHostDirs, type FakeHostSpec } from '../../support/fake-sysfs.js';

const EIGHT: FakeHostSpec = { sockets: 2, coresPerSocket: 4, threadsPerCore: 1, nodes: 2, isolated: '6-7' };
const FOUR: FakeHostSpec = { sockets: 1, coresPerSocket: 4, threadsPerCore: 1, nodes: 1 };

interface Guest {
  vcpus: string[];
  emulator?: string;
  sched?: string;
}

function domain(g: Guest): string {
  const pins = g.vcpus.map((cpu, v) => `<vcpupin vcpu='${v}' cpuset='${cpu}'/>`).join('');
  const emulator = g.emulator ? `<emulatorpin cpuset='${g.emulator}'/>` : '';
  const sched = g.sched ?? "<vcpusched vcpus='0-1' scheduler='fifo' priority='1'/>";
  return `<domain type='kvm'><name>rt</name><uuid>00000000-0000-4000-8000-000000000005</uuid><vcpu placement='static'>${g.vcpus.length}</vcpu><cputune>${pins}${emulator}${sched}</cputune></domain>`;
}

/** Each pin's CPUs after the plan. */
function placedAfter(xml: string, output: string | undefined): Map<string, readonly number[]> {
  const pins = readDomainPins(parseDomainXml(output ?? xml));
  return new Map(pins.cpuPins.map((p) => [p.kind === 'vcpupin' ? `v${p.id}` : p.kind, p.cpus.ids]));
}

/** Whether each realtime vCPU (0 and 1 here) is alone on one CPU among all pins. */
function aloneOnTheirCpus(placed: Map<string, readonly number[]>, rt: string[]): boolean {
  return rt.every((v) => {
    const cpus = placed.get(v) ?? [];
    if (cpus.length !== 1) return false;
    return [...placed].every(([k, other]) => k === v || !other.includes(cpus[0] ?? -1));
  });
}

describe('realtime vCPUs', () => {
  const { make, removeAll } = fakeHostDirs();
  after(removeAll);
  const config = parseConfig({});

  interface Case {
    name: string;
    host: FakeHostSpec;
    guest: Guest;
    policy: Policy;
    outcome: 'unchanged' | 'rewritten' | 'refused';
    /** Expected CPUs of some pins after the plan. */
    placed?: Record<string, number[]>;
    refusal?: RegExp;
    rule?: RegExp;
  }
  const cases: Case[] = [
    {
      name: 'moved realtime vCPUs go to isolated CPUs, each alone',
      host: EIGHT,
      guest: { vcpus: ['20', '21', '22', '23'], emulator: '0-1' },
      policy: 'remap',
      outcome: 'rewritten',
      placed: { v0: [6], v1: [7] },
    },
    {
      name: 'without isolated CPUs they take free ones, still alone',
      host: { ...EIGHT, isolated: '' },
      guest: { vcpus: ['20', '21', '22', '23'], emulator: '0-1' },
      policy: 'remap',
      outcome: 'rewritten',
      placed: { v0: [2], v1: [3] },
    },
    {
      name: 'when the host is full, the squeeze never lands on a realtime vCPU\'s CPU',
      host: FOUR,
      guest: { vcpus: ['0', '1', '22', '23', '24', '25'] },
      policy: 'remap',
      outcome: 'rewritten',
      placed: { v0: [0], v1: [1] },
    },
    {
      name: 'no free CPU for a realtime vCPU: refused, not shared',
      host: FOUR,
      guest: { vcpus: ['20', '21', '22', '23'], emulator: '0-3' },
      policy: 'remap',
      outcome: 'refused',
      refusal: /^remap: realtime vCPU 0 \(vcpusched\) needs a CPU no other thread uses for its CPU 20; none is free/,
    },
    {
      name: 'a floating emulator pin that shared the realtime vCPU\'s CPU on the source is kept off it',
      host: EIGHT,
      guest: { vcpus: ['20', '21', '2', '3'], emulator: '20-22' },
      policy: 'remap',
      outcome: 'rewritten',
      placed: { v0: [6], v1: [7], emulatorpin: [0] },
      rule: /kept off CPU 6-7 of realtime vCPUs/,
    },
    {
      name: 'intersect releases a realtime vCPU\'s pin: refused',
      host: EIGHT,
      guest: { vcpus: ['20', '1', '2', '3'], emulator: '4' },
      policy: 'intersect',
      outcome: 'refused',
      refusal: /^vcpupin vcpu=0 is realtime \(vcpusched\): policy intersect would leave it on CPUs 0-7, not one of its own; refused/,
    },
    {
      name: 'unpin releases the emulator over a realtime vCPU\'s CPU: refused',
      host: EIGHT,
      guest: { vcpus: ['0', '1', '2', '3'], emulator: '20' },
      policy: 'unpin',
      outcome: 'refused',
      refusal: /^vcpupin vcpu=0 is realtime \(vcpusched\): policy unpin would share its CPU 0 with emulatorpin \(released\); refused/,
    },
    {
      name: 'intersect that leaves realtime vCPUs alone is fine',
      host: EIGHT,
      guest: { vcpus: ['0', '1', '4-5,20', '3'], emulator: '6' },
      policy: 'intersect',
      outcome: 'rewritten',
      placed: { v2: [4, 5] },
    },
    {
      name: 'scheduler batch is not realtime: unpin may release',
      host: EIGHT,
      guest: { vcpus: ['0', '1', '2', '3'], emulator: '20', sched: "<vcpusched vcpus='0-1' scheduler='batch'/>" },
      policy: 'unpin',
      outcome: 'rewritten',
    },
  ];
  for (const c of cases) {
    it(`${c.policy}: ${c.name}`, () => {
      const host = readHost(make(c.host), 'rt-host');
      const xml = domain(c.guest);
      const { plan, output } = filterDomainXml(xml, host, config, c.policy);
      expect(plan.outcome, plan.refusal).to.equal(c.outcome);
      if (c.refusal) expect(plan.refusal).to.match(c.refusal);
      if (c.rule) expect(plan.changes.map((ch) => ch.rule).join('\n')).to.match(c.rule);
      const placed = placedAfter(xml, output);
      for (const [k, want] of Object.entries(c.placed ?? {})) expect(placed.get(k), k).to.deep.equal(want);
      if (c.outcome === 'rewritten' && c.guest.sched === undefined) expect(aloneOnTheirCpus(placed, ['v0', 'v1']), [...placed].join(' ')).to.equal(true);
      if (output) expect(output).to.include(c.guest.sched ?? "<vcpusched vcpus='0-1' scheduler='fifo' priority='1'/>");
    });
  }

  it('vcpusched vcpus are read as guest ids, past the vCPU count dropped', () => {
    const pins = readDomainPins(parseDomainXml(domain({ vcpus: ['0', '1'], sched: "<vcpusched vcpus='1-3' scheduler='rr' priority='5'/>" })));
    expect(pins.realtime?.toString()).to.equal(parseCpuset('1').toString());
  });
});
