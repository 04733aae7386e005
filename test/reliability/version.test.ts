// The bundle says which packages it inlines, with their versions, so an
// operator (or `npm audit` on a checkout of that version) can tell what runs as root.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { BUNDLE, runScript } from '../support/run-built.js';

describe('reliability: repin --version --verbose lists the inlined packages', () => {
  it('names every runtime dependency with the exact version bundled, and node', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string; dependencies: Record<string, string> };
    const run = runScript(BUNDLE, ['--version', '--verbose'], '');
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stdout).to.match(new RegExp(`^repin ${pkg.version.replace(/\./g, '\\.')}\\n`));
    expect(run.stdout).to.match(/^node v\d+\.\d+\.\d+$/m);
    const inlined = /^inlined: (.*)$/m.exec(run.stdout)?.[1]?.split(', ') ?? [];
    const expected = Object.keys(pkg.dependencies).map((name) => {
      const dep = JSON.parse(readFileSync(`node_modules/${name}/package.json`, 'utf8')) as { version: string };
      return `${name}@${dep.version}`;
    });
    expect(inlined).to.have.members(expected);
  });

  it('plain --version prints only the version line', () => {
    const run = runScript(BUNDLE, ['--version'], '');
    expect(run.code).to.equal(0);
    expect(run.stdout.trim().split('\n')).to.have.length(1);
  });
});
