// `npm run build`: three CommonJS bundles and a manifest in dist/ — the CLI
// (`repin`), the hook (`hook.js`, which loads `hook-run.js` for filter and
// release calls) and xmldom (`xmldom.js`), which the hook requires only for XML outside the plain reader's subset (libvirt writes
// none). `repin install` copies them to `<lib>/<build id>/` and writes the
// launchers that run them (src/bundle/launcher.ts). CommonJS because the
// launchers are extensionless files that require them by absolute path.
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build, type BuildOptions, type Plugin } from 'esbuild';
import { BUILD_FILES } from './layout.js';
import { makeManifest } from './manifest.js';

const OUT = 'dist';
const node = process.env.REPIN_NODE ?? '/usr/bin/node';
if (!node.startsWith('/')) throw new Error(`REPIN_NODE must be an absolute path, got ${node}`);

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string; dependencies: Record<string, string> };
const inlined = Object.keys(pkg.dependencies).map((name) => {
  const dep = JSON.parse(readFileSync(`node_modules/${name}/package.json`, 'utf8')) as { version: string };
  return `${name}@${dep.version}`;
});

/**
 * xmldom's HTML entity table (2,000+ entries, built into a frozen object at
 * load) is never read for text/xml; a stand-in keeps the five XML ones.
 */
const xmlOnlyEntities: Plugin = {
  name: 'xmldom-xml-only-entities',
  setup(b) {
    b.onResolve({ filter: /^\.\/entities$/ }, (args) =>
      /@xmldom[\\/]xmldom[\\/]lib[\\/]dom-parser\.js$/.test(args.importer) ? { path: join(process.cwd(), 'src/bundle/xmldom-xml-entities.cjs') } : undefined,
    );
  },
};

/** A module the bundle requires from the build's own file beside it, on first use. */
const beside = (filter: RegExp, file: string): Plugin => ({
  name: `beside-${file}`,
  setup(b) {
    b.onResolve({ filter }, () => ({ path: `./${file}`, external: true }));
  },
});

const common: BuildOptions = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node18.19',
  minify: process.env.REPIN_READABLE_NAMES !== '1', // =1 keeps names, for reading a CPU profile
  charset: 'ascii',
  legalComments: 'none',
  write: false,
  logLevel: 'warning',
  define: { __REPIN_VERSION__: JSON.stringify(pkg.version), __REPIN_INLINED__: JSON.stringify(inlined) },
};

/** The bundle's text; `forbidden` packages must not be in it. */
async function bundle(options: BuildOptions, forbidden: readonly string[] = []): Promise<string> {
  const result = await build({ ...common, ...options, metafile: true });
  const [file] = result.outputFiles ?? [];
  if (!file) throw new Error('build: esbuild wrote nothing');
  const inputs = Object.keys(result.metafile?.inputs ?? {});
  for (const name of forbidden) {
    if (inputs.some((input) => input.startsWith(`node_modules/${name}/`))) throw new Error(`build: ${name} must not be in this bundle`);
  }
  return file.text;
}

const files: Record<string, string> = {
  [BUILD_FILES.cli]: await bundle({ entryPoints: ['src/bundle/cli.ts'], plugins: [xmlOnlyEntities], banner: { js: `#!${node}` } }),
  // Every hook call compiles hook.js, every filter call hook-run.js: no CLI in them, xmldom only beside them.
  [BUILD_FILES.hook]: await bundle(
    { entryPoints: ['src/bundle/hook.ts'], plugins: [beside(/^\.\/hook-run\.js$/, BUILD_FILES.hookRun)], supported: { 'dynamic-import': false } },
    ['yargs', 'execa', '@xmldom/xmldom'],
  ),
  [BUILD_FILES.hookRun]: await bundle(
    { entryPoints: ['src/bundle/hook-run.ts'], plugins: [beside(/^@xmldom\/xmldom$/, BUILD_FILES.xmldom)] },
    ['yargs', 'execa', '@xmldom/xmldom'],
  ),
  [BUILD_FILES.xmldom]: await bundle({
    stdin: { contents: "module.exports = require('@xmldom/xmldom');", resolveDir: '.', sourcefile: 'xmldom.js' },
    plugins: [xmlOnlyEntities],
  }),
  [BUILD_FILES.packageJson]: '{ "type": "commonjs" }\n',
};
const manifest = makeManifest(pkg.version, files);

rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT);
for (const [name, text] of Object.entries(files)) writeFileSync(join(OUT, name), text);
writeFileSync(join(OUT, BUILD_FILES.manifest), `${JSON.stringify(manifest, null, 2)}\n`);
chmodSync(join(OUT, BUILD_FILES.cli), 0o755);
const kib = (name: string): string => `${name} ${((files[name]?.length ?? 0) / 1024).toFixed(0)} KiB`;
console.error(`built ${OUT}/ build ${manifest.buildId}: ${Object.keys(files).filter((n) => n.endsWith('js') || n === BUILD_FILES.cli).map(kib).join(', ')}`);
