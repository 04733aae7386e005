// Commands run from a shell, ssh or a service where qemu.conf keeps guests in
// the libvirt daemon's cgroup: they read the daemon's cgroup, as the hook (its
// child) reads its own, and say when they cannot.
import { expect } from 'chai';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readHost } from '../../src/io/host/sysfs.js';
import { fakeHostDirs, type FakeCgroup, type FakeHostSpec } from '../support/fake-sysfs.js';
import { runCli } from '../support/fake-io.js';

const SMT16: FakeHostSpec = { sockets: 1, coresPerSocket: 8, threadsPerCore: 2, nodes: 2 };
const DAEMON_CGROUP = 'cgroup_controllers = [ "cpu", "devices", "memory" ]\n';
const SHELL = '/user.slice/user-0.slice/session-4.scope';
const usableLine = /usable (.+?), \d+ NUMA/;

describe('outside the hook: the libvirt daemon’s cgroup', () => {
  const { make: fake, removeAll } = fakeHostDirs();
  afterEach(removeAll);
  const host = (dir: string): Promise<{ code: number; stdout: string; stderr: string }> => runCli(['host', '--host-root', dir]);

  for (const version of [1, 2] as const) {
    for (const name of ['libvirtd', 'virtqemud'] as const) {
      it(`repin host reads ${name}'s cgroup (cgroup v${version}), not the shell's`, async () => {
        const cgroup: FakeCgroup = { version, cpus: '2-5', path: `/system.slice/${name}.service`, daemon: { name, pid: 321, shell: SHELL } };
        const dir = fake({ ...SMT16, qemuConf: DAEMON_CGROUP, cgroup });
        const r = await host(dir);
        expect(r.code, r.stderr).to.equal(0);
        expect(usableLine.exec(r.stdout)?.[1]).to.equal('2-5');
        expect(r.stderr).to.equal('');
      });
    }
  }

  it('the hook still reads its own cgroup: it is the daemon’s child', () => {
    const dir = fake({ ...SMT16, qemuConf: DAEMON_CGROUP, cgroup: { version: 2, cpus: '2-5', daemon: { name: 'libvirtd', pid: 321, shell: SHELL } } });
    expect(readHost(dir).usable.toString()).to.equal('0-15');
  });

  it('a stale pid file (the pid is someone else now) is not the daemon: falls back with a note', async () => {
    const dir = fake({ ...SMT16, qemuConf: DAEMON_CGROUP, cgroup: { version: 2, cpus: '2-5', daemon: { name: 'libvirtd', pid: 321, shell: SHELL } } });
    writeFileSync(join(dir, 'proc/321/comm'), 'bash\n');
    const r = await host(dir);
    expect(r.code, r.stderr).to.equal(0);
    expect(usableLine.exec(r.stdout)?.[1]).to.equal('0-15');
    expect(r.stderr).to.match(/^repin: note: qemu\.conf keeps guests in the libvirt daemon's cgroup, but no running virtqemud or libvirtd was found .*: read this process's cgroup instead, which may not be the guests'\n$/);
  });

  it('with libvirt managing cpusets (the default) nothing changes and nothing is said', async () => {
    const dir = fake({ ...SMT16, cgroup: { version: 2, cpus: '0-1', machine: { cpus: '2-15' }, daemon: { name: 'libvirtd', pid: 321, shell: SHELL } } });
    const r = await host(dir);
    expect(usableLine.exec(r.stdout)?.[1]).to.equal('2-15');
    expect(r.stderr).to.equal('');
  });

  it('a qemu.conf this process cannot read counts as the default, and repin says so', async () => {
    const dir = fake({ ...SMT16, cgroup: { version: 2, cpus: '0-1', machine: { cpus: '2-15' } } });
    // Unreadable as a directory is (a non-root user meets EACCES on the 0600 file instead).
    mkdirSync(join(dir, 'etc/libvirt/qemu.conf'), { recursive: true });
    const r = await runCli(['check', 'examples/shared-pool.xml', '--host-root', dir]);
    expect(r.code).to.be.oneOf([0, 1]);
    expect(r.stderr).to.match(/^repin: note: cannot read .*qemu\.conf: .*: counted as libvirt's default \(guests in cpuset cgroups of their own under machine\.slice\); run as root to read it\n$/);
    expect(() => readHost(dir)).to.throw(/qemu\.conf/); // the hook, which runs as root, is unchanged
  });
});
