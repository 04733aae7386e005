// The repin command line, in process through main(io): output and exit codes.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { runCli } from '../support/fake-io.js';

const SMALL = 'examples/hosts/small.json';
const LARGE = 'examples/hosts/large.json';

describe('cli: repin plan / rewrite / check / host', () => {
  it('plan draws the changes and the host map before and after', async () => {
    const r = await runCli(['plan', 'examples/dedicated-1to1.xml', '--host', SMALL]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.include('outcome: rewritten, 4 changes');
    expect(r.stdout).to.match(/vcpupin vcpu=0\s+20\s+0\s+remap: 20→0/);
    expect(r.stdout).to.include('before').and.include('after').and.include('0:v0');
    for (const line of r.stdout.split('\n')) expect(line.length, line).to.be.at.most(80);
  });

  it('plan --json is the plan as data', async () => {
    const r = await runCli(['plan', 'examples/dedicated-1to1.xml', '--host', SMALL, '--json']);
    const plan = JSON.parse(r.stdout) as { outcome: string; changes: unknown[]; policy: string };
    expect(plan).to.include({ outcome: 'rewritten', policy: 'remap' });
    expect(plan.changes).to.have.length(4);
  });

  it('plan --diff shows only the changed lines', async () => {
    const r = await runCli(['plan', 'examples/dedicated-1to1.xml', '--host', SMALL, '--diff']);
    const changed = r.stdout.split('\n').filter((l) => /^[-+][^-+]/.test(l));
    const pins = changed.filter((l) => l.includes('<vcpupin'));
    expect(pins).to.have.length(8);
    // The rest is the original placement, recorded once in the metadata.
    const record = changed.filter((l) => !l.includes('<vcpupin'));
    expect(record.every((l) => l.startsWith('+') && (l.includes('repin:original') || /^\+\s+[a-z]+(#\d+)?=[\d,-]+(:([\d,-]+|none))?;$/.test(l))), record.join('\n')).to.equal(true);
  });

  it('plan reads stdin with -', async () => {
    const r = await runCli(['plan', '-', '--host-cpus', '0-3', '--json'], { stdin: readFileSync('examples/shared-pool.xml', 'utf8') });
    expect(JSON.parse(r.stdout)).to.include({ outcome: 'rewritten' });
  });

  it('rewrite prints the XML; a strict refusal prints nothing and exits 1', async () => {
    const ok = await runCli(['rewrite', 'examples/dedicated-1to1.xml', '--host', SMALL]);
    expect(ok.code).to.equal(0);
    expect(ok.stdout).to.include("<vcpupin vcpu='3' cpuset='4'/>");
    const no = await runCli(['rewrite', 'examples/dedicated-1to1.xml', '--host', SMALL, '--policy', 'strict']);
    expect(no).to.include({ code: 1, stdout: '' });
    expect(no.stderr).to.match(/^repin: vcpupin vcpu=0 cpuset=20: host offers CPUs 0-7/);
  });

  it('check: 0 fits, 1 does not fit, 2 error', async () => {
    expect((await runCli(['check', 'examples/dedicated-1to1.xml', '--host', LARGE])).code).to.equal(0);
    const no = await runCli(['check', 'examples/dedicated-1to1.xml', '--host', SMALL]);
    expect(no.code).to.equal(1);
    expect(no.stdout).to.match(/does not fit host small: vcpupin vcpu=0 cpuset=20/);
    const bad = await runCli(['check', 'examples/nope.xml', '--host', SMALL]);
    expect(bad.code).to.equal(2);
    expect(bad.stderr.trim().split('\n')).to.have.length(1);
  });

  it('host --json round-trips through --host', async () => {
    const saved = await runCli(['host', '--host', LARGE, '--json']);
    expect(JSON.parse(saved.stdout)).to.deep.equal(JSON.parse(readFileSync(LARGE, 'utf8')));
  });

  it('host draws nodes, cores and threads', async () => {
    const r = await runCli(['host', '--host', LARGE]);
    expect(r.stdout).to.include('node 0').and.include('node 1').and.match(/\[\s*0\b/);
  });

  it('--host-cpus is a flat what-if host', async () => {
    const r = await runCli(['check', 'examples/emulator-iothreads.xml', '--host-cpus', '0-15']);
    expect(r.code).to.equal(0);
  });

  it('errors are one line with a distinct exit code, no stack trace', async () => {
    for (const argv of [
      ['plan', 'examples/dedicated-1to1.xml', '--host-cpus', '0-x'],
      ['plan', 'examples/dedicated-1to1.xml', '--host', '/nonexistent.json'],
      ['plan', 'examples/dedicated-1to1.xml', '--config', '/nonexistent.json'],
      ['plan', 'README.md', '--host', SMALL],
    ]) {
      const r = await runCli(argv);
      expect(r.code, argv.join(' ')).to.equal(2);
      expect(r.stderr.trim().split('\n'), r.stderr).to.have.length(1);
      expect(r.stderr).to.match(/^repin: /).and.not.match(/\n\s+at /);
    }
  });

  it('unknown commands and options are usage errors (exit 2)', async () => {
    expect((await runCli(['frobnicate'])).code).to.equal(2);
    expect((await runCli(['plan', 'x.xml', '--polcy', 'remap'])).code).to.equal(2);
    expect((await runCli(['plan', 'x.xml', '--policy', 'shuffle'])).code).to.equal(2);
  });

  it('--version --verbose lists the inlined packages (bundle) or says it runs from source', async () => {
    const r = await runCli(['--version', '--verbose']);
    expect(r.stdout).to.match(/^repin /).and.match(/inlined: /);
  });

  it('invoked as qemu it is the hook, not the CLI', async () => {
    const r = await runCli(['vm', 'prepare', 'begin', '-'], { scriptPath: '/etc/libvirt/hooks/qemu' });
    expect(r).to.deep.equal({ code: 0, stdout: '', stderr: '' });
  });
});
