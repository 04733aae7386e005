// `repin install --units-dir`: the command launcher and the reconcile units, with a fake systemctl on PATH.
import { expect } from 'chai';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseLauncher } from '../../../src/bundle/launcher.js';
import { DEFAULT_PLACES, reconcileUnits } from '../../../src/core/reconcile/units.js';
import { Bed } from '../../reconcile/harness.js';

const BUILD = resolve('dist');

describe('install / uninstall: reconcile units', () => {
  let bed: Bed;
  let units: string;
  let binDir: string;
  const systemctlCalls = (): string[] => (existsSync(join(bed.dir, 'systemctl.log')) ? readFileSync(join(bed.dir, 'systemctl.log'), 'utf8').trim().split('\n') : []);
  const repin = (...args: string[]): ReturnType<Bed['repin']> =>
    bed.repin(...args, '--hooks-dir', join(bed.dir, 'hooks'), '--lib-dir', join(bed.dir, 'lib'));
  const install = (...args: string[]): ReturnType<Bed['repin']> => repin('install', '--build', BUILD, '--node', '/usr/bin/node', ...args);

  beforeEach(() => {
    bed = new Bed();
    units = join(bed.dir, 'units');
    binDir = join(bed.dir, 'bin-out');
    // Answers is-enabled/is-active as a unit that is enabled and running once `enable --now` was called.
    const log = join(bed.dir, 'systemctl.log');
    writeFileSync(join(bed.bin, 'systemctl'), `#!/bin/sh\necho "$*" >> '${log}'\ncase "$1" in is-enabled) grep -q '^enable' '${log}' && echo enabled;; is-active) grep -q '^enable' '${log}' && echo active;; esac\nexit 0\n`);
    chmodSync(join(bed.bin, 'systemctl'), 0o755);
  });
  afterEach(() => bed.cleanup());

  it('the shipped hooks/systemd units are exactly what install writes by default', () => {
    for (const [name, text] of Object.entries(reconcileUnits(DEFAULT_PLACES))) {
      expect(readFileSync(join('hooks/systemd', name), 'utf8'), name).to.equal(text);
    }
  });

  it('writes both units and the command their ExecStart names, then daemon-reload and enable --now the path unit', async () => {
    const run = await install('--units-dir', units, '--bin-dir', binDir);
    expect(run.code, run.stderr).to.equal(0);
    const cli = join(binDir, 'repin');
    expect(parseLauncher(readFileSync(cli, 'utf8'))).to.include({ kind: 'command', node: '/usr/bin/node' });
    expect(statSync(cli).mode & 0o777).to.equal(0o755);
    const service = readFileSync(join(units, 'repin-reconcile.service'), 'utf8');
    expect(service).to.include(`ExecStart=${cli} reconcile --pending`).and.include('Type=oneshot');
    expect(statSync(join(units, 'repin-reconcile.path')).mode & 0o777).to.equal(0o644);
    expect(systemctlCalls()).to.deep.equal(['daemon-reload', 'enable --now repin-reconcile.path']);
  });

  it('a second install with the unit running changes nothing and calls no systemctl but to ask', async () => {
    expect((await install('--units-dir', units, '--bin-dir', binDir)).code).to.equal(0);
    const again = await install('--units-dir', units, '--bin-dir', binDir, '--json');
    expect(again.code, again.stderr).to.equal(0);
    expect(JSON.parse(again.stdout)).to.include({ changed: false });
    expect(systemctlCalls().slice(2)).to.deep.equal(['is-enabled repin-reconcile.path', 'is-active repin-reconcile.path']);
  });

  it('the path unit watches the configured spoolDir; the hardened service may write beside it and to the journal dir', async () => {
    await install('--units-dir', units, '--bin-dir', binDir, '--no-systemctl');
    expect(readFileSync(join(units, 'repin-reconcile.path'), 'utf8')).to.include(`DirectoryNotEmpty=${bed.spool}`);
    // ProtectSystem=strict: the spool's parent (the spool, its lock, temp files) and the journal, as configured.
    expect(readFileSync(join(units, 'repin-reconcile.service'), 'utf8')).to.include(`ReadWritePaths=${dirname(bed.spool)} ${bed.journal}\n`);
  });

  it('--no-systemctl only writes files; a custom hooks dir alone installs no units and no command', async () => {
    expect((await install('--units-dir', units, '--bin-dir', binDir, '--no-systemctl')).code).to.equal(0);
    expect(systemctlCalls()).to.deep.equal([]);
    const plain = await bed.repin('install', '--build', BUILD, '--hooks-dir', join(bed.dir, 'hooks2'), '--lib-dir', join(bed.dir, 'lib2'));
    expect(plain.code, plain.stderr).to.equal(0);
    expect(plain.stdout).to.not.match(/reconcile\.(path|service)|command/);
  });

  it('never overwrites a unit or a command that is not repin’s, and writes nothing before refusing', async () => {
    mkdirSync(units);
    writeFileSync(join(units, 'repin-reconcile.service'), '[Service]\nExecStart=/bin/true\n');
    const run = await install('--units-dir', units, '--bin-dir', binDir, '--no-systemctl');
    expect(run.code).to.equal(2);
    expect(run.stderr).to.match(/repin-reconcile.service exists and is not repin's/);
    for (const path of [binDir, join(bed.dir, 'hooks'), join(bed.dir, 'lib')]) expect(existsSync(path), path).to.equal(false);
    mkdirSync(binDir);
    writeFileSync(join(binDir, 'repin'), '#!/bin/sh\necho site tool\n');
    const again = await install('--units-dir', join(bed.dir, 'u2'), '--bin-dir', binDir, '--no-systemctl');
    expect(again.stderr).to.match(/bin-out\/repin exists and is not repin's/);
  });

  it('uninstall disables the path unit, removes repin’s units (a foreign one stays) and reloads; the command stays without --purge', async () => {
    await install('--units-dir', units, '--bin-dir', binDir, '--no-systemctl');
    writeFileSync(join(units, 'other.service'), '[Service]\n');
    const run = await repin('uninstall', '--units-dir', units, '--bin-dir', binDir);
    expect(run.code, run.stderr).to.equal(0);
    expect(existsSync(join(units, 'repin-reconcile.path'))).to.equal(false);
    expect(existsSync(join(units, 'repin-reconcile.service'))).to.equal(false);
    expect(existsSync(join(units, 'other.service'))).to.equal(true);
    expect(existsSync(join(binDir, 'repin'))).to.equal(true);
    expect(systemctlCalls()).to.deep.equal(['disable --now repin-reconcile.path', 'daemon-reload']);
  });
});
