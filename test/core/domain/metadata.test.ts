// repin's own metadata (src/core/domain/metadata.ts): an original-placement record this
// build cannot read is left as it is, and never joined by a second one, which
// libvirt would drop (it keeps the first element per namespace).
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { XMLSerializer, type Document, type Node as XmlNode } from '@xmldom/xmldom';
import { parseConfig } from '../../../src/core/config.js';
import { childElements, editable, selectElement } from '../../../src/core/xml/dom.js';
import { filterDomainXml } from '../../../src/core/plan/filter-xml.js';
import { hostFromProfile } from '../../../src/core/host/host-json.js';
import { ORIGINAL_NS, ORIGINAL_NS_V1, ORIGINAL_NS_V2, readOriginal, writeOriginal, type OriginalPin } from '../../../src/core/domain/metadata.js';
import { parseDomainXml } from '../../../src/core/xml/xmldom.js';

const PINNED = readFileSync('test/fixtures/reliability/pinned.xml', 'utf8');
const small = hostFromProfile(JSON.parse(readFileSync('examples/hosts/small.json', 'utf8')), 'small');
const withRecord = (record: string): string => PINNED.replace('</metadata>', `  ${record}\n  </metadata>`);
/** The <metadata> children in repin's original-placement namespaces, as printed. */
const records = (doc: Document): string[] =>
  childElements(selectElement('/domain/metadata', doc) ?? doc.createElement('none'))
    .filter((e) => (e.namespaceURI ?? '').startsWith('urn:repin:original:'))
    .map((e) => new XMLSerializer().serializeToString(e as unknown as XmlNode));

const unreadable: [string, string][] = [
  ['an entry kind a newer repin writes', `<repin:original xmlns:repin='${ORIGINAL_NS}'>vcpupin#0=20;cachetune#0=20-23;</repin:original>`],
  ['a damaged cpuset', `<repin:original xmlns:repin='${ORIGINAL_NS}'>vcpupin#0=20-;</repin:original>`],
  ['a namespace a newer repin writes', `<repin:original xmlns:repin='urn:repin:original:4'>vcpupin#0=20:0;</repin:original>`],
  ['a damaged written value', `<repin:original xmlns:repin='${ORIGINAL_NS}'>vcpupin#0=20:x;</repin:original>`],
  ['a written value in a record of a build that wrote none', `<repin:original xmlns:repin='${ORIGINAL_NS_V2}'>vcpupin#0=20:0;</repin:original>`],
  ['a damaged record in the earlier per-pin layout', `<repin:original xmlns:repin='${ORIGINAL_NS_V1}'><repin:pin element='vcpupin' id='0' value='x'/></repin:original>`],
];

describe('metadata: the original-placement record', () => {
  const pins: OriginalPin[] = [
    { element: 'vcpupin', id: 0, value: '20', written: '0' },
    { element: 'vcpupin', id: 1, value: '21', written: '21' },
    { element: 'emulatorpin', value: '0-1', written: null },
    { element: 'numatune', value: '0', mode: 'strict', written: '1' },
  ];

  it('a domain without a record gets one, which reads back as the pins written', () => {
    const doc = parseDomainXml(PINNED);
    expect(writeOriginal(editable(doc), pins)).to.equal(true);
    expect(records(doc)).to.have.length(1);
    expect(readOriginal(doc)).to.deep.equal(pins);
  });

  it('prints a written value only where it differs from the original (`none`: released)', () => {
    const doc = parseDomainXml(PINNED);
    writeOriginal(editable(doc), pins);
    expect(records(doc)[0]).to.match(/vcpupin#0=20:0;\s*vcpupin#1=21;\s*emulatorpin=0-1:none;\s*numatune=0@strict:1;/);
  });

  it('an entry of a current record without a written value was written as its original', () => {
    const doc = parseDomainXml(withRecord(`<repin:original xmlns:repin='${ORIGINAL_NS}'>memdev#0=3; vcpu=0-7:none;</repin:original>`));
    expect(readOriginal(doc)).to.deep.equal([{ element: 'memdev', id: 0, value: '3', written: '3' }, { element: 'vcpu', value: '0-7', written: null }]);
  });

  it('a urn:repin:original:2 record reads without written values, and is replaced (not joined) by a current one', () => {
    const doc = parseDomainXml(withRecord(`<repin:original xmlns:repin='${ORIGINAL_NS_V2}'>vcpupin#0=20;numatune=0@strict;</repin:original>`));
    expect(readOriginal(doc)).to.deep.equal([{ element: 'vcpupin', id: 0, value: '20' }, { element: 'numatune', value: '0', mode: 'strict' }]);
    expect(writeOriginal(editable(doc), pins)).to.equal(false);
    expect(writeOriginal(editable(doc), pins, true)).to.equal(true);
    expect(records(doc)).to.have.length(1);
    expect(readOriginal(doc)).to.deep.equal(pins);
  });

  for (const [what, record] of unreadable) {
    it(`a record with ${what} is not read, not replaced and not joined by a second one`, () => {
      const doc = parseDomainXml(withRecord(record));
      const before = records(doc);
      expect(readOriginal(doc)).to.equal(undefined);
      expect(writeOriginal(editable(doc), [{ element: 'vcpupin', id: 0, value: '20' }])).to.equal(false);
      expect(records(doc)).to.deep.equal(before);
    });

    it(`a rewrite of a domain whose record has ${what} keeps that record, alone and unchanged`, () => {
      const input = withRecord(record);
      const result = filterDomainXml(input, small, parseConfig({}));
      expect(result.plan.outcome).to.equal('rewritten');
      const output = parseDomainXml(result.output ?? '');
      expect(records(output)).to.deep.equal(records(parseDomainXml(input)));
      expect(result.output).to.include(record);
      expect(result.plan.notes).to.include('the domain metadata holds a repin original-placement record this repin cannot read; kept as it is, none written');
      expect(result.plan.notes.join('\n')).to.not.match(/original placement recorded/);
    });
  }
});
