// `repin install` / `uninstall` against temp hooks and lib dirs, run from the built CLI as an operator would.
import { expect } from 'chai';
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launcherText, parseLauncher } from '../../../src/bundle/launcher.js';
import { makeManifest, readBuild } from '../../../src/bundle/manifest.js';
import { BUILD_DIR, BUNDLE, runScript } from '../../support/run-built.js';
import { mountSmallTmpfs, unmount } from '../../support/tmpfs.js';

const FOREIGN = '#!/bin/sh\n# site hook: keeps the NFS mounts in order\nexit 0\n';
const BUILD_ID = readBuild(BUILD_DIR).buildId;

/** A copy of dist/ whose hook says `tag` on stderr at each filter call: another build, with its own id. */
function otherBuild(where: string, tag: string): string {
  cpSync(BUILD_DIR, where, { recursive: true });
  const run = join(where, 'hook-run.js');
  writeFileSync(run, `process.stderr.write(${JSON.stringify(`${tag}\n`)});\n${readFileSync(run, 'utf8')}`);
  const manifest = readBuild(BUILD_DIR);
  const files = Object.fromEntries(Object.keys(manifest.files).map((name) => [name, readFileSync(join(where, name))]));
  writeFileSync(join(where, 'build.json'), JSON.stringify(makeManifest(manifest.version, files)));
  return readBuild(where).buildId;
}

describe('install / uninstall', () => {
  let dir: string;
  let hooks: string;
  let lib: string;
  let config: string;
  const repin = (...args: string[]): ReturnType<typeof runScript> =>
    runScript(BUNDLE, [...args, '--hooks-dir', hooks, '--lib-dir', lib], '', { REPIN_CONFIG: config });
  const json = (run: ReturnType<typeof runScript>): { changed: boolean; reloadNeeded: boolean; steps: { path: string; action: string; what: string }[] } => {
    expect(run.code, run.stderr).to.equal(0);
    return JSON.parse(run.stdout) as ReturnType<typeof json>;
  };
  const callHook = (hook: string): ReturnType<typeof runScript> =>
    runScript(hook, ['db-primary', 'migrate', 'begin', '-'], readFileSync('examples/dedicated-1to1.xml', 'utf8'), {
      REPIN_CONFIG: config,
      REPIN_HOST: 'examples/hosts/small.json',
      REPIN_JOURNAL_DIR: join(dir, 'journal'),
    });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'repin-install-'));
    hooks = join(dir, 'hooks');
    lib = join(dir, 'lib');
    config = join(dir, 'repin.json');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('main: copies the build whole into <lib>/<build id>, writes the hook launcher and a default config, says to reload', () => {
    const run = repin('install', '--node', '/usr/bin/node');
    expect(run.code, run.stderr).to.equal(0);
    for (const name of ['repin', 'hook.js', 'hook-run.js', 'xmldom.js', 'package.json', 'build.json']) {
      expect(readFileSync(join(lib, BUILD_ID, name)), name).to.deep.equal(readFileSync(join(BUILD_DIR, name)));
    }
    const hook = join(hooks, 'qemu');
    expect(readFileSync(hook, 'utf8')).to.equal(launcherText({ kind: 'hook', node: '/usr/bin/node', version: readBuild(BUILD_DIR).version, buildId: BUILD_ID, buildDir: join(lib, BUILD_ID) }));
    expect(statSync(hook).mode & 0o777).to.equal(0o755);
    expect(JSON.parse(readFileSync(config, 'utf8'))).to.include({ policy: 'remap', onError: 'keep' });
    expect(run.stdout).to.match(/installed build /).and.match(/installed hook .*qemu/).and.match(/reload the daemon/);
    expect(callHook(hook).stdout).to.include("<vcpupin vcpu='0' cpuset='0'/>");
  });

  it('a second install changes nothing (--json says so) and needs no reload; an existing config is never overwritten', () => {
    writeFileSync(config, '{"policy":"strict"}\n');
    expect(repin('install').code).to.equal(0);
    const again = json(repin('install', '--json'));
    expect(again).to.include({ changed: false, reloadNeeded: false });
    expect(again.steps.map((s) => `${s.action} ${s.what}`)).to.deep.equal(['kept build', 'kept code cache', 'kept hook']);
    expect(readFileSync(config, 'utf8')).to.equal('{"policy":"strict"}\n');
  });

  it('--dry-run says what would change and writes nothing', () => {
    const run = repin('install', '--dry-run');
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stdout).to.match(/would be installed build/).and.match(/would be installed hook/);
    expect(existsSync(hooks)).to.equal(false);
    expect(existsSync(lib)).to.equal(false);
    expect(existsSync(config)).to.equal(false);
  });

  it('an upgrade: the old launcher keeps running the old build whole, the new one the new; the build before that is removed', () => {
    const oldId = otherBuild(join(dir, 'build-a'), 'build-a');
    const olderId = otherBuild(join(dir, 'build-b'), 'build-b');
    expect(runScript(BUNDLE, ['install', '--build', join(dir, 'build-b'), '--hooks-dir', hooks, '--lib-dir', lib], '', { REPIN_CONFIG: config }).code).to.equal(0);
    expect(runScript(BUNDLE, ['install', '--build', join(dir, 'build-a'), '--hooks-dir', hooks, '--lib-dir', lib], '', { REPIN_CONFIG: config }).code).to.equal(0);
    // A call that read the launcher just before the rename: a copy of it taken now.
    const before = join(dir, 'qemu-read-before');
    mkdirSync(before);
    writeFileSync(join(before, 'qemu'), readFileSync(join(hooks, 'qemu')), { mode: 0o755 });
    const upgrade = json(repin('install', '--json'));
    expect(upgrade.steps.filter((s) => s.action === 'removed').map((s) => s.path)).to.deep.equal([join(lib, olderId)]);
    expect(readdirSync(lib).sort()).to.deep.equal([BUILD_ID, oldId].sort());
    expect(callHook(join(before, 'qemu')).stderr).to.match(/^build-a\n/);
    const now = callHook(join(hooks, 'qemu'));
    expect(now.stderr).to.not.match(/build-a/);
    expect(now.stdout).to.include("<vcpupin vcpu='0' cpuset='0'/>");
  });

  it('a damaged copy of this build in the lib dir is replaced before the hook points at it', () => {
    mkdirSync(join(lib, BUILD_ID), { recursive: true });
    writeFileSync(join(lib, BUILD_ID, 'hook-run.js'), 'cut short');
    const run = repin('install');
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stdout).to.match(/updated build/);
    expect(readBuild(join(lib, BUILD_ID)).buildId).to.equal(BUILD_ID);
  });

  it('refuses to install from a dir that is not a whole build, before writing anything', () => {
    const broken = join(dir, 'broken');
    cpSync(BUILD_DIR, broken, { recursive: true });
    writeFileSync(join(broken, 'xmldom.js'), '');
    const run = runScript(BUNDLE, ['install', '--build', broken, '--hooks-dir', hooks, '--lib-dir', lib], '', { REPIN_CONFIG: config });
    expect(run.code).to.equal(2);
    expect(run.stderr).to.match(/not a whole repin build: .*xmldom.js does not match build.json/);
    expect(existsSync(hooks) || existsSync(lib)).to.equal(false);
  });

  it('main refuses to replace a foreign hook, which survives byte for byte', () => {
    mkdirSync(hooks);
    writeFileSync(join(hooks, 'qemu'), FOREIGN, { mode: 0o755 });
    const run = repin('install', '--mode', 'main');
    expect(run.code).to.equal(2);
    expect(run.stderr).to.match(/exists and is not repin's; refusing to overwrite it/);
    expect(readFileSync(join(hooks, 'qemu'), 'utf8')).to.equal(FOREIGN);
    expect(existsSync(lib)).to.equal(false);
  });

  it('auto installs into qemu.d/ beside a foreign hook, and uninstall leaves the foreign hook alone', () => {
    mkdirSync(hooks);
    writeFileSync(join(hooks, 'qemu'), FOREIGN, { mode: 0o755 });
    const run = repin('install', '--mode', 'auto');
    expect(run.code, run.stderr).to.equal(0);
    expect(existsSync(join(hooks, 'qemu.d', '50-repin'))).to.equal(true);
    expect(run.stdout).to.match(/no reload needed/);
    const gone = repin('uninstall');
    expect(gone.code).to.equal(0);
    expect(gone.stdout).to.match(/removed hook .*50-repin/);
    expect(existsSync(join(hooks, 'qemu.d', '50-repin'))).to.equal(false);
    expect(readFileSync(join(hooks, 'qemu'), 'utf8')).to.equal(FOREIGN);
  });

  it('dropin: the drop-in speaks the hook protocol (it lives in qemu.d/)', () => {
    expect(repin('install', '--mode', 'dropin').code).to.equal(0);
    const dropin = join(hooks, 'qemu.d', '50-repin');
    const run = runScript(dropin, ['vm', 'prepare', 'begin', '-'], '<domain/>', {});
    expect(run).to.include({ code: 0, stdout: '', stderr: '' });
  });

  it('a renamed drop-in leaves one repin hook: the others (and repin’s main hook) go once it is live; a foreign drop-in and a link stay', () => {
    expect(repin('install', '--mode', 'dropin', '--dropin-name', '40-repin-old').code).to.equal(0);
    mkdirSync(join(dir, 'elsewhere'));
    writeFileSync(join(dir, 'elsewhere', 'site'), FOREIGN, { mode: 0o755 });
    writeFileSync(join(hooks, 'qemu.d', '10-site'), FOREIGN, { mode: 0o755 });
    symlinkSync(join(dir, 'elsewhere', 'site'), join(hooks, 'qemu.d', '20-link'));
    const run = json(repin('install', '--mode', 'dropin', '--dropin-name', '70-repin', '--json'));
    expect(run.steps.filter((s) => s.what === 'old hook').map((s) => s.path)).to.deep.equal([join(hooks, 'qemu.d', '40-repin-old')]);
    expect(readdirSync(join(hooks, 'qemu.d')).sort()).to.deep.equal(['10-site', '20-link', '70-repin']);
    expect(json(repin('install', '--mode', 'dropin', '--dropin-name', '70-repin', '--json')).changed).to.equal(false);
  });

  it('a drop-in name that is not a plain file name is refused', () => {
    for (const name of ['../qemu', '.', '']) {
      const run = repin('install', '--mode', 'dropin', '--dropin-name', name);
      expect(run.code, name).to.equal(2);
      expect(run.stderr).to.match(/is not a plain file name/);
    }
  });

  it('uninstall twice is harmless; --purge also removes the builds and the lib dir, never the config', () => {
    expect(repin('install').code).to.equal(0);
    expect(repin('uninstall').stdout).to.match(/removed hook/);
    expect(existsSync(join(lib, BUILD_ID))).to.equal(true);
    const again = repin('uninstall');
    expect(again.code).to.equal(0);
    expect(again.stdout).to.match(/nothing of repin's/);
    const purge = repin('uninstall', '--purge');
    expect(purge.code, purge.stderr).to.equal(0);
    expect(existsSync(lib)).to.equal(false);
    expect(existsSync(config)).to.equal(true);
  });

  it('a hook installed with another node path runs that node', () => {
    expect(repin('install', '--node', '/opt/some/longer/path/to/bin/node').code).to.equal(0);
    expect(parseLauncher(readFileSync(join(hooks, 'qemu'), 'utf8'))).to.include({ node: '/opt/some/longer/path/to/bin/node' });
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
      expect(run.stdout).to.match(reload ? /reload the daemon/ : /no reload needed/);
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

  it("a symlink to an older repin hook is repin's: replaced by the launcher, its target left as it was", () => {
    mkdirSync(hooks);
    const old = join(dir, 'old-hook');
    writeFileSync(old, '#!/usr/bin/node\n// repin 0.0.9 (built bundle; source: src/)\n', { mode: 0o755 });
    symlinkSync(old, join(hooks, 'qemu'));
    const run = repin('install', '--mode', 'main');
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stdout).to.match(/updated hook .*qemu/);
    expect(lstatSync(join(hooks, 'qemu')).isFile()).to.equal(true);
    expect(readFileSync(old, 'utf8')).to.match(/0\.0\.9/);
  });

  it('an install that fills the disk leaves the hook as it was and nothing half-copied it could run', function () {
    // The build is ~510 KiB: 600 KiB hold one copy, not a second one beside it.
    if (!mountSmallTmpfs(lib, '600k')) this.skip();
    try {
      const oldId = otherBuild(join(dir, 'build-a'), 'build-a');
      expect(runScript(BUNDLE, ['install', '--build', join(dir, 'build-a'), '--hooks-dir', hooks, '--lib-dir', lib], '', { REPIN_CONFIG: config }).code).to.equal(0);
      const before = readFileSync(join(hooks, 'qemu'));
      const run = repin('install');
      expect(run.code).to.not.equal(0);
      expect(run.stderr).to.match(/ENOSPC/);
      expect(readFileSync(join(hooks, 'qemu'))).to.deep.equal(before);
      expect(readdirSync(lib).filter((name) => !name.startsWith('.'))).to.deep.equal([oldId]);
      expect(callHook(join(hooks, 'qemu')).stderr).to.match(/^build-a\n/);
    } finally {
      unmount(lib);
    }
  });

  it("makes the hook's code cache with the hook's node; a hook call uses it and prints byte for byte what a call without one prints", () => {
    const run = json(repin('install', '--json'));
    const cache = join(lib, BUILD_ID, 'hook-run.v8');
    expect(run.steps.find((s) => s.what === 'code cache')).to.include({ path: cache, action: 'installed' });
    expect(readFileSync(cache).subarray(0, 40).toString()).to.match(/^repin code cache: node \//);
    const timed = (hook: string): ReturnType<typeof runScript> =>
      runScript(hook, ['db-primary', 'migrate', 'begin', '-'], readFileSync('examples/dedicated-1to1.xml', 'utf8'), {
        REPIN_CONFIG: config,
        REPIN_HOST: 'examples/hosts/small.json',
        REPIN_JOURNAL_DIR: join(dir, 'journal'),
        REPIN_TIMING: '1',
      });
    const withCache = timed(join(hooks, 'qemu'));
    expect(withCache.stderr).to.match(/"codeCache":"used"/);
    // A cache V8 refuses (cut short): the call compiles as without one, same output.
    writeFileSync(cache, readFileSync(cache).subarray(0, 2000));
    const rejected = timed(join(hooks, 'qemu'));
    expect(rejected.stderr).to.match(/"codeCache":"(rejected|none)"/);
    rmSync(cache);
    const without = timed(join(hooks, 'qemu'));
    expect(without.stderr).to.match(/"codeCache":"none"/);
    expect(withCache.stdout).to.include("<vcpupin vcpu='0' cpuset='0'/>");
    expect(rejected.stdout).to.equal(withCache.stdout);
    expect(without.stdout).to.equal(withCache.stdout);
    // Gone or made by another node: the next install makes it again, and only that.
    const again = json(repin('install', '--json'));
    expect(again.steps.filter((s) => s.action !== 'kept').map((s) => s.what)).to.deep.equal(['code cache']);
    expect(json(repin('install', '--json')).changed).to.equal(false);
  });

  it('--no-code-cache makes none; a failed warm-up is said, never a failed install', () => {
    expect(json(repin('install', '--json', '--no-code-cache')).steps.map((s) => s.what)).to.not.include('code cache');
    expect(existsSync(join(lib, BUILD_ID, 'hook-run.v8'))).to.equal(false);
    // A node that cannot run the hook: the install goes on without a cache and says why.
    const fakeNode = join(dir, 'node');
    writeFileSync(fakeNode, '#!/bin/sh\nexit 3\n', { mode: 0o755 });
    rmSync(hooks, { recursive: true, force: true });
    const run = repin('install', '--node', fakeNode);
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stdout).to.match(/no code cache for .*: the warm-up call failed \(exit 3\)/);
  });

  it('rejects a relative node path, one with a blank, and a test hooks dir without --lib-dir', () => {
    const run = repin('install', '--node', 'node');
    expect(run.code).to.equal(2);
    expect(run.stderr).to.match(/must be an absolute path/);
    const blank = repin('install', '--node', '/opt/node 20/bin/node');
    expect(blank.code).to.equal(2);
    expect(blank.stderr).to.match(/must not contain blanks/);
    const noLib = runScript(BUNDLE, ['install', '--hooks-dir', hooks], '', { REPIN_CONFIG: config });
    expect(noLib.code).to.equal(2);
    expect(noLib.stderr).to.match(/--lib-dir is required/);
  });
});
