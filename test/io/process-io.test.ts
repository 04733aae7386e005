// fdSink on a real pipe nobody reads: a write that stops part way says how
// far it got (the reader holds a broken document); one that wrote nothing says so too.
import { expect } from 'chai';
import { readSync, writeSync } from 'node:fs';
import { fdSink, isOutputCutShort } from '../../src/io/process-io.js';
import { fifoPipeEach } from '../support/fifo.js';

/** Everything in the pipe now. */
function drain(fd: number): Buffer {
  const chunks: Buffer[] = [];
  for (;;) {
    const buffer = Buffer.alloc(65536);
    try {
      const n = readSync(fd, buffer, 0, buffer.length, null);
      if (n === 0) break;
      chunks.push(buffer.subarray(0, n));
    } catch {
      break; // EAGAIN: empty
    }
  }
  return Buffer.concat(chunks);
}

describe('io: fdSink', () => {
  const ends = fifoPipeEach();

  it('a reader that stops taking bytes mid-text: OutputCutShort naming exactly the bytes it got', () => {
    const text = `<domain>${'x'.repeat(200 * 1024)}</domain>\n`;
    let caught: unknown;
    try {
      fdSink(ends.writer, 50).write(text);
    } catch (error) {
      caught = error;
    }
    expect(isOutputCutShort(caught), String(caught)).to.equal(true);
    if (!isOutputCutShort(caught)) return;
    const got = drain(ends.reader);
    expect(caught.written).to.equal(got.length).and.be.above(0).and.below(Buffer.byteLength(text));
    expect(caught.message).to.equal(`output cut short after ${got.length} bytes (the reader took nothing for 50 ms)`);
    expect(got.toString()).to.equal(text.slice(0, got.length));
  });

  it('a pipe already full: the EAGAIN itself, not a cut-short (nothing of the text was written)', () => {
    writeSync(ends.writer, Buffer.alloc(65536));
    let caught: unknown;
    try {
      fdSink(ends.writer, 20).write('<domain/>\n');
    } catch (error) {
      caught = error;
    }
    expect(caught).to.be.instanceOf(Error).and.have.property('code', 'EAGAIN');
    expect(isOutputCutShort(caught)).to.equal(false);
  });
});
