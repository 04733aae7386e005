// The built bundle as libvirt runs it: argv + XML on stdin, minimal env.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { hookCopy, runScript } from '../support/run-built.js';
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

  it('a damaged install (bundle cut short) keeps libvirt’s XML on filter ops and still passes the others through', () => {
    const cut = join(work, 'cut');
    mkdirSync(cut);
    writeFileSync(join(cut, 'qemu'), readFileSync(hook.hook).subarray(0, 20_000));
    const filter = runScript(join(cut, 'qemu'), ['db-primary', 'migrate', 'begin', '-'], example('dedicated-1to1.xml'), env());
    expect(filter).to.include({ code: 0, stdout: '' });
    expect(filter.stderr).to.match(/^repin: internal error, domain XML kept unchanged: .*payload is cut short/);
    expect(filter.stderr.trim().split('\n')).to.have.length(1);
    expect(runScript(join(cut, 'qemu'), ['db-primary', 'reconnect', 'begin', '-'], '', env())).to.include({ code: 0, stdout: '', stderr: '' });
  });

  it('an upgrade renaming a new build over the hook as a call starts: the call reruns the new file, once', () => {
    const dir = join(work, 'swap');
    mkdirSync(dir);
    const current = readFileSync(hook.hook, 'latin1');
    const id = /---- build ([0-9a-f]{16})\n/.exec(current)?.[1] ?? '';
    expect(id).to.match(/^[0-9a-f]{16}$/);
    // Another build, as far as the stub can tell: the same bytes under another id, consistent in itself.
    const next = current.replaceAll(id, id.startsWith('0') ? 'f'.repeat(16) : '0'.repeat(16));
    const qemu = join(dir, 'qemu');
    writeFileSync(qemu, current, { mode: 0o755 });
    writeFileSync(join(dir, 'qemu.next'), next, { mode: 0o755 });
    // The upgrade lands between node reading the stub and the stub's loader opening the file.
    const swap = join(dir, 'swap.cjs');
    writeFileSync(
      swap,
      `const fs = require('node:fs'); const open = fs.openSync;
fs.openSync = function (path, ...rest) {
  if (path === ${JSON.stringify(qemu)} && fs.existsSync(${JSON.stringify(join(dir, 'qemu.next'))})) fs.renameSync(${JSON.stringify(join(dir, 'qemu.next'))}, path);
  return open.call(this, path, ...rest);
};
`,
    );
    const run = spawnSync(process.execPath, ['--require', swap, qemu, 'db-primary', 'migrate', 'begin', '-'], {
      input: example('dedicated-1to1.xml'),
      env: { LC_ALL: 'C', PATH: '/usr/sbin:/usr/bin:/sbin:/bin', ...env() },
      timeout: 20_000,
    });
    expect(run.stderr.toString()).to.equal('');
    expect(run.status).to.equal(0);
    expect(run.stdout.toString()).to.match(/^<domain[\s\S]*<\/domain>\n$/);
    expect(readFileSync(qemu, 'latin1')).to.equal(next);

    // A file whose stub and payload never match (hand-edited) is run again once, then kept out.
    writeFileSync(qemu, current.replace(`---- build ${id}\n`, `---- build ${'1'.repeat(16)}\n`), { mode: 0o755 });
    const broken = runScript(qemu, ['db-primary', 'migrate', 'begin', '-'], example('dedicated-1to1.xml'), env());
    expect(broken).to.include({ code: 0, stdout: '' });
    expect(broken.stderr).to.match(/^repin: internal error, domain XML kept unchanged: .*payload is from another build than its start/);
  });

  it('a hook replaced after a call read its XML: the xmldom payload of another build is refused, not rerun (stdin is gone)', () => {
    const dir = join(work, 'swapped-xmldom');
    mkdirSync(dir);
    const current = readFileSync(hook.hook, 'latin1');
    const qemu = join(dir, 'qemu');
    // Only xmldom's mark names another build: as if the file changed between the stub's start and xmldom's load.
    const edited = current.replace(/(payload xmldom:[^\n]*---- build )[0-9a-f]{16}\n/, `$1${'1'.repeat(16)}\n`);
    expect(edited).to.not.equal(current);
    writeFileSync(qemu, edited, { mode: 0o755 });
    const cdata = example('dedicated-1to1.xml').replace('</name>', '</name>\n  <description><![CDATA[needs xmldom]]></description>');
    const run = runScript(qemu, ['db-primary', 'migrate', 'begin', '-'], cdata, env());
    expect(run).to.include({ code: 0, stdout: '' });
    expect(run.stderr).to.equal('');
    const last = JSON.parse(readFileSync(join(journal, 'journal.jsonl'), 'utf8').trim().split('\n').pop() ?? '') as { outcome: string; error?: string };
    expect(last.outcome).to.equal('error');
    expect(last.error).to.match(/xmldom payload is from another build than its start \(the file was replaced during this call\)/);
    // XML libvirt writes never needs xmldom: the same file still rewrites it.
    const plain = runScript(qemu, ['db-primary', 'migrate', 'begin', '-'], example('dedicated-1to1.xml'), env());
    expect(plain.code, plain.stderr).to.equal(0);
    expect(plain.stdout).to.include("<vcpupin vcpu='0' cpuset='0'/>");
  });

  it('runs with only node present: no node_modules beside the copied bundle', () => {
    expect(readdirSync(hook.dir)).to.deep.equal(['qemu']);
    // Without its realtime marking: 8 realtime vCPUs cannot each have a CPU of their own on the 8-CPU host (remap refuses).
    const xml = example('smt-numa.xml').replace("scheduler='fifo' priority='1'", "scheduler='batch'");
    const run = runScript(hook.hook, ['db-primary', 'migrate', 'begin', '-'], xml, env());
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stdout).to.include("<memnode cellid='1' mode='strict' nodeset='0'/>");
  });
});
