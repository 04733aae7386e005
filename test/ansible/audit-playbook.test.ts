// ansible/audit.yml end to end on this machine: two "hypervisors" reached
// with the local connection, a fake virsh (test/reconcile/fake-virsh.mjs) and
// the built repin. Run by test/ansible/run.sh (`npm run test:ansible`), which
// installs Ansible first; without ansible-playbook it fails rather than skip.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Bed } from '../reconcile/harness.js';

const RUNNING = '6f1c2a7e-3b8d-4c51-9a0e-2d7f4b9c8e10';
const SHUT_OFF = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const pinnedTo = (uuid: string, cpu: number): string =>
  `<domain type='kvm'><name>${uuid}</name><uuid>${uuid}</uuid><memory unit='KiB'>1048576</memory><vcpu placement='static'>1</vcpu>` +
  `<cputune><vcpupin vcpu='0' cpuset='${cpu}'/></cputune><os><type arch='x86_64'>hvm</type></os></domain>\n`;

interface Verdict {
  vm: string;
  target: string;
  verdict: string;
  planned: string;
}

describe('ansible/audit.yml', function () {
  this.timeout(300_000);
  let bed: Bed;
  beforeEach(() => {
    bed = new Bed();
  });
  afterEach(() => bed?.cleanup());

  it('plans a running guest’s live (migratable) XML and a shut-off guest’s saved definition, and says which', () => {
    const repin = join(bed.bin, 'repin');
    writeFileSync(repin, `#!/bin/sh\nexec '${process.execPath}' '${resolve('dist/repin')}' "$@"\n`, { mode: 0o755 });
    const usable = (JSON.parse(spawnSync(repin, ['host', '--json']).stdout.toString()) as { usable: string }).usable;
    const fits = Number(/^\d+/.exec(usable)?.[0]);
    // The running guest's saved definition fits, but it runs (and would migrate) pinned to a CPU no host has.
    bed.domain(RUNNING, pinnedTo(RUNNING, fits), { live: pinnedTo(RUNNING, 4000) });
    bed.domain(SHUT_OFF, pinnedTo(SHUT_OFF, 4000));
    writeFileSync(join(bed.state, 'domains', `${SHUT_OFF}.state`), 'shut off (shutdown)');
    const inventory = join(bed.dir, 'inventory.yml');
    const local = `{ansible_connection: local, ansible_python_interpreter: python3}`;
    writeFileSync(inventory, `all:\n  children:\n    hypervisors:\n      hosts:\n        hv-a: ${local}\n        hv-b: ${local}\n`);
    const report = join(bed.dir, 'report');
    const run = spawnSync('ansible-playbook', ['-i', inventory, 'audit.yml', '-e', `repin_audit_dir=${report}`, '-e', `repin_audit_bin=${repin}`, '-e', 'ansible_become=false'], {
      cwd: resolve('ansible'),
      env: { ...process.env, ...bed.env(), REPIN_CONFIG: join(bed.dir, 'none.json'), ANSIBLE_LOCALHOST_WARNING: 'false' },
      encoding: 'utf8',
    });
    expect(run.status, `${run.stdout}\n${run.stderr}`).to.equal(0);
    const results = (JSON.parse(readFileSync(join(report, 'audit-report.json'), 'utf8')) as { results: Verdict[] }).results;
    const got = results.map((r) => [r.vm, r.target, r.verdict, r.planned]).sort();
    expect(got).to.deep.equal(
      [
        [RUNNING, 'hv-a', 'rewrite', 'live'],
        [RUNNING, 'hv-b', 'rewrite', 'live'],
        [SHUT_OFF, 'hv-a', 'rewrite', 'saved'],
        [SHUT_OFF, 'hv-b', 'rewrite', 'saved'],
      ].sort(),
    );
    const dumps = bed.calls().filter((c) => c.includes('dumpxml'));
    expect(dumps.filter((c) => c.includes(RUNNING)).every((c) => c.includes('--migratable') && !c.includes('--inactive'))).to.equal(true);
    expect(dumps.filter((c) => c.includes(SHUT_OFF)).every((c) => c.includes('--inactive'))).to.equal(true);
    const md = readFileSync(join(report, 'audit-report.md'), 'utf8');
    expect(md).to.match(new RegExp(`\\| ${RUNNING} \\| hv-[ab] \\| live \\|`));
    expect(md).to.match(new RegExp(`\\| ${SHUT_OFF} \\| hv-[ab] \\| saved \\|`));
  });
});
