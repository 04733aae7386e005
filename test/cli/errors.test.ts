// Every error an operator can cause on the command line ends in one stderr
// line and the exit code src/cli/exit.ts gives its kind, never a stack trace.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, CpusetSyntaxError, DomainXmlError, ExitCode, HostError, InstallConflict, InternalError, RepinError, SystemctlError, UnsafePath, UsageError, VirshError } from '../../src/core/errors.js';
import { EXIT, reportError } from '../../src/cli/exit.js';
import type { Io } from '../../src/io/process-io.js';
import { runCli } from '../support/fake-io.js';

const XML = 'examples/dedicated-1to1.xml';

describe('cli: errors an operator can cause', () => {
  let work: string;
  before(() => {
    work = mkdtempSync(join(tmpdir(), 'repin-errors-'));
    writeFileSync(join(work, 'bad.json'), '{ "policy": ');
    writeFileSync(join(work, 'unknown-key.json'), '{ "polcy": "remap" }');
    execFileSync('mkfifo', [join(work, 'fifo')]);
    mkdirSync(join(work, 'spool'));
    writeFileSync(join(work, 'spool', 'stray.txt'), 'not a request');
    symlinkSync(tmpdir(), join(work, 'spool.rejected'));
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  // [what, argv, stdin, env, exit code, stderr line]
  const cases: [string, () => string[], string | undefined, Record<string, string>, number, RegExp][] = [
    ['no command', () => [], undefined, {}, EXIT.error, /name a command/],
    ['an unknown command', () => ['frobnicate'], undefined, {}, EXIT.error, /Unknown argument: frobnicate/],
    ['an unknown option', () => ['plan', XML, '--host-cpus', '0-3', '--frob'], undefined, {}, EXIT.error, /Unknown argument: frob/],
    ['a bad --policy', () => ['plan', XML, '--host-cpus', '0-3', '--policy', 'bogus'], undefined, {}, EXIT.error, /Invalid values/],
    ['reconcile without --pending or --all (UsageError)', () => ['reconcile'], undefined, {}, EXIT.error, /name what to reconcile/],
    ['a domain XML file that is not there', () => ['plan', '/nonexistent/d.xml', '--host-cpus', '0-3'], undefined, {}, EXIT.error, /cannot read \/nonexistent\/d\.xml/],
    ['a directory as the domain XML', () => ['plan', work, '--host-cpus', '0-3'], undefined, {}, EXIT.error, /cannot read/],
    ['empty domain XML (DomainXmlError)', () => ['check', '-', '--host-cpus', '0-3'], '', {}, EXIT.error, /unparsable domain XML/],
    ['a DOCTYPE (DomainXmlError)', () => ['plan', '-', '--host-cpus', '0-3'], "<!DOCTYPE d><domain type='kvm'/>", {}, EXIT.error, /DOCTYPE/],
    ['a bad --host-cpus (CpusetSyntaxError)', () => ['plan', XML, '--host-cpus', 'x'], undefined, {}, EXIT.error, /invalid --host-cpus 'x'/],
    ['a missing host profile (HostError)', () => ['plan', XML, '--host', '/nonexistent/h.json'], undefined, {}, EXIT.error, /cannot read host profile/],
    ['a missing --config (ConfigError)', () => ['plan', XML, '--host-cpus', '0-3', '--config', '/nonexistent/c.json'], undefined, {}, EXIT.error, /cannot read config/],
    ['a config that is not JSON (ConfigError)', () => ['plan', XML, '--host-cpus', '0-3', '--config', join(work, 'bad.json')], undefined, {}, EXIT.error, /is not valid JSON/],
    ['a config with an unknown key (ConfigError)', () => ['plan', XML, '--host-cpus', '0-3', '--config', join(work, 'unknown-key.json')], undefined, {}, EXIT.error, /polcy/],
    ['a FIFO as the config (UnsafePath)', () => ['plan', XML, '--host-cpus', '0-3', '--config', join(work, 'fifo')], undefined, {}, EXIT.error, /not a regular file \(a FIFO\); refused/],
    ['a FIFO as the reconcile lock (UnsafePath)', () => ['reconcile', '--pending', '--spool-dir', join(work, 'spool'), '--lock', join(work, 'fifo'), '--lock-wait', '0'], undefined, {}, EXIT.error, /not a regular file \(a FIFO\); refused/],
    ['a symlink where the spool sets strays aside (UnsafePath)', () => ['reconcile', '--pending', '--spool-dir', join(work, 'spool'), '--host-cpus', '0-3'], undefined, {}, EXIT.error, /spool\.rejected is not a real directory \(a symlink\); refused/],
    ['a bad --wait (ConfigError)', () => ['reconcile', '--all', '--wait', 'soon'], undefined, {}, EXIT.error, /--wait 'soon' is not a duration/],
    ['virsh not on PATH (VirshError)', () => ['reconcile', '--all', '--dry-run', '--host-cpus', '0-3'], undefined, { PATH: '/nonexistent' }, EXIT.error, /virsh list .* failed \(virsh not found on PATH\)/],
    ['a spool path through a file (system error)', () => ['reconcile', '--pending', '--spool-dir', join(work, 'bad.json', 'spool'), '--lock', join(work, 'lock')], undefined, {}, EXIT.internal, /ENOTDIR/],
    ['a strict refusal', () => ['rewrite', XML, '--host-cpus', '0-3', '--policy', 'strict'], undefined, {}, EXIT.no, /./],
  ];

  for (const [what, argv, stdin, env, code, line] of cases) {
    it(`${what}: exit ${code}, one line, no stack`, async () => {
      const r = await runCli(argv(), { ...(stdin !== undefined ? { stdin } : {}), env });
      const lines = r.stderr.split('\n').filter((l) => l.startsWith('repin: '));
      expect(r.code, r.stderr).to.equal(code);
      expect(r.stderr, 'no stack trace').not.to.match(/^\s+at /m);
      expect(r.stderr).not.to.include('internal error');
      if (code === EXIT.no) return;
      expect(lines, r.stderr).to.have.length(1);
      expect(lines[0]).to.match(line);
    });
  }
});

describe('cli: reportError maps each error class to its exit code', () => {
  const io = (): { io: Io; err: () => string } => {
    let text = '';
    const sink = { write: (s: string) => ((text += s), true) } as unknown as NodeJS.WritableStream;
    return { io: { argv: [], scriptPath: 'repin', stdin: undefined as never, stdout: sink, stderr: sink, env: {}, fsRoot: '/' }, err: () => text };
  };
  const classes: [string, unknown, number, boolean][] = [
    ['UsageError', new UsageError('u'), EXIT.error, false],
    ['ConfigError', new ConfigError('c'), EXIT.error, false],
    ['CpusetSyntaxError', new CpusetSyntaxError('s'), EXIT.error, false],
    ['DomainXmlError', new DomainXmlError('d'), EXIT.error, false],
    ['HostError', new HostError('h'), EXIT.error, false],
    ['UnsafePath', new UnsafePath('p'), EXIT.error, false],
    ['InstallConflict', new InstallConflict('i'), EXIT.error, false],
    ['VirshError', new VirshError('v'), EXIT.error, false],
    ['SystemctlError', new SystemctlError('s'), EXIT.error, false],
    ['RepinError', new RepinError('r'), EXIT.error, false],
    ['a system call error', Object.assign(new Error("EACCES: permission denied, open '/x'"), { code: 'EACCES', syscall: 'open' }), EXIT.internal, false],
    ['InternalError', new InternalError('bug'), EXIT.internal, true],
    ['TypeError', new TypeError('bug'), EXIT.internal, true],
    ['a thrown string', 'bug', EXIT.internal, false],
  ];
  for (const [name, error, code, stack] of classes) {
    it(`${name} → exit ${code}${stack ? ', with its stack' : ''}`, () => {
      const { io: sink, err } = io();
      expect(reportError(sink, error)).to.equal(code);
      expect(/^\s+at /m.test(err()), err()).to.equal(stack);
      if (!stack) expect(err().trimEnd().split('\n')).to.have.length(1);
    });
  }
  it('ExitCode carries its code and prints nothing', () => {
    const { io: sink, err } = io();
    expect(reportError(sink, new ExitCode(1))).to.equal(1);
    expect(err()).to.equal('');
  });
});
