// Bundle repin into one self-contained CommonJS script, dist/repin.
// CommonJS because libvirt's hook file is called `qemu`, with no extension,
// and Node runs extensionless files as CommonJS outside a "type": "module" tree.
// The shebang names an absolute node: libvirt runs hooks with a minimal PATH.
// REPIN_NODE sets it at build time; `repin install --node` at install time.
//
// The file has three parts. The stub (src/main.ts, ~1 KiB) runs first and
// ends every hook call that is not a filter. The payloads follow as `//`
// comment lines: V8 must parse a whole script before running any of it, and
// pre-parsing ~450 KiB of code costs a pass-through call more than all the
// rest of its work, while skipping comments is nearly free (bench/run.mjs
// measures both). On any other call the stub reads its own file and compiles
// only the payload that call needs.
import { build } from 'esbuild';
import { readFileSync, chmodSync, mkdirSync, writeFileSync } from 'node:fs';

const node = process.env.REPIN_NODE ?? '/usr/bin/node';
if (!node.startsWith('/')) throw new Error(`REPIN_NODE must be an absolute path, got ${node}`);

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const inlined = Object.keys(pkg.dependencies).map((name) => {
  const dep = JSON.parse(readFileSync(`node_modules/${name}/package.json`, 'utf8'));
  return `${name}@${dep.version}`;
});

/** Each payload section starts after its mark line and ends at the next mark or the end of the file. */
const MARK = '// ---- repin payload';
const markOf = (section) => `${MARK} ${section}: compiled only when a call needs it (see the loader at the top) ----`;

const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node18.19',
  minify: true,
  charset: 'ascii',
  legalComments: 'none',
  metafile: true,
  write: false,
  logLevel: 'warning',
  define: {
    'import.meta.url': '__importMetaUrl',
    __REPIN_VERSION__: JSON.stringify(pkg.version),
    __REPIN_INLINED__: JSON.stringify(inlined),
  },
};

// Two payloads: the hook's filter (src/hook/entry.ts: ~200 KiB, no CLI, no yargs, no execa)
// and the whole program for the CLI (src/entry.ts). The CLI repeats the hook's modules:
// ~200 KiB more to skip as comments on a pass-through call, against ~10 ms less to compile
// on every filter call (bench/run.mjs).
const payloads = {};
for (const [section, entry] of [['hook', 'src/hook/entry.ts'], ['cli', 'src/entry.ts']]) {
  payloads[section] = await build({
    ...common,
    entryPoints: [entry],
    outfile: `dist/repin.${section}.js`,
    banner: { js: 'const __importMetaUrl = require("url").pathToFileURL(__filename).href;' },
  });
}

// src/main.ts's `import('./hook/entry.js')` and `import('./entry.js')` become this loader for
// their section. It runs in the bundle's own module scope (require, module, __filename of the
// hook file), strips the `//` and compiles the section with line numbers that match the file.
const loader = (section) => `
const { readFileSync } = require('node:fs');
const { compileFunction } = require('node:vm');
const text = readFileSync(__filename, 'utf8');
const mark = text.lastIndexOf(${JSON.stringify(`\n${markOf(section)}\n`)});
if (mark < 0) throw new Error(__filename + ': the repin ${section} payload is missing; rebuild or reinstall repin');
const start = mark + ${markOf(section).length + 2};
const next = text.indexOf(${JSON.stringify(`\n${MARK} `)}, start - 1);
const source = text.slice(start, next < 0 ? text.length : next + 1).replaceAll('\\n//', '\\n').slice(2);
const lineOffset = text.slice(0, start).split('\\n').length - 1;
const payload = { exports: {} };
compileFunction(source, ['exports', 'require', 'module', '__filename', '__dirname'], { filename: __filename, lineOffset })(
  payload.exports, require, payload, __filename, __dirname);
module.exports = payload.exports;
`;

const SECTION_OF = { './hook/entry.js': 'hook', './entry.js': 'cli' };
const payloadPlugin = {
  name: 'repin-payload',
  setup(b) {
    b.onResolve({ filter: /^\.\/(hook\/)?entry\.js$/ }, (args) =>
      args.importer.endsWith('src/main.ts') ? { path: SECTION_OF[args.path], namespace: 'repin-payload' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'repin-payload' }, (args) => ({ contents: loader(args.path), loader: 'js' }));
  },
};

const stub = await build({
  ...common,
  entryPoints: ['src/main.ts'],
  outfile: 'dist/repin',
  plugins: [payloadPlugin],
  banner: { js: `#!${node}\n// repin ${pkg.version} (built bundle; source: src/). Inlined: ${inlined.join(', ')}` },
});

const stubText = stub.outputFiles[0].text;
const sections = [];
for (const [section, result] of Object.entries(payloads)) {
  const code = result.outputFiles[0].text.replace(/\n$/, '');
  // The `//` encoding is reversible only if every line break is a \n (charset ascii rules out U+2028/9).
  if (/\r/.test(code)) throw new Error(`${section} payload contains a carriage return; the // comment encoding would break it`);
  if (code.includes(MARK)) throw new Error(`${section} payload contains the payload mark`);
  sections.push(`${markOf(section)}\n${code.split('\n').map((line) => `//${line}`).join('\n')}\n`);
}
const inputs = new Set(Object.keys(stub.metafile.inputs));
for (const heavy of ['src/entry.ts', 'src/hook/filter.ts', 'src/cli/main.ts', 'src/core/xml.ts']) {
  if (inputs.has(heavy)) throw new Error(`the stub must not include ${heavy}: it belongs in a payload`);
}

const text = `${stubText}${sections.join('')}`;
mkdirSync('dist', { recursive: true }); // a fresh clone has none
writeFileSync('dist/repin', text);
chmodSync('dist/repin', 0o755);
// The repo is "type": "module"; the bundle is CommonJS wherever it runs.
writeFileSync('dist/package.json', '{ "type": "commonjs" }\n');
const metas = [stub, ...Object.values(payloads)].map((r) => r.metafile);
const meta = {
  inputs: Object.assign({}, ...metas.map((m) => m.inputs)),
  outputs: Object.assign({}, ...metas.map((m) => m.outputs)),
};
writeFileSync('dist/meta.json', JSON.stringify(meta));
const kib = (n) => `${(n / 1024).toFixed(0)} KiB`;
console.error(
  `built dist/repin (${kib(text.length)}: stub ${kib(stubText.length)}, ` +
    `${Object.entries(payloads).map(([s, r]) => `${s} ${kib(r.outputFiles[0].text.length)}`).join(', ')}; shebang #!${node})`,
);
