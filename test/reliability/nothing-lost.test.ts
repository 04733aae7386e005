// Nothing lost: for every document the built hook prints — each golden
// fixture on its own host, and the saved fuzz corpus — parsing input and
// output gives equal documents apart from exactly the changes the journal
// lists (and repin's own original-placement record in <metadata>).
import { expect } from 'chai';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { assertContract, expectOnlyListedChanges, FIXTURES, HookBench, type JournalChange } from './support.js';

const GOLDEN = 'test/fixtures/golden';
const CORPUS = join(FIXTURES, 'corpus');

describe('reliability: the hook loses nothing but the journaled changes', function () {
  this.timeout(60_000);
  async function expectFaithful(xml: string, env: Record<string, string>, config: Record<string, unknown> = {}): Promise<string> {
    const own = new HookBench();
    try {
      own.writeConfig(config);
      const run = await own.run('migrate', xml, { env });
      assertContract(run, 'any');
      const entry = own.entries()[0];
      if (run.code === 0 && run.stdout !== '') {
        expect(entry?.outcome).to.equal('rewritten');
        expectOnlyListedChanges(xml, run.stdout, entry?.changes as JournalChange[]);
      }
      return String(entry?.outcome);
    } finally {
      own.cleanup();
    }
  }

  for (const name of readdirSync(GOLDEN).sort()) {
    const dir = join(GOLDEN, name);
    it(`golden ${name}: output = input + the journaled changes, nothing else`, async () => {
      const configFile = join(dir, 'config.json');
      const config = existsSync(configFile) ? (JSON.parse(readFileSync(configFile, 'utf8')) as Record<string, unknown>) : {};
      const outcome = await expectFaithful(readFileSync(join(dir, 'domain.xml'), 'utf8'), { REPIN_HOST: resolve(dir, 'host.json') }, config);
      expect(['rewritten', 'unchanged', 'refused', 'skipped']).to.include(outcome);
    });
  }

  for (const name of readdirSync(CORPUS).filter((n) => n.endsWith('.xml')).sort()) {
    it(`fuzz corpus ${name}: output = input + the journaled changes, nothing else`, async () => {
      const outcome = await expectFaithful(readFileSync(join(CORPUS, name), 'utf8'), {});
      expect(outcome).to.be.oneOf(['rewritten', 'unchanged', 'error', 'refused', 'skipped']);
    });
  }

  it('the corpus entries that are valid XML are in fact rewritten (the check above is not vacuous)', async () => {
    const valid = [
      ...['line-separators-in-text.xml', 'attribute-whitespace-references.xml', 'cdata-and-comments-in-cputune.xml'],
      ...['carriage-return-reference-in-metadata.xml', 'markup-lookalikes-in-cdata-and-comments.xml'],
    ];
    for (const name of valid) {
      expect(await expectFaithful(readFileSync(join(CORPUS, name), 'utf8'), {}), name).to.equal('rewritten');
    }
  });
});
