// The bench's floor case (bench/xmldom-floor.cjs): node and xmldom alone, bundled the way
// dist/repin bundles xmldom and loaded the way the hook loads its payload, with a V8 code
// cache made by a first run. The stack fixes xmldom; this case shows what it costs by itself.
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { xmlOnlyEntities } from '../scripts/xmldom-xml-only.mjs';

/** Bundle the floor script into `work`, make its code cache, and return the script to run. */
export async function buildFloor(work, { node, input, env }) {
  const bundle = join(work, 'xmldom-floor.js');
  await build({
    entryPoints: [fileURLToPath(new URL('./xmldom-floor.cjs', import.meta.url))],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node18.19',
    minify: true,
    charset: 'ascii',
    legalComments: 'none',
    logLevel: 'warning',
    plugins: [xmlOnlyEntities],
  });
  const cache = `${bundle}.v8`;
  const runner = join(work, 'xmldom-floor-run.js');
  writeFileSync(
    runner,
    `const { existsSync, readFileSync, writeFileSync } = require('node:fs');
const { Script } = require('node:vm');
const cachedData = existsSync(${JSON.stringify(cache)}) ? readFileSync(${JSON.stringify(cache)}) : undefined;
const script = new Script('(function (exports, require, module, __filename, __dirname) {' + readFileSync(${JSON.stringify(bundle)}, 'latin1') + '\\n})', { filename: ${JSON.stringify(bundle)}, cachedData });
if (cachedData === undefined) process.once('exit', () => writeFileSync(${JSON.stringify(cache)}, script.createCachedData()));
else if (script.cachedDataRejected) throw new Error('xmldom floor: V8 rejected its code cache');
script.runInThisContext()(exports, require, module, __filename, __dirname);
`,
  );
  const first = spawnSync(node, [runner], { input, env });
  if (first.status !== 0 || !existsSync(cache)) throw new Error(`bench: the floor's first run failed: ${first.stderr}`);
  return runner;
}
