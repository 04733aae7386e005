// `repin install --units-dir`: the CLI copy and the reconcile units, with a fake systemctl on PATH.
import { expect } from 'chai';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DEFAULT_PLACES, reconcileUnits } from '../../src/core/reconcile-units.js';
import { Bed } from './harness.js';

// Shaped like a built bundle: the CLI copy must carry the CLI's payload section.
const FAKE_BUNDLE = '#!/usr/bin/node\n// repin 0.0.0 (test bundle)\nprocess.exit(0);\n// ---- repin payload cli: (test) ----\n//\n';

describe('install / uninstall: reconcile units', () => {
  let bed: Bed;
  let units: string;
  let binDir: string;
  let script: string;
  const systemctlCalls = (): string[] => (existsSync(join(bed.dir, 'systemctl.log')) ? readFileSync(join(bed.dir, 'systemctl.log'), 'utf8').trim().split('\n') : []);
  const repin = (...args: string[]): ReturnType<Bed['repin']> =>
    bed.repin(...args, '--hooks-dir', join(bed.dir, 'hooks'));

  beforeEach(() => {
    bed = new Bed();
    units = join(bed.dir, 'units');
    binDir = join(bed.dir, 'bin-out');
    script = join(bed.dir, 'repin-bundle');
    writeFileSync(script, FAKE_BUNDLE);
    writeFileSync(join(bed.bin, 'systemctl'), `#!/bin/sh\necho "$*" >> '${join(bed.dir, 'systemctl.log')}'\n`);
    chmodSync(join(bed.bin, 'systemctl'), 0o755);
  });
  afterEach(() => bed.cleanup());

  it('the shipped hooks/systemd units are exactly what install writes by default', () => {
    for (const [name, text] of Object.entries(reconcileUnits(DEFAULT_PLACES))) {
      expect(readFileSync(join('hooks/systemd', name), 'utf8'), name).to.equal(text);
    }
  });

  it('writes both units and the CLI copy their ExecStart names, then daemon-reload and enable --now the path unit', async () => {
    const run = await repin('install', '--script', script, '--node', '/usr/bin/node', '--units-dir', units, '--bin-dir', binDir);
    expect(run.code, run.stderr).to.equal(0);
    const cli = join(binDir, 'repin');
    expect(readFileSync(cli, 'utf8')).to.equal(FAKE_BUNDLE);
    expect(statSync(cli).mode & 0o777).to.equal(0o755);
    const service = readFileSync(join(units, 'repin-reconcile.service'), 'utf8');
    expect(service).to.include(`ExecStart=${cli} reconcile --pending`).and.include('Type=oneshot');
    expect(statSync(join(units, 'repin-reconcile.path')).mode & 0o777).to.equal(0o644);
    expect(systemctlCalls()).to.deep.equal(['daemon-reload', 'enable --now repin-reconcile.path']);
  });

  it('the path unit watches the configured spoolDir; the hardened service may write beside it and to the journal dir', async () => {
    await repin('install', '--script', script, '--units-dir', units, '--bin-dir', binDir, '--no-systemctl');
    expect(readFileSync(join(units, 'repin-reconcile.path'), 'utf8')).to.include(`DirectoryNotEmpty=${bed.spool}`);
    // ProtectSystem=strict: the spool's parent (the spool, its lock, temp files) and the journal, as configured.
    expect(readFileSync(join(units, 'repin-reconcile.service'), 'utf8')).to.include(`ReadWritePaths=${dirname(bed.spool)} ${bed.journal}\n`);
  });

  it('--no-systemctl only writes files; a custom hooks dir alone installs no units', async () => {
    expect((await repin('install', '--script', script, '--units-dir', units, '--bin-dir', binDir, '--no-systemctl')).code).to.equal(0);
    expect(systemctlCalls()).to.deep.equal([]);
    const plain = await bed.repin('install', '--script', script, '--hooks-dir', join(bed.dir, 'hooks2'));
    expect(plain.stdout).to.not.match(/reconcile\.(path|service)/);
  });

  it('keeps the CLI when it is the repin running (--bin-dir is where this script lives)', async () => {
    mkdirSync(binDir);
    writeFileSync(join(binDir, 'repin'), FAKE_BUNDLE);
    const run = await repin('install', '--script', join(binDir, 'repin'), '--units-dir', units, '--bin-dir', binDir, '--no-systemctl');
    expect(run.stdout).to.match(/kept .*repin: it is the repin running now/);
  });

  it('never overwrites a unit or a CLI that is not repin’s', async () => {
    mkdirSync(units);
    writeFileSync(join(units, 'repin-reconcile.service'), '[Service]\nExecStart=/bin/true\n');
    const run = await repin('install', '--script', script, '--units-dir', units, '--bin-dir', binDir, '--no-systemctl');
    expect(run.code).to.equal(2);
    expect(run.stderr).to.match(/repin-reconcile.service exists and is not repin's/);
    expect(existsSync(binDir)).to.equal(false); // nothing written before the refusal
    mkdirSync(binDir);
    writeFileSync(join(binDir, 'repin'), '#!/bin/sh\necho site tool\n');
    const again = await repin('install', '--script', script, '--units-dir', join(bed.dir, 'u2'), '--bin-dir', binDir, '--no-systemctl');
    expect(again.stderr).to.match(/bin-out\/repin exists and is not repin's/);
  });

  it('uninstall disables the path unit, removes repin’s units (a foreign one stays) and reloads', async () => {
    await repin('install', '--script', script, '--units-dir', units, '--bin-dir', binDir, '--no-systemctl');
    writeFileSync(join(units, 'other.service'), '[Service]\n');
    const run = await repin('uninstall', '--units-dir', units);
    expect(run.code, run.stderr).to.equal(0);
    expect(existsSync(join(units, 'repin-reconcile.path'))).to.equal(false);
    expect(existsSync(join(units, 'repin-reconcile.service'))).to.equal(false);
    expect(existsSync(join(units, 'other.service'))).to.equal(true);
    expect(existsSync(join(binDir, 'repin'))).to.equal(true);
    expect(systemctlCalls()).to.deep.equal(['disable --now repin-reconcile.path', 'daemon-reload']);
  });
});
