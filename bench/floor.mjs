// The bench's floor case (bench/xmldom-floor.cjs): node and xmldom alone, bundled the way
// dist/repin bundles xmldom. The stack fixes xmldom; this case shows what it costs by itself.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { xmlOnlyEntities } from '../scripts/xmldom-xml-only.mjs';

/** Bundle the floor script into `work` and return its path. */
export async function buildFloor(work) {
  const outfile = join(work, 'xmldom-floor.js');
  await build({
    entryPoints: [fileURLToPath(new URL('./xmldom-floor.cjs', import.meta.url))],
    outfile,
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
  return outfile;
}
