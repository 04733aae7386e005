// Secrets and permissions. Incoming XML carries secrets (graphics passwords,
// iSCSI auth, secret usages): they may live only in the 0600 capture, never
// in stderr, `repin plan` output or the journal's lines — not even when the
// XML is broken right next to them (parser messages are redacted). Pin values
// (cpuset, nodeset) are echoed on purpose: they name what does not fit.
// Hostile domain names stay data.
import { expect } from 'chai';
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUNDLE, runScript } from '../support/run-built.js';
import { assertContract, HookBench, PINNED, SMALL_HOST } from './support.js';

const SECRETS = ['s3cret-vnc', 's3cret-spice', 's3cret-iscsi-user', 's3cret-iscsi-usage', '5ec7e7a0-5ec7-4e7a-95ec-5ec7e7a05ec7'];
/** Any fragment of a secret long enough to identify it. */
const leaks = (text: string): string[] => SECRETS.filter((s) => text.includes(s) || text.includes(s.slice(0, 8)) || text.includes(s.slice(-8)));

const broken: [string, string][] = [
  ['an unquoted passwd', PINNED.replace("passwd='s3cret-vnc'", 'passwd=s3cret-vnc')],
  ['an entity reference inside passwd', PINNED.replace("passwd='s3cret-vnc'", "passwd='s3c&s3cret-vnc;'")],
  ["a '<' inside passwd", PINNED.replace("passwd='s3cret-spice'", "passwd='s3cret-spice<'")],
  ['a duplicated passwd attribute', PINNED.replace("passwd='s3cret-vnc'", "passwd='s3cret-vnc' passwd='s3cret-vnc'")],
  ['a passwd missing its closing quote', PINNED.replace("passwd='s3cret-vnc'", "passwd='s3cret-vnc")],
  ['an unquoted auth username', PINNED.replace("username='s3cret-iscsi-user'", 'username=s3cret-iscsi-user')],
  ['text after the root naming a secret', `${PINNED}s3cret-vnc`],
  ['a secret as an element name', PINNED.replace("<memballoon model='none'/>", '<s3cret-vnc=1/>')],
  ['the document cut right after the VNC password', PINNED.slice(0, PINNED.indexOf('s3cret-vnc') + 10)],
  ["text with an apostrophe before the root naming a secret", `it's s3cret-vnc\n${PINNED}`],
  ['a quote and a secret in an end tag', PINNED.replace("passwd='s3cret-spice'/>", "passwd='x'></graphics\"s3cret-spice>")],
  ['a secret as an unclosed element', PINNED.replace('</devices>', '<s3cret-vnc>')],
  ['a lone & next to the password', PINNED.replace("passwd='s3cret-vnc'", "passwd='s3cret-vnc&'")],
  ['a secret in a non-UTF-8 encoding declaration', `<?xml version="1.0" encoding="s3cret-vnc"?>\n${PINNED}`],
  ['an invalid cpuset on the line before the password', PINNED.replace("<emulatorpin cpuset='1'/>", "<emulatorpin cpuset='1-'/>").replace("<memballoon model='none'/>", "<memballoon model='none' x='y' x='z'/>")],
];

describe('reliability: secrets never leak, files stay private, names stay data', function () {
  this.timeout(60_000);
  let bench: HookBench;
  beforeEach(() => {
    bench = new HookBench();
    bench.writeConfig({ onError: 'fail' });
  });
  afterEach(() => bench.cleanup());

  for (const [what, xml] of broken) {
    it(`XML broken by ${what}: the one stderr line and the journal line name no secret`, async () => {
      const run = await bench.run('migrate', xml);
      assertContract(run, 'error', 'fail');
      const journal = readFileSync(join(bench.journal, 'journal.jsonl'), 'utf8');
      expect(leaks(run.stderr), `stderr: ${run.stderr}`).to.deep.equal([]);
      expect(leaks(journal), `journal: ${journal}`).to.deep.equal([]);
    });
  }

  it('a rewrite, a strict refusal and `repin plan` (text and --json) name no secret; the capture keeps the XML whole', async () => {
    const rewritten = await bench.run('migrate', PINNED);
    assertContract(rewritten, 'rewritten');
    bench.writeConfig({ policy: 'strict' });
    const refused = await bench.run('restore', PINNED);
    assertContract(refused, 'refused');
    bench.writeConfig({});
    expect(leaks(rewritten.stderr + refused.stderr)).to.deep.equal([]);
    expect(leaks(readFileSync(join(bench.journal, 'journal.jsonl'), 'utf8'))).to.deep.equal([]);
    const captures = readdirSync(join(bench.journal, 'captures'));
    expect(readFileSync(join(bench.journal, 'captures', captures[0] ?? ''), 'utf8')).to.equal(PINNED);
    const file = join(bench.work, 'vault.xml');
    writeFileSync(file, PINNED);
    for (const extra of [[], ['--json']]) {
      const plan = runScript(BUNDLE, ['plan', file, '--host', SMALL_HOST, '--config', bench.config, ...extra], '');
      expect(plan.code, plan.stderr).to.equal(0);
      expect(plan.stdout).to.match(/vcpupin/);
      expect(leaks(plan.stdout + plan.stderr)).to.deep.equal([]);
    }
  });

  it('under umask 000 an error capture is 0600 and a pre-existing 0755 journal dir is tightened to 0700 (complements hook.test.ts; a writable one is refused, test/io/fs/private-dir.test.ts)', () => {
    mkdirSync(bench.journal, { mode: 0o755 });
    chmodSync(bench.journal, 0o755);
    bench.writeConfig({ onError: 'keep' });
    const wrapper = join(bench.work, 'umask.cjs');
    writeFileSync(
      wrapper,
      `process.umask(0);
       const r = require('child_process').spawnSync(process.execPath, ${JSON.stringify([bench.hook, 'vm', 'restore', 'begin', '-'])},
         { input: ${JSON.stringify(broken[0]?.[1])}, env: ${JSON.stringify(bench.env())} });
       process.exit(r.status);`,
    );
    const run = runScript(wrapper, [], '', {});
    expect(run.code, run.stderr).to.equal(0);
    const mode = (p: string): string => (statSync(p).mode & 0o777).toString(8);
    expect(mode(bench.journal)).to.equal('700');
    expect(mode(join(bench.journal, 'journal.jsonl'))).to.equal('600');
    expect(mode(join(bench.journal, 'captures'))).to.equal('700');
    const captures = readdirSync(join(bench.journal, 'captures'));
    expect(captures).to.have.length(1);
    for (const name of captures) expect(mode(join(bench.journal, 'captures', name))).to.equal('600');
  });

  const hostile = ['../../../../tmp/escape', 'a/b', '..', '/etc/passwd', 'x\n{"op":"forged","outcome":"rewritten"}', 'bell\u0007esc\u001b[31mred', 'nul\u0000byte', 'tab\tcr\rend'];
  it('hostile domain names (argv and <name>) cannot escape the journal dir or forge journal lines', async () => {
    bench.writeConfig({ policy: 'strict' });
    let calls = 0;
    for (const name of hostile) {
      const escaped = name.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;');
      // argv carries the name raw (NUL cannot be an argument); <name> carries it as XML allows.
      const xml = PINNED.replace('<name>vault-01</name>', `<name>${[...name].some((c) => c < ' ' && !'\t\n\r'.includes(c)) ? 'ctl-name' : escaped}</name>`).replace(/<uuid>.*<\/uuid>/, '');
      for (const op of ['migrate', 'restore']) {
        const run = await bench.run(op, xml, { domain: name.split('\u0000').join('') });
        calls++;
        assertContract(run, 'refused');
        expect(run.stderr.split('\n')).to.have.length(2);
      }
    }
    // Exactly one parseable JSON line per call; nothing but the journal and captures in the journal dir; nothing beside it.
    expect(bench.entries()).to.have.length(calls);
    expect(readdirSync(bench.journal).sort()).to.deep.equal(['captures', 'journal.jsonl']);
    for (const capture of readdirSync(join(bench.journal, 'captures'))) expect(capture).to.match(/^\d{8}T\d{9}Z-\d+-(name-[0-9a-f]{16}|[0-9a-f-]{36})\.xml$/);
    expect(readdirSync(bench.work).filter((n) => !/^(journal|root|run-\d+|repin\.json)$/.test(n))).to.deep.equal([]);
  });
});
