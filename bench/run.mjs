// `npm run bench`: the built hook run as libvirt runs it — installed by the
// build's own `repin install` as <tmp>/hooks/qemu (the launcher, running the
// build copied to <tmp>/lib/<build id>/) and exec'd through its shebang with argv
// `VM OP SUBOP -`, the domain XML on stdin and libvirt's hook environment —
// timed against a bare `node empty.js` in the same run, cases interleaved
// round-robin so machine noise spreads over all of them. Prints one table and
// the hook's own time split, writes bench/results.json. Not a test: nothing
// fails on a budget; the table says whether each is met.
//
//   node bench/run.mjs [--runs N] [--bundle FILE] [--timeout S]   (FILE: a built CLI, dist/repin)
//   (default 30 rounds; the huge case runs every 3rd; a case whose checked run
//   takes longer than --timeout seconds, default 30, is reported as timed out)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, release, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { domainXml } from './domain-xml.mjs';
import { median, ratioInterval } from './median.mjs';
import { HOSTS, cpuCount, writeHost } from './hosts.mjs';
import { measureWarm } from './warm.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const option = (name, fallback) => {
  const at = process.argv.indexOf(name);
  return at > 0 && process.argv[at + 1] !== undefined ? process.argv[at + 1] : fallback;
};
const bundle = resolve(option('--bundle', resolve(here, '../dist/repin')));
const ROUNDS = Number(option('--runs', 30));
const TIMEOUT_MS = Number(option('--timeout', 30)) * 1000;
const TIMING_RUNS = Math.max(5, Math.round(ROUNDS / 3));
const PROBE_RUNS = Math.max(5, Math.round(ROUNDS / 2));

// libvirt's hook environment (virCommandAddEnvPassCommon: LC_ALL, PATH, HOME), nothing else.
const LIBVIRT_ENV = { LC_ALL: 'C', PATH: '/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/root' };

// --- the scene: a hooks dir, a config, host trees, domains ---------------------------

const work = mkdtempSync(join(tmpdir(), 'repin-bench-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));
const node = /^#!(\S+)/.exec(readFileSync(bundle, 'utf8'))?.[1] ?? '/usr/bin/node';
// The hook as an operator gets it: the build's own `repin install`.
const hook = join(work, 'hooks', 'qemu');
const installed = spawnSync(node, [bundle, 'install', '--hooks-dir', dirname(hook), '--lib-dir', join(work, 'lib'), '--node', node, '--config', join(work, 'installed.json')], { env: LIBVIRT_ENV });
if (installed.status !== 0) throw new Error(`bench: repin install failed: ${installed.stderr}`);
if (!/installed code cache/.test(installed.stdout) || /no code cache/.test(installed.stdout)) throw new Error(`bench: repin install made no code cache: ${installed.stdout}`);
// The same build installed without a code cache: what the cache saves.
const coldHook = join(work, 'cold-hooks', 'qemu');
const cold = spawnSync(node, [bundle, 'install', '--hooks-dir', dirname(coldHook), '--lib-dir', join(work, 'cold-lib'), '--node', node, '--config', join(work, 'installed.json'), '--no-code-cache'], { env: LIBVIRT_ENV });
if (cold.status !== 0) throw new Error(`bench: repin install --no-code-cache failed: ${cold.stderr}`);
const empty = join(work, 'empty.js');
writeFileSync(empty, '');
// Peak RSS, CPU time and minor page faults: getrusage(RUSAGE_SELF) of the child (ru_maxrss,
// ru_utime and ru_stime, ru_minflt; bootstrap included), read by a preloaded exit handler in runs
// of their own. CPU time is the steadier measure on a busy machine: waiting for a core inflates
// wall time, not CPU time. User time is V8 compiling and running code (and collecting garbage);
// system time here is mostly page faults, the kernel handing the process fresh memory, which
// faultCost() below prices on this machine.
const rssProbe = join(work, 'probe.cjs');
writeFileSync(
  rssProbe,
  "process.on('exit', () => { const r = process.resourceUsage(); process.stderr.write(`bench probe ${r.maxRSS} ${r.userCPUTime / 1000} ${r.systemCPUTime / 1000} ${r.minorPageFault}\\n`); });\n",
);

const journalDir = join(work, 'journal');
const config = join(work, 'repin.json');
writeFileSync(config, JSON.stringify({ journal: { dir: journalDir } }));

const hostRoot = {};
for (const [name, spec] of Object.entries(HOSTS)) {
  hostRoot[name] = join(work, 'host', name);
  writeHost(hostRoot[name], spec);
}

const XML = {
  // Fits the typical host: vCPUs on 2-9, emulator on 1, memory on node 0.
  fitting: domainXml({ name: 'web-1', vcpus: 8, pin: (v) => `${2 + v}`, emulatorpin: '1', memoryNodeset: '0' }),
  // Came from a bigger host: dedicated pins on CPUs 100-107, emulator on 108, memory on node 3.
  typical: domainXml({ name: 'db-1', vcpus: 8, pin: (v) => `${100 + v}`, emulatorpin: '108', memoryNodeset: '3' }),
  // 512 vCPUs as 256 SMT pairs in 2 cells, pinned on a 4096-CPU source (siblings c, c+2048) beyond this host's 1024.
  large: domainXml({
    name: 'hpc-512', vcpus: 512, threads: 2, cells: 2, pin: (v) => `${1024 + (v >> 1) + (v & 1) * 2048}`,
    emulatorpin: '3000-3001', cellNode: (c) => 4 + c, memoryNodeset: '4-5',
  }),
  // 1024 vCPUs in 4 cells from an 8192-CPU source, onto the 4096-CPU host.
  huge: domainXml({
    name: 'hpc-1024', vcpus: 1024, threads: 2, cells: 4, pin: (v) => `${4096 + (v >> 1) + (v & 1) * 4096}`,
    emulatorpin: '8000-8001', cellNode: (c) => 8 + c, memoryNodeset: '8-11',
  }),
};

// The typical guest with a CDATA section: outside src/core/xml/plain-xml.ts's subset (libvirt never
// writes one), so the hook loads xmldom from its packed payload, parses and writes with it.
XML.xmldom = XML.typical.replace('</name>', '</name>\n  <description><![CDATA[primary <db>]]></description>');
if (XML.xmldom === XML.typical) throw new Error('bench: no </name> in the typical domain');

/** Each case: what runs, and what its output must be (checked once before timing). */
const CASES = [
  { id: 'baseline', label: 'node empty.js (baseline)', cmd: [node, empty], input: XML.typical, env: {} },
  { id: 'passthrough', label: 'prepare begin (pass-through)', args: ['web-1', 'prepare', 'begin'], xml: 'typical', host: 'typical', expect: 'nothing', budget: 1.05 },
  { id: 'fitting', label: 'migrate begin, fits (8 vCPUs)', args: ['web-1', 'migrate', 'begin'], xml: 'fitting', host: 'typical', expect: 'unchanged', budget: 1.45 },
  { id: 'typical', label: 'migrate begin, rewrite 8 vCPUs', args: ['db-1', 'migrate', 'begin'], xml: 'typical', host: 'typical', expect: 'rewritten', budget: 1.6 },
  // The same two calls without the code cache: what it saves, and what a hook pays after a node upgrade until install runs again.
  { id: 'fitting-cold', label: 'fits, no code cache', args: ['web-1', 'migrate', 'begin'], xml: 'fitting', host: 'typical', expect: 'unchanged', codeCache: 'none' },
  { id: 'typical-cold', label: 'rewrite 8, no code cache', args: ['db-1', 'migrate', 'begin'], xml: 'typical', host: 'typical', expect: 'rewritten', codeCache: 'none' },
  // XML outside the plain reader's subset: xmldom.js loaded, compiled, parsing and writing.
  { id: 'xmldom', label: 'rewrite 8, XML via xmldom', args: ['db-1', 'migrate', 'begin'], xml: 'xmldom', host: 'typical', expect: 'rewritten' },
  { id: 'large', label: 'rewrite 512 vCPUs / 1024 CPUs', args: ['hpc-512', 'migrate', 'begin'], xml: 'large', host: 'large', expect: 'rewritten', budget: 2.5 },
  { id: 'huge', label: 'rewrite 1024 vCPUs / 4096 CPUs', args: ['hpc-1024', 'migrate', 'begin'], xml: 'huge', host: 'huge', expect: 'rewritten', every: 3 },
].map((c) =>
  c.cmd
    ? c
    : {
        ...c,
        cmd: [c.codeCache === 'none' ? coldHook : hook, ...c.args, '-'],
        input: XML[c.xml],
        codeCache: c.codeCache ?? 'used',
        env: {
          REPIN_CONFIG: config,
          REPIN_HOST_ROOT: hostRoot[c.host],
          REPIN_RUN_DIR: join(work, 'run', c.id),
          REPIN_SPOOL_DIR: join(work, 'pending'),
        },
      },
);

function run(c, { extraEnv = {}, probe = false } = {}) {
  const [file, ...args] = probe ? [node, '--require', rssProbe, ...c.cmd.slice(c.cmd[0] === node ? 1 : 0)] : c.cmd;
  const started = process.hrtime.bigint();
  const result = spawnSync(file, args, { input: c.input, env: { ...LIBVIRT_ENV, ...c.env, ...extraEnv }, maxBuffer: 256 << 20, timeout: TIMEOUT_MS });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.error?.code === 'ETIMEDOUT') return { ms, timedOut: true, status: null, stdout: '', stderr: '' };
  // A pass-through hook exits without reading stdin; libvirt ignores that EPIPE, so do we.
  if (result.error && result.error.code !== 'EPIPE') throw result.error;
  return { ms, status: result.status, stdout: result.stdout.toString(), stderr: result.stderr.toString() };
}

function lastJournalOutcome() {
  try {
    const lines = readFileSync(join(journalDir, 'journal.jsonl'), 'utf8').trim().split('\n');
    return JSON.parse(lines.at(-1) ?? '{}').outcome;
  } catch {
    return undefined;
  }
}

/** One run of each case, checked: a timing of the wrong behaviour is worthless. */
function check(c) {
  const before = lastJournalOutcome();
  const r = run(c);
  if (r.timedOut) {
    c.timedOut = true;
    console.log(`${c.id}: killed after ${TIMEOUT_MS / 1000} s; left out of the timed rounds`);
    return;
  }
  const fail = (why) => {
    throw new Error(`bench case ${c.id}: ${why}\nstatus ${r.status}\nstderr: ${r.stderr.slice(0, 2000)}`);
  };
  if (r.status !== 0) fail('non-zero exit');
  if (r.stderr !== '') fail('unexpected stderr');
  if (!c.expect) return;
  if (c.expect === 'rewritten' && !/^<domain[\s\S]*<\/domain>\n$/.test(r.stdout)) fail('expected the rewritten XML on stdout');
  if (c.expect !== 'rewritten' && r.stdout !== '') fail('expected empty stdout');
  const outcome = c.expect === 'nothing' ? before : lastJournalOutcome();
  if (c.expect !== 'nothing' && outcome !== c.expect) fail(`journal says ${outcome}, expected ${c.expect}`);
  if (c.expect === 'nothing') return;
  // A case timed with the code cache must be using it, one without must not.
  const loaded = /repin timing: .*"codeCache":"(\w+)"/.exec(run(c, { extraEnv: { REPIN_TIMING: '1' } }).stderr)?.[1];
  if (loaded !== c.codeCache) fail(`code cache ${loaded}, expected ${c.codeCache}`);
}

function machine() {
  const model = /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpus()[0]?.model ?? 'unknown';
  const version = spawnSync(node, ['-p', 'process.version'], { env: LIBVIRT_ENV }).stdout.toString().trim();
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  return { cpu: model, cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: `${node} ${version}`, kernel: release(), loadavg: load };
}

/**
 * What one minor page fault costs here, in µs: a child touches one byte in each page of 16 MiB
 * it has not used yet (median of 5). In a VM this can be many times what it is on bare metal,
 * and every call pays it for each page its heap and code grow into.
 */
function faultCost() {
  const script =
    'const b = Buffer.allocUnsafeSlow(16 << 20); const f0 = process.resourceUsage().minorPageFault; const t0 = process.hrtime.bigint();' +
    'for (let i = 0; i < b.length; i += 4096) b[i] = 1;' +
    'const ns = Number(process.hrtime.bigint() - t0); process.stdout.write(String(ns / 1000 / (process.resourceUsage().minorPageFault - f0)));';
  return median(Array.from({ length: 5 }, () => Number(spawnSync(node, ['-e', script], { env: LIBVIRT_ENV }).stdout.toString())));
}

// --- run ----------------------------------------------------------------------

const info = { ...machine(), pageFaultUs: +faultCost().toFixed(2) };
console.log(`machine: ${info.cpu}, ${info.cores} cores, ${info.memoryGiB} GiB; node ${info.node}; kernel ${info.kernel}; load ${info.loadavg}; a minor page fault costs ${info.pageFaultUs} µs`);
const kib = (file) => Math.round(readFileSync(file).length / 1024);
const built = dirname(bundle);
console.log(`hook: ${hook} (a launcher) running a copy of ${built}/ (hook.js ${kib(join(built, 'hook.js'))} KiB, hook-run.js ${kib(join(built, 'hook-run.js'))} KiB, xmldom.js ${kib(join(built, 'xmldom.js'))} KiB); ${ROUNDS} rounds`);
for (const c of CASES) check(c);
const live = CASES.filter((c) => !c.timedOut);
for (const c of live) run(c); // warm the page cache

const samples = Object.fromEntries(CASES.map((c) => [c.id, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (const c of live) if (round % (c.every ?? 1) === 0) samples[c.id].push(run(c).ms);
}

const rss = {};
const cpu = {};
const user = {};
const sys = {};
const faults = {};
for (let i = 0; i < PROBE_RUNS; i++) {
  for (const c of live) {
    if (i % (c.every ?? 1) !== 0) continue;
    const [, kib, userMs, sysMs, minflt] = /bench probe (\d+) ([\d.]+) ([\d.]+) (\d+)/.exec(run(c, { probe: true }).stderr) ?? [];
    (rss[c.id] ??= []).push(Number(kib));
    (cpu[c.id] ??= []).push(Number(userMs) + Number(sysMs));
    (user[c.id] ??= []).push(Number(userMs));
    (sys[c.id] ??= []).push(Number(sysMs));
    (faults[c.id] ??= []).push(Number(minflt));
  }
}

const SHORT = { startup: 'start', occupancy: 'occup', serialize: 'serial', reserve: 'resrv', journal: 'jrnl', uptime: 'uptime' };
// Node's own start-up, to read the split's `startup` against: an empty script's first line.
const startupScript = join(work, 'startup.js');
writeFileSync(startupScript, "require('fs').writeSync(2, `startup ${process.uptime() * 1000}\\n`);\n");
const nodeStartup = median(
  Array.from({ length: TIMING_RUNS }, () => Number(/startup ([\d.]+)/.exec(run({ cmd: [node, startupScript], input: '', env: {} }).stderr)?.[1] ?? NaN)),
);

const FIELDS = ['startup', 'init', 'config', 'read', 'host', 'parse', 'lock', 'occupancy', 'plan', 'serialize', 'reserve', 'print', 'spool', 'journal', 'total', 'uptime'];
const timing = {};
for (let i = 0; i < TIMING_RUNS; i++) {
  for (const c of live) {
    if (!c.expect || c.expect === 'nothing') continue;
    const line = /repin timing: (\{.*\})/.exec(run(c, { extraEnv: { REPIN_TIMING: '1' } }).stderr)?.[1];
    if (!line) continue;
    const t = JSON.parse(line);
    for (const f of FIELDS) ((timing[c.id] ??= {})[f] ??= []).push(t[f] ?? 0);
  }
}

const WARMUP = 8;
const WARM_CALLS = 16;
const warmMs = await measureWarm(
  live.filter((c) => c.id === 'fitting' || c.id === 'typical'),
  { work, scriptPath: hook, env: LIBVIRT_ENV, warmup: WARMUP, calls: WARM_CALLS },
);

// --- report ---------------------------------------------------------------------

/** Met or missed only when the whole 95% interval of the ratio is on one side of the budget. */
const verdict = ([lo, hi], budget) => (hi <= budget ? 'met' : lo > budget ? 'missed' : 'at the budget');
const base = median(samples.baseline);
const baseCpu = median(cpu.baseline);
const results = CASES.map((c) => {
  if (c.timedOut) return { id: c.id, label: c.label, timedOutAfterMs: TIMEOUT_MS, ...(c.budget ? { budget: c.budget, met: false } : {}) };
  const xs = samples[c.id];
  const med = median(xs);
  const ratio = med / base;
  const interval = ratioInterval(xs, samples.baseline);
  return {
    id: c.id,
    label: c.label,
    runs: xs.length,
    medianMs: +med.toFixed(1),
    minMs: +Math.min(...xs).toFixed(1),
    maxMs: +Math.max(...xs).toFixed(1),
    overheadMs: +(med - base).toFixed(1),
    ratio: +ratio.toFixed(3),
    ratioInterval95: interval.map((x) => +x.toFixed(3)),
    ...(c.budget ? { budget: c.budget, met: ratio <= c.budget, verdict: verdict(interval, c.budget) } : {}),
    cpuMs: +median(cpu[c.id]).toFixed(1),
    cpuRatio: +(median(cpu[c.id]) / baseCpu).toFixed(3),
    userMs: +median(user[c.id]).toFixed(1),
    sysMs: +median(sys[c.id]).toFixed(1),
    peakRssMiB: +(median(rss[c.id]) / 1024).toFixed(1),
    minorFaults: median(faults[c.id]),
    // The fresh pages this case touches beyond bare node's, priced at this machine's fault cost.
    extraFaultMs: +(((median(faults[c.id]) - median(faults.baseline)) * info.pageFaultUs) / 1000).toFixed(1),
    ...(timing[c.id] ? { timingMs: Object.fromEntries(FIELDS.map((f) => [f, +median(timing[c.id][f]).toFixed(2)])) } : {}),
    ...(c.xml ? { xmlBytes: Buffer.byteLength(XML[c.xml]), host: `${HOSTS[c.host].hostname} (${cpuCount(HOSTS[c.host])} CPUs, ${HOSTS[c.host].nodes} nodes)` } : {}),
  };
});

const pad = (s, n) => String(s).padEnd(n);
const lpad = (s, n) => String(s).padStart(n);
console.log('');
console.log(`${pad('case', 32)} ${lpad('runs', 4)} ${lpad('median', 8)} ${lpad('min–max ms', 15)} ${lpad('+ms', 6)} ${lpad('ratio', 6)} ${lpad('95% interval', 12)}  ${pad('budget', 20)} ${lpad('user', 6)} ${lpad('sys', 5)} ${lpad('CPU ×', 6)} ${lpad('peak RSS', 9)} ${lpad('faults', 6)} ${lpad('≈ms', 5)}`);
for (const r of results) {
  if (r.timedOutAfterMs) {
    console.log(`${pad(r.label, 32)} ${lpad(0, 4)} ${lpad(`> ${r.timedOutAfterMs / 1000} s: killed`, 31)}                      ${r.budget ? `≤${r.budget.toFixed(2)} MISSED` : ''}`);
    continue;
  }
  const budget = r.budget ? `≤${r.budget.toFixed(2)} ${r.verdict === 'missed' ? 'MISSED' : r.verdict}` : '';
  const interval = r.id === 'baseline' ? '' : r.ratioInterval95.map((x) => x.toFixed(2)).join('–');
  console.log(
    `${pad(r.label, 32)} ${lpad(r.runs, 4)} ${lpad(r.medianMs.toFixed(1), 8)} ${lpad(`${r.minMs.toFixed(0)}–${r.maxMs.toFixed(0)}`, 15)} ` +
      `${lpad(r.id === 'baseline' ? '' : r.overheadMs.toFixed(1), 6)} ${lpad(`${r.ratio.toFixed(2)}×`, 6)} ${lpad(interval, 12)}  ${pad(budget, 20)} ${lpad(r.userMs.toFixed(1), 6)} ${lpad(r.sysMs.toFixed(1), 5)} ${lpad(`${r.cpuRatio.toFixed(2)}×`, 6)} ${lpad(`${r.peakRssMiB.toFixed(1)} MiB`, 9)} ${lpad(r.minorFaults, 6)} ${lpad(r.id === 'baseline' ? '' : r.extraFaultMs.toFixed(1), 5)}`,
  );
}
console.log('');
console.log(`hook's own split with REPIN_TIMING=1, median ms of ${TIMING_RUNS} runs (node's own start-up to an empty script's first line: ${nodeStartup.toFixed(1)} ms):`);
console.log(`${pad('case', 32)} ${FIELDS.map((f) => lpad(SHORT[f] ?? f, 6)).join(' ')}`);
for (const r of results) {
  if (r.timingMs) console.log(`${pad(r.label, 32)} ${FIELDS.map((f) => lpad(r.timingMs[f].toFixed(1), 6)).join(' ')}`);
}
console.log(
  'startup = process start until hook.js runs (node, the launcher, hook.js); init = hook-run.js read, compiled and its modules evaluated; then the filter\'s steps: ' +
    'config, read stdin, host (online CPUs, nodes, limits), parse (the plain reader, or xmldom loaded and parsing), lock, occupancy (other guests), plan (with the SMT/package topology, read on first use), serialize, reserve, print, spool (reconcile request), journal; ' +
    'total = filter start to end; uptime = process start to end.',
);
console.log('');
console.log(`user and sys ms (CPU × is their sum against bare node's), peak RSS (ru_maxrss) and minor page faults (ru_minflt): the child's own getrusage at exit, read by a --require'd probe in ${PROBE_RUNS} separate runs (median).`);
console.log(`≈ms: the faults beyond bare node's at ${info.pageFaultUs} µs each (measured above), the part of +ms spent getting fresh memory from the kernel; sys time is mostly this.`);
console.log('Budgets are judged on the wall-time ratio: met or MISSED when its 95% bootstrap interval lies wholly on one side of the budget, "at the budget" when the budget is inside it. On a busy machine the CPU ratio is the steadier of the two.');
console.log("'via xmldom' is the typical rewrite with a CDATA section in the XML: outside the plain reader's subset, so xmldom is loaded, parses and writes it.");
console.log(
  `Warm, in one process (median of ${WARM_CALLS} filter calls after ${WARMUP}): ` +
    Object.entries(warmMs).map(([id, w]) => `${id} ${w.medianMs.toFixed(1)} ms (${w.minMs.toFixed(1)}–${w.maxMs.toFixed(1)})`).join(', ') +
    ": what the filter's work costs with no code left to compile.",
);

const out = {
  date: new Date().toISOString(),
  machine: info,
  bundle: { path: bundle, bytes: readFileSync(bundle).length, hookBytes: readFileSync(hook).length },
  rounds: ROUNDS,
  nodeStartupMs: +nodeStartup.toFixed(2),
  warmFilterMs: warmMs,
  env: LIBVIRT_ENV,
  results,
};
writeFileSync(join(here, 'results.json'), `${JSON.stringify(out, null, 2)}\n`);
console.log(`wrote ${join('bench', 'results.json')}`);
