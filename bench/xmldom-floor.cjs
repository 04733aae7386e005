// The bench's floor case: node, then xmldom (bundled as dist/repin bundles it) parsing the
// domain XML on stdin with the options repin's parser uses, and nothing else. Every filter
// call pays at least this much; what repin itself adds is the gap between this and a case.
'use strict';
const { readFileSync } = require('node:fs');
const { DOMParser } = require('@xmldom/xmldom');

let problem;
const parser = new DOMParser({
  normalizeLineEndings: (source) => source.replace(/\r\n?/g, '\n'),
  onError: (level, message) => {
    problem ??= message;
  },
});
const doc = parser.parseFromString(readFileSync(0, 'utf8'), 'text/xml');
if (problem !== undefined || doc.documentElement?.nodeName !== 'domain') {
  process.stderr.write(`xmldom floor: unexpected parse: ${problem ?? 'no <domain>'}\n`);
  process.exitCode = 1;
}
