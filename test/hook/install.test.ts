// `repin install` / `uninstall` against a temp hooks dir, run from the built bundle.
import { expect } from 'chai';
import { copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI_PAYLOAD_MARK } from '../../src/io/install.js';
import { BUNDLE, runScript } from '../support/run-built.js';
import { mountSmallTmpfs, unmount } from '../support/tmpfs.js';

const FOREIGN = '#!/bin/sh\n# site hook: keeps the NFS mounts in order\nexit 0\n';

describe('install / uninstall', () => {
  let dir: string;
  let hooks: string;
  let config: string;
  const repin = (...args: string[]): ReturnType<typeof runScript> =>
    runScript(BUNDLE, [...args, '--hooks-dir', hooks], '', { REPIN_CONFIG: config });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'repin-install-'));
    hooks = join(dir, 'hooks');
    config = join(dir, 'repin.json');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('main: installs hooks/qemu with an absolute node shebang, writes a default config, says to reload', () => {
    const run = repin('install', '--node', '/usr/bin/node');
    expect(run.code, run.stderr).to.equal(0);
    const hook = join(hooks, 'qemu');
    expect(readFileSync(hook, 'utf8').split('\n')[0]).to.equal('#!/usr/bin/node');
    // The bundle after its shebang, cut before the CLI's payload (a hook call never loads it).
    const body = readFileSync(BUNDLE, 'utf8').split('\n').slice(1);
    const cli = body.findIndex((line) => line.startsWith(CLI_PAYLOAD_MARK));
    expect(cli).to.be.above(0);
    expect(readFileSync(hook, 'utf8').split('\n').slice(1)).to.deep.equal([...body.slice(0, cli), '']);
    expect(statSync(hook).mode & 0o777).to.equal(0o755);
    expect(JSON.parse(readFileSync(config, 'utf8'))).to.include({ policy: 'remap', onError: 'keep' });
    expect(run.stdout).to.match(/reload the daemon/);
  });

  it('never overwrites an existing config, and an update needs no reload', () => {
    writeFileSync(config, '{"policy":"strict"}\n');
    expect(repin('install').code).to.equal(0);
    const again = repin('install');
    expect(again.code).to.equal(0);
    expect(again.stdout).to.match(/updated .*qemu/).and.match(/no restart needed/);
    expect(readFileSync(config, 'utf8')).to.equal('{"policy":"strict"}\n');
  });

  it('main refuses to replace a foreign hook, which survives byte for byte', () => {
    mkdirSync(hooks);
    writeFileSync(join(hooks, 'qemu'), FOREIGN, { mode: 0o755 });
    const run = repin('install', '--mode', 'main');
    expect(run.code).to.equal(2);
    expect(run.stderr).to.match(/exists and is not repin's; refusing to overwrite it/);
    expect(readFileSync(join(hooks, 'qemu'), 'utf8')).to.equal(FOREIGN);
  });

  it('auto installs into qemu.d/ beside a foreign hook, and uninstall leaves the foreign hook alone', () => {
    mkdirSync(hooks);
    writeFileSync(join(hooks, 'qemu'), FOREIGN, { mode: 0o755 });
    const run = repin('install', '--mode', 'auto');
    expect(run.code, run.stderr).to.equal(0);
    expect(existsSync(join(hooks, 'qemu.d', '50-repin'))).to.equal(true);
    expect(run.stdout).to.match(/no restart needed/);
    const gone = repin('uninstall');
    expect(gone.code).to.equal(0);
    expect(gone.stdout).to.match(/removed .*50-repin/).and.match(/left .*qemu alone/);
    expect(existsSync(join(hooks, 'qemu.d', '50-repin'))).to.equal(false);
    expect(readFileSync(join(hooks, 'qemu'), 'utf8')).to.equal(FOREIGN);
  });

  it('dropin: the drop-in speaks the hook protocol (it lives in qemu.d/)', () => {
    expect(repin('install', '--mode', 'dropin').code).to.equal(0);
    const dropin = join(hooks, 'qemu.d', '50-repin');
    const run = runScript(dropin, ['vm', 'prepare', 'begin', '-'], '<domain/>', {});
    expect(run).to.include({ code: 0, stdout: '', stderr: '' });
  });

  it('uninstall twice is harmless', () => {
    expect(repin('install').code).to.equal(0);
    expect(repin('uninstall').stdout).to.match(/removed/);
    const again = repin('uninstall');
    expect(again.code).to.equal(0);
    expect(again.stdout).to.match(/no repin hook/);
  });

  it('a hook installed with a longer node path still finds its code (payload offsets count from the shebang)', () => {
    expect(repin('install', '--node', '/opt/some/much/longer/path/to/bin/node').code).to.equal(0);
    const xml = readFileSync('examples/dedicated-1to1.xml', 'utf8');
    const run = runScript(join(hooks, 'qemu'), ['db-primary', 'migrate', 'begin', '-'], xml, {
      REPIN_CONFIG: config,
      REPIN_HOST: 'examples/hosts/small.json',
      REPIN_JOURNAL_DIR: join(dir, 'journal'),
    });
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stdout).to.include("<vcpupin vcpu='0' cpuset='0'/>");
  });

  it('the hook copy carries no CLI: run under another name it says so, and install refuses it as the CLI before writing anything', () => {
    expect(repin('install', '--node', '/usr/bin/node').code).to.equal(0);
    const copy = join(dir, 'repin-from-hook');
    writeFileSync(copy, readFileSync(join(hooks, 'qemu')), { mode: 0o755 });
    const asCli = runScript(copy, ['--version'], '', {});
    expect(asCli.code).to.equal(70);
    // One line naming the file and what to run instead: no "internal error", no stack trace.
    expect(asCli.stderr).to.equal(`repin: ${copy}: this copy of repin has no cli payload (the hook copy has no CLI); run the repin command\n`);
    rmSync(join(hooks, 'qemu'));
    const run = repin('install', '--script', copy, '--units-dir', join(dir, 'units'), '--bin-dir', join(dir, 'bin'), '--no-systemctl');
    expect(run.code).to.equal(2);
    expect(run.stderr).to.match(/is a hook copy of repin, without the CLI/);
    // Refused before anything was written: no hook, no CLI copy, no units.
    for (const path of [join(hooks, 'qemu'), join(dir, 'bin', 'repin'), join(dir, 'units')]) expect(existsSync(path), path).to.equal(false);
  });

  // libvirt registers only executable regular files (virHookCheck: virFileIsExecutable).
  const reloadCases: [string, (h: string) => void, boolean][] = [
    ['a non-executable qemu', (h) => writeFileSync(join(h, 'qemu'), FOREIGN, { mode: 0o644 }), true],
    ['a README in qemu.d/', (h) => writeFileSync(join(h, 'qemu.d', 'README'), 'notes\n', { mode: 0o644 }), true],
    ['a directory in qemu.d/', (h) => mkdirSync(join(h, 'qemu.d', 'old')), true],
    ['an executable drop-in in qemu.d/', (h) => writeFileSync(join(h, 'qemu.d', '10-site'), FOREIGN, { mode: 0o755 }), false],
    ['a symlink in qemu.d/ to an executable file', (h) => symlinkSync(join(dir, 'site-hook'), join(h, 'qemu.d', '10-site')), false],
  ];
  for (const [what, make, reload] of reloadCases) {
    it(`dropin beside ${what}: ${reload ? 'says to reload (libvirt registered no hook)' : 'no reload needed'}`, () => {
      mkdirSync(join(hooks, 'qemu.d'), { recursive: true });
      writeFileSync(join(dir, 'site-hook'), FOREIGN, { mode: 0o755 });
      make(hooks);
      const run = repin('install', '--mode', 'dropin');
      expect(run.code, run.stderr).to.equal(0);
      expect(run.stdout).to.match(reload ? /reload the daemon/ : /no restart needed/);
    });
  }

  it('a dangling symlink at hooks/qemu is foreign: main refuses and keeps it, auto installs the drop-in', () => {
    mkdirSync(hooks);
    symlinkSync('/opt/site/hooks/qemu', join(hooks, 'qemu'));
    const run = repin('install', '--mode', 'main');
    expect(run.code).to.equal(2);
    expect(run.stderr).to.match(/exists and is not repin's; refusing to overwrite it/);
    expect(readlinkSync(join(hooks, 'qemu'))).to.equal('/opt/site/hooks/qemu');
    const auto = repin('install', '--mode', 'auto');
    expect(auto.code, auto.stderr).to.equal(0);
    expect(readlinkSync(join(hooks, 'qemu'))).to.equal('/opt/site/hooks/qemu');
    expect(existsSync(join(hooks, 'qemu.d', '50-repin'))).to.equal(true);
  });

  it('a symlink to a foreign hook is refused and neither link nor target changes', () => {
    mkdirSync(hooks);
    writeFileSync(join(dir, 'site-hook'), FOREIGN, { mode: 0o755 });
    symlinkSync(join(dir, 'site-hook'), join(hooks, 'qemu'));
    expect(repin('install', '--mode', 'main').code).to.equal(2);
    expect(readlinkSync(join(hooks, 'qemu'))).to.equal(join(dir, 'site-hook'));
    expect(readFileSync(join(dir, 'site-hook'), 'utf8')).to.equal(FOREIGN);
  });

  it("a symlink to repin's own bundle is repin's: replaced by the hook file, its target left as it was", () => {
    mkdirSync(hooks);
    const bin = join(dir, 'repin-bin');
    copyFileSync(BUNDLE, bin);
    symlinkSync(bin, join(hooks, 'qemu'));
    const run = repin('install', '--mode', 'main');
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stdout).to.match(/updated .*qemu/);
    expect(lstatSync(join(hooks, 'qemu')).isFile()).to.equal(true);
    expect(readFileSync(bin)).to.deep.equal(readFileSync(BUNDLE));
  });

  it('an install that fills the disk leaves nothing libvirt would run, no temp file, and the old hook intact', function () {
    // The hook copy is ~120 KiB: 192 KiB hold one copy but not an old one and a new one side by side.
    if (!mountSmallTmpfs(hooks, '192k')) this.skip();
    try {
      expect(repin('install', '--mode', 'dropin').code).to.equal(0);
      const dropin = join(hooks, 'qemu.d', '50-repin');
      const before = readFileSync(dropin);
      writeFileSync(join(hooks, 'filler'), Buffer.alloc(16 * 1024));
      const run = repin('install', '--mode', 'dropin', '--node', '/opt/other/node');
      expect(run.code).to.not.equal(0);
      expect(run.stderr).to.match(/ENOSPC/);
      expect(readdirSync(join(hooks, 'qemu.d'))).to.deep.equal(['50-repin']);
      expect(readFileSync(dropin)).to.deep.equal(before);
      expect(readdirSync(hooks).sort()).to.deep.equal(['filler', 'qemu.d']);
      // A fresh install that does not fit: qemu.d/ holds nothing at all.
      rmSync(join(hooks, 'qemu.d'), { recursive: true });
      writeFileSync(join(hooks, 'filler'), Buffer.alloc(120 * 1024));
      expect(repin('install', '--mode', 'dropin').code).to.not.equal(0);
      expect(readdirSync(join(hooks, 'qemu.d'))).to.deep.equal([]);
      expect(readdirSync(hooks).sort()).to.deep.equal(['filler', 'qemu.d']);
    } finally {
      unmount(hooks);
    }
  });

  it('rejects a relative node path', () => {
    const run = repin('install', '--node', 'node');
    expect(run.code).to.equal(2);
    expect(run.stderr).to.match(/must be an absolute path/);
  });
});
