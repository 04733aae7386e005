// rewrite.ts: one updater per element family; each sets, removes or creates
// exactly what a change names, on either tree (the plain reader's or xmldom's).
import { expect } from 'chai';
import { InternalError } from '../../../src/core/errors.js';
import type { Change } from '../../../src/core/plan/plan.js';
import { readDomain } from '../../../src/core/xml/read-domain.js';
import { applyChanges } from '../../../src/core/plan/rewrite.js';
import { readXmldomDomain } from '../../../src/core/xml/xmldom.js';
import { canonicalXml } from '../../support/xml-compare.js';

const DOMAIN = `<domain type='kvm'>
  <name>t</name>
  <vcpu placement='static' cpuset='0-3'>2</vcpu>
  <iothreads>1</iothreads>
  <cputune>
    <vcpupin vcpu='0' cpuset='1'/>
    <vcpupin vcpu='1' cpuset='2'/>
    <emulatorpin cpuset='3'/>
    <iothreadpin iothread='1' cpuset='3'/>
  </cputune>
  <numatune>
    <memory mode='strict' nodeset='1'/>
    <memnode cellid='0' mode='strict' nodeset='1'/>
  </numatune>
  <devices>
    <memory model='dimm'><source><nodemask>1</nodemask></source><target><size unit='KiB'>524288</size><node>0</node></target></memory>
    <memory model='dimm'><target><size unit='KiB'>524288</size><node>0</node></target></memory>
  </devices>
</domain>
`;
const BARE = "<domain type='kvm'>\n  <name>t</name>\n  <vcpu placement='static'>2</vcpu>\n</domain>\n";

const c = (element: Change['element'], id: number | undefined, old: string | null, value: string | null, mode?: string): Change => ({
  element,
  ...(id === undefined ? {} : { id }),
  old,
  new: value,
  rule: 'test',
  ...(mode ? { mode } : {}),
});

// [what, input, change, the input text it replaces, its replacement]
const cases: [string, string, Change, string, string][] = [
  ['<vcpu cpuset> set', DOMAIN, c('vcpu', undefined, '0-3', '4-7'), "cpuset='0-3'>2", "cpuset='4-7'>2"],
  ['<vcpu cpuset> removed', DOMAIN, c('vcpu', undefined, '0-3', null), " placement='static' cpuset='0-3'>", " placement='static'>"],
  ['vcpupin set', DOMAIN, c('vcpupin', 1, '2', '6'), "<vcpupin vcpu='1' cpuset='2'/>", "<vcpupin vcpu='1' cpuset='6'/>"],
  ['vcpupin removed with its indentation', DOMAIN, c('vcpupin', 1, '2', null), "\n    <vcpupin vcpu='1' cpuset='2'/>", ''],
  ['emulatorpin set', DOMAIN, c('emulatorpin', undefined, '3', '5'), "<emulatorpin cpuset='3'/>", "<emulatorpin cpuset='5'/>"],
  ['iothreadpin set', DOMAIN, c('iothreadpin', 1, '3', '5'), "<iothreadpin iothread='1' cpuset='3'/>", "<iothreadpin iothread='1' cpuset='5'/>"],
  ['numatune memory set', DOMAIN, c('numatune', undefined, '1', '0'), "<memory mode='strict' nodeset='1'/>", "<memory mode='strict' nodeset='0'/>"],
  ['memnode removed', DOMAIN, c('memnode', 0, '1', null), "\n    <memnode cellid='0' mode='strict' nodeset='1'/>", ''],
  ['memory device nodemask set', DOMAIN, c('memdev', 0, '1', '0'), '<nodemask>1</nodemask>', '<nodemask>0</nodemask>'],
  ['memory device nodemask removed', DOMAIN, c('memdev', 0, '1', null), '<source><nodemask>1</nodemask></source>', '<source></source>'],
  ['memory device nodemask created, with its <source>', DOMAIN, c('memdev', 1, null, '0'), "<target><size unit='KiB'>524288</size><node>0</node></target></memory>\n  </devices>", "<target><size unit='KiB'>524288</size><node>0</node></target><source><nodemask>0</nodemask></source></memory>\n  </devices>"],
  ['vcpupin created (an original restored) in <cputune>', DOMAIN, c('vcpupin', 2, null, '4'), "<iothreadpin iothread='1' cpuset='3'/>\n  </cputune>", "<iothreadpin iothread='1' cpuset='3'/>\n  <vcpupin vcpu='2' cpuset='4'/></cputune>"],
  ['vcpupin created with the <cputune> it needs', BARE, c('vcpupin', 0, null, '4'), '2</vcpu>\n</domain>', "2</vcpu>\n<cputune><vcpupin vcpu='0' cpuset='4'/></cputune></domain>"],
  ['numatune memory created with its mode', BARE, c('numatune', undefined, null, '0', 'strict'), '2</vcpu>\n</domain>', "2</vcpu>\n<numatune><memory mode='strict' nodeset='0'/></numatune></domain>"],
];

describe('rewrite: applyChanges per element family', () => {
  for (const [what, input, change, from, to] of cases) {
    it(what, () => {
      const plain = readDomain(input);
      applyChanges(plain.doc, [change]);
      const out = plain.write();
      expect(input.split(from), 'the row names one place').to.have.length(2);
      expect(out).to.equal(input.replace(from, to));
      // xmldom's tree takes the same change to the same document.
      const dom = readXmldomDomain(input);
      applyChanges(dom.doc, [change]);
      expect(canonicalXml(dom.write())).to.equal(canonicalXml(out));
    });
  }

  it('a change naming an element the domain lacks is a bug, not input: InternalError', () => {
    const tree = readDomain(DOMAIN);
    expect(() => applyChanges(tree.doc, [c('vcpupin', 9, '1', '2')])).to.throw(InternalError, /plan names vcpupin 9/);
    expect(() => applyChanges(readDomain(BARE).doc, [c('memdev', 0, '1', '2')])).to.throw(InternalError, /memory device #0/);
  });
});
