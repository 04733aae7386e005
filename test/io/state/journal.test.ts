// record(): one whole line per call whatever happens to the capture; nothing
// written through links, FIFOs or other users' files; only repin's captures pruned.
import { expect } from 'chai';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureName, record, type JournalEntry } from '../../../src/io/state/journal.js';
import { makeFifo } from '../../support/fifo.js';
import { fillUp, mountSmallTmpfs, unmount } from '../../support/tmpfs.js';

const UUID = '6f1c2a7e-3b8d-4c51-9a0e-2d7f4b9c8e10';
const entry = (time = '2026-01-02T03:04:05.678Z', extra: Partial<JournalEntry> = {}): JournalEntry => ({
  time,
  op: 'migrate',
  domain: 'vm',
  uuid: UUID,
  policy: 'remap',
  outcome: 'rewritten',
  changes: [],
  durationMs: 1,
  ...extra,
});

describe('io: journal', () => {
  let dir: string;
  const lines = (): Record<string, unknown>[] =>
    readFileSync(join(dir, 'journal.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  beforeEach(() => {
    dir = join(mkdtempSync(join(tmpdir(), 'repin-journal-')), 'journal');
  });
  afterEach(() => rmSync(join(dir, '..'), { recursive: true, force: true }));

  it('a capture name that is taken (EEXIST) leaves that file alone and still journals the call, without capture', () => {
    const name = captureName(entry().time, UUID, 'vm', 42);
    mkdirSync(join(dir, 'captures'), { recursive: true, mode: 0o700 });
    writeFileSync(join(dir, 'captures', name), 'theirs');
    const written = record({ dir, keep: 5 }, entry(), '<domain/>', 42);
    expect(written).to.not.have.property('capture');
    expect(written.captureError).to.match(/EEXIST/);
    expect(readFileSync(join(dir, 'captures', name), 'utf8')).to.equal('theirs');
    expect(lines()).to.have.length(1);
    expect(lines()[0]).to.include({ outcome: 'rewritten' }).and.not.have.property('capture');
  });

  it('prune removes only captures repin named, never other *.xml an operator keeps there', () => {
    mkdirSync(join(dir, 'captures'), { recursive: true, mode: 0o700 });
    writeFileSync(join(dir, 'captures', 'notes.xml'), 'mine');
    writeFileSync(join(dir, 'captures', '00000000.xml'), 'mine too');
    for (const time of ['2026-01-01T00:00:00.000Z', '2026-01-02T00:00:00.000Z', '2026-01-03T00:00:00.000Z']) record({ dir, keep: 1 }, entry(time), '<domain/>', 7);
    const left = readdirSync(join(dir, 'captures')).sort();
    expect(left).to.deep.equal(['00000000.xml', captureName('2026-01-03T00:00:00.000Z', UUID, 'vm', 7), 'notes.xml']);
    expect(lines()).to.have.length(3);
    expect(lines()[2]?.capture).to.equal(`captures/${left[1]}`);
  });

  it('captures named by uuid or by the name hash both match what prune may remove', () => {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    record({ dir, keep: 1 }, entry('2026-01-01T00:00:00.000Z', { uuid: 'not-a-uuid', domain: '../x' }), '<domain/>', 1);
    record({ dir, keep: 1 }, entry('2026-01-02T00:00:00.000Z'), '<domain/>', 1);
    expect(readdirSync(join(dir, 'captures'))).to.deep.equal([captureName('2026-01-02T00:00:00.000Z', UUID, 'vm', 1)]);
  });

  it('a journal.jsonl that is a FIFO, a symlink or another user’s file is refused, never written to', function () {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const file = join(dir, 'journal.jsonl');
    makeFifo(file);
    expect(() => record({ dir, keep: 0 }, entry())).to.throw(/journal\.jsonl is not a regular file \(a FIFO\); refused/);
    rmSync(file);

    const target = join(dir, '..', 'target');
    writeFileSync(target, 'untouched');
    symlinkSync(target, file);
    expect(() => record({ dir, keep: 0 }, entry())).to.throw(/journal\.jsonl is not a regular file \(a symlink\)/);
    expect(readFileSync(target, 'utf8')).to.equal('untouched');
    rmSync(file);

    if (process.getuid?.() !== 0) this.skip();
    writeFileSync(file, '');
    chownSync(file, 4242, 4242);
    expect(() => record({ dir, keep: 0 }, entry())).to.throw(/owned by uid 4242, not 0; refused/);
    expect(readFileSync(file, 'utf8')).to.equal('');
  });

  describe('on a full disk (16 KiB tmpfs)', () => {
    let mounted = false;
    beforeEach(function () {
      mounted = mountSmallTmpfs(dir);
      if (!mounted) this.skip();
    });
    afterEach(() => {
      if (mounted) unmount(dir);
    });

    it('a capture that does not fit (ENOSPC) is removed and the line is written without it', () => {
      const written = record({ dir, keep: 5 }, entry(), `<domain>${'x'.repeat(64 * 1024)}</domain>`);
      expect(written.captureError).to.match(/ENOSPC/);
      expect(readdirSync(join(dir, 'captures'))).to.deep.equal([]);
      expect(lines()).to.have.length(1);
      expect(lines()[0]).to.include({ captureError: written.captureError }).and.not.have.property('capture');
    });

    it('a line that does not fit is cut back whole: the next line never merges with half of it', () => {
      record({ dir, keep: 0 }, entry());
      const before = readFileSync(join(dir, 'journal.jsonl'), 'utf8');
      fillUp(join(dir, 'filler'));
      expect(() => record({ dir, keep: 0 }, entry(undefined, { notes: ['n'.repeat(10_000)] }))).to.throw(/ENOSPC/);
      expect(readFileSync(join(dir, 'journal.jsonl'), 'utf8')).to.equal(before);
      rmSync(join(dir, 'filler'));
      record({ dir, keep: 0 }, entry());
      expect(lines()).to.have.length(2);
      expect(existsSync(join(dir, 'captures'))).to.equal(false);
    });
  });
});
