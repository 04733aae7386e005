// Two migrations arriving at once get disjoint CPUs; a killed hook's lock
// and reservations do not block anyone for long.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addRunningDomain } from '../support/fake-running.js';
import { makeFakeHost } from '../support/fake-sysfs.js';
import { startTimeOf } from '../support/proc-stat.js';
import { hookCopy, runScript } from '../support/run-built.js';

function incoming(name: string, uuid: string): string {
  return `<domain type='kvm'><name>${name}</name><uuid>${uuid}</uuid><vcpu>1</vcpu><cputune><vcpupin vcpu='0' cpuset='40'/></cputune></domain>`;
}

function runAsync(hook: string, args: string[], stdin: string, env: Record<string, string>): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [hook, ...args], { env: { LC_ALL: 'C', PATH: '/usr/bin:/bin', ...env } });
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.on('close', (code) => resolve({ code, stdout }));
    child.stdin.end(stdin);
  });
}

const pinOf = (xml: string): string | undefined => /<vcpupin vcpu='0' cpuset='(\d+)'\/>/.exec(xml)?.[1];

describe('concurrent arrivals: host-wide lock and reservations', () => {
  let hook: ReturnType<typeof hookCopy>;
  let root: string;
  let env: Record<string, string>;
  before(() => {
    hook = hookCopy();
  });
  after(() => hook.cleanup());
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'repin-conc-'));
    makeFakeHost(root, { sockets: 1, coresPerSocket: 4, threadsPerCore: 1, nodes: 1 });
    // CPUs 0-1 are held by a running guest; exactly two free CPUs remain.
    addRunningDomain(root, { name: 'resident', uuid: '11111111-0000-4000-8000-000000000000', pid: 4242, vcpus: ['0', '1'], emulator: '0-1' });
    writeFileSync(join(root, 'repin.json'), JSON.stringify({ journal: { dir: join(root, 'journal') } }));
    env = { REPIN_CONFIG: join(root, 'repin.json'), REPIN_HOST_ROOT: root, REPIN_RUN_DIR: join(root, 'run/repin'), REPIN_SPOOL_DIR: join(root, 'pending') };
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('two hooks started at the same moment for two domains get disjoint free CPUs', async () => {
    const [a, b] = await Promise.all([
      runAsync(hook.hook, ['vm-a', 'migrate', 'begin', '-'], incoming('vm-a', 'aaaaaaaa-0000-4000-8000-000000000000'), env),
      runAsync(hook.hook, ['vm-b', 'migrate', 'begin', '-'], incoming('vm-b', 'bbbbbbbb-0000-4000-8000-000000000000'), env),
    ]);
    expect([a.code, b.code]).to.deep.equal([0, 0]);
    const pins = [pinOf(a.stdout), pinOf(b.stdout)].sort();
    expect(pins).to.deep.equal(['2', '3']);
  });

  it('a third arrival is told the host is full (overcommit off) while both reservations last', async () => {
    for (const [name, uuid] of [
      ['vm-a', 'aaaaaaaa-0000-4000-8000-000000000000'],
      ['vm-b', 'bbbbbbbb-0000-4000-8000-000000000000'],
    ] as const) {
      await runAsync(hook.hook, [name, 'migrate', 'begin', '-'], incoming(name, uuid), env);
    }
    const third = runScript(hook.hook, ['vm-c', 'migrate', 'begin', '-'], incoming('vm-c', 'cccccccc-0000-4000-8000-000000000000'), env);
    expect(third.code).to.equal(1);
    expect(third.stderr).to.match(/no CPU left for 40/);
    // vm-a's release hook frees its reservation: now vm-c fits.
    expect(runScript(hook.hook, ['vm-a', 'release', 'end', '-'], '', env).code).to.equal(0);
    const again = runScript(hook.hook, ['vm-c', 'migrate', 'begin', '-'], incoming('vm-c', 'cccccccc-0000-4000-8000-000000000000'), env);
    expect(again.code, again.stderr).to.equal(0);
  });

  it("a killed hook's lock (dead pid) is taken over at once", () => {
    mkdirSync(join(root, 'run/repin'), { recursive: true });
    writeFileSync(join(root, 'run/repin/lock'), '999999999 k1llt0ken\n'); // as a killed hook leaves it; pid above pid_max
    const run = runScript(hook.hook, ['vm-a', 'migrate', 'begin', '-'], incoming('vm-a', 'aaaaaaaa-0000-4000-8000-000000000000'), env);
    expect(run.code).to.equal(0);
    expect(run.ms).to.be.below(2500);
    expect(pinOf(run.stdout)).to.equal('2');
  });

  it("a killed hook's lock whose pid a long-lived process took since (pid reuse) is taken over at once", () => {
    mkdirSync(join(root, 'run/repin'), { recursive: true });
    // pid 1 is alive and never lets go: the lock's recorded start time is not init's.
    writeFileSync(join(root, 'run/repin/lock'), `1 k1llt0ken ${startTimeOf(1) + 4242}\n`);
    const run = runScript(hook.hook, ['vm-a', 'migrate', 'begin', '-'], incoming('vm-a', 'aaaaaaaa-0000-4000-8000-000000000000'), env);
    expect(run.code).to.equal(0);
    expect(run.ms).to.be.below(2500);
    expect(pinOf(run.stdout)).to.equal('2');
  });

  it('a reservation ending more than its TTL ahead (the clock stepped back since) is ignored', () => {
    mkdirSync(join(root, 'run/repin'), { recursive: true });
    writeFileSync(join(root, 'run/repin/reservations.json'), JSON.stringify([{ uuid: 'dddddddd-0000-4000-8000-000000000000', name: 'ahead', cpus: '2-3', expires: Date.now() + 3_600_000 }]));
    const run = runScript(hook.hook, ['vm-a', 'migrate', 'begin', '-'], incoming('vm-a', 'aaaaaaaa-0000-4000-8000-000000000000'), env);
    expect(run.code, run.stderr).to.equal(0);
    expect(pinOf(run.stdout)).to.equal('2');
  });

  it('expired reservations are ignored', () => {
    mkdirSync(join(root, 'run/repin'), { recursive: true });
    writeFileSync(join(root, 'run/repin/reservations.json'), JSON.stringify([{ uuid: 'dddddddd-0000-4000-8000-000000000000', name: 'gone', cpus: '2-3', expires: Date.now() - 1 }]));
    const run = runScript(hook.hook, ['vm-a', 'migrate', 'begin', '-'], incoming('vm-a', 'aaaaaaaa-0000-4000-8000-000000000000'), env);
    expect(pinOf(run.stdout)).to.equal('2');
    const left = JSON.parse(readFileSync(join(root, 'run/repin/reservations.json'), 'utf8')) as { name: string }[];
    expect(left.map((r) => r.name)).to.deep.equal(['vm-a']);
  });
});
