// The hook's code cache (src/bundle/load-hook-run.ts), made by install on the
// host with the node the hook runs: one warm-up call of the installed build's
// hook as libvirt makes it, on a made-up guest pinned to CPUs no host has (so
// it remaps, rewrites and writes, compiling what a real call compiles), every
// place it writes moved to a temp dir; V8's data taken at its exit. Its first
// line says which node made it (path, size, mtime), so install makes it again
// after a node upgrade and keeps it otherwise.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILD_FILES, CODE_CACHE_FILE } from '../../bundle/layout.js';
import { replaceFile } from '../fs/atomic-file.js';

/** What made a cache: the node binary as it is now. Undefined when node cannot be read. */
function cacheHeader(node: string): string | undefined {
  try {
    const real = realpathSync(node);
    const { size, mtimeMs } = statSync(real);
    return `repin code cache: node ${real} ${size} ${Math.round(mtimeMs)}`;
  } catch {
    return undefined;
  }
}

/** Whether `<build>/hook-run.v8` was made by this node. */
export function cacheIsCurrent(buildDir: string, node: string): boolean {
  const header = cacheHeader(node);
  try {
    const data = readFileSync(join(buildDir, CODE_CACHE_FILE));
    return header !== undefined && data.subarray(0, data.indexOf(10)).toString() === header;
  } catch {
    return false;
  }
}

// 4 vCPUs and the emulator on CPUs no host has, memory on a node none has: remapped and rewritten anywhere.
const WARM_UP_XML = `<domain type='kvm'><name>repin-warm-up</name><uuid>00000000-0000-4000-8000-0000000000aa</uuid>
  <memory unit='KiB'>65536</memory><vcpu placement='static'>4</vcpu>
  <cputune><vcpupin vcpu='0' cpuset='16000'/><vcpupin vcpu='1' cpuset='16001'/><vcpupin vcpu='2' cpuset='16002'/><vcpupin vcpu='3' cpuset='16003'/><emulatorpin cpuset='16004'/></cputune>
  <numatune><memory mode='strict' nodeset='63'/></numatune>
  <os><type arch='x86_64'>hvm</type></os>
</domain>
`;

/**
 * Make the cache for the build in `buildDir`; undefined when made, else why
 * not (the hook works without one, only slower: never a failed install).
 */
export function makeCodeCache(buildDir: string, node: string): string | undefined {
  const header = cacheHeader(node);
  if (header === undefined) return `${node} cannot be read`;
  const work = mkdtempSync(join(tmpdir(), 'repin-code-cache-'));
  try {
    const out = join(work, 'cache');
    writeFileSync(join(work, 'repin.json'), JSON.stringify({ policy: 'remap', shadow: false, journal: { dir: join(work, 'journal') } }));
    const run = spawnSync(node, [join(buildDir, BUILD_FILES.hook), 'repin-warm-up', 'migrate', 'begin', '-'], {
      input: WARM_UP_XML,
      env: {
        LC_ALL: 'C',
        PATH: '/usr/sbin:/usr/bin:/sbin:/bin',
        REPIN_CONFIG: join(work, 'repin.json'),
        REPIN_JOURNAL_DIR: join(work, 'journal'),
        REPIN_RUN_DIR: join(work, 'run'),
        REPIN_SPOOL_DIR: join(work, 'pending'),
        REPIN_CODE_CACHE_OUT: out,
      },
      timeout: 30_000,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    if (run.status !== 0 || !run.stdout.toString().includes('<domain')) {
      return `the warm-up call failed (exit ${run.status ?? run.signal ?? '?'}): ${run.stderr.toString().trim().split('\n')[0] ?? ''}`;
    }
    const data = readFileSync(out);
    if (data.length === 0) return 'the warm-up call left no code';
    replaceFile(join(buildDir, CODE_CACHE_FILE), Buffer.concat([Buffer.from(`${header}\n`), data]), 0o644);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
