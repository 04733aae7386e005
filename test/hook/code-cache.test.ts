// The hook's code cache (src/io/code-cache.ts, the loader in scripts/build.mjs):
// made by install from a real call of the installed hook, used by later calls,
// and never a reason for a call to decide differently or to fail.
import { expect } from 'chai';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { BUNDLE, runScript } from '../support/run-built.js';

const SMALL = resolve('examples/hosts/small.json');
const MOVED = readFileSync('examples/dedicated-1to1.xml', 'utf8'); // pinned to 20-23: small.json has 0-7

describe('the hook code cache', function () {
  this.timeout(60_000);
  let dir: string;
  let hooks: string;
  let cache: string;
  const repin = (...args: string[]): ReturnType<typeof runScript> => runScript(BUNDLE, args, '', { REPIN_CONFIG: join(dir, 'installed.json') });
  const install = (...extra: string[]): ReturnType<typeof runScript> =>
    repin('install', '--hooks-dir', hooks, '--node', process.execPath, '--cache-dir', cache, ...extra);
  const cacheFiles = (): string[] => (existsSync(cache) ? readdirSync(cache) : []);
  /** One filter call of the installed hook; the loader's verdict from REPIN_TIMING, the journal's line. */
  const call = (cacheDir = cache): { stdout: string; codeCache: unknown; journaled: unknown; code: number | null } => {
    const journal = mkdtempSync(join(dir, 'journal-'));
    writeFileSync(join(dir, 'repin.json'), JSON.stringify({ journal: { dir: journal } }));
    const run = runScript(join(hooks, 'qemu'), ['db-primary', 'migrate', 'begin', '-'], MOVED, {
      REPIN_CONFIG: join(dir, 'repin.json'),
      REPIN_HOST: SMALL,
      REPIN_CACHE_DIR: cacheDir,
      REPIN_TIMING: '1',
    });
    const timing = JSON.parse(/repin timing: (\{.*\})/.exec(run.stderr)?.[1] ?? '{}') as { codeCache?: unknown };
    const line = JSON.parse(readFileSync(join(journal, 'journal.jsonl'), 'utf8').trim()) as { codeCache?: unknown };
    return { stdout: run.stdout, codeCache: timing.codeCache, journaled: line.codeCache, code: run.code };
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'repin-codecache-'));
    hooks = join(dir, 'hooks');
    cache = join(dir, 'cache');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('install makes it from a call of the installed hook: root-only, named for the build, headed by what made it', () => {
    const run = install();
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stdout).to.match(/wrote code cache .*hook-[0-9a-f]{16}\.v8 \(\d+ KiB, for node /);
    const [name, ...more] = cacheFiles();
    expect(more).to.deep.equal([]);
    const build = /---- build ([0-9a-f]{16})\n/.exec(readFileSync(join(hooks, 'qemu'), 'latin1'))?.[1];
    expect(name).to.equal(`hook-${build}.v8`);
    expect(statSync(join(cache, name!)).mode & 0o777).to.equal(0o600);
    expect(statSync(cache).mode & 0o777).to.equal(0o700);
    expect(readFileSync(join(cache, name!), 'latin1').split('\n')[0]).to.match(new RegExp(`^repin code cache: build ${build}, node /\\S+ \\d+ bytes, modified \\d+$`));
    // The warm-up wrote nothing of its own anywhere but its temp dir.
    expect(readdirSync(dir).sort()).to.deep.equal(['cache', 'hooks', 'installed.json']);
  });

  it('a call with the cache decides and prints exactly what a call without it does, and says it used it', () => {
    expect(install().code).to.equal(0);
    const withCache = call();
    const without = call(join(dir, 'no-cache'));
    expect(withCache.code).to.equal(0);
    expect(withCache.codeCache).to.equal('used');
    expect(withCache.journaled).to.equal('used');
    expect(without.codeCache).to.equal('none');
    expect(without.journaled).to.equal('none');
    expect(withCache.stdout).to.match(/<vcpupin vcpu='0' cpuset='[0-7]'\/>/);
    expect(withCache.stdout).to.equal(without.stdout);
  });

  it('a cut-short cache is refused by V8 and the call compiles as without one', () => {
    expect(install().code).to.equal(0);
    const [name] = cacheFiles();
    const file = join(cache, name!);
    truncateSync(file, Math.floor(statSync(file).size / 2));
    const run = call();
    expect(run.code).to.equal(0);
    expect(run.codeCache).to.equal('rejected');
    expect(run.stdout).to.match(/<vcpupin vcpu='0' cpuset='[0-7]'\/>/);
  });

  it('a cache others may write, or a symlink to one, is not read at all', () => {
    expect(install().code).to.equal(0);
    const [name] = cacheFiles();
    chmodSync(join(cache, name!), 0o666);
    expect(call().codeCache).to.equal('none');
    chmodSync(join(cache, name!), 0o600);
    renameSync(join(cache, name!), join(dir, 'elsewhere.v8'));
    symlinkSync(join(dir, 'elsewhere.v8'), join(cache, name!));
    expect(call().codeCache).to.equal('none');
    rmSync(join(cache, name!));
    renameSync(join(dir, 'elsewhere.v8'), join(cache, name!));
    expect(call().codeCache).to.equal('used');
  });

  it('code-cache keeps a cache made for this build and node, --force makes it again, a new build replaces the old, --hook names the hook', () => {
    expect(install().code).to.equal(0);
    const [name] = cacheFiles();
    const stale = join(cache, 'hook-0123456789abcdef.v8');
    writeFileSync(stale, 'an older build\n', { mode: 0o600 });
    const again = repin('code-cache', '--hooks-dir', hooks, '--cache-dir', cache);
    expect(again.code, again.stderr).to.equal(0);
    expect(again.stdout).to.match(/^kept code cache .*\n$/);
    expect(cacheFiles().sort()).to.deep.equal([name, 'hook-0123456789abcdef.v8'].sort());
    writeFileSync(join(cache, 'notes.txt'), "the operator's\n");
    const forced = repin('code-cache', '--hooks-dir', hooks, '--cache-dir', cache, '--force');
    expect(forced.stdout).to.match(/^wrote code cache /);
    // Making one removes the caches of other builds, and only files named like repin's.
    expect(cacheFiles().sort()).to.deep.equal([name, 'notes.txt'].sort());
    expect(repin('code-cache', '--hooks-dir', join(dir, 'nothing-here'), '--cache-dir', cache).code).to.equal(2);
    // --hook names the file: a drop-in under any name; a file that is not a repin hook is refused.
    expect(repin('code-cache', '--hook', join(hooks, 'qemu'), '--cache-dir', cache).stdout).to.match(/^kept code cache /);
    const foreign = repin('code-cache', '--hook', join(dir, 'installed.json'), '--cache-dir', cache);
    expect(foreign.code).to.equal(2);
    expect(foreign.stderr).to.match(/is not an installed repin hook/);
  });

  it('a cache dir it must not trust is said, and the install still succeeds', () => {
    mkdirSync(cache, { mode: 0o777 });
    chmodSync(cache, 0o777); // whatever the umask
    const run = install();
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stdout).to.match(/installed .*qemu/).and.match(/no code cache for .*qemu: .*writable by group or others/);
    expect(cacheFiles()).to.deep.equal([]);
  });

  it('install into a test tree makes none unless asked; --no-code-cache makes none; uninstall removes it', () => {
    const plain = repin('install', '--hooks-dir', hooks, '--node', process.execPath);
    expect(plain.code, plain.stderr).to.equal(0);
    expect(plain.stdout).not.to.match(/code cache/);
    expect(install('--no-code-cache').stdout).not.to.match(/code cache/);
    expect(cacheFiles()).to.deep.equal([]);
    expect(install().code).to.equal(0);
    expect(cacheFiles()).to.have.length(1);
    const gone = repin('uninstall', '--hooks-dir', hooks, '--cache-dir', cache);
    expect(gone.code, gone.stderr).to.equal(0);
    expect(gone.stdout).to.match(/removed code cache /);
    expect(existsSync(cache)).to.equal(false);
  });
});
