// `repin check` and `repin plan` on files libvirt accepts: a guest another
// manager owns, and a vcpupin for a vCPU the domain does not have.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { runCli } from '../support/fake-io.js';

const SMALL = 'examples/hosts/small.json';
const NOVA = '<nova:instance xmlns:nova="http://openstack.org/xmlns/libvirt/nova/1.1"><nova:name>vm</nova:name></nova:instance>';

function novaDomain(): string {
  return readFileSync('examples/dedicated-1to1.xml', 'utf8').replace('<metadata>', `<metadata>\n    ${NOVA}`);
}

describe('cli: check on a guest another manager owns', () => {
  it('says it is left alone, names the manager and the setting, and exits 3', async () => {
    const r = await runCli(['check', '-', '--host', SMALL], { stdin: novaDomain() });
    expect(r.code, r.stderr).to.equal(3);
    expect(r.stdout).to.equal('db-primary: left alone on host small: managed by OpenStack Nova, which places pins itself (config manageForeign is off)\n');
  });

  it('--help documents exit code 3', async () => {
    const r = await runCli(['check', '--help']);
    expect(r.stdout).to.match(/3 left alone: another manager/);
  });

  it('with manageForeign on, the real fit is judged', async () => {
    const r = await runCli(['check', '-', '--host', SMALL], { stdin: novaDomain(), env: { REPIN_CONFIG: 'test/fixtures/manage-foreign.json' } });
    expect(r.code, r.stderr).to.equal(1);
    expect(r.stdout).to.match(/does not fit host small: vcpupin vcpu=0 cpuset=20: host offers CPUs 0-7/);
  });
});

describe('cli: a vcpupin for a vCPU the domain does not have', () => {
  const xml = readFileSync('test/fixtures/golden/remap-vcpupin-missing-vcpu/domain.xml', 'utf8');

  it('plan plans the other pins and says the element was ignored and kept', async () => {
    const r = await runCli(['plan', '-', '--host', SMALL], { stdin: xml });
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.include('outcome: rewritten, 4 changes');
    expect(r.stdout).to.match(/note: vcpupin vcpu=7 names a vCPU the domain does not have \(it has 4\): libvirt ignores such an element/);
  });

  it('rewrite keeps the element byte for byte', async () => {
    const r = await runCli(['rewrite', '-', '--host', SMALL], { stdin: xml });
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.include("<vcpupin vcpu='7' cpuset='99'/>");
  });

  it('check judges the pins libvirt uses', async () => {
    const fits = await runCli(['check', '-', '--host', 'examples/hosts/large.json'], { stdin: xml });
    expect(fits.code, fits.stdout + fits.stderr).to.equal(0);
  });
});
