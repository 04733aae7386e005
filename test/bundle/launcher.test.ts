// The launchers install writes: what they say, and what is repin's.
import { expect } from 'chai';
import { isSigned, launcherText, parseLauncher, type Launcher } from '../../src/bundle/launcher.js';

const HOOK: Launcher = { kind: 'hook', node: '/usr/bin/node', version: '0.1.0', buildId: '0123456789abcdef', buildDir: '/usr/local/lib/repin/0123456789abcdef' };

describe('bundle/launcher', () => {
  it('a hook launcher is three lines: node, the signature naming the build, a require of its hook.js', () => {
    expect(launcherText(HOOK)).to.equal(
      '#!/usr/bin/node\n// repin 0.1.0 hook, build 0123456789abcdef: runs /usr/local/lib/repin/0123456789abcdef\nrequire("/usr/local/lib/repin/0123456789abcdef/hook.js");\n',
    );
    expect(launcherText({ ...HOOK, kind: 'command' })).to.match(/require\("\/usr\/local\/lib\/repin\/0123456789abcdef\/repin"\);\n$/);
  });

  for (const launcher of [HOOK, { ...HOOK, kind: 'command' as const, node: '/opt/node-20/bin/node' }]) {
    it(`reads back what it writes (${launcher.kind})`, () => {
      expect(parseLauncher(launcherText(launcher))).to.deep.equal(launcher);
    });
  }

  const notLaunchers: [string, string][] = [
    ['an older repin bundle', '#!/usr/bin/node\n// repin 0.0.9 (built bundle; source: src/)\n"use strict";\n'],
    ['a require of another file', launcherText(HOOK).replace('hook.js', 'evil.js')],
    ['a build id that is not 16 hex digits', launcherText(HOOK).replaceAll('0123456789abcdef', '0123456789abcdeg')],
    ['a line more', `${launcherText(HOOK)}process.exit(1);\n`],
    ['a relative node', launcherText(HOOK).replace('#!/usr/bin/node', '#!node')],
  ];
  for (const [what, text] of notLaunchers) {
    it(`is not a launcher: ${what}`, () => expect(parseLauncher(text)).to.equal(undefined));
  }

  const signed: [string, boolean][] = [
    [launcherText(HOOK), true],
    ['#!/usr/bin/node\n// repin 0.0.9 (built bundle; source: src/)\n', true],
    ['#!/bin/sh\n# site hook\n', false],
    ['// repin on the first line\n', false],
    ['', false],
  ];
  for (const [text, want] of signed) {
    it(`isSigned(${JSON.stringify(text.slice(0, 30))}) = ${want}`, () => expect(isSigned(text)).to.equal(want));
  }
});
