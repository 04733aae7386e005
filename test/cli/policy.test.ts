// `repin policy` through a fake virsh on PATH: the per-VM policy lives in metadata.
import { expect } from 'chai';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runCli } from '../support/fake-io.js';

describe('cli: repin policy VM [POLICY]', () => {
  let state: string;
  let env: Record<string, string>;
  const calls = (): string[][] => readFileSync(join(state, 'calls.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as string[]);
  /** The writes only (setting reads the stored policy first). */
  const sets = (): string[][] => calls().filter((call) => call.includes('--set'));
  beforeEach(() => {
    state = mkdtempSync(join(tmpdir(), 'repin-policy-'));
    const bin = join(state, 'virsh');
    writeFileSync(bin, `#!/bin/sh\nexec "${process.execPath}" "${resolve('test/cli/fake-virsh-metadata.mjs')}" "$@"\n`);
    chmodSync(bin, 0o755);
    env = { PATH: `${state}:/usr/bin:/bin`, FAKE_VIRSH_STATE: state };
  });
  afterEach(() => rmSync(state, { recursive: true, force: true }));

  it('shows that the config decides when the domain has no policy', async () => {
    const r = await runCli(['policy', 'db-primary'], { env });
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.equal('db-primary: no per-domain policy (the config file decides)\n');
  });

  it('sets the policy in the live and saved definitions, then shows it', async () => {
    const set = await runCli(['policy', 'db-primary', 'strict', '--allowed-cpus', '4-7'], { env });
    expect(set.code, set.stderr).to.equal(0);
    expect(sets()[0]).to.deep.equal(['--connect', 'qemu:///system', 'metadata', 'db-primary', '--uri', 'urn:repin:policy:1', '--key', 'repin', '--set', '<policy name="strict" allowedCpus="4-7"/>', '--live', '--config']);
    const show = await runCli(['policy', 'db-primary'], { env });
    expect(show.stdout).to.equal('db-primary: policy strict, allowedCpus 4-7\n');
  });

  it('a shut-off domain gets the saved definition only', async () => {
    writeFileSync(join(state, 'shutoff'), 'db-primary\n');
    const r = await runCli(['policy', 'db-primary', 'unpin'], { env });
    expect(r.code, r.stderr).to.equal(0);
    // First try: live + saved, refused for a shut-off guest; second: the saved definition alone.
    expect(sets().map((c) => c.slice(-2))).to.deep.equal([
      ['--live', '--config'],
      ['<policy name="unpin"/>', '--config'],
    ]);
    expect(readFileSync(join(state, 'db-primary.meta'), 'utf8')).to.equal('<policy name="unpin"/>');
  });

  it('changes only what is given: a pool set later keeps the policy set before, and the other way round', async () => {
    await runCli(['policy', 'db-primary', 'strict'], { env });
    await runCli(['policy', 'db-primary', '--allowed-cpus', '4-7'], { env });
    expect(readFileSync(join(state, 'db-primary.meta'), 'utf8')).to.equal('<policy name="strict" allowedCpus="4-7"/>');
    await runCli(['policy', 'db-primary', 'unpin', '--emulator-cpus', '0'], { env });
    expect(readFileSync(join(state, 'db-primary.meta'), 'utf8')).to.equal('<policy name="unpin" allowedCpus="4-7" emulatorCpus="0"/>');
    writeFileSync(join(state, 'db-primary.meta'), '<policy name="strict" reservedCpus="2"/>');
    await runCli(['policy', 'db-primary', '--allowed-cpus', '8'], { env });
    expect(readFileSync(join(state, 'db-primary.meta'), 'utf8')).to.equal('<policy name="strict" allowedCpus="8" reservedCpus="2"/>');
  });

  it('--clear removes it; a bad cpuset is a one-line error', async () => {
    await runCli(['policy', 'db-primary', 'strict'], { env });
    expect((await runCli(['policy', 'db-primary', '--clear'], { env })).stdout).to.match(/removed/);
    expect((await runCli(['policy', 'db-primary'], { env })).stdout).to.match(/no per-domain policy/);
    const bad = await runCli(['policy', 'db-primary', '--allowed-cpus', '7-3'], { env });
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.match(/^repin: invalid --allowed-cpus '7-3'/);
  });
});
