// Bundle repin into one self-contained CommonJS script, dist/repin.
// CommonJS because libvirt's hook file is called `qemu`, with no extension,
// and Node runs extensionless files as CommonJS outside a "type": "module" tree.
// The shebang names an absolute node: libvirt runs hooks with a minimal PATH.
// REPIN_NODE sets it at build time; `repin install --node` at install time.
import { build } from 'esbuild';
import { readFileSync, chmodSync, writeFileSync } from 'node:fs';

const node = process.env.REPIN_NODE ?? '/usr/bin/node';
if (!node.startsWith('/')) throw new Error(`REPIN_NODE must be an absolute path, got ${node}`);

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const inlined = Object.keys(pkg.dependencies).map((name) => {
  const dep = JSON.parse(readFileSync(`node_modules/${name}/package.json`, 'utf8'));
  return `${name}@${dep.version}`;
});

const result = await build({
  entryPoints: ['src/main.ts'],
  outfile: 'dist/repin',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node18.19',
  minify: true,
  legalComments: 'none',
  metafile: true,
  banner: {
    js: `#!${node}\n// repin ${pkg.version} (built bundle; source: src/). Inlined: ${inlined.join(', ')}\n` +
      'const __importMetaUrl = require("url").pathToFileURL(__filename).href;',
  },
  define: {
    'import.meta.url': '__importMetaUrl',
    __REPIN_VERSION__: JSON.stringify(pkg.version),
    __REPIN_INLINED__: JSON.stringify(inlined),
  },
  logLevel: 'warning',
});
chmodSync('dist/repin', 0o755);
// The repo is "type": "module"; the bundle is CommonJS wherever it runs.
writeFileSync('dist/package.json', '{ "type": "commonjs" }\n');
writeFileSync('dist/meta.json', JSON.stringify(result.metafile));
const size = readFileSync('dist/repin').length;
console.error(`built dist/repin (${(size / 1024).toFixed(0)} KiB, shebang #!${node})`);
