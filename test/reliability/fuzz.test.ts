// Fuzzing the built hook: real domain XML (examples/, the reliability fixture)
// mutated byte- and structure-wise, run exactly as libvirt runs the hook. The
// contract holds for every mutant: exit 0 with nothing or a complete document
// that differs from the input only by the journaled changes, or exit 1 with
// one stderr line; never a trace, never slower than the bound.
// REPIN_FUZZ_RUNS (default 50 batches of 3 mutants) and REPIN_FUZZ_SEED replay or extend a run;
// REPIN_FUZZ_SAVE=1 writes each failing mutant to test/fixtures/reliability/corpus/.
import { expect } from 'chai';
import fc from 'fast-check';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertContract, expectOnlyListedChanges, FIXTURES, HookBench, hookMs, loadFactor, type JournalChange } from './support.js';

const SEEDS = [
  ...readdirSync('examples')
    .filter((n) => n.endsWith('.xml'))
    .map((n) => readFileSync(join('examples', n), 'utf8')),
  readFileSync(join(FIXTURES, 'pinned.xml'), 'utf8'),
];
const CORPUS = join(FIXTURES, 'corpus');
const RUNS = Number(process.env.REPIN_FUZZ_RUNS ?? 50);
const SEED = process.env.REPIN_FUZZ_SEED === undefined ? undefined : Number(process.env.REPIN_FUZZ_SEED);
/** The hook's own time for one call (journal durationMs) on a loaded machine; a wall-clock bound catches hangs. */
const HOOK_MS = 2000;
const WALL_MS = 10_000;

type Mutation = (xml: string) => string;

const at = (xml: string, fraction: number): number => Math.floor(fraction * xml.length);
const unit = fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true });
const junk = fc.string({ unit: fc.constantFrom(...'0123456789-,^ \t\nabcx+.٣３'.split('')), maxLength: 8 });

const inserts = fc.oneof(
  fc.constantFrom('&lol;', '&#0;', '&amp;', '&#x1F680;', '&#xD800;', '<!DOCTYPE d>', ']]>', '<![CDATA[x]]>', '<!-- c -->', '<?pi x?>', '\u0001', '\u2028', '"', "'", '<', '>'),
  fc
    .tuple(fc.constantFrom('vcpupin', 'emulatorpin', 'iothreadpin', 'memnode', 'vcpu', 'cputune', 'numatune', 'memory', 'x:y', 'domain'), fc.constantFrom('vcpu', 'cpuset', 'nodeset', 'cellid', 'iothread', 'placement', 'xmlns', 'xmlns:x'), junk)
    .map(([name, attr, value]) => `<${name} ${attr}='${value}'/>`),
  fc.tuple(fc.constantFrom('cpuset', 'nodeset', 'vcpu', 'passwd', 'xmlns:q'), junk).map(([attr, value]) => ` ${attr}="${value}"`),
);

/** Elements whose copies the clone mutation places elsewhere in the document. */
const CLONED = ['cputune', 'numatune', 'vcpu', 'cpu', 'metadata', 'vcpupin', 'emulatorpin', 'iothreadpin', 'memory', 'memnode', 'numa', 'topology'];

const mutation: fc.Arbitrary<{ label: string; apply: Mutation }> = fc.oneof(
  fc.tuple(unit, fc.integer({ min: 1, max: 200 })).map(([f, n]) => ({ label: `delete ${n}@${f.toFixed(3)}`, apply: (x: string) => x.slice(0, at(x, f)) + x.slice(at(x, f) + n) })),
  fc.tuple(unit, fc.integer({ min: 1, max: 400 })).map(([f, n]) => ({ label: `duplicate ${n}@${f.toFixed(3)}`, apply: (x: string) => x.slice(0, at(x, f) + n) + x.slice(at(x, f)) })),
  fc.tuple(unit, unit, fc.integer({ min: 1, max: 120 })).map(([f, g, n]) => ({
    label: `swap ${n}@${f.toFixed(3)}/${g.toFixed(3)}`,
    apply: (x: string) => {
      const [a, b] = [at(x, Math.min(f, g)), at(x, Math.max(f, g))];
      if (b - a < n) return x;
      return x.slice(0, a) + x.slice(b, b + n) + x.slice(a + n, b) + x.slice(a, a + n) + x.slice(b + n);
    },
  })),
  fc.tuple(fc.nat(), junk).map(([k, value]) => ({
    label: `cpuset #${k} = ${JSON.stringify(value)}`,
    apply: (x: string) => {
      let i = 0;
      const matches = [...x.matchAll(/(cpuset|nodeset)=(['"])[^'"]*\2/g)].length;
      if (matches === 0) return x;
      return x.replace(/(cpuset|nodeset)=(['"])[^'"]*\2/g, (m: string, attr: string, q: string) => (i++ === k % matches ? `${attr}=${q}${value}${q}` : m));
    },
  })),
  fc.tuple(unit, inserts).map(([f, text]) => ({
    label: `insert ${JSON.stringify(text)} after a '>' near ${f.toFixed(3)}`,
    apply: (x: string) => {
      const p = x.indexOf('>', at(x, f));
      return p === -1 ? x : x.slice(0, p + 1) + text + x.slice(p + 1);
    },
  })),
  fc.tuple(unit, inserts).map(([f, text]) => ({ label: `insert ${JSON.stringify(text)}@${f.toFixed(3)}`, apply: (x: string) => x.slice(0, at(x, f)) + text + x.slice(at(x, f)) })),
  unit.map((f) => ({ label: `truncate@${f.toFixed(3)}`, apply: (x: string) => x.slice(0, at(x, f)) })),
  // A whole element copied elsewhere: two <numatune>, a <vcpupin> outside <cputune>, a second <vcpu>, …
  fc.tuple(fc.constantFrom(...CLONED), unit).map(([name, f]) => ({
    label: `clone <${name}> after a '>' near ${f.toFixed(3)}`,
    apply: (x: string) => {
      const element = new RegExp(`<${name}\\b[^>]*?(/>|>[\\s\\S]*?</${name}>)`).exec(x)?.[0];
      const p = x.indexOf('>', at(x, f));
      return element === undefined || p === -1 ? x : x.slice(0, p + 1) + element + x.slice(p + 1);
    },
  })),
);

const mutant = fc
  .tuple(fc.nat({ max: SEEDS.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 3 }), fc.constantFrom('migrate', 'restore'), fc.constantFrom<'keep' | 'fail'>('keep', 'fail'))
  .map(([seed, steps, op, onError]): Mutant => ({
    xml: steps.reduce((x, s) => s.apply(x), SEEDS[seed] ?? ''),
    steps: steps.map((s) => s.label),
    seed,
    op,
    onError,
  }));

interface Mutant {
  readonly xml: string;
  readonly steps: readonly string[];
  readonly seed: number;
  readonly op: string;
  readonly onError: 'keep' | 'fail';
}

const BATCH = 3;

describe('reliability: fuzzed domain XML keeps the hook contract', function () {
  this.timeout(300_000);
  // One bench per parallel slot and onError setting: each bench's last journal line is its last call's.
  const benches = Array.from({ length: BATCH }, () => ({ keep: new HookBench(), fail: new HookBench() }));
  before(() => {
    for (const slot of benches) {
      slot.keep.writeConfig({ onError: 'keep' });
      slot.fail.writeConfig({ onError: 'fail' });
    }
  });
  after(() => {
    for (const slot of benches) {
      slot.keep.cleanup();
      slot.fail.cleanup();
    }
  });

  /** One mutant through the hook in `slot`, checked against the contract and the journal. */
  async function check(m: Mutant, slot: number): Promise<void> {
    const bench = (benches[slot] ?? benches[0])?.[m.onError] as HookBench;
    const before = bench.entries().length;
    const run = await bench.run(m.op, m.xml, { timeoutMs: WALL_MS });
    assertContract(run, 'any', m.onError);
    const entries = bench.entries();
    expect(entries, 'one journal line per call').to.have.length(before + 1);
    const entry = entries[entries.length - 1];
    expect(hookMs(entry), "the hook's own time").to.be.below(HOOK_MS * loadFactor());
    if (run.code === 1) expect(entry?.outcome, 'exit 1 is a refusal, or an error under onError fail').to.equal(m.onError === 'fail' ? entry?.outcome : 'refused');
    if (entry?.outcome === 'error') expect(run.code).to.equal(m.onError === 'keep' ? 0 : 1);
    // Nothing lost: the output is the input with exactly the journaled changes.
    if (run.code === 0 && run.stdout !== '') {
      expect(entry?.outcome).to.equal('rewritten');
      expectOnlyListedChanges(m.xml, run.stdout, entry?.changes as JournalChange[]);
    }
  }

  it(`keeps the contract for ${RUNS * BATCH} mutants of real domain XML (exit 0 + nothing or complete XML with only the journaled changes, or exit 1 + one line; within ${HOOK_MS} ms)`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(mutant, { minLength: BATCH, maxLength: BATCH }), async (mutants) => {
        const failures: string[] = [];
        await Promise.all(
          mutants.map(async (m, slot) => {
            try {
              await check(m, slot);
            } catch (error) {
              failures.push(`${m.op}/${m.onError} seed ${m.seed} [${m.steps.join('; ')}]: ${error instanceof Error ? error.message : String(error)}`);
              if (process.env.REPIN_FUZZ_SAVE === '1') writeFileSync(join(CORPUS, `fuzz-${Date.now()}-${slot}.xml`), m.xml);
            }
          }),
        );
        // expect.fail, not an equality: chai truncates long actual values, and the reason is the point.
        if (failures.length > 0) expect.fail(`mutants that broke the contract:\n${failures.join('\n')}`);
      }),
      { numRuns: RUNS, ...(SEED === undefined ? {} : { seed: SEED }), endOnFailure: true },
    );
  });
});
