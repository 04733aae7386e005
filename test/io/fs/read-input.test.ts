// readFdText: the hook's stdin, read synchronously. EINTR is retried, a
// non-blocking descriptor is waited on without spinning, and a stdin that never
// ends is given up on: libvirt has no timeout, so the hook must have one.
import { expect } from 'chai';
import { closeSync, readSync, writeSync } from 'node:fs';
import { readFdText } from '../../../src/io/fs/read-input.js';
import { fifoPipeEach } from '../../support/fifo.js';

const errno = (code: string): NodeJS.ErrnoException => Object.assign(new Error(code), { code });

/** A read(2) that plays back a script: strings are data, codes are errors, the end is EOF. */
function scripted(steps: readonly string[]): { read: (fd: number, buffer: Buffer) => number; calls: () => number } {
  let at = 0;
  return {
    read: (_fd, buffer) => {
      const step = steps[at++];
      if (step === undefined) return 0;
      if (/^E[A-Z]+$/.test(step)) throw errno(step);
      return buffer.write(step);
    },
    calls: () => at,
  };
}

describe('io: reading stdin from a descriptor', () => {
  it('EINTR (a signal during read) is retried, not an error', () => {
    const fake = scripted(['<dom', 'EINTR', 'ain/>', 'EINTR']);
    expect(readFdText(0, 1000, 'xml', { read: fake.read })).to.equal('<domain/>');
  });

  it('EAGAIN before and after a partial read waits and goes on: the whole text, not a fallback or an error', () => {
    const fake = scripted(['EAGAIN', '<dom', 'EAGAIN', 'EAGAIN', 'EAGAIN', 'ain/>']);
    expect(readFdText(0, 1000, 'xml', { read: fake.read })).to.equal('<domain/>');
    expect(fake.calls()).to.equal(7);
  });

  it('other errors are reported', () => {
    expect(() => readFdText(0, 1000, 'xml', { read: scripted(['<a', 'EIO']).read })).to.throw(/EIO/);
  });

  describe('a real non-blocking FIFO', () => {
    const ends = fifoPipeEach();

    it('a writer that never closes: an error after the deadline, polled with sleeps, not a busy spin', () => {
      writeSync(ends.writer, '<domain>');
      let reads = 0;
      const started = performance.now();
      expect(() =>
        readFdText(ends.reader, 1000, 'domain XML on stdin', {
          deadlineMs: 300,
          read: (fd, buffer) => {
            reads++;
            return readSync(fd, buffer, 0, buffer.length, null);
          },
        }),
      ).to.throw(/^domain XML on stdin: no end of input after 300 ms \(8 bytes read\); gave up$/);
      const elapsed = performance.now() - started;
      expect(elapsed).to.be.within(290, 3000);
      expect(reads, 'read(2) calls in 300 ms').to.be.below(100);
    });

    it('data then the writer closing: the whole text', () => {
      writeSync(ends.writer, '<domain/>');
      closeSync(ends.writer);
      ends.writer = -1;
      expect(readFdText(ends.reader, 1000)).to.equal('<domain/>');
    });
  });
});
