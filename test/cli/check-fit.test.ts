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
    expect(r.stdout).to.match(/\n {2}3 {2}left alone: another manager/);
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

describe('cli: plan explains each host-fit decision in its why column', () => {
  const rt = readFileSync('examples/dedicated-1to1.xml', 'utf8').replace('<emulatorpin', "<vcpusched vcpus='0-1' scheduler='fifo' priority='1'/>\n    <emulatorpin");

  it('a realtime vCPU moved alone', async () => {
    const r = await runCli(['plan', '-', '--host', SMALL], { stdin: rt });
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/vcpupin vcpu=0\s+20\s+\d+\s+remap: 20→\d+ \(realtime, alone, node 0\)/);
  });

  it('shares brought into the cgroup v2 range', async () => {
    const r = await runCli(['plan', 'test/fixtures/golden/remap-shares-cgroup-v2/domain.xml', '--host', 'test/fixtures/golden/remap-shares-cgroup-v2/host.json']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/cputune shares\s+20480\s+10000\s+cgroup v2: cpu.weight takes 1-10000 \(virCgroupV2SetCpuShares\); clamped/);
  });

  it('a hugepage-backed cell moved to a node with free pages, and strict refusing with the numbers', async () => {
    const dir = 'test/fixtures/golden/remap-hugepages-node';
    const r = await runCli(['plan', `${dir}/domain.xml`, '--host', `${dir}/host.json`]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/memnode cellid=0\s+1\s+0\s+remap: node 1 has 12 free 1048576 kB pages, the cell needs 16; node 0 has 20/);
    const strict = await runCli(['check', `${dir}/domain.xml`, '--host', `${dir}/host.json`]);
    expect(strict.code).to.equal(1);
    expect(strict.stdout).to.include('memnode cellid=0: node 1 has 12 free 1048576 kB pages, the cell needs 16 (policy strict)');
  });

  it('repin host shows huge pages per node and the cgroup version', async () => {
    const r = await runCli(['host', '--host', 'test/fixtures/golden/remap-hugepages-node/host.json']);
    expect(r.stdout).to.include('node 1 huge pages: 12 of 32 free × 1048576 kB');
    const v2 = await runCli(['host', '--host', 'test/fixtures/golden/remap-shares-cgroup-v2/host.json']);
    expect(v2.stdout).to.include('cgroup v2 cpu controller: <cputune><shares> must be within 1-10000');
  });
});
