// The hook's code cache. A filter call spends about as long compiling repin's
// code and xmldom's as running them (bench/run.mjs). V8 can serialize what a
// script has compiled and take it back in a later process; the hook's loader
// (scripts/build.mjs) does that when /var/cache/repin/hook-<build id>.v8 is
// there. This module makes that file: it runs the installed hook once, as
// libvirt would but on a made-up guest and with every place it writes moved
// to a temp dir, has it hand over its compiled code at exit, checks that a
// second call of the same hook takes it, and only then puts it in place.
// The cache holds code, never results: the hook plans every call afresh.
// Made by the hook's own node; V8 refuses it after that node is upgraded (the
// hook then compiles, as without one) until `repin code-cache` runs again.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, realpathSync, rmdirSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../core/errors.js';
import { replaceFile } from './atomic-file.js';
import { HOOK_PAYLOAD_MARK } from './install.js';
import { ensurePrivateDir } from './private-dir.js';

export const CODE_CACHE_DIR = '/var/cache/repin';
/** The hook payload's mark line, which ends with the build's id. */
const HOOK_MARK = new RegExp(`\n${HOOK_PAYLOAD_MARK} .* build ([0-9a-f]{16})\n`);
const CACHE_NAME = /^hook-[0-9a-f]{16}\.v8$/;
const LIBVIRT_ENV = { LC_ALL: 'C', PATH: '/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/root' };
const WARM_UP_TIMEOUT_MS = 60_000;

/**
 * The warm-up guest: pinned where no host has CPUs or nodes, so the call
 * plans, remaps, rewrites and serializes — most of the code a real call runs.
 */
const WARM_UP_XML = `<domain type='kvm'>
  <name>repin-code-cache</name>
  <uuid>00000000-0000-4000-8000-00000000cace</uuid>
  <metadata><other xmlns='urn:example:other'>kept</other></metadata>
  <memory unit='KiB'>1048576</memory>
  <vcpu placement='static' cpuset='16000-16383'>4</vcpu>
  <iothreads>1</iothreads>
  <cputune>
    <vcpupin vcpu='0' cpuset='16380'/>
    <vcpupin vcpu='1' cpuset='16381'/>
    <vcpupin vcpu='2' cpuset='16382,16383'/>
    <emulatorpin cpuset='16000-16001'/>
    <iothreadpin iothread='1' cpuset='16002'/>
  </cputune>
  <numatune>
    <memory mode='strict' nodeset='1000'/>
    <memnode cellid='0' mode='strict' nodeset='1000'/>
  </numatune>
  <os><type arch='x86_64'>hvm</type></os>
  <cpu><numa><cell id='0' cpus='0-3' memory='1048576' unit='KiB'/></numa></cpu>
  <devices><graphics type='vnc' passwd='not-a-secret'/></devices>
</domain>
`;

export function codeCachePath(dir: string, buildId: string): string {
  return join(dir, `hook-${buildId}.v8`);
}

/** What made a cache file: its first line, compared before making it again. */
function header(buildId: string, node: string): string {
  const real = realpathSync(node);
  const stat = statSync(real);
  return `repin code cache: build ${buildId}, node ${real} ${stat.size} bytes, modified ${Math.trunc(stat.mtimeMs)}`;
}

function firstLine(path: string): string | undefined {
  try {
    const text = readFileSync(path, 'latin1');
    const end = text.indexOf('\n');
    return end < 0 ? undefined : text.slice(0, end);
  } catch {
    return undefined;
  }
}

/** The hook's build id and its shebang's node, or a ConfigError when `hook` is not a repin hook copy. */
function hookIdentity(hook: string): { buildId: string; node: string } {
  let text: string;
  try {
    text = readFileSync(hook, 'latin1');
  } catch (error) {
    throw new ConfigError(`cannot read ${hook}: ${(error as Error).message}`);
  }
  const node = /^#!(\/\S+)\n\/\/ repin /.exec(text)?.[1];
  const buildId = HOOK_MARK.exec(text)?.[1];
  if (node === undefined || buildId === undefined) throw new ConfigError(`${hook} is not an installed repin hook`);
  return { buildId, node };
}

export interface CodeCacheResult {
  readonly path: string;
  readonly written: boolean;
  readonly message: string;
}

/** Run `hook` as libvirt would, on the warm-up guest, with every place it writes under `work`. */
function runHook(hook: string, work: string, extraEnv: Record<string, string>): { status: number | null; stderr: string } {
  const result = spawnSync(hook, ['repin-code-cache', 'migrate', 'begin', '-'], {
    input: WARM_UP_XML,
    env: {
      ...LIBVIRT_ENV,
      REPIN_CONFIG: join(work, 'repin.json'),
      REPIN_RUN_DIR: join(work, 'run'),
      REPIN_SPOOL_DIR: join(work, 'pending'),
      REPIN_JOURNAL_DIR: join(work, 'journal'),
      ...extraEnv,
    },
    timeout: WARM_UP_TIMEOUT_MS,
    maxBuffer: 1 << 24,
  });
  if (result.error) return { status: null, stderr: result.error.message };
  return { status: result.status, stderr: result.stderr.toString() };
}

/**
 * Make the code cache for the installed `hook` in `dir`, unless the one there
 * was made for this build by this node (`force` makes it anyway). A warm-up
 * that fails, or a cache the hook's V8 does not take, leaves nothing behind
 * and says why: the hook works the same without one, only slower.
 */
export function makeCodeCache(hook: string, dir = CODE_CACHE_DIR, { force = false } = {}): CodeCacheResult {
  const { buildId, node } = hookIdentity(hook);
  const path = codeCachePath(dir, buildId);
  let made: string;
  try {
    made = header(buildId, node);
  } catch (error) {
    return { path, written: false, message: `no code cache for ${hook}: its node ${node}: ${(error as Error).message}` };
  }
  if (!force && firstLine(path) === made) return { path, written: false, message: `kept code cache ${path}` };
  try {
    return warmUpAndWrite(hook, { buildId, node }, made, path, dir);
  } catch (error) {
    // A full disk or an unsafe cache dir: said, never a failed install (the hook is in place already).
    return { path, written: false, message: `no code cache for ${hook}: ${(error as Error).message}` };
  }
}

function warmUpAndWrite(hook: string, { buildId, node }: { buildId: string; node: string }, made: string, path: string, dir: string): CodeCacheResult {
  const work = mkdtempSync(join(tmpdir(), 'repin-code-cache-'));
  try {
    writeFileSync(join(work, 'repin.json'), JSON.stringify({ policy: 'remap', onError: 'keep', journal: { dir: join(work, 'journal'), keep: 1 } }));
    const data = join(work, 'code');
    const warm = runHook(hook, work, { REPIN_CODE_CACHE_OUT: data });
    let code: Buffer;
    try {
      code = readFileSync(data);
    } catch {
      return { path, written: false, message: `no code cache for ${hook}: its warm-up call left none (exit ${warm.status}: ${warm.stderr.trim().split('\n')[0] ?? ''})` };
    }
    const file = Buffer.concat([Buffer.from(`${made}\n`, 'latin1'), code]);
    // The same hook, reading it where the loader looks: V8 must take it, or it is not worth a file.
    const trial = join(work, 'cache');
    ensurePrivateDir(trial);
    writeFileSync(codeCachePath(trial, buildId), file, { mode: 0o600 });
    const check = runHook(hook, work, { REPIN_CACHE_DIR: trial, REPIN_TIMING: '1' });
    const verdict = /repin timing: .*"codeCache":"(\w+)"/.exec(check.stderr)?.[1] ?? `no answer (exit ${check.status})`;
    if (verdict !== 'used') return { path, written: false, message: `no code cache for ${hook}: its node would not use it (${verdict})` };
    ensurePrivateDir(dir);
    replaceFile(path, file, 0o600);
    removeCodeCaches(dir, path);
    return { path, written: true, message: `wrote code cache ${path} (${Math.round(file.length / 1024)} KiB, for node ${node})` };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Remove the cache files repin names in `dir` (but `keep`), and `dir` when that empties it; returns what went. */
export function removeCodeCaches(dir: string, keep?: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const path = join(dir, name);
    if (!CACHE_NAME.test(name) || path === keep) continue;
    try {
      unlinkSync(path);
      removed.push(path);
    } catch {
      // gone already
    }
  }
  if (keep === undefined && removed.length > 0) {
    try {
      rmdirSync(dir);
    } catch {
      // other files in it: not ours to remove
    }
  }
  return removed;
}
