// repin's own metadata (src/core/metadata.ts): an original-placement record this
// build cannot read is left as it is, and never joined by a second one, which
// libvirt would drop (it keeps the first element per namespace).
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { XMLSerializer, type Document } from '@xmldom/xmldom';
import { parseConfig } from '../../src/core/config.js';
import { childElements, selectElement } from '../../src/core/dom.js';
import { filterDomainXml } from '../../src/core/filter.js';
import { hostFromProfile } from '../../src/core/host-json.js';
import { ORIGINAL_NS, ORIGINAL_NS_V1, readOriginal, writeOriginal } from '../../src/core/metadata.js';
import { parseDomainXml } from '../../src/core/xml.js';

const PINNED = readFileSync('test/fixtures/reliability/pinned.xml', 'utf8');
const small = hostFromProfile(JSON.parse(readFileSync('examples/hosts/small.json', 'utf8')), 'small');
const withRecord = (record: string): string => PINNED.replace('</metadata>', `  ${record}\n  </metadata>`);
/** The <metadata> children in repin's original-placement namespaces, as printed. */
const records = (doc: Document): string[] =>
  childElements(selectElement('/domain/metadata', doc) ?? doc.createElement('none'))
    .filter((e) => e.namespaceURI === ORIGINAL_NS || e.namespaceURI === ORIGINAL_NS_V1)
    .map((e) => new XMLSerializer().serializeToString(e));

const unreadable: [string, string][] = [
  ['an entry kind a newer repin writes', `<repin:original xmlns:repin='${ORIGINAL_NS}'>vcpupin#0=20;cachetune#0=20-23;</repin:original>`],
  ['a damaged cpuset', `<repin:original xmlns:repin='${ORIGINAL_NS}'>vcpupin#0=20-;</repin:original>`],
  ['a damaged record in the earlier per-pin layout', `<repin:original xmlns:repin='${ORIGINAL_NS_V1}'><repin:pin element='vcpupin' id='0' value='x'/></repin:original>`],
];

describe('metadata: the original-placement record', () => {
  it('a domain without a record gets one, which reads back as the pins written', () => {
    const doc = parseDomainXml(PINNED);
    expect(writeOriginal(doc, [{ element: 'vcpupin', id: 0, value: '20' }, { element: 'numatune', value: '0', mode: 'strict' }])).to.equal(true);
    expect(records(doc)).to.have.length(1);
    expect(readOriginal(doc)).to.deep.equal([{ element: 'vcpupin', id: 0, value: '20' }, { element: 'numatune', value: '0', mode: 'strict' }]);
  });

  for (const [what, record] of unreadable) {
    it(`a record with ${what} is not read, not replaced and not joined by a second one`, () => {
      const doc = parseDomainXml(withRecord(record));
      const before = records(doc);
      expect(readOriginal(doc)).to.equal(undefined);
      expect(writeOriginal(doc, [{ element: 'vcpupin', id: 0, value: '20' }])).to.equal(false);
      expect(records(doc)).to.deep.equal(before);
    });

    it(`a rewrite of a domain whose record has ${what} keeps that record, alone and unchanged`, () => {
      const input = withRecord(record);
      const result = filterDomainXml(input, small, parseConfig({}));
      expect(result.plan.outcome).to.equal('rewritten');
      const output = parseDomainXml(result.output ?? '');
      expect(records(output)).to.deep.equal(records(parseDomainXml(input)));
      expect(result.output).to.include(record.replace(/'/g, '"'));
      expect(result.plan.notes).to.include('the domain metadata holds a repin original-placement record this repin cannot read; kept as it is, none written');
      expect(result.plan.notes.join('\n')).to.not.match(/original placement recorded/);
    });
  }
});
