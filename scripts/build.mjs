// Bundle repin into one self-contained CommonJS script, dist/repin.
// CommonJS because libvirt's hook file is called `qemu`, with no extension,
// and Node runs extensionless files as CommonJS outside a "type": "module" tree.
// The shebang names an absolute node: libvirt runs hooks with a minimal PATH.
// REPIN_NODE sets it at build time; `repin install --node` at install time.
//
// The file has four parts. The stub (src/main.ts, a few KiB) runs first and
// ends every hook call that is not a filter or a release. The payloads (the
// hook's, xmldom, the CLI's) follow as `//` comment lines: Node reads and V8
// scans the whole script before running any of it, so every hook call pays
// for the file's size, and pre-parsing ~450 KiB of code would cost a
// pass-through call more than all the rest of its work, while skipping
// comments is nearly free. On any other call the stub reads just its
// payload's bytes (offsets written in below), strips the `//` and compiles
// it (bench/run.mjs measures all of this). xmldom's and the CLI's payloads
// are also deflated, the hook's is not (see PACKED). The CLI's comes last:
// the copy installed as libvirt's hook ends before it (hookScript in
// src/io/install.ts), so hook calls do not even read it. Each mark line ends
// with the build's id, which the stub checks before compiling what follows:
// an upgrade that renames a new file into place while a call is starting
// makes that call run the new file from the top instead.
import { build } from 'esbuild';
import { readFileSync, chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import { xmlOnlyEntities } from './xmldom-xml-only.mjs';

const node = process.env.REPIN_NODE ?? '/usr/bin/node';
if (!node.startsWith('/')) throw new Error(`REPIN_NODE must be an absolute path, got ${node}`);

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const inlined = Object.keys(pkg.dependencies).map((name) => {
  const dep = JSON.parse(readFileSync(`node_modules/${name}/package.json`, 'utf8'));
  return `${name}@${dep.version}`;
});

/** Each payload section starts after its mark line and ends at the next mark or the end of the file. */
const MARK = '// ---- repin payload';
/** Ends with the build id, which the loader checks before it compiles what follows (see there). */
const markOf = (section, buildId) => `${MARK} ${section}: compiled only when a call needs it (see the loader at the top) ---- build ${buildId}`;
const BUILD_TOKEN = '@@build@@@@@@@@@'; // as wide as a build id: 16 hex digits

const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node18.19',
  minifyWhitespace: true,
  minifySyntax: true,
  // REPIN_READABLE_NAMES=1 keeps identifiers, for reading a CPU profile of the bundle.
  minifyIdentifiers: process.env.REPIN_READABLE_NAMES !== '1',
  charset: 'ascii',
  legalComments: 'none',
  metafile: true,
  write: false,
  logLevel: 'warning',
  define: {
    'import.meta.url': '__repinMeta.url',
    __REPIN_VERSION__: JSON.stringify(pkg.version),
    __REPIN_INLINED__: JSON.stringify(inlined),
  },
};

// Three payloads, the CLI's last (see the top): the hook's filter and release (src/hook/entry.ts:
// no CLI, no yargs, no execa); xmldom, which the hook's code requires only for XML outside
// src/core/plain-xml.ts's subset (libvirt sends none), so it is packed like the CLI and costs
// other calls nothing but its bytes; and the whole program for the CLI (src/entry.ts), xmldom
// included. The CLI repeats the hook's modules, so a filter call compiles ~70 KiB instead of ~360.
const payloads = {};
for (const [section, entry] of [['hook', 'src/hook/entry.ts'], ['xmldom', undefined], ['cli', 'src/entry.ts']]) {
  payloads[section] = await build({
    ...common,
    ...(entry ? { entryPoints: [entry] } : { stdin: { contents: "module.exports = require('@xmldom/xmldom');", resolveDir: '.', sourcefile: 'xmldom.js' } }),
    outfile: `dist/repin.${section}.js`,
    // The hook's `require('@xmldom/xmldom')` gets the xmldom payload from the loader.
    ...(section === 'hook' ? { external: ['@xmldom/xmldom'] } : {}),
    // Lazy: building a URL at load costs a filter call ~1 ms, and the hook's code never asks.
    banner: { js: 'const __repinMeta = { get url() { return require("url").pathToFileURL(__filename).href; } };' },
    plugins: [xmlOnlyEntities],
  });
}

/** The dependencies each payload inlines: `a@1 in the hook; b@2, c@3 in the CLI part only`. */
function inlinedLine() {
  const inHook = inlined.filter((dep) => {
    const name = dep.slice(0, dep.lastIndexOf('@'));
    return [payloads.hook, payloads.xmldom].some((p) => Object.keys(p.metafile.inputs).some((input) => input.startsWith(`node_modules/${name}/`)));
  });
  const cliOnly = inlined.filter((dep) => !inHook.includes(dep));
  return `${inHook.join(', ') || 'nothing'} in the hook; ${cliOnly.join(', ') || 'nothing more'} in the CLI part only`;
}

// src/main.ts's `import('./hook/entry.js')` and `import('./entry.js')` each become a call of this
// one loader with its section's name, byte range and packing. It runs
// in the bundle's own module scope (require, module, __filename of the hook file), strips the `//`
// and compiles the section with line numbers that match the file.
const token = (what, section) => `@@${what}-${section}`.padEnd(16, '@');
const section = (name) =>
  `module.exports = require('repin-payload:loader')(${JSON.stringify(name)}, Number(${JSON.stringify(token('start', name))}), ` +
  `Number(${JSON.stringify(token('end', name))}), ${JSON.stringify(PACKED.has(name))});`;
const loader = `
const { closeSync, constants, fstatSync, openSync, readSync } = require('node:fs');
const { compileFunction, Script } = require('node:vm');
// The hook's code cache: V8's compiled code for this build's hook payload, made by \`repin install\`
// or \`repin code-cache\` (src/io/code-cache.ts) from one real call of the installed hook, so a
// filter call deserializes what every call would compile. V8 itself refuses data from another V8
// or other flags (the call then compiles, as without a cache); the build id in the name ties it to
// these bytes. Only a regular root file no one else may write is used.
const codeCache = () => {
  let fd;
  try {
    fd = openSync((process.env.REPIN_CACHE_DIR || '/var/cache/repin') + '/hook-${BUILD_TOKEN}.v8', constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    const { mode, size, uid } = fstatSync(fd);
    if ((mode & 0o170000) !== 0o100000 || (mode & 0o022) !== 0 || uid !== process.geteuid() || size > 1 << 26) return undefined;
    const data = Buffer.allocUnsafe(size);
    let got = 0;
    for (let n = 1; got < size && n > 0; got += n) n = readSync(fd, data, got, size - got, got);
    // After the first line, repin's own header (what made it), V8's data.
    const body = data.indexOf(10) + 1;
    return got === size && body > 0 ? data.subarray(body) : undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
};
// from, to: byte offsets of the section counted from the end of the shebang line (written in after
// the payloads were laid out): \`repin install --node\` and the Ansible role may rewrite the shebang.
const load = (section, from, to, packed) => {
  // A damaged or partial install, not a bug: src/main.ts reports these by message alone.
  const damaged = (message) => Object.assign(new Error(__filename + ': ' + message), { code: 'REPIN_PAYLOAD' });
  const absent = () => damaged('this copy of repin has no ' + section + ' payload (the hook copy has no CLI); run the repin command');
  const short = () => damaged('the repin ' + section + ' payload is cut short; rebuild or reinstall repin');
  const fd = openSync(__filename, 'r');
  const buffer = Buffer.allocUnsafe(to - from);
  try {
    const head = Buffer.allocUnsafe(4096);
    const shebang = head.subarray(0, readSync(fd, head, 0, head.length, 0)).indexOf(10);
    const start = shebang + from;
    if (shebang < 0 || !(buffer.length > 0)) throw damaged('the repin ' + section + ' payload is missing; rebuild or reinstall repin');
    // The payload's mark line must end with this stub's build id. It does not when the file was
    // replaced (an upgrade's rename) between node reading this stub and this read: then run the
    // new file from the start, once (stdin is still unread), rather than compile someone else's bytes.
    const built = Buffer.from(' build ${BUILD_TOKEN}\\n', 'latin1');
    const mark = Buffer.alloc(built.length);
    const markBytes = start < built.length ? 0 : readSync(fd, mark, 0, mark.length, start - mark.length);
    if (markBytes === 0) throw absent();
    if (markBytes < mark.length) throw short();
    if (!mark.equals(built)) {
      if (process.env.REPIN_REEXEC === '1') throw damaged('its ' + section + ' payload is from another build than its start; reinstall repin');
      // xmldom is loaded in the middle of a call, stdin already read: too late to start over.
      if (section === 'xmldom') throw damaged('its xmldom payload is from another build than its start (the file was replaced during this call)');
      const rerun = require('node:child_process').spawnSync(process.execPath, [...process.execArgv, __filename, ...process.argv.slice(2)], {
        stdio: 'inherit',
        env: { ...process.env, REPIN_REEXEC: '1' },
      });
      process.exit(rerun.status ?? 1);
    }
    let got = 0;
    while (got < buffer.length) {
      const n = readSync(fd, buffer, got, buffer.length - got, start + got);
      if (n === 0) throw got === 0 ? absent() : short();
      got += n;
    }
  } finally {
    closeSync(fd);
  }
  // Each line's \`//\` goes in place, and one string is made at the end: every string copied or
  // sliced is fresh memory (~0.5 ms for the hook's 120 KiB). A packed section's lines join without breaks.
  let length = 0;
  for (let from = 2; from < buffer.length; ) {
    const nl = buffer.indexOf(10, from);
    const end = nl < 0 ? buffer.length : packed ? nl : nl + 1;
    length += buffer.copy(buffer, length, from, end);
    from = nl < 0 ? buffer.length : nl + 3;
  }
  const source = packed
    ? require('node:zlib').inflateRawSync(Buffer.from(buffer.toString('latin1', 0, length), 'base64')).toString('utf8')
    : buffer.toString('latin1', 0, length);
  const payload = { exports: {} };
  const params = ['exports', 'require', 'module', '__filename', '__dirname'];
  const filename = __filename + '#' + section;
  let run;
  if (packed) run = compileFunction(source, params, { filename });
  else {
    const cachedData = codeCache();
    const script = new Script('(function (' + params + ') {' + source + '\\n})', { filename, cachedData });
    // For REPIN_TIMING and the journal (src/hook/filter.ts).
    globalThis[Symbol.for('repin.codeCache')] = cachedData === undefined ? 'none' : script.cachedDataRejected ? 'rejected' : 'used';
    // Only \`repin code-cache\`'s warm-up call sets this (src/io/code-cache.ts): the code this call compiled, at exit.
    const out = process.env.REPIN_CODE_CACHE_OUT;
    if (out) process.once('exit', () => require('node:fs').writeFileSync(out, script.createCachedData(), { mode: 0o600 }));
    run = script.runInThisContext();
  }
  run(payload.exports, payloadRequire, payload, __filename, __dirname);
  return payload.exports;
};
// What the payloads require: node's modules, and xmldom from its own payload, once.
let xmldom;
const payloadRequire = (id) =>
  id === '@xmldom/xmldom' ? (xmldom ??= load('xmldom', Number(${JSON.stringify(token('start', 'xmldom'))}), Number(${JSON.stringify(token('end', 'xmldom'))}), true)) : require(id);
module.exports = load;
`;

// The CLI and xmldom are deflated (a third of their size for every hook call to skip); the hook
// is kept as plain lines: loading node:zlib and inflating would cost each filter call ~3 ms.
const PACKED = new Set(['xmldom', 'cli']);

const SECTION_OF = { './hook/entry.js': 'hook', './entry.js': 'cli' };
const payloadPlugin = {
  name: 'repin-payload',
  setup(b) {
    b.onResolve({ filter: /^\.\/(hook\/)?entry\.js$/ }, (args) =>
      args.importer.endsWith('src/main.ts') ? { path: SECTION_OF[args.path], namespace: 'repin-payload' } : undefined,
    );
    b.onResolve({ filter: /^repin-payload:loader$/ }, () => ({ path: 'loader', namespace: 'repin-payload' }));
    b.onLoad({ filter: /.*/, namespace: 'repin-payload' }, (args) => ({ contents: args.path === 'loader' ? loader : section(args.path), loader: 'js' }));
  },
};

const stub = await build({
  ...common,
  entryPoints: ['src/main.ts'],
  outfile: 'dist/repin',
  plugins: [payloadPlugin],
  // Line 2 is true of the hook copy too, which ends before the CLI's payload (see the top).
  banner: { js: `#!${node}\n// repin ${pkg.version} (built bundle; source: src/). Inlined: ${inlinedLine()}` },
});

// The build id: the stub (with the id's place held by a token) and every payload, hashed.
const stubText = stub.outputFiles[0].text;
if (stubText.includes(MARK)) throw new Error('the stub contains the payload mark');
const buildHash = createHash('sha256').update(stubText);
for (const result of Object.values(payloads)) buildHash.update(result.outputFiles[0].text);
const buildId = buildHash.digest('hex').slice(0, BUILD_TOKEN.length);
const sections = [];
for (const [section, result] of Object.entries(payloads)) {
  const code = result.outputFiles[0].text.replace(/\n$/, '');
  // The `//` encoding is reversible only if every line break is a \n (charset ascii rules out U+2028/9).
  if (/\r/.test(code)) throw new Error(`${section} payload contains a carriage return; the // comment encoding would break it`);
  // A mark inside a plain section would end it early (base64 lines cannot hold one; src/io/install.ts names it).
  if (!PACKED.has(section) && code.includes(MARK)) throw new Error(`${section} payload contains the payload mark`);
  // As `//` comment lines: the code's own lines, or deflated and base64-encoded in 120 columns.
  const lines = PACKED.has(section) ? (deflateRawSync(Buffer.from(code, 'utf8'), { level: 9 }).toString('base64').match(/.{1,120}/g) ?? []) : code.split('\n');
  sections.push(`${markOf(section, buildId)}\n${lines.map((line) => `//${line}`).join('\n')}\n`);
}
const inputs = new Set(Object.keys(stub.metafile.inputs));
for (const heavy of ['src/entry.ts', 'src/hook/filter.ts', 'src/cli/main.ts', 'src/core/xml.ts']) {
  if (inputs.has(heavy)) throw new Error(`the stub must not include ${heavy}: it belongs in a payload`);
}

// Lay the file out, then write each section's byte range and first line into the stub. The
// tokens and the numbers have the same width, so writing them in moves nothing. (ASCII only:
// bytes and characters are the same.)
if (stubText.split(BUILD_TOKEN).length !== 3) throw new Error('build: expected two build tokens, in the loader (its mark check and its code cache name)');
let text = `${stubText.replaceAll(BUILD_TOKEN, buildId)}${sections.join('')}`;
for (const section of Object.keys(payloads)) {
  const mark = `${markOf(section, buildId)}\n`;
  const markAt = text.lastIndexOf(`\n${mark}`) + 1;
  const start = markAt + mark.length;
  const next = text.indexOf(`\n${MARK} `, start);
  const end = next < 0 ? text.length : next + 1;
  const shebangEnd = text.indexOf('\n');
  for (const [what, value] of [['start', start - shebangEnd], ['end', end - shebangEnd]]) {
    const t = token(what, section);
    if (text.split(t).length !== 2) throw new Error(`build: expected exactly one ${t} in the stub`);
    text = text.replace(t, String(value).padStart(t.length, '0'));
  }
}
if (/[^\x00-\x7f]/.test(text)) throw new Error('build: the bundle must be ASCII (payload offsets are byte offsets)');
// Every hook call, pass-through included, has node read the whole hook copy. Above 128 KiB the
// buffer it reads into is fresh memory (glibc's mmap threshold): ~35 more page faults on every
// call, ~0.5 ms on the bench's VM. Kept under it with 1 KiB for a longer node path in the shebang.
// A readable-names build is for profiling only and is larger: not held to it.
const hookCopyBytes = text.indexOf(`\n${MARK} cli:`) + 1;
if (hookCopyBytes > 127 * 1024 && process.env.REPIN_READABLE_NAMES !== '1') {
  throw new Error(`build: the hook copy is ${hookCopyBytes} bytes; over 128 KiB node reads it into fresh memory on every call: trim the hook payload`);
}
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
    `${Object.entries(payloads).map(([s, r]) => `${s} ${kib(r.outputFiles[0].text.length)}`).join(', ')}; hook copy ${kib(hookCopyBytes)}; shebang #!${node})`,
);
