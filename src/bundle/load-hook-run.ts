// hook.js's load of hook-run.js, with V8's code cache when install made one:
// compiling the filter's code is most of a cold filter call's own time, and
// the cache lets V8 skip it (docs/performance.md). V8 refuses a cache from
// another V8 or other flags and compiles as without one; the cache sits in
// the build's own dir, written by install from that build's hook-run.js.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Script } from 'node:vm';
import { BUILD_FILES, CODE_CACHE_FILE } from './layout.js';

export type CodeCacheUse = 'used' | 'rejected' | 'none';

export interface HookRun {
  readonly runHook: (loaded: number, codeCache: CodeCacheUse) => void;
}

/** The cache's bytes after its first line (what made it: see code-cache.ts), or undefined. */
function readCache(dir: string): Buffer | undefined {
  try {
    const data = readFileSync(join(dir, CODE_CACHE_FILE));
    const body = data.indexOf(10) + 1;
    return body > 0 && body < data.length ? data.subarray(body) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Compile and run `<dir>/hook-run.js` as CommonJS with `req` (hook.js's own
 * require: xmldom.js is beside it). REPIN_CODE_CACHE_OUT, set only by
 * install's warm-up call, asks for the code this call compiled, at exit.
 */
export function loadHookRun(dir: string, req: NodeJS.Require): HookRun & { codeCache: CodeCacheUse } {
  const file = join(dir, BUILD_FILES.hookRun);
  const cachedData = readCache(dir);
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${readFileSync(file, 'utf8')}\n})`, {
    filename: file,
    ...(cachedData ? { cachedData } : {}),
  });
  const out = process.env.REPIN_CODE_CACHE_OUT;
  if (out) process.once('exit', () => writeFileSync(out, script.createCachedData(), { mode: 0o600 }));
  const module = { exports: {} as Partial<HookRun> };
  (script.runInThisContext() as (...args: unknown[]) => void)(module.exports, req, module, file, dir);
  const { runHook } = module.exports;
  if (typeof runHook !== 'function') throw new Error(`${file} is not repin's hook code (no runHook)`);
  return { runHook, codeCache: cachedData === undefined ? 'none' : script.cachedDataRejected === true ? 'rejected' : 'used' };
}
