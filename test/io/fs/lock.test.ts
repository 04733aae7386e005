// The lock file against the leftovers of killed holders, a full disk and a
// wall clock stepped back.
import { expect } from 'chai';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireLock, tryLock } from '../../../src/io/fs/lock.js';
import { withHostLock } from '../../../src/io/state/reservations.js';
import { startTimeOf } from '../../support/proc-stat.js';
import { mountSmallTmpfs, unmount } from '../../support/tmpfs.js';

const startOf = (pid: number): string => String(startTimeOf(pid));

/** Step Date.now() back an hour right after its next call, for `calls` calls: the wall clock stepped back as a wait began. */
function stepClockBack(calls: number): () => void {
  const real = Date.now.bind(Date);
  let call = 0;
  Date.now = () => (call++ > 0 && call <= calls + 1 ? real() - 3_600_000 : real());
  return () => {
    Date.now = real;
  };
}

describe('lock', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'repin-lock-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("records the holder's pid, a token and its start time", () => {
    const path = join(dir, 'lock');
    const result = tryLock(path);
    expect(result).to.have.property('lock');
    const [pid, token, started] = readFileSync(path, 'utf8').trim().split(' ');
    expect([pid, started]).to.deep.equal([String(process.pid), startOf(process.pid)]);
    expect(token).to.match(/^[0-9a-z]+$/);
    if ('lock' in result) result.lock.release();
  });

  it('breaks a lock whose pid now belongs to a process started later (killed holder, pid reused)', () => {
    const path = join(dir, 'lock');
    // pid 1 runs and never releases anything: as a daemon that took a killed hook's pid.
    writeFileSync(path, `1 k1llt0ken ${Number(startOf(1)) + 12_345}\n`);
    expect(tryLock(path)).to.have.property('lock');
  });

  it('keeps a lock whose live holder started when the lock says, or that records no start time', () => {
    const path = join(dir, 'lock');
    writeFileSync(path, `1 t0ken ${startOf(1)}\n`);
    expect(tryLock(path)).to.deep.equal({ heldBy: '1' });
    writeFileSync(path, '1 t0ken\n');
    expect(tryLock(path)).to.deep.equal({ heldBy: '1' });
  });

  it('a wall-clock step back does not stretch the wait: acquireLock gives up after waitMs', async () => {
    const path = join(dir, 'lock');
    writeFileSync(path, `1 t0ken ${startOf(1)}\n`);
    // Polls back off from 100 ms: with deadlines on the wall clock, 10 reads stepped back would take 3 s.
    const restore = stepClockBack(10);
    const started = performance.now();
    try {
      const result = await acquireLock(path, 200, (ms) => new Promise((resolve) => setTimeout(resolve, ms)));
      expect(result).to.deep.equal({ heldBy: '1' });
    } finally {
      restore();
    }
    expect(performance.now() - started).to.be.below(1500);
  });

  it('a wall-clock step back does not stretch the hook wait: withHostLock plans without the lock after waitMs', () => {
    writeFileSync(join(dir, 'lock'), `1 t0ken ${startOf(1)}\n`);
    // 10 ms per poll: with deadlines on the wall clock, 300 polls stepped back would take 3 s.
    const restore = stepClockBack(300);
    const started = performance.now();
    let locked: boolean | undefined;
    try {
      withHostLock(dir, (l) => (locked = l), 100);
    } finally {
      restore();
    }
    expect(locked).to.equal(false);
    expect(performance.now() - started).to.be.below(1000);
  });

  it('a full disk leaves no empty lock behind (it would hold everyone off)', function () {
    const full = join(dir, 'run');
    if (!mountSmallTmpfs(full, '64k')) this.skip();
    try {
      try {
        writeFileSync(join(full, 'filler'), Buffer.alloc(1024 * 1024));
      } catch {
        // full now
      }
      expect(() => tryLock(join(full, 'lock'))).to.throw(/ENOSPC/);
      expect(existsSync(join(full, 'lock'))).to.equal(false);
      expect(readdirSync(full)).to.deep.equal(['filler']);
    } finally {
      unmount(full);
    }
  });
});
