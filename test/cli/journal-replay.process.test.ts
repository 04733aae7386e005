// repin journal and repin replay on what the hook really wrote.
import { expect } from 'chai';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runCli } from '../support/fake-io.js';
import { hookCopy, runScript } from '../support/run-built.js';

describe('cli: repin journal and repin replay', () => {
  let work: string;
  let hook: ReturnType<typeof hookCopy>;
  let env: Record<string, string>;
  before(() => {
    hook = hookCopy();
  });
  after(() => hook.cleanup());
  beforeEach(() => {
    work = mkdtempSync(join(tmpdir(), 'repin-replay-'));
    writeFileSync(join(work, 'repin.json'), JSON.stringify({ journal: { dir: join(work, 'journal') } }));
    env = { REPIN_CONFIG: join(work, 'repin.json'), REPIN_HOST: resolve('examples/hosts/small.json') };
    for (const name of ['dedicated-1to1', 'shared-pool']) {
      const run = runScript(hook.hook, [name, 'migrate', 'begin', '-'], readFileSync(`examples/${name}.xml`), env);
      expect(run.code, run.stderr).to.equal(0);
    }
  });
  afterEach(() => rmSync(work, { recursive: true, force: true }));

  it('journal lists the decisions, filtered by domain, as text or JSON', async () => {
    const text = await runCli(['journal'], { env });
    expect(text.stdout.trim().split('\n')).to.have.length(2);
    expect(text.stdout).to.match(/migrate\s+db-primary\s+remap\s+rewritten\s+vcpupin vcpu=0 20→0/);
    const one = await runCli(['journal', '--domain', 'web-07', '--json'], { env });
    const lines = one.stdout.trim().split('\n').map((l) => JSON.parse(l) as { domain: string; outcome: string });
    expect(lines).to.deep.equal([{ ...lines[0], domain: 'web-07', outcome: 'rewritten' }]);
  });

  it('replay re-runs a capture against another host and policy, with no side effects', async () => {
    const [capture] = readdirSync(join(work, 'journal', 'captures')).filter((n) => n.includes('6f1c2a7e'));
    const before = readFileSync(join(work, 'journal', 'journal.jsonl'), 'utf8');
    const onSmall = await runCli(['replay', `captures/${capture}`, '--host', 'examples/hosts/small.json'], { env });
    expect(onSmall.code, onSmall.stderr).to.equal(0);
    expect(onSmall.stdout).to.include('outcome: rewritten, 4 changes').and.include("+    <vcpupin vcpu='0' cpuset='0'/>");
    const onLarge = await runCli(['replay', `captures/${capture}`, '--host', 'examples/hosts/large.json', '--json'], { env });
    expect(JSON.parse(onLarge.stdout)).to.include({ outcome: 'unchanged', output: null });
    const strict = await runCli(['replay', `captures/${capture}`, '--host', 'examples/hosts/small.json', '--policy', 'strict'], { env });
    expect(strict.code).to.equal(1);
    expect(readFileSync(join(work, 'journal', 'journal.jsonl'), 'utf8')).to.equal(before);
  });
});
