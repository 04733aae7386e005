// The pure and file-level parts of reconcile: spool, lock, durations, the saved-XML plan.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/core/config.js';
import { CpuSet } from '../../src/core/cpuset.js';
import { filterDomainXml } from '../../src/core/plan/filter-xml.js';
import { hostFromProfile } from '../../src/core/host/host-json.js';
import { readOriginal } from '../../src/core/domain/metadata.js';
import { readDomainPins } from '../../src/core/domain/pins.js';
import { withClaims } from '../../src/core/reconcile/claims.js';
import { liveChanges } from '../../src/core/reconcile/live.js';
import { hostWithoutDomain, mergeChanges, planReconcile } from '../../src/core/reconcile/decide.js';
import { ABSENT_GRACE_MS, backoffDelay, decide, parseDuration } from '../../src/core/reconcile/wait.js';
import { parseDomainXml } from '../../src/core/xml/xmldom.js';
import { tryLock } from '../../src/io/fs/lock.js';
import { listRequests, parseRequest, removeRequest, removeStaleTemps, writeReconcileRequest } from '../../src/io/state/spool.js';
import { fillUp, mountSmallTmpfs, unmount } from '../support/tmpfs.js';
import { SMALL } from './harness.js';

const UUID = '6f1c2a7e-3b8d-4c51-9a0e-2d7f4b9c8e10';
const source = readFileSync('examples/dedicated-1to1.xml', 'utf8');
const small = hostFromProfile(JSON.parse(readFileSync(SMALL, 'utf8')), SMALL);
const config = parseConfig({});

describe('reconcile parts', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'repin-parts-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  describe('spool', () => {
    it('writes <uuid>.json, 0600 in a 0700 dir, never named after the domain', () => {
      const spool = join(dir, 'pending');
      writeReconcileRequest(spool, { uuid: UUID.toUpperCase(), name: '../../etc/evil', time: new Date().toISOString(), changes: [] });
      expect(readdirSync(spool)).to.deep.equal([`${UUID}.json`]);
      expect(statSync(spool).mode & 0o777).to.equal(0o700);
      expect(statSync(join(spool, `${UUID}.json`)).mode & 0o777).to.equal(0o600);
      const [entry] = listRequests(spool);
      expect(entry && 'request' in entry ? entry.request.name : undefined).to.equal('../../etc/evil');
    });

    it('refuses a uuid that is not one', () => {
      expect(() => writeReconcileRequest(dir, { uuid: '../x', name: 'x', time: '', changes: [] })).to.throw(/is not a UUID/);
    });

    const bad: [string, RegExp][] = [
      ['{', /not JSON/],
      ['[]', /uuid/],
      [`{"uuid":"${UUID}","name":"a","time":"yesterday","changes":[]}`, /not a date/],
      [`{"uuid":"${UUID}","name":"a","time":"2024-01-01T00:00:00Z","changes":[{"element":"disk","old":"1","new":"2","rule":"x"}]}`, /changes/],
      [`{"uuid":"00000000-0000-0000-0000-000000000000","name":"a","time":"2024-01-01T00:00:00Z","changes":[]}`, /does not match the file name/],
    ];
    for (const [raw, want] of bad) it(`rejects request ${raw.slice(0, 40)}`, () => expect(parseRequest(raw, UUID)).to.match(want));

    it('does not remove a request the hook has replaced since it was read', () => {
      writeReconcileRequest(dir, { uuid: UUID, name: 'a', time: new Date().toISOString(), changes: [] });
      const [entry] = listRequests(dir);
      writeReconcileRequest(dir, { uuid: UUID, name: 'a', time: new Date(Date.now() + 1000).toISOString(), changes: [] });
      expect(entry && removeRequest(entry)).to.equal(false);
      expect(existsSync(join(dir, `${UUID}.json`))).to.equal(true);
    });

    it('a symlink planted at the temp name is never written through (root would overwrite its target)', () => {
      const target = join(dir, 'target');
      writeFileSync(target, 'precious');
      const spool = join(dir, 'pending');
      mkdirSync(spool, { mode: 0o700 });
      symlinkSync(target, join(spool, `.${UUID}.${process.pid}.tmp`));
      writeReconcileRequest(spool, { uuid: UUID, name: 'a', time: new Date().toISOString(), changes: [] });
      expect(readFileSync(target, 'utf8')).to.equal('precious');
      expect(readdirSync(spool)).to.deep.equal([`${UUID}.json`]);
    });

    it('a symlinked or group-writable spool dir is refused', () => {
      const real = join(dir, 'real');
      mkdirSync(real, { mode: 0o700 });
      symlinkSync(real, join(dir, 'link'));
      const request = { uuid: UUID, name: 'a', time: new Date().toISOString(), changes: [] };
      expect(() => writeReconcileRequest(join(dir, 'link'), request)).to.throw(/link is not a real directory \(a symlink\); refused/);
      chmodSync(real, 0o770);
      expect(() => writeReconcileRequest(real, request)).to.throw(/writable by group or others/);
      expect(readdirSync(real)).to.deep.equal([]);
    });

    it('a full disk leaves no empty temp file behind', function () {
      const spool = join(dir, 'full');
      if (!mountSmallTmpfs(spool)) this.skip();
      try {
        fillUp(join(spool, 'filler'));
        expect(() => writeReconcileRequest(spool, { uuid: UUID, name: 'a', time: new Date().toISOString(), changes: [] })).to.throw(/ENOSPC/);
        expect(readdirSync(spool)).to.deep.equal(['filler']);
      } finally {
        unmount(spool);
      }
    });

    it('removes temp files a killed hook left, but not fresh ones', () => {
      writeFileSync(join(dir, `.${UUID}.1.tmp`), '');
      writeFileSync(join(dir, `.${UUID}.2.tmp`), '');
      utimesSync(join(dir, `.${UUID}.1.tmp`), new Date(0), new Date(0));
      expect(removeStaleTemps(dir, Date.now())).to.deep.equal([`.${UUID}.1.tmp`]);
    });
  });

  describe('lock', () => {
    it('excludes a second holder in the same process, and frees on release', () => {
      const path = join(dir, 'x.lock');
      const first = tryLock(path);
      expect(first).to.have.property('lock');
      expect(tryLock(path)).to.deep.equal({ heldBy: String(process.pid) });
      if ('lock' in first) first.lock.release();
      expect(tryLock(path)).to.have.property('lock');
    });

    it('breaks a stale lock whose process is gone, and one with our pid but not our token (pid reuse)', () => {
      const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)']).stdout.toString().trim();
      const path = join(dir, 'x.lock');
      writeFileSync(path, `${dead} deadbeef\n`);
      expect(tryLock(path)).to.have.property('lock');
      const reused = join(dir, 'y.lock');
      writeFileSync(reused, `${process.pid} not-ours\n`);
      expect(tryLock(reused)).to.have.property('lock');
    });
  });

  describe('durations', () => {
    const cases: [string, number][] = [['500ms', 500], ['90s', 90_000], ['90', 90_000], ['10m', 600_000], ['1h', 3_600_000], ['1.5s', 1500]];
    for (const [text, ms] of cases) it(`${text} = ${ms} ms`, () => expect(parseDuration(text, '--wait')).to.equal(ms));
    for (const text of ['', 'soon', '-1s', '5d']) it(`rejects '${text}'`, () => expect(() => parseDuration(text, '--wait')).to.throw(/--wait .* is not a duration/));
    it('backs off from 250 ms, doubling, capped at 10 s', () => expect([0, 1, 2, 10, 99].map((r) => backoffDelay(r))).to.deep.equal([250, 500, 1000, 10_000, 10_000]));

    describe('what a request waits for', () => {
      const T = Date.parse('2026-12-06T04:00:00Z');
      const WAIT = 600_000;
      it('a persistent guest that has landed is handled', () => expect(decide({ kind: 'persistent' }, T, T, WAIT)).to.deep.equal({ action: 'handle' }));
      it('a guest libvirt does not know waits out the grace, not --wait', () => {
        expect(decide({ kind: 'absent' }, T, T + ABSENT_GRACE_MS - 1, WAIT)).to.include({ action: 'wait', untilMs: T + ABSENT_GRACE_MS });
        expect(decide({ kind: 'absent' }, T, T + ABSENT_GRACE_MS, WAIT)).to.include({ action: 'drop' });
      });
      it('a --wait shorter than the grace bounds it', () => expect(decide({ kind: 'absent' }, T, T + 1000, 1000)).to.include({ action: 'drop' }));
      it('a guest visibly arriving waits up to 2 × --wait, saying its state', () => {
        const d = decide({ kind: 'arriving', state: 'paused (migrating)' }, T, T + WAIT, WAIT);
        expect(d).to.include({ action: 'wait', untilMs: T + 2 * WAIT });
        expect(d.action === 'wait' ? d.why : '').to.match(/^paused \(migrating\): its migration is still under way/);
        expect(decide({ kind: 'arriving', state: 'paused (migrating)' }, T, T + 2 * WAIT, WAIT)).to.include({ action: 'drop' });
      });
      it('a transient guest that has landed is dropped at once', () =>
        expect(decide({ kind: 'transient', state: 'running (migrated)' }, T, T, WAIT)).to.include({ action: 'drop' }));
      it('libvirt not answering keeps a request up to 2 × --wait', () => {
        expect(decide({ kind: 'no-answer', error: 'x' }, T, T + WAIT, WAIT)).to.include({ action: 'wait' });
        expect(decide({ kind: 'no-answer', error: 'x' }, T, T + 2 * WAIT, WAIT)).to.include({ action: 'drop' });
      });
    });
  });

  describe('planReconcile', () => {
    const live = filterDomainXml(source, small, config);

    it('applies exactly the recorded changes when they match the saved XML', () => {
      const recorded = live.plan.changes.map((c) => ({ ...c, new: c.element === 'vcpupin' && c.id === 0 ? '7' : c.new }));
      const result = planReconcile(source, small, config, undefined, { recorded });
      expect(result.source).to.equal('recorded');
      expect(result.plan.changes).to.deep.equal(recorded);
      expect(result.output).to.include("<vcpupin vcpu='0' cpuset='7'/>");
    });

    it('writes the saved XML back as it came but for the changes, whichever way it planned (readDomain)', () => {
      const recorded = live.plan.changes;
      const viaRecord = planReconcile(source, small, config, undefined, { recorded });
      const fresh = planReconcile(source, small, config);
      expect([viaRecord.source, fresh.source]).to.deep.equal(['recorded', 'fresh']);
      // Both are the plain reader's output: the same bytes as the hook's live rewrite.
      expect(viaRecord.output).to.equal(live.output);
      expect(fresh.output).to.equal(live.output);
    });

    it('the saved definition gets the original-placement record the hook wrote live: the pins from before the changes', () => {
      const recordOfXml = (xml: string | undefined): unknown => readOriginal(parseDomainXml(xml ?? ''));
      expect(recordOfXml(live.output)).to.not.equal(undefined);
      // Exactly the recorded changes ('recorded'), and recorded changes plus fresh ones ('recorded+fresh').
      expect(recordOfXml(planReconcile(source, small, config, undefined, { recorded: live.plan.changes }).output)).to.deep.equal(recordOfXml(live.output));
      const partial = live.plan.changes.filter((c) => c.element !== 'emulatorpin' && !(c.element === 'vcpupin' && c.id === 3));
      const more = planReconcile(source, small, config, undefined, { recorded: partial });
      expect(more.source).to.equal('recorded+fresh');
      expect(recordOfXml(more.output)).to.deep.equal(recordOfXml(live.output));
    });

    it('a saved XML that fits is unchanged, whatever was recorded', () => {
      const fits = source.replace(/cpuset='2(\d)'/g, "cpuset='$1'");
      expect(planReconcile(fits, small, config, undefined, { recorded: live.plan.changes }).plan.outcome).to.equal('unchanged');
    });

    it('without a recording, plans afresh like the hook', () => {
      const result = planReconcile(source, small, config);
      expect(result.source).to.equal('fresh');
      expect(result.output).to.equal(live.output);
    });

    it('does not count the domain’s own running pins as held by another domain', () => {
      const exclusive = CpuSet.of([0, 2]);
      const host = { ...small, occupancy: { exclusive, floating: CpuSet.empty, holders: { 'db-primary': '0,2' } } };
      expect(hostWithoutDomain(host, 'db-primary').occupancy?.exclusive.toString()).to.equal('');
      expect(hostWithoutDomain(host, 'web-1').occupancy?.exclusive.toString()).to.equal('0,2');
    });

    it('live pins become changes, set or released; pins for what the saved definition lacks are left out', () => {
      const pins = (xml: string): ReturnType<typeof readDomainPins> => readDomainPins(parseDomainXml(xml));
      const live = source
        .replace("cpuset='20'", "cpuset='4'")
        .replace("cpuset='21'", "cpuset='20-21'") // same ids as saved (21 → 20-21 is a change; 22 stays)
        .replace("<vcpu placement='static'>4</vcpu>", "<vcpu placement='static'>8</vcpu>") // hot-plugged live only
        .replace("<emulatorpin cpuset='1'/>", "<vcpupin vcpu='7' cpuset='3'/>");
      const changes = liveChanges(pins(source), pins(live)).map((c) => [c.element, c.id, c.old, c.new]);
      expect(changes).to.deep.equal([
        ['vcpupin', 0, '20', '4'],
        ['vcpupin', 1, '21', '20-21'],
        ['emulatorpin', undefined, '1', null],
      ]);
    });

    it("other saved definitions' claims count as held, the domain's own do not", () => {
      const claims = new Map([
        [UUID, { name: 'db-primary', cpus: CpuSet.of([0]) }],
        ['other', { name: 'web-1', cpus: CpuSet.of([2, 30]) }],
      ]);
      const host = withClaims(small, claims, UUID);
      expect(host.occupancy?.exclusive.toString()).to.equal('2');
      expect(host.occupancy?.holders).to.deep.equal({ 'web-1 (saved definition)': '2' });
    });

    it('merges follow-up changes into one per element, old from the first', () => {
      const merged = mergeChanges([{ element: 'vcpupin', id: 1, old: '21', new: '5', rule: 'a' }], [{ element: 'vcpupin', id: 1, old: '5', new: '6', rule: 'b' }]);
      expect(merged).to.deep.equal([{ element: 'vcpupin', id: 1, old: '21', new: '6', rule: 'a; then b' }]);
    });
  });
});
