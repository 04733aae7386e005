// Run the built bundle as a child process, the way libvirt runs a hook:
// argv, XML on stdin, a minimal environment (LC_ALL=C and system PATH).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { launcherText } from '../../src/bundle/launcher.js';
import { readBuild } from '../../src/bundle/manifest.js';

/** The build `npm run build` writes, and its CLI. */
export const BUILD_DIR = resolve('dist');
export const BUNDLE = join(BUILD_DIR, 'repin');
const SCRATCH = join(tmpdir(), `repin-test-${process.pid}`);
process.on('exit', () => rmSync(SCRATCH, { recursive: true, force: true }));

export interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

export function runScript(script: string, args: readonly string[], stdin: string | Buffer, env: Record<string, string> = {}, timeoutMs = 10_000): Run {
  const started = performance.now();
  const result = spawnSync(process.execPath, [script, ...args], {
    input: stdin,
    // Tests never touch the machine's /run/repin or /var/lib/repin unless they say so.
    env: { LC_ALL: 'C', PATH: '/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/root', REPIN_RUN_DIR: join(SCRATCH, 'run'), REPIN_SPOOL_DIR: join(SCRATCH, 'pending'), ...env },
    timeout: timeoutMs,
    maxBuffer: 64 * 1024 * 1024,
  });
  return { code: result.status, stdout: result.stdout.toString(), stderr: result.stderr.toString(), ms: performance.now() - started };
}

/** A temp hooks dir whose `qemu` is the hook launcher `repin install` writes, running the build in dist/. */
export function hookCopy(): { dir: string; hook: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'repin-hook-'));
  const hook = join(dir, 'qemu');
  const { version, buildId } = readBuild(BUILD_DIR);
  writeFileSync(hook, launcherText({ kind: 'hook', node: process.execPath, version, buildId, buildDir: BUILD_DIR }), { mode: 0o755 });
  return { dir, hook, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
