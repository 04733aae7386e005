// `repin reconcile` end to end, in-process, against a fake virsh on PATH.
import { expect } from 'chai';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../../src/core/config.js';
import { readDomainPins } from '../../src/core/domain/pins.js';
import { filterDomainXml } from '../../src/core/plan/filter-xml.js';
import { hostFromProfile } from '../../src/core/host/host-json.js';
import { parseDomainXml } from '../../src/core/xml/xmldom.js';
import { listRequests, writeReconcileRequest } from '../../src/io/state/spool.js';
import { addRunningDomain } from '../support/fake-running.js';
import { Bed, SMALL } from './harness.js';

const UUID = '6f1c2a7e-3b8d-4c51-9a0e-2d7f4b9c8e10';
const OTHER = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const source = readFileSync('examples/dedicated-1to1.xml', 'utf8');
const small = hostFromProfile(JSON.parse(readFileSync(SMALL, 'utf8')), SMALL);
/** What the hook did on migrate begin: the live XML and its changes. */
const live = filterDomainXml(source, small, parseConfig({}));
const fitting = source.replace(/cpuset='2(\d)'/g, "cpuset='$1'");
const other = fitting.replace(UUID, OTHER).replace('<name>db-primary</name>', '<name>web-1</name>');
const RUNNING = '11111111-0000-4000-8000-000000000000';

const pinsOf = (xml: string): string[] =>
  readDomainPins(parseDomainXml(xml)).cpuPins.map((p) => `${p.kind}${p.id ?? ''}=${p.cpus.toString()}`);
const isList = (call: string[]): boolean => call.includes('list');
const defines = (bed: Bed): string[][] => bed.calls().filter((c) => c.includes('define'));
/** The CPUs a definition's vCPUs and emulator are pinned to alone. */
const dedicated = (xml: string | undefined): number[] =>
  readDomainPins(parseDomainXml(xml ?? ''))
    .cpuPins.filter((p) => (p.kind === 'vcpupin' || p.kind === 'emulatorpin') && p.cpus.size === 1)
    .flatMap((p) => p.cpus.ids);

describe('repin reconcile', function () {
  this.timeout(60_000); // every fake virsh call starts a node
  let bed: Bed;
  const request = (uuid = UUID, time = new Date().toISOString()): void =>
    writeReconcileRequest(bed.spool, { uuid, name: 'db-primary', time, changes: [...live.plan.changes] });
  const spoolFiles = (): string[] => (existsSync(bed.spool) ? readdirSync(bed.spool) : []);

  beforeEach(() => {
    bed = new Bed();
  });
  afterEach(() => bed.cleanup());

  it('pending request: waits until the domain is persistent here, then redefines it with the pins the live guest got', async () => {
    bed.domain(UUID, source, { appearAfter: 2 });
    request();
    const run = await bed.repin('reconcile', '--pending', '--wait', '20s');
    expect(run.code, run.stderr).to.equal(0);
    expect(bed.calls().filter(isList).length).to.be.at.least(3);
    const [defined] = bed.defined();
    expect(bed.defined()).to.have.length(1);
    expect(pinsOf(defined?.xml ?? '')).to.deep.equal(pinsOf(live.output ?? ''));
    expect(defined?.xml).to.include('s3cret-vnc'); // --security-info: nothing lost
    const define = defines(bed)[0] ?? [];
    expect(define.slice(0, 2)).to.deep.equal(['--connect', 'qemu:///system']);
    expect(existsSync(define.at(-1) ?? '')).to.equal(false); // the 0600 temp file is gone
    const [entry] = bed.entries();
    expect(entry).to.include({ op: 'reconcile', outcome: 'rewritten', uuid: UUID, domain: 'db-primary' });
    expect(readFileSync(join(bed.journal, String(entry?.capture)), 'utf8')).to.equal(source); // previous XML kept for undo
    expect(spoolFiles()).to.deep.equal([]);
  });

  it('asks virsh for the inactive XML with secrets, through --connect', async () => {
    bed.domain(UUID, source);
    request();
    await bed.repin('reconcile', '--pending', '--connect', 'qemu+ssh://root@h/system');
    const dumps = bed.calls().filter((c) => c.includes('dumpxml'));
    expect(dumps[0]).to.deep.equal(['--connect', 'qemu+ssh://root@h/system', '--quiet', 'dumpxml', '--inactive', '--security-info', UUID]);
  });

  it('a domain that never arrives expires with a journal line; nothing is defined', async () => {
    request();
    const run = await bed.repin('reconcile', '--pending', '--wait', '300ms');
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stdout).to.match(/expired/);
    expect(bed.defined()).to.have.length(0);
    const [entry] = bed.entries();
    expect(entry).to.include({ op: 'reconcile', outcome: 'expired', uuid: UUID });
    expect(String((entry?.notes as string[])[0])).to.match(/not on this host/);
    expect(spoolFiles()).to.deep.equal([]);
  });

  it('a domain migrated without --persistent (transient here) expires saying so', async () => {
    bed.domain(UUID, source, { transient: true });
    request();
    await bed.repin('reconcile', '--pending', '--wait', '200ms');
    expect(String((bed.entries()[0]?.notes as string[])[0])).to.match(/present but transient/);
    expect(bed.defined()).to.have.length(0);
  });

  for (const state of ['running (booted)', 'running (migrated)']) {
    it(`a transient guest whose migration is over (${state}) expires at once, without waiting out --wait`, async () => {
      bed.domain(UUID, source, { transient: true });
      writeFileSync(join(bed.state, 'domains', `${UUID}.state`), state);
      request();
      const started = Date.now();
      await bed.repin('reconcile', '--pending', '--wait', '10m');
      expect(Date.now() - started).to.be.below(8000);
      expect(String((bed.entries()[0]?.notes as string[])[0])).to.match(/present but transient/);
    });
  }

  it('a transient guest still arriving (paused (migrating)) keeps its request waiting', async () => {
    bed.domain(UUID, source, { transient: true });
    writeFileSync(join(bed.state, 'domains', `${UUID}.state`), 'paused (migrating)');
    request();
    const started = Date.now();
    await bed.repin('reconcile', '--pending', '--wait', '300ms');
    // Not given up while visibly arriving: only after 2 × --wait.
    expect(Date.now() - started).to.be.at.least(550);
    expect(String((bed.entries()[0]?.notes as string[])[0])).to.match(/still paused \(migrating\) .* after the hook's request \(2 × --wait\)/);
  });

  it('says what a request waits for and why, once per reason', async () => {
    bed.domain(UUID, source);
    writeFileSync(join(bed.state, 'domains', `${UUID}.states`), 'paused (migrating)\npaused (migrating)\npaused (migrating)\nrunning (migrated)\n');
    request();
    const run = await bed.repin('reconcile', '--pending', '--wait', '10m');
    expect(run.code, run.stderr).to.equal(0);
    const waits = run.stdout.split('\n').filter((l) => l.includes('waiting'));
    expect(waits).to.deep.equal([`db-primary ${UUID}: waiting (up to 1200s more) — paused (migrating): its migration is still under way, and would replace a definition fixed now`]);
    expect(bed.entries()[0]).to.include({ outcome: 'rewritten' });
  });

  it('a request for a guest libvirt does not know at all is dropped once the grace is over, not after --wait', async () => {
    // Written 31 s ago (the grace is 30 s): the migration failed, or the transient guest is gone.
    request(UUID, new Date(Date.now() - 31_000).toISOString());
    const started = Date.now();
    const run = await bed.repin('reconcile', '--pending', '--wait', '10m');
    expect(run.code, run.stderr).to.equal(0);
    expect(Date.now() - started).to.be.below(8000);
    const [entry] = bed.entries();
    expect(entry).to.include({ outcome: 'expired', uuid: UUID });
    expect(String((entry?.notes as string[])[0])).to.match(/^request dropped: not on this host: libvirt does not know it 3\ds after the hook's request/);
    expect(bed.defined()).to.have.length(0);
    expect(spoolFiles()).to.deep.equal([]);
  });

  it('a fresh request whose guest libvirt does not know yet waits for it to arrive, saying so', async () => {
    // Unknown at the first look (the hook writes before libvirt adds the incoming guest), then listed.
    bed.domain(UUID, source, { appearAfter: 1 });
    request();
    const run = await bed.repin('reconcile', '--pending', '--wait', '10m');
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stdout).to.match(/db-primary \S+: waiting \(up to (29|30)s more\) — libvirt does not know it yet/);
    expect(bed.entries()[0]).to.include({ outcome: 'rewritten' });
  });

  it('a fresh request for an unknown guest waits no longer than a short --wait (no backoff sleep past it)', async () => {
    request();
    const started = Date.now();
    await bed.repin('reconcile', '--pending', '--wait', '6s');
    // The backoff alone sleeps 0.25, 0.5, 1, 2, 4 s between looks: after the look at about 5 s it would sleep past 9 s.
    expect(Date.now() - started).to.be.within(5900, 8500);
    expect(String((bed.entries()[0]?.notes as string[])[0])).to.match(/libvirt does not know it/);
  });

  it('a persistent guest still arriving is reconciled only once it has landed (the migration would undo it)', async () => {
    bed.domain(UUID, source);
    writeFileSync(join(bed.state, 'domains', `${UUID}.state`), 'paused (migrating)');
    // Lands at the third look (a sequence, not a timer: the same on a loaded machine).
    writeFileSync(join(bed.state, 'domains', `${UUID}.states`), 'paused (migrating)\npaused (migrating)\nrunning (migrated)\n');
    request();
    await bed.repin('reconcile', '--pending', '--wait', '10m');
    const calls = bed.calls();
    const firstDefine = calls.findIndex((c) => c.includes('define'));
    expect(firstDefine).to.be.above(0);
    // Not defined while it was still arriving: the define comes after the look that saw it land.
    const statesBefore = calls.slice(0, firstDefine).filter((c) => c.includes('domstate')).length;
    expect(statesBefore).to.be.at.least(3);
    expect(bed.entries()[0]).to.include({ outcome: 'rewritten' });
  });

  it('virsh failing (libvirt restarting) keeps the request for the next round instead of dropping it', async () => {
    bed.domain(UUID, source);
    writeFileSync(join(bed.state, 'define-fails'), 'error: failed to connect to the hypervisor\n');
    request();
    const failing = setTimeout(() => rmSync(join(bed.state, 'define-fails'), { force: true }), 700);
    try {
      await bed.repin('reconcile', '--pending', '--wait', '10m');
    } finally {
      clearTimeout(failing);
    }
    expect(bed.entries().map((e) => e.outcome)).to.deep.equal(['rewritten']);
    expect(listRequests(bed.spool)).to.have.length(0);
  });

  it('an old request whose domain is here is still handled (checked before it expires)', async () => {
    bed.domain(UUID, source);
    request(UUID, new Date(Date.now() - 3_600_000).toISOString());
    await bed.repin('reconcile', '--pending', '--wait', '1s');
    expect(bed.entries()[0]).to.include({ outcome: 'rewritten' });
  });

  it('a saved definition that already fits is left untouched: no define', async () => {
    bed.domain(UUID, fitting);
    request();
    const run = await bed.repin('reconcile', '--pending');
    expect(run.code, run.stderr).to.equal(0);
    expect(defines(bed)).to.have.length(0);
    expect(bed.entries()[0]).to.include({ outcome: 'unchanged' });
    expect(bed.entries()[0]?.capture).to.equal(undefined);
    expect(spoolFiles()).to.deep.equal([]);
  });

  it('when the saved pins differ from what the hook saw, plans afresh and says so', async () => {
    bed.domain(UUID, source.replace("vcpu='3' cpuset='23'", "vcpu='3' cpuset='30'"));
    request();
    await bed.repin('reconcile', '--pending');
    const [entry] = bed.entries();
    expect(entry).to.include({ outcome: 'rewritten' });
    expect((entry?.notes as string[]).join(' ')).to.match(/do not match the saved definition .*vcpupin\/3 saved 30, live had 23.*planned afresh/);
  });

  it('two concurrent runs: only one defines', async () => {
    bed.domain(UUID, source);
    writeFileSync(join(bed.state, 'define-delay-ms'), '300');
    request();
    const runs = await Promise.all([bed.repin('reconcile', '--pending', '--all'), bed.repin('reconcile', '--pending', '--all')]);
    for (const run of runs) expect(run.code, run.stderr).to.equal(0);
    expect(bed.defined()).to.have.length(1);
    expect(bed.entries().filter((e) => e.outcome === 'rewritten')).to.have.length(1);
  });

  it('two processes of the built bundle at once: only one defines', async () => {
    bed.domain(UUID, source);
    writeFileSync(join(bed.state, 'define-delay-ms'), '300');
    request();
    const runs = await Promise.all([bed.repinChild('reconcile', '--pending', '--all'), bed.repinChild('reconcile', '--pending', '--all')]);
    for (const run of runs) expect(run.code, run.stderr).to.equal(0);
    expect(bed.defined()).to.have.length(1);
    expect(spoolFiles()).to.deep.equal([]);
  });

  it('a run that cannot get the lock in time exits cleanly and leaves the spool to the holder', async () => {
    bed.domain(UUID, source, { appearAfter: 1000 });
    request();
    const first = bed.repin('reconcile', '--pending', '--wait', '1500ms');
    await new Promise((r) => setTimeout(r, 100));
    writeReconcileRequest(bed.spool, { uuid: OTHER, name: 'web-1', time: new Date().toISOString(), changes: [] });
    const second = await bed.repin('reconcile', '--pending', '--lock-wait', '0');
    expect(second.code, second.stderr).to.equal(0);
    expect(second.stdout).to.match(/another repin reconcile \(pid \d+\) holds .*nothing done here/);
    expect((await first).code).to.equal(0);
    expect(bed.entries().map((e) => e.outcome)).to.deep.equal(['expired', 'expired']); // the holder took the newcomer too
  });

  it('--all --dry-run shows the plans, defines nothing, journals nothing, leaves the spool alone', async () => {
    bed.domain(UUID, source);
    bed.domain(OTHER, other);
    request();
    const before = spoolFiles();
    const run = await bed.repin('reconcile', '--all', '--dry-run');
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stdout).to.match(/domain db-primary .*\n[\s\S]*outcome: rewritten, 4 changes[\s\S]*dry run, not defined/);
    expect(run.stdout).to.match(/domain web-1 [\s\S]*fits this host, nothing to change/);
    expect(defines(bed)).to.have.length(0);
    expect(bed.entries()).to.have.length(0);
    expect(spoolFiles()).to.deep.equal(before);
  });

  it('--all redefines only the domains that do not fit, without journaling the ones that do', async () => {
    bed.domain(UUID, source);
    bed.domain(OTHER, other);
    const run = await bed.repin('reconcile', '--all');
    expect(run.code, run.stderr).to.equal(0);
    expect(bed.defined().map((d) => d.uuid)).to.deep.equal([UUID]);
    expect(bed.entries().map((e) => e.outcome)).to.deep.equal(['rewritten']);
  });

  it('plans a saved definition around the CPUs other running guests hold, as the hook plans a live one', async () => {
    addRunningDomain(bed.root, { name: 'web-9', uuid: RUNNING, pid: 4000, vcpus: ['0', '2'], emulator: '0' });
    bed.domain(UUID, source);
    const run = await bed.repin('reconcile', '--all');
    expect(run.code, run.stderr).to.equal(0);
    const [defined] = bed.defined();
    expect(dedicated(defined?.xml)).to.not.include.members([0]).and.not.include.members([2]);
    expect(dedicated(defined?.xml)).to.have.length(5);
  });

  it('a saved definition pinned to a CPU another running guest holds is moved off it', async () => {
    addRunningDomain(bed.root, { name: 'web-9', uuid: RUNNING, pid: 4000, vcpus: ['2'], emulator: '2' });
    bed.domain(UUID, fitting); // vcpupin 0-3 on CPUs 0-3: CPU 2 is web-9's
    await bed.repin('reconcile', '--all');
    expect(bed.defined().map((d) => d.uuid)).to.deep.equal([UUID]);
    expect(dedicated(bed.defined()[0]?.xml)).to.not.include(2);
  });

  it('--all: two saved definitions that both need new CPUs get different ones (each plan sees the ones before)', async () => {
    bed.domain(UUID, source);
    bed.domain(OTHER, source.replace(UUID, OTHER).replace('<name>db-primary</name>', '<name>db-replica</name>'));
    const run = await bed.repin('reconcile', '--all');
    expect(run.code, run.stderr).to.equal(0);
    const [a, b] = bed.defined();
    expect(bed.defined()).to.have.length(2);
    const vcpus = (xml: string | undefined): number[] => readDomainPins(parseDomainXml(xml ?? '')).cpuPins.filter((p) => p.kind === 'vcpupin').flatMap((p) => p.cpus.ids);
    expect(vcpus(a?.xml).filter((cpu) => vcpus(b?.xml).includes(cpu))).to.deep.equal([]);
  });

  it('--all: a rewrite keeps off the dedicated CPUs of a shut-off guest that fits', async () => {
    bed.domain(UUID, source);
    // web-1 fits as it is (vcpupin 0-3 on CPUs 0-3, emulator on 1) and is planned after db-primary.
    bed.domain(OTHER.replace(/^0/, 'f'), other.replace(OTHER, OTHER.replace(/^0/, 'f')));
    await bed.repin('reconcile', '--all');
    expect(bed.defined().map((d) => d.uuid)).to.deep.equal([UUID]);
    expect(dedicated(bed.defined()[0]?.xml).filter((cpu) => cpu !== 1 && cpu <= 3)).to.deep.equal([]);
  });

  it("a running guest's saved definition gets the pins it runs with here; its own CPUs are not held by another", async () => {
    const runsWith = source.replace(/cpuset='2(\d)'/g, (_m, d: string) => `cpuset='${Number(d) + 4}'`);
    addRunningDomain(bed.root, { name: 'db-primary', uuid: UUID, pid: 5000, vcpus: ['4', '5', '6', '7'], emulator: '1' });
    bed.domain(UUID, source, { live: runsWith });
    const run = await bed.repin('reconcile', '--all');
    expect(run.code, run.stderr).to.equal(0);
    expect(pinsOf(bed.defined()[0]?.xml ?? '')).to.deep.equal(pinsOf(runsWith));
    expect(String((bed.entries()[0]?.notes as string[]).at(-1))).to.match(/redefined from the pins the guest runs with here/);
  });

  it('an inactive XML that changes between read and define is retried once, then skipped with a journal line', async () => {
    bed.domain(UUID, source, { mutate: true });
    request();
    const run = await bed.repin('reconcile', '--pending');
    expect(run.code).to.equal(1);
    expect(defines(bed)).to.have.length(0);
    expect(bed.calls().filter((c) => c.includes('dumpxml'))).to.have.length(4);
    expect(bed.entries()[0]).to.include({ outcome: 'skipped' });
    expect(spoolFiles()).to.deep.equal([]);
  });

  it('shadow mode plans and journals but does not define', async () => {
    bed.writeConfig({ shadow: true });
    bed.domain(UUID, source);
    request();
    await bed.repin('reconcile', '--pending');
    expect(defines(bed)).to.have.length(0);
    expect(bed.entries()[0]).to.include({ outcome: 'shadow' });
  });

  it('a virsh failure is one journal line and exit 1, and the request is not retried forever', async () => {
    request();
    writeFileSync(join(bed.state, 'domains', `${UUID}.xml`), '<domain><broken');
    const run = await bed.repin('reconcile', '--pending');
    expect(run.code).to.equal(1);
    expect(bed.entries()[0]).to.include({ outcome: 'error' });
    expect(spoolFiles()).to.deep.equal([]);
  });

  it('a stray file in the spool is moved aside with a journal line: the path unit would restart the service until it fails', async () => {
    mkdirSync(bed.spool, { recursive: true, mode: 0o700 });
    writeFileSync(join(bed.spool, 'notes.txt'), 'an operator was here\n');
    const run = await bed.repin('reconcile', '--pending');
    // Exit 1, as for any journaled error: the unit shows as failed once, for an operator to see.
    expect(run.code, run.stderr).to.equal(1);
    expect(readdirSync(bed.spool)).to.deep.equal([]);
    expect(readdirSync(`${bed.spool}.rejected`).map((n) => n.replace(/^\d+-/, ''))).to.deep.equal(['notes.txt']);
    expect(String(bed.entries()[0]?.error)).to.match(/notes\.txt in the spool is not a reconcile request/);
  });

  it('a request still being written (a young temp file) is waited for, not left to retrigger the unit', async () => {
    mkdirSync(bed.spool, { recursive: true, mode: 0o700 });
    const temp = join(bed.spool, `.${UUID}.4242.tmp`);
    writeFileSync(temp, '{');
    const gone = setTimeout(() => rmSync(temp, { force: true }), 1200);
    const started = Date.now();
    try {
      expect((await bed.repin('reconcile', '--pending')).code).to.equal(0);
    } finally {
      clearTimeout(gone);
    }
    expect(Date.now() - started).to.be.at.least(1000);
    expect(readdirSync(bed.spool)).to.deep.equal([]);
  });

  it('a malformed request file is journaled as an error and removed', async () => {
    request();
    writeFileSync(join(bed.spool, `${OTHER}.json`), '{ not json');
    bed.domain(UUID, fitting);
    const run = await bed.repin('reconcile', '--pending');
    expect(run.code).to.equal(1);
    expect(bed.entries().map((e) => e.outcome).sort()).to.deep.equal(['error', 'unchanged']);
    expect(spoolFiles()).to.deep.equal([]);
  });

  it('needs --pending or --all', async () => {
    const run = await bed.repin('reconcile');
    expect(run.code).to.equal(2);
    expect(run.stderr).to.match(/--pending, --all or both/);
  });
});
