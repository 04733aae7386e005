// The filter when stdout fails part way through the XML: libvirt already holds
// a broken document, so the hook says so and exits 1, never "kept unchanged".
import { expect } from 'chai';
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { hookMain } from '../../src/hook/hook-main.js';
import { fdSink, type Io } from '../../src/io/process-io.js';
import { fifoPipeEach } from '../support/fifo.js';

const PINNED = readFileSync('test/fixtures/reliability/pinned.xml', 'utf8');
/** Bigger than a pipe (64 KiB): a reader that never reads gets part of it. */
const BIG = PINNED.replace('</name>', `</name><description>${'d'.repeat(100 * 1024)}</description>`);

describe('hook: stdout cut short mid-document', () => {
  const ends = fifoPipeEach();

  for (const op of ['migrate', 'restore']) {
    it(`${op}: exit 1 with one line saying how many bytes went out; journal "error"; no reconcile request`, async () => {
      const work = ends.dir; // the journal, run and spool dirs live beside the FIFO
      const err: string[] = [];
      const io: Io = {
        argv: ['vm', op, 'begin', '-'],
        scriptPath: '/etc/libvirt/hooks/qemu',
        stdin: Readable.from([Buffer.from(BIG)]),
        stdout: fdSink(ends.writer, 50),
        stderr: { write: (text: string) => err.push(text) },
        env: {
          REPIN_CONFIG: join(work, 'none.json'),
          REPIN_HOST: resolve('examples/hosts/small.json'),
          REPIN_JOURNAL_DIR: join(work, 'journal'),
          REPIN_RUN_DIR: join(work, 'run'),
          REPIN_SPOOL_DIR: join(work, 'pending'),
        },
        fsRoot: '/',
      };
      const code = await hookMain(io);
      expect(code).to.equal(1);
      expect(err).to.have.length(1);
      expect(err[0]).to.match(new RegExp(`^repin: ${op} of vm: output cut short after [1-9]\\d* bytes \\(the reader took nothing for 50 ms\\); exit 1, libvirt fails the ${op}\\n$`));
      expect(err[0]).to.not.include('kept unchanged');
      const [entry] = readFileSync(join(work, 'journal', 'journal.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(entry).to.include({ outcome: 'error' });
      expect(String(entry?.error)).to.match(/^output cut short after \d+ bytes/);
      expect(readdirSync(work)).to.not.include('pending');
    });
  }
});
