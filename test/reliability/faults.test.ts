// Faults around the filter, each with its defined behaviour: a config that
// cannot be read, a journal that cannot be written, odd sysfs trees, a reader
// that goes away. A journal failure never fails a migration.
import { expect } from 'chai';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fakeHostDirs } from '../support/fake-sysfs.js';
import { makeFifo } from '../support/fifo.js';
import { fillUp, mountSmallTmpfs, unmount } from '../support/tmpfs.js';
import { assertContract, HookBench, PINNED, runAsync, type HookRun } from './support.js';

/** vCPU pins of an output document, in order. */
const pins = (xml: string): string[] => [...xml.matchAll(/<vcpupin vcpu='(\d+)' cpuset='([^']*)'\/>/g)].map((m) => m[2] ?? '');

describe('reliability: faults around the filter have defined behaviour', function () {
  this.timeout(60_000);
  let bench: HookBench;
  beforeEach(() => {
    bench = new HookBench();
  });
  afterEach(() => bench.cleanup());

  describe('config', () => {
    it('a directory where the config file should be: internal fault, onError keep → exit 0, no output, journal "error" naming the path', async () => {
      const dir = join(bench.work, 'config-dir');
      mkdirSync(dir);
      const run = await bench.run('migrate', PINNED, { env: { REPIN_CONFIG: dir, REPIN_JOURNAL_DIR: bench.journal } });
      assertContract(run, 'error', 'keep');
      expect(bench.entries()[0]).to.include({ outcome: 'error' });
      expect(String(bench.entries()[0]?.error)).to.match(/cannot read config .*config-dir/);
    });

    it('a dangling symlink as the config counts as a missing file: defaults (remap), rewritten XML', async () => {
      const link = join(bench.work, 'dangling.json');
      symlinkSync(join(bench.work, 'nowhere.json'), link);
      const run = await bench.run('migrate', PINNED, { env: { REPIN_CONFIG: link, REPIN_JOURNAL_DIR: bench.journal } });
      assertContract(run, 'rewritten');
      expect(bench.entries()[0]).to.include({ outcome: 'rewritten', policy: 'remap' });
    });

    it('a FIFO as the config: not opened for a writer that never comes; onError keep → exit 0, no output, journal "error" naming the FIFO', async () => {
      const fifo = makeFifo(join(bench.work, 'fifo.json'));
      const run = await bench.run('migrate', PINNED, { env: { REPIN_CONFIG: fifo, REPIN_JOURNAL_DIR: bench.journal }, timeoutMs: 10_000 });
      expect(run.timedOut).to.equal(false);
      assertContract(run, 'error', 'keep');
      expect(String(bench.entries()[0]?.error)).to.match(/cannot read config .*fifo\.json: .*is not a regular file \(a FIFO\)/);
    });

    it('a half-written config (cut mid-key): internal fault, onError unknown so keep → exit 0, no output, journal "error"', async () => {
      writeFileSync(bench.config, '{ "policy": "strict", "onErr');
      const run = await bench.run('restore', PINNED, { env: { REPIN_JOURNAL_DIR: bench.journal } });
      assertContract(run, 'error', 'keep');
      expect(String(bench.entries()[0]?.error)).to.match(/not valid JSON/);
    });
  });

  describe('journal', () => {
    it('a missing journal directory (and its parents) is created 0700; the filter answers', async () => {
      const deep = join(bench.work, 'a', 'b', 'journal');
      bench.writeConfig({ journal: { dir: deep } });
      const run = await bench.run('migrate', PINNED);
      assertContract(run, 'rewritten');
      expect(bench.entries(deep)).to.have.length(1);
      expect((statSync(deep).mode & 0o777).toString(8)).to.equal('700');
    });

    it('a journal directory that cannot be created (its parent is a file): rewritten XML as usual, exit 0, one note on stderr', async () => {
      writeFileSync(join(bench.work, 'file'), 'x');
      bench.writeConfig({ journal: { dir: join(bench.work, 'file', 'journal') } });
      const run = await bench.run('migrate', PINNED);
      assertContract(run, 'rewritten');
      expect(pins(run.stdout)).to.have.length(4);
      expect(run.stderr).to.match(/^repin: journal not written \(.*\); the filter result stands\n$/);
    });

    it('a full journal filesystem (ENOSPC on a 16 KiB tmpfs): rewritten XML as usual, exit 0, no empty capture left', async function () {
      const mnt = join(bench.work, 'full');
      if (!mountSmallTmpfs(mnt)) this.skip(); // not root or no mount namespace: nothing to fill
      fillUp(join(mnt, 'filler'));
      try {
        bench.writeConfig({ journal: { dir: mnt } });
        const run = await bench.run('migrate', PINNED);
        assertContract(run, 'rewritten');
        expect(run.stderr).to.match(/journal not written/);
        expect(existsSync(join(mnt, 'captures')) ? readdirSync(join(mnt, 'captures')) : []).to.deep.equal([]);
      } finally {
        unmount(mnt);
      }
    });

    it('a FIFO as journal.jsonl: no hang after the XML is printed; exit 0, one note naming the FIFO', async () => {
      mkdirSync(bench.journal, { mode: 0o700 });
      makeFifo(join(bench.journal, 'journal.jsonl'));
      const run = await bench.run('migrate', PINNED, { timeoutMs: 10_000 });
      expect(run.timedOut).to.equal(false);
      assertContract(run, 'rewritten');
      expect(run.stderr).to.match(/^repin: journal not written \(.*journal\.jsonl is not a regular file \(a FIFO\); refused\); the filter result stands\n$/);
    });

    it('a symlinked journal dir or captures dir is refused, never written or pruned through', async () => {
      const elsewhere = join(bench.work, 'elsewhere');
      mkdirSync(elsewhere, { mode: 0o700 });
      writeFileSync(join(elsewhere, 'precious.xml'), 'keep');
      mkdirSync(bench.journal, { mode: 0o700 });
      symlinkSync(elsewhere, join(bench.journal, 'captures'));
      bench.writeConfig({ journal: { dir: bench.journal, keep: 1 } });
      const run = await bench.run('migrate', PINNED);
      assertContract(run, 'rewritten');
      const [entry] = bench.entries();
      expect(entry).to.not.have.property('capture');
      expect(String(entry?.captureError)).to.match(/captures is not a real directory \(a symlink\); refused/);
      expect(readdirSync(elsewhere)).to.deep.equal(['precious.xml']);

      const linked = join(bench.work, 'linked-journal');
      symlinkSync(elsewhere, linked);
      bench.writeConfig({ journal: { dir: linked } });
      const again = await bench.run('migrate', PINNED);
      assertContract(again, 'rewritten');
      expect(again.stderr).to.match(/^repin: journal not written \(.*linked-journal is not a real directory/);
      expect(readdirSync(elsewhere)).to.deep.equal(['precious.xml']);
    });
  });

  describe('sysfs', () => {
    const { make: hostRoot, removeAll } = fakeHostDirs();
    after(() => {
      removeAll();
    });
    // No REPIN_HOST: the hook reads the fake tree as it would read /.
    const env = (root: string): Record<string, string> => {
      const e = bench.env({ REPIN_HOST_ROOT: root });
      delete e.REPIN_HOST;
      return e;
    };
    const run = (root: string, xml = PINNED): Promise<HookRun> => runAsync(bench.hook, ['vm', 'migrate', 'begin', '-'], xml, { env: env(root) });

    it('offline CPUs are never handed out', async () => {
      const root = hostRoot({ sockets: 1, coresPerSocket: 4, threadsPerCore: 2, nodes: 1, offline: [0, 2, 4, 6] });
      const result = await run(root);
      assertContract(result, 'rewritten');
      for (const cpuset of pins(result.stdout)) expect(['1', '3', '5', '7']).to.include(cpuset);
    });

    it('a CPU hot-unplugged between reads (listed online, its topology gone): still a valid plan, no fault', async () => {
      const root = hostRoot({ sockets: 1, coresPerSocket: 4, threadsPerCore: 2, nodes: 1 });
      rmSync(join(root, 'sys/devices/system/cpu/cpu5/topology'), { recursive: true });
      const result = await run(root);
      assertContract(result, 'rewritten');
      for (const cpuset of pins(result.stdout)) expect(Number(cpuset)).to.be.within(0, 7);
    });

    it('a NUMA node without memory never receives a nodeset', async () => {
      const root = hostRoot({ sockets: 2, coresPerSocket: 4, threadsPerCore: 1, nodes: 2, memorylessNodes: [1] });
      const xml = PINNED.replace('<cputune>', "<numatune><memory mode='strict' nodeset='3'/></numatune><cputune>");
      const result = await run(root, xml);
      assertContract(result, 'rewritten');
      expect(result.stdout).to.match(/<memory mode='strict' nodeset='0'\/>|<numatune\/>|<numatune>\s*<\/numatune>/);
    });

    it('a host without a NUMA directory: one node 0 with memory, a valid plan', async () => {
      const root = hostRoot({ sockets: 1, coresPerSocket: 8, threadsPerCore: 1, nodes: 1, noNumaDir: true });
      expect(existsSync(join(root, 'sys/devices/system/node'))).to.equal(false);
      const result = await run(root);
      assertContract(result, 'rewritten');
      expect(pins(result.stdout)).to.have.length(4);
    });

    it('an unreadable sysfs (no cpu dir at all): internal fault, onError keep → exit 0, no output', async () => {
      const root = join(bench.work, 'empty-root');
      mkdirSync(root);
      const result = await run(root);
      assertContract(result, 'error', 'keep');
    });
  });

  describe('stdout', () => {
    it('a reader that closes stdout at once: no stack trace, no hang, exit 0 (or 1 as the filter decides)', async () => {
      for (const op of ['migrate', 'restore']) {
        const run = await runAsync(bench.hook, ['vm', op, 'begin', '-'], PINNED, { env: bench.env(), closeStdout: true, timeoutMs: 10_000 });
        expect(run.timedOut).to.equal(false);
        expect(run.stderr, 'stack trace on stderr').to.not.include('    at ');
        expect([0, 1]).to.include(run.code);
      }
    });
  });
});
