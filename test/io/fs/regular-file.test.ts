// openRegularFile and friends: the hook never blocks on a FIFO, never writes
// through a planted link, never trusts another user's file, never leaves half a record.
import { expect } from 'chai';
import { chownSync, closeSync, constants, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openRegularFile, readRegularFile, writeAll, writeNewFile } from '../../../src/io/fs/regular-file.js';
import { makeFifo } from '../../support/fifo.js';
import { fillUp, mountSmallTmpfs, unmount } from '../../support/tmpfs.js';

const APPEND = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT;

describe('io: regular files', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'repin-regular-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a FIFO is refused at once, for reading and for appending (no writer needed to get an answer)', () => {
    const fifo = makeFifo(join(dir, 'fifo'));
    expect(() => readRegularFile(fifo)).to.throw(/is not a regular file \(a FIFO\); refused/);
    expect(() => openRegularFile(fifo, APPEND)).to.throw(/is not a regular file \(a FIFO\)/);
  });

  it('a directory is refused', () => {
    expect(() => readRegularFile(dir)).to.throw(/not a regular file \(a directory\)/);
  });

  it('a symlink is refused unless followLinks (the config may be one); its target is not touched', () => {
    const target = join(dir, 'target');
    writeFileSync(target, 'secret');
    symlinkSync(target, join(dir, 'link'));
    expect(() => openRegularFile(join(dir, 'link'), APPEND)).to.throw(/link is not a regular file \(a symlink\); refused/);
    expect(readRegularFile(join(dir, 'link'))).to.equal('secret');
    expect(readFileSync(target, 'utf8')).to.equal('secret');
  });

  it('a file of another owner is refused when an owner is asked for', function () {
    if (process.getuid?.() !== 0) this.skip();
    const file = join(dir, 'theirs');
    writeFileSync(file, '');
    chownSync(file, 4242, 4242);
    expect(() => openRegularFile(file, APPEND, { owner: 0 })).to.throw(/owned by uid 4242, not 0; refused/);
    closeSync(openRegularFile(file, APPEND));
  });

  it('writeNewFile never writes through a planted symlink', () => {
    const target = join(dir, 'target');
    writeFileSync(target, 'keep');
    symlinkSync(target, join(dir, 'new'));
    expect(() => writeNewFile(join(dir, 'new'), 'evil')).to.throw(/EEXIST/);
    expect(readFileSync(target, 'utf8')).to.equal('keep');
  });

  describe('on a full disk (16 KiB tmpfs)', () => {
    let mnt: string;
    let mounted = false;
    beforeEach(function () {
      mnt = join(dir, 'mnt');
      mounted = mountSmallTmpfs(mnt);
      if (!mounted) this.skip();
    });
    afterEach(() => {
      if (mounted) unmount(mnt);
    });

    it('writeAll: a write that stops part way (short write, then ENOSPC) is cut back to the old size', () => {
      const file = join(mnt, 'journal.jsonl');
      writeFileSync(file, '{"old":1}\n');
      fillUp(join(mnt, 'filler'));
      const fd = openRegularFile(file, APPEND);
      try {
        // 10 KiB: the first write(2) fills the file's page and returns short, the next answers ENOSPC.
        expect(() => writeAll(fd, `${'x'.repeat(10_000)}\n`, 10)).to.throw(/ENOSPC/);
      } finally {
        closeSync(fd);
      }
      expect(readFileSync(file, 'utf8')).to.equal('{"old":1}\n');
    });

    it('writeNewFile: a file it could not fill is removed, not left empty or half written', () => {
      expect(() => writeNewFile(join(mnt, 'big.xml'), 'x'.repeat(64 * 1024))).to.throw(/ENOSPC/);
      expect(readdirSync(mnt)).to.deep.equal([]);
    });
  });
});
