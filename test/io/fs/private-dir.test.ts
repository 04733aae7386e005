// ensurePrivateDir: the hook (root) keeps secrets only in a directory that is
// really its own; anything else is refused, and never chmod-ed through a link.
import { expect } from 'chai';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensurePrivateDir } from '../../../src/io/fs/private-dir.js';

const mode = (path: string): number => statSync(path).mode & 0o777;

describe('io: private directories', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'repin-private-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates a missing directory and its parents 0700', () => {
    const deep = join(dir, 'a', 'b');
    ensurePrivateDir(deep);
    expect(mode(deep)).to.equal(0o700);
  });

  it('takes group/other read bits away from a directory of ours', () => {
    const loose = join(dir, 'loose');
    mkdirSync(loose);
    chmodSync(loose, 0o755);
    ensurePrivateDir(loose);
    expect(mode(loose)).to.equal(0o700);
  });

  for (const bits of [0o777, 0o770, 0o702]) {
    it(`refuses a directory others may write to (mode ${bits.toString(8)}), and leaves it as it is`, () => {
      const open = join(dir, 'open');
      mkdirSync(open);
      chmodSync(open, bits);
      expect(() => ensurePrivateDir(open)).to.throw(new RegExp(`writable by group or others \\(mode ${bits.toString(8)}\\); refused`));
      expect(mode(open)).to.equal(bits);
    });
  }

  it('refuses a symlink to a directory, and does not chmod its target', () => {
    const target = join(dir, 'target');
    mkdirSync(target);
    chmodSync(target, 0o755);
    symlinkSync(target, join(dir, 'link'));
    expect(() => ensurePrivateDir(join(dir, 'link'))).to.throw(/link is not a real directory \(a symlink\); refused/);
    expect(mode(target)).to.equal(0o755);
  });

  it('refuses a file where the directory should be', () => {
    writeFileSync(join(dir, 'file'), '');
    expect(() => ensurePrivateDir(join(dir, 'file'))).to.throw(/file is not a real directory \(a file\); refused/);
  });

  it('refuses a directory owned by another user', function () {
    if (process.getuid?.() !== 0) this.skip();
    const theirs = join(dir, 'theirs');
    mkdirSync(theirs, { mode: 0o700 });
    chownSync(theirs, 4242, 4242);
    expect(() => ensurePrivateDir(theirs)).to.throw(/theirs is owned by uid 4242, not 0; refused/);
  });
});
