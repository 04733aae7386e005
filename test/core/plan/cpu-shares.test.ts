// <cputune><shares> against the cgroup version guests run under here.
import { expect } from 'chai';
import { judgeShares } from '../../../src/core/plan/cpu-shares.js';
import { parseCpuset } from '../../../src/core/cpuset.js';
import { readDomainPins } from '../../../src/core/domain/pins.js';
import { flatHost, type Host } from '../../../src/core/host/host.js';
import { planDomain } from '../../../src/core/plan/make-plan.js';
import { parseDomainXml } from '../../../src/core/xml/xmldom.js';

function domain(shares: string | undefined): string {
  const tune = shares === undefined ? '' : `<cputune><shares>${shares}</shares></cputune>`;
  return `<domain type='kvm'><name>s</name><uuid>00000000-0000-4000-8000-000000000003</uuid><vcpu>4</vcpu>${tune}</domain>`;
}

const host = (cpuCgroup: 1 | 2 | undefined): Host => ({ ...flatHost(parseCpuset('0-3')), ...(cpuCgroup === undefined ? {} : { cpuCgroup }) });

describe('cpu shares: judged against the cgroup version', () => {
  const cases: [string | undefined, 1 | 2 | undefined, string | undefined][] = [
    // [shares, cgroup version, new value or undefined when it fits / is not judged]
    ['20480', 2, '10000'],
    ['262144', 2, '10000'],
    ['10001', 2, '10000'],
    ['10000', 2, undefined],
    ['1', 2, undefined],
    ['0', 2, '1'],
    ['1024', 2, undefined],
    ['1', 1, '2'],
    ['0', 1, '2'],
    ['2', 1, undefined],
    ['262144', 1, undefined],
    ['262145', 1, '262144'],
    ['20480', 1, undefined],
    ['20480', undefined, undefined],
    [undefined, 2, undefined],
    ['lots', 2, undefined],
    [' 20480 ', 2, '10000'],
  ];
  for (const [shares, version, want] of cases) {
    it(`shares ${JSON.stringify(shares)} on cgroup v${version ?? '?'}: ${want === undefined ? 'left alone' : `→ ${want}`}`, () => {
      const verdict = judgeShares(readDomainPins(parseDomainXml(domain(shares))), host(version));
      expect(verdict?.change.new).to.equal(want);
    });
  }

  it('remap, intersect and unpin bring it into range with the reason in the rule', () => {
    const pins = readDomainPins(parseDomainXml(domain('20480')));
    for (const policy of ['remap', 'intersect', 'unpin'] as const) {
      const plan = planDomain(pins, host(2), { policy });
      expect(plan.outcome).to.equal('rewritten');
      expect(plan.changes).to.deep.equal([
        {
          element: 'shares',
          old: '20480',
          new: '10000',
          rule: 'cgroup v2: cpu.weight takes 1-10000 (virCgroupV2SetCpuShares); clamped to the top of the range, keeping its order against other guests',
        },
      ]);
    }
  });

  it('strict refuses with the value, the version and the range', () => {
    const plan = planDomain(readDomainPins(parseDomainXml(domain('20480'))), host(2), { policy: 'strict' });
    expect(plan.outcome).to.equal('refused');
    expect(plan.refusal).to.equal(
      'cputune shares=20480: cgroup v2 here, where libvirt writes it as cpu.weight and takes 1-10000 (virCgroupV2SetCpuShares) (policy strict)',
    );
  });
});
