// A build's manifest: its id names the bytes, and a dir holds the build whole or says what is wrong.
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkBuild, makeManifest } from '../../src/bundle/manifest.js';

const FILES = { repin: 'cli', 'hook.js': 'hook', 'hook-run.js': 'run', 'xmldom.js': 'xmldom', 'package.json': '{}' };

describe('bundle/manifest', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'repin-manifest-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const write = (files: Record<string, string>, manifest = makeManifest('1.0.0', FILES)): void => {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    writeFileSync(join(dir, 'build.json'), JSON.stringify(manifest));
  };

  it('the id is 16 hex digits of the files, the same for the same bytes whatever their order, another for one byte more', () => {
    const a = makeManifest('1.0.0', FILES);
    expect(a.buildId).to.match(/^[0-9a-f]{16}$/);
    expect(makeManifest('1.0.0', Object.fromEntries(Object.entries(FILES).reverse())).buildId).to.equal(a.buildId);
    expect(makeManifest('1.0.0', { ...FILES, 'hook.js': 'hook ' }).buildId).to.not.equal(a.buildId);
  });

  it('a whole build reads back its manifest', () => {
    write(FILES);
    expect(checkBuild(dir)).to.deep.equal(makeManifest('1.0.0', FILES));
  });

  const broken: [string, () => void, RegExp][] = [
    ['a file missing', () => write({ ...FILES, 'xmldom.js': '' }), /xmldom\.js does not match build\.json/],
    ['a file changed', () => write({ ...FILES, 'hook-run.js': 'other' }), /hook-run\.js does not match/],
    ['no manifest', () => writeFileSync(join(dir, 'repin'), 'cli'), /build\.json/],
    ['a manifest that is not JSON', () => writeFileSync(join(dir, 'build.json'), '{'), /is not JSON/],
    ['a manifest without the hook', () => write(FILES, { ...makeManifest('1.0.0', FILES), files: { repin: 'x' } }), /lists no hook\.js/],
  ];
  for (const [what, make, why] of broken) {
    it(`says what is wrong: ${what}`, () => {
      make();
      const found = checkBuild(dir);
      expect(found).to.be.a('string');
      expect(found).to.match(why);
    });
  }
});
