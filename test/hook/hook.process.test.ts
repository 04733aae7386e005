// The built bundle as libvirt runs it: argv + XML on stdin, minimal env.
import { expect } from 'chai';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { launcherText } from '../../src/bundle/launcher.js';
import { readBuild } from '../../src/bundle/manifest.js';
import { BUILD_DIR, hookCopy, runScript } from '../support/run-built.js';
import { canonicalXml } from '../support/xml-compare.js';

const example = (name: string): string => readFileSync(`examples/${name}`, 'utf8');
const SMALL = resolve('examples/hosts/small.json');
const LARGE = resolve('examples/hosts/large.json');

describe('hook: the built script speaks libvirt’s hook protocol', () => {
  let hook: ReturnType<typeof hookCopy>;
  let work: string;
  let journal: string;
  let config: string;
  const env = (extra: Record<string, string> = {}): Record<string, string> => ({ REPIN_CONFIG: config, REPIN_HOST: SMALL, REPIN_RUN_DIR: join(work, 'run'), REPIN_SPOOL_DIR: join(work, 'pending'), ...extra });
  const writeConfig = (value: object): void => writeFileSync(config, JSON.stringify({ journal: { dir: journal }, ...value }));
  const entries = (): Record<string, unknown>[] => {
    try {
      return readFileSync(join(journal, 'journal.jsonl'), 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    } catch {
      return [];
    }
  };

  before(() => {
    hook = hookCopy();
  });
  after(() => hook.cleanup());
  beforeEach(() => {
    work = mkdtempSync(join(tmpdir(), 'repin-hooktest-'));
    journal = join(work, 'journal');
    config = join(work, 'repin.json');
    writeConfig({});
  });
  afterEach(() => rmSync(work, { recursive: true, force: true }));

  for (const [op, subop] of [
    ['prepare', 'begin'],
    ['start', 'begin'],
    ['started', 'begin'],
    ['stopped', 'end'],
    ['release', 'end'],
    ['reconnect', 'begin'],
    ['attach', 'begin'],
    ['migrate', 'end'],
    ['some-future-op', 'begin'],
  ] as const) {
    it(`passes ${op} ${subop} through: exit 0, no output, no journal, even with a broken config`, () => {
      writeFileSync(config, '{ broken');
      const run = runScript(hook.hook, ['db-primary', op, subop, '-'], example('dedicated-1to1.xml'), env());
      expect(run).to.include({ code: 0, stdout: '', stderr: '' });
      expect(entries()).to.have.length(0);
    });
  }

  it('prints nothing for a domain that already fits, and journals "unchanged"', () => {
    const run = runScript(hook.hook, ['db-primary', 'migrate', 'begin', '-'], example('dedicated-1to1.xml'), env({ REPIN_HOST: LARGE }));
    expect(run).to.include({ code: 0, stdout: '' });
    expect(entries()[0]).to.include({ op: 'migrate', outcome: 'unchanged', domain: 'db-primary', policy: 'remap' });
  });

  for (const op of ['migrate', 'restore']) {
    it(`${op} begin: prints the whole rewritten XML for a domain that does not fit`, () => {
      const run = runScript(hook.hook, ['db-primary', op, 'begin', '-'], example('dedicated-1to1.xml'), env());
      expect(run.code).to.equal(0);
      expect(run.stdout).to.match(/^<domain[\s\S]*<\/domain>\n$/);
      expect(run.stdout).to.include("<vcpupin vcpu='0' cpuset='0'/>");
      expect(canonicalXml(run.stdout)).to.include('s3cret-vnc'); // nothing else of the domain is lost
      const [entry] = entries();
      expect(entry).to.include({ op, outcome: 'rewritten', uuid: '6f1c2a7e-3b8d-4c51-9a0e-2d7f4b9c8e10' });
      expect(entry?.changes).to.have.length(4);
    });
  }

  it('strict: exit 1 with one stderr line naming element, CPUs, host and policy', () => {
    writeConfig({ policy: 'strict' });
    const run = runScript(hook.hook, ['db-primary', 'migrate', 'begin', '-'], example('dedicated-1to1.xml'), env());
    expect(run.code).to.equal(1);
    expect(run.stdout).to.equal('');
    expect(run.stderr.trim().split('\n')).to.have.length(1);
    expect(run.stderr).to.match(/^repin: db-primary: vcpupin vcpu=0 cpuset=20: host offers CPUs 0-7; .* \(policy strict\)\n$/);
    expect(entries()[0]).to.include({ outcome: 'refused' });
  });

  it('per-domain override in config wins over the default policy', () => {
    writeConfig({ domains: { 'db-primary': { policy: 'strict' } } });
    expect(runScript(hook.hook, ['db-primary', 'migrate', 'begin', '-'], example('dedicated-1to1.xml'), env()).code).to.equal(1);
    expect(runScript(hook.hook, ['web-07', 'migrate', 'begin', '-'], example('shared-pool.xml'), env()).code).to.equal(0);
  });

  it('malformed XML with onError keep: exit 0, no output, journal "error"', () => {
    const run = runScript(hook.hook, ['db-primary', 'migrate', 'begin', '-'], '<domain><name>x</name>', env());
    expect(run).to.include({ code: 0, stdout: '' });
    expect(entries()[0]).to.include({ outcome: 'error' });
  });

  it('malformed XML with onError fail: exit 1 and one line', () => {
    writeConfig({ onError: 'fail' });
    const run = runScript(hook.hook, ['db-primary', 'migrate', 'begin', '-'], '<domain><name>x</name>', env());
    expect(run.code).to.equal(1);
    expect(run.stdout).to.equal('');
    expect(run.stderr).to.match(/^repin: migrate of db-primary failed: unparsable domain XML/);
    expect(run.stderr.trim().split('\n')).to.have.length(1);
  });

  it('a parse complaint names its line and column (the first parse runs without the locator)', () => {
    writeConfig({ onError: 'fail' });
    const xml = "<domain>\n  <name>x</name>\n  <cputune a='1' a='2'/>\n</domain>\n";
    const run = runScript(hook.hook, ['x', 'migrate', 'begin', '-'], xml, env());
    expect(run.code).to.equal(1);
    expect(run.stderr).to.match(/unparsable domain XML: .*\(line 3, column 3\)$/m);
  });

  it('a missing config means defaults (remap)', () => {
    const run = runScript(hook.hook, ['db-primary', 'migrate', 'begin', '-'], example('dedicated-1to1.xml'), env({ REPIN_CONFIG: join(work, 'none.json'), REPIN_JOURNAL_DIR: journal }));
    expect(run.code).to.equal(0);
    expect(run.stdout).to.include("cpuset='0'");
  });

  it('a broken config is an internal fault: onError keep applies, XML kept', () => {
    writeFileSync(config, '{ "policy": "remap", ');
    const run = runScript(hook.hook, ['db-primary', 'migrate', 'begin', '-'], example('dedicated-1to1.xml'), env({ REPIN_JOURNAL_DIR: journal }));
    expect(run).to.include({ code: 0, stdout: '' });
    expect(entries()[0]).to.include({ outcome: 'error' });
    expect(String(entries()[0]?.error)).to.match(/not valid JSON/);
  });

  it('a config with a bad value names the key and the value', () => {
    writeConfig({ policy: 'shuffle', onError: 'fail' });
    const run = runScript(hook.hook, ['db-primary', 'migrate', 'begin', '-'], example('dedicated-1to1.xml'), env({ REPIN_JOURNAL_DIR: journal }));
    expect(run).to.include({ code: 0, stdout: '' }); // the config could not be read, so its onError is unknown: keep
    expect(String(entries()[0]?.error)).to.match(/config key policy: "shuffle" is not valid; expected one of remap, intersect, unpin, strict/);
  });

  it('shadow mode plans and journals but prints nothing', () => {
    writeConfig({ shadow: true });
    const run = runScript(hook.hook, ['db-primary', 'migrate', 'begin', '-'], example('dedicated-1to1.xml'), env());
    expect(run).to.include({ code: 0, stdout: '' });
    const [entry] = entries();
    expect(entry).to.include({ outcome: 'shadow' });
    expect(entry?.changes).to.have.length(4);
  });

  it('journal and capture are 0600 in 0700 directories even under umask 000', () => {
    const wrapper = join(work, 'umask.cjs');
    writeFileSync(
      wrapper,
      `process.umask(0);
       const r = require('child_process').spawnSync(process.execPath, ${JSON.stringify([hook.hook, 'db-primary', 'migrate', 'begin', '-'])},
         { input: require('fs').readFileSync('examples/dedicated-1to1.xml'), env: ${JSON.stringify(env())} });
       process.exit(r.status);`,
    );
    const umasked = runScript(wrapper, [], '', {});
    expect(umasked.code, umasked.stderr).to.equal(0);
    const mode = (p: string): string => (statSync(p).mode & 0o777).toString(8);
    expect(mode(journal)).to.equal('700');
    expect(mode(join(journal, 'journal.jsonl'))).to.equal('600');
    expect(mode(join(journal, 'captures'))).to.equal('700');
    for (const name of readdirSync(join(journal, 'captures'))) expect(mode(join(journal, 'captures', name))).to.equal('600');
    expect(readFileSync(join(journal, 'journal.jsonl'), 'utf8')).to.not.include('s3cret-vnc');
  });

  it('keeps only the newest journal.keep captures', () => {
    writeConfig({ journal: { dir: journal, keep: 3 } });
    for (let i = 0; i < 5; i++) runScript(hook.hook, ['db-primary', 'migrate', 'begin', '-'], example('dedicated-1to1.xml'), env());
    expect(readdirSync(join(journal, 'captures'))).to.have.length(3);
    expect(entries()).to.have.length(5);
  });

  /** A launcher like hookCopy's, for a copy of the build in which `damage` has broken something. */
  const damagedHook = (damage: (build: string) => void): string => {
    const build = join(work, 'build');
    cpSync(BUILD_DIR, build, { recursive: true });
    damage(build);
    const hooks = join(work, 'hooks');
    mkdirSync(hooks);
    const { version, buildId } = readBuild(BUILD_DIR);
    writeFileSync(join(hooks, 'qemu'), launcherText({ kind: 'hook', node: process.execPath, version, buildId, buildDir: build }), { mode: 0o755 });
    return join(hooks, 'qemu');
  };

  const damages: [string, (build: string) => void][] = [
    ['the filter code cut short', (build) => writeFileSync(join(build, 'hook-run.js'), readFileSync(join(build, 'hook-run.js')).subarray(0, 20_000))],
    ['the filter code empty (it exports nothing)', (build) => writeFileSync(join(build, 'hook-run.js'), '')],
    ['the filter code missing', (build) => rmSync(join(build, 'hook-run.js'))],
  ];
  for (const [what, damage] of damages) {
    it(`a damaged install (${what}) keeps libvirt’s XML on filter ops and still passes the others through`, () => {
      const qemu = damagedHook(damage);
      const filter = runScript(qemu, ['db-primary', 'migrate', 'begin', '-'], example('dedicated-1to1.xml'), env());
      expect(filter).to.include({ code: 0, stdout: '' });
      expect(filter.stderr).to.match(/^repin: internal error, domain XML kept unchanged: /);
      expect(filter.stderr.trim().split('\n')).to.have.length(1);
      expect(runScript(qemu, ['db-primary', 'reconnect', 'begin', '-'], '', env())).to.include({ code: 0, stdout: '', stderr: '' });
    });
  }

  it('xmldom missing from the build: XML that needs it is kept and journaled as an error; XML libvirt writes is still rewritten', () => {
    const qemu = damagedHook((build) => rmSync(join(build, 'xmldom.js')));
    const cdata = example('dedicated-1to1.xml').replace('</name>', '</name>\n  <description><![CDATA[needs xmldom]]></description>');
    const run = runScript(qemu, ['db-primary', 'migrate', 'begin', '-'], cdata, env());
    expect(run).to.include({ code: 0, stdout: '' });
    const last = JSON.parse(readFileSync(join(journal, 'journal.jsonl'), 'utf8').trim().split('\n').pop() ?? '') as { outcome: string; error?: string };
    expect(last.outcome).to.equal('error');
    expect(last.error).to.match(/xmldom\.js/);
    const plain = runScript(qemu, ['db-primary', 'migrate', 'begin', '-'], example('dedicated-1to1.xml'), env());
    expect(plain.code, plain.stderr).to.equal(0);
    expect(plain.stdout).to.include("<vcpupin vcpu='0' cpuset='0'/>");
  });

  it('runs with only node present: no node_modules beside the hook or the build', () => {
    expect(readdirSync(hook.dir)).to.deep.equal(['qemu']);
    expect(readdirSync(BUILD_DIR).sort()).to.deep.equal(['build.json', 'hook-run.js', 'hook.js', 'package.json', 'repin', 'xmldom.js']);
    // Without its realtime marking: 8 realtime vCPUs cannot each have a CPU of their own on the 8-CPU host (remap refuses).
    const xml = example('smt-numa.xml').replace("scheduler='fifo' priority='1'", "scheduler='batch'");
    const run = runScript(hook.hook, ['db-primary', 'migrate', 'begin', '-'], xml, env());
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stdout).to.include("<memnode cellid='1' mode='strict' nodeset='0'/>");
  });
});
