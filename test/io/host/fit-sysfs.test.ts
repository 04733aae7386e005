// What the host offers beyond CPUs and nodes, read from fake sysfs trees: the
// cgroup version of the cpu controller (for <cputune><shares>).
import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostFromProfile, hostToProfile } from '../../../src/core/host/host-json.js';
import { readCpuCgroupVersion } from '../../../src/io/host/cgroup-limits.js';
import { readHost } from '../../../src/io/host/sysfs.js';
import { fakeHostDirs, type FakeHostSpec } from '../../support/fake-sysfs.js';

const BASE: FakeHostSpec = { sockets: 1, coresPerSocket: 2, threadsPerCore: 2, nodes: 2 };

describe('host fit (sysfs): cgroup version of the cpu controller', () => {
  const { make, removeAll } = fakeHostDirs();
  after(removeAll);

  const cases: [string, FakeHostSpec, ((dir: string) => void) | undefined, 1 | 2 | undefined][] = [
    ['pure v2 offering cpu', { ...BASE, cgroup: { version: 2, cpus: '0-3' } }, undefined, 2],
    ['systemd hybrid: cpu,cpuacct on v1', { ...BASE, cgroup: { version: 1, cpus: '0-3' } }, undefined, 1],
    ['no /proc/self/cgroup', BASE, undefined, undefined],
    [
      'v2 without the cpu controller',
      { ...BASE, cgroup: { version: 2, cpus: '0-3' } },
      (dir) => writeFileSync(join(dir, 'sys/fs/cgroup/cgroup.controllers'), 'cpuset memory pids\n'),
      undefined,
    ],
    [
      'cpu alone on its own v1 line',
      { ...BASE, cgroup: { version: 1, cpus: '0-3' } },
      (dir) => writeFileSync(join(dir, 'proc/self/cgroup'), '3:cpuset:/\n1:cpu:/\n0::/\n'),
      1,
    ],
  ];
  for (const [name, spec, tweak, want] of cases) {
    it(`${name}: ${want === undefined ? 'unknown' : `v${want}`}`, () => {
      const dir = make(spec);
      tweak?.(dir);
      expect(readCpuCgroupVersion(dir)).to.equal(want);
      expect(readHost(dir).cpuCgroup).to.equal(want);
    });
  }

  it('a host profile carries it, and an older profile without it loads', () => {
    const host = readHost(make({ ...BASE, cgroup: { version: 2, cpus: '0-3' } }));
    const profile = hostToProfile(host);
    expect(profile.cpuCgroup).to.equal(2);
    expect(hostFromProfile(JSON.parse(JSON.stringify(profile)), 'p').cpuCgroup).to.equal(2);
    const older: Record<string, unknown> = { ...profile };
    delete older.cpuCgroup;
    expect(hostFromProfile(older, 'old').cpuCgroup).to.equal(undefined);
    expect(() => hostFromProfile({ ...profile, cpuCgroup: 3 }, 'bad')).to.throw(/cpuCgroup must be 1 or 2, got 3/);
  });
});

describe('host fit (sysfs): huge pages per node, isolated CPUs', () => {
  const { make, removeAll } = fakeHostDirs();
  after(removeAll);

  it('reads free and reserved pages per node and size, and the default size', () => {
    const host = readHost(
      make({
        ...BASE,
        defaultHugepageKb: 2048,
        hugepages: { 0: [{ sizeKb: 2048, free: 12, total: 16 }], 1: [{ sizeKb: 2048, free: 0, total: 0 }, { sizeKb: 1048576, free: 2, total: 2 }] },
      }),
    );
    expect(host.nodes.map((n) => n.hugepages)).to.deep.equal([
      [{ sizeKb: 2048, free: 12, total: 16 }],
      [
        { sizeKb: 2048, free: 0, total: 0 },
        { sizeKb: 1048576, free: 2, total: 2 },
      ],
    ]);
    expect(host.extras?.defaultHugepageKb).to.equal(2048);
    const again = hostFromProfile(JSON.parse(JSON.stringify(hostToProfile(host))), 'p');
    expect(hostToProfile(again)).to.deep.equal(hostToProfile(host));
  });

  const isolation: [string, Partial<FakeHostSpec>, string][] = [
    ['isolcpus only', { isolated: '2-3' }, '2-3'],
    ['nohz_full only', { isolated: '', nohzFull: '1,3' }, '1,3'],
    ['both, joined', { isolated: '2', nohzFull: '3' }, '2-3'],
    ['nohz_full unset reads "(null)"', { isolated: '', nohzFull: '(null)' }, ''],
    ['neither file', {}, ''],
  ];
  for (const [name, extra, want] of isolation) {
    it(`isolated CPUs: ${name} → '${want}'`, () => {
      expect(readHost(make({ ...BASE, ...extra })).extras?.isolated?.toString()).to.equal(want);
    });
  }

  it('the hugepage files are read on first use, not with the host (a guest without hugepages never reads them)', () => {
    const dir = make({ ...BASE, hugepages: { 0: [{ sizeKb: 2048, free: 1, total: 1 }] } });
    const host = readHost(dir);
    writeFileSync(join(dir, 'sys/devices/system/node/node0/hugepages/hugepages-2048kB/free_hugepages'), '7\n');
    expect(host.nodes[0]?.hugepages?.[0]?.free).to.equal(7);
  });
});
