// plain-xml.ts and plain-dom.ts: the reader answers only inside its subset, and
// where it answers, the filter decides and writes what it does with xmldom.
import { expect } from 'chai';
import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Element } from '@xmldom/xmldom';
import { DEFAULT_CONFIG, parseConfig } from '../../../src/core/config.js';
import { childElements, type XmlElement } from '../../../src/core/xml/dom.js';
import { readDomainPins } from '../../../src/core/domain/pins.js';
import { filterTree } from '../../../src/core/plan/filter-tree.js';
import { hostFromProfile } from '../../../src/core/host/host-json.js';
import type { Host } from '../../../src/core/host/host.js';
import { foreignManager, readOriginal, readPolicyMetadata } from '../../../src/core/domain/metadata.js';
import { POLICIES } from '../../../src/core/plan/plan.js';
import { writePlainXml } from '../../../src/core/xml/plain-dom.js';
import { readPlainXml } from '../../../src/core/xml/plain-xml.js';
import { MAX_XML_ELEMENTS } from '../../../src/core/xml/limits.js';
import { parseDomainXml, readXmldomDomain } from '../../../src/core/xml/xmldom.js';
import { arbDomainSpec, arbHost, domainXml } from '../../support/gen-domain.js';
import { CaseTally } from '../../support/case-tally.js';
import { canonicalXml } from '../../support/xml-compare.js';

/** Of 2000 spliced documents, how many the plain reader must read and so compare with xmldom (measured: 150-185). */
const MIN_SPLICED_READ = 100;

const DOMAIN = (body: string): string => `<domain type='kvm'>\n  <name>d</name>\n  <vcpu placement='static'>2</vcpu>\n${body}\n</domain>\n`;

/** What each reader makes of a tree: the same answers from both trees, or the same error. */
function readings(tree: Parameters<typeof readDomainPins>[0]): unknown[] {
  return [readDomainPins, readOriginal, readPolicyMetadata, foreignManager].map((read) => {
    try {
      return read(tree);
    } catch (error) {
      return `threw ${(error as Error).message}`;
    }
  });
}

/** Every element of xmldom's tree found in the plain tree: name, namespace, attributes, text. */
function sameTree(dom: Element, plain: XmlElement, path = '/'): void {
  const at = `${path}${dom.nodeName}`;
  expect(plain.nodeName, at).to.equal(dom.nodeName);
  expect(plain.namespaceURI, at).to.equal(dom.namespaceURI);
  expect(plain.textContent, at).to.equal(dom.textContent);
  for (let i = 0; i < dom.attributes.length; i++) {
    const a = dom.attributes.item(i);
    if (a) expect(plain.getAttribute(a.name), `${at}/@${a.name}`).to.equal(a.value);
  }
  const domChildren = childElements(dom);
  const plainChildren = childElements(plain);
  expect(plainChildren.length, at).to.equal(domChildren.length);
  domChildren.forEach((child, i) => sameTree(child, plainChildren[i] ?? plain, `${at}/`));
}

/** The filter on each tree: same plan, same document out (structurally; the plain one keeps the input's bytes). */
function filterBoth(xml: string, host: Host, policy?: (typeof POLICIES)[number], config = DEFAULT_CONFIG): void {
  const plain = readPlainXml(xml);
  expect(plain, 'in the subset').to.not.equal(undefined);
  if (!plain) return;
  const viaPlain = filterTree({ doc: plain, write: () => writePlainXml(plain) }, host, config, policy);
  const viaXmldom = filterTree(readXmldomDomain(xml), host, config, policy);
  const { output: plainOut, ...plainRest } = viaPlain;
  const { output: domOut, ...domRest } = viaXmldom;
  expect(plainRest).to.deep.equal(domRest);
  expect(plainOut === undefined, 'both rewrite, or neither').to.equal(domOut === undefined);
  if (plainOut !== undefined && domOut !== undefined) expect(canonicalXml(plainOut)).to.equal(canonicalXml(domOut));
}

/** Domain XML under a directory (not golden outputs). */
const xmlFiles = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? xmlFiles(join(dir, e.name)) : e.name.endsWith('.xml') && !e.name.startsWith('expected') ? [join(dir, e.name)] : [],
  );

describe('plain XML: the reader for XML as libvirt writes it', () => {
  const outside: [string, string][] = [
    ['a CDATA section', DOMAIN('  <description><![CDATA[x]]></description>')],
    ['a processing instruction', DOMAIN('  <?pi x?>')],
    ['an XML declaration', `<?xml version='1.0'?>\n${DOMAIN('')}`],
    ['a DOCTYPE', `<!DOCTYPE domain>\n${DOMAIN('')}`],
    ['a character reference', DOMAIN('  <title>a&#38;b</title>')],
    ['an entity beyond the five', DOMAIN('  <title>&nbsp;</title>')],
    ['a lone ampersand', DOMAIN('  <title>a & b</title>')],
    ['a carriage return', DOMAIN('  <title>a</title>\r\n')],
    ['a tab in an attribute value', DOMAIN("  <title lang='a\tb'>x</title>")],
    ['a newline in an attribute value', DOMAIN("  <title lang='a\nb'>x</title>")],
    ['an attribute twice', DOMAIN("  <title a='1' a='2'>x</title>")],
    ['two prefixed attributes with one expanded name', DOMAIN("  <metadata><x:y xmlns:x='u' xmlns:z='u' x:a='1' z:a='2'/></metadata>")],
    ['an undeclared element prefix', DOMAIN('  <metadata><x:y/></metadata>')],
    ['an undeclared attribute prefix', DOMAIN("  <title x:a='1'>x</title>")],
    ['an empty prefixed namespace', DOMAIN("  <metadata><x:y xmlns:x=''/></metadata>")],
    ['attributes not separated', DOMAIN("  <title a='1'b='2'>x</title>")],
    ['an unquoted value', DOMAIN('  <title a=1>x</title>')],
    ['a mismatched end tag', DOMAIN('  <title>x</titel>')],
    ['an unclosed element', "<domain type='kvm'><name>d</name>"],
    ['a second root', `${DOMAIN('')}<domain/>`],
    ['text after the root', `${DOMAIN('')}x`],
    ['a character outside the BMP', DOMAIN('  <title>\u{1f600}</title>')],
    ['a control character', DOMAIN('  <title>\u0001</title>')],
    ['`]]>` in text', DOMAIN('  <title>a]]>b</title>')],
    ['`--` in a comment', DOMAIN('  <!-- a -- b -->')],
    ['an unterminated comment', DOMAIN('  <!-- a')],
    ['another root element', "<domains type='kvm'/>"],
    ['a namespaced root', "<domain xmlns='urn:x'/>"],
    ['nesting deeper than libxml2 reads', DOMAIN(`${'<a>'.repeat(300)}${'</a>'.repeat(300)}`)],
    ['more elements than any domain has', DOMAIN('<a/>'.repeat(MAX_XML_ELEMENTS + 1))],
  ];
  for (const [what, xml] of outside) {
    it(`leaves ${what} to xmldom`, () => expect(readPlainXml(xml)).to.equal(undefined));
  }

  it('reads comments, the five entities, namespaces and odd spacing as xmldom does', () => {
    const xml = DOMAIN(
      [
        '  <!-- kept -->',
        '  <title>a &lt;b&gt; &amp; &quot;c&quot; &apos;d&apos;</title>',
        "  <description lang = 'x' note=\"&lt;&apos;&gt;\" >t<!-- in --> u</description>",
        "  <metadata>\n    <app:x xmlns:app='urn:app' app:k='v'><app:y/></app:x>\n    <z xmlns='urn:z'><w/></z>\n  </metadata>",
        "  <cputune>\n    <vcpupin vcpu='0' cpuset='1'/>\n    <vcpupin\n      vcpu=\"1\"\n      cpuset='2' />\n  </cputune>",
      ].join('\n'),
    );
    const plain = readPlainXml(xml);
    const dom = parseDomainXml(xml);
    expect(plain).to.not.equal(undefined);
    if (!plain || !dom.documentElement) return;
    sameTree(dom.documentElement, plain.documentElement);
    expect(readings(plain)).to.deep.equal(readings(dom));
    expect(writePlainXml(plain), 'an unchanged tree is its input').to.equal(xml);
  });

  it('a rewrite changes only what the plan changes: every other byte is the input', () => {
    const xml = [
      "<domain type='kvm' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>",
      '  <name>odd</name>',
      '  <title>Tom&apos;s &lt;db&gt;</title>',
      '  <!-- placement by hand -->',
      "  <vcpu placement='static'>2</vcpu>",
      '  <cputune>',
      "    <vcpupin vcpu='0'   cpuset='20'/>",
      '    <vcpupin vcpu="1" cpuset="21"></vcpupin>',
      "    <emulatorpin cpuset='1' />",
      '  </cputune>',
      "  <qemu:commandline><qemu:arg value='-S'/></qemu:commandline>",
      '</domain>',
      '',
    ].join('\n');
    const host = hostFromProfile(JSON.parse(readFileSync('examples/hosts/small.json', 'utf8')), 'small');
    const tree = readPlainXml(xml);
    expect(tree).to.not.equal(undefined);
    if (!tree) return;
    const result = filterTree({ doc: tree, write: () => writePlainXml(tree) }, host, parseConfig({}), 'remap');
    expect(result.plan.outcome).to.equal('rewritten');
    const want = xml
      .replace("  <name>odd</name>\n", "  <name>odd</name>\n  <metadata>\n    <repin:original xmlns:repin='urn:repin:original:3'>\n      vcpupin#0=20:0;\n      vcpupin#1=21:2;\n      emulatorpin=1;\n    </repin:original>\n  </metadata>\n")
      .replace("<vcpupin vcpu='0'   cpuset='20'/>", "<vcpupin vcpu='0'   cpuset='0'/>")
      .replace('<vcpupin vcpu="1" cpuset="21"></vcpupin>', '<vcpupin vcpu="1" cpuset="2"></vcpupin>');
    expect(result.output).to.equal(want);
  });

  describe('where it answers, the filter decides and writes as with xmldom', () => {
    const files = [...xmlFiles('examples'), ...xmlFiles('test/fixtures')];
    const hosts = ['small', 'large'].map((h) => hostFromProfile(JSON.parse(readFileSync(`examples/hosts/${h}.json`, 'utf8')), h));
    const plain = files.filter((f) => readPlainXml(readFileSync(f, 'utf8')) !== undefined);

    it('reads most of the repository’s domain XML (all but XML outside the subset)', () => {
      expect(plain.length).to.be.greaterThan(files.length * 0.8);
    });

    it('every XML file in the subset: same tree, same readings, same plan and output on each host and policy', () => {
      for (const file of plain) {
        const xml = readFileSync(file, 'utf8');
        const tree = readPlainXml(xml);
        let dom: ReturnType<typeof parseDomainXml> | undefined;
        try {
          dom = parseDomainXml(xml);
        } catch (error) {
          expect.fail(`${file}: xmldom refused what the plain reader read: ${(error as Error).message}`);
        }
        if (!tree || !dom.documentElement) continue;
        sameTree(dom.documentElement, tree.documentElement);
        expect(readings(tree), file).to.deep.equal(readings(dom));
        if (typeof readings(tree)[0] === 'string') continue; // pins refused by both
        for (const host of hosts) for (const policy of POLICIES) filterBoth(xml, host, policy);
      }
    });

    it('generated domains on generated hosts, every policy', () => {
      fc.assert(
        fc.property(arbHost, arbDomainSpec, fc.constantFrom(...POLICIES), (host, spec, policy) => filterBoth(domainXml(spec), host, policy)),
        { numRuns: 300 },
      );
    });

    it('generated domains: every input line without a pin element is in the output as it was, in order', () => {
      const PIN_LINE = /<\/?(vcpu|vcpupin|emulatorpin|iothreadpin|numatune|memory|memnode|nodemask|cputune|metadata)\b/;
      fc.assert(
        fc.property(arbHost, arbDomainSpec, fc.constantFrom(...POLICIES), (host, spec, policy) => {
          const xml = domainXml(spec);
          const tree = readPlainXml(xml);
          if (!tree) return;
          const output = filterTree({ doc: tree, write: () => writePlainXml(tree) }, host, DEFAULT_CONFIG, policy).output ?? xml;
          const lines = output.split('\n');
          let at = 0;
          for (const line of xml.split('\n').filter((l) => !PIN_LINE.test(l))) {
            while (at < lines.length && lines[at] !== line) at++;
            expect(at, `input line ${JSON.stringify(line)} in the output, in order`).to.be.below(lines.length);
            at++;
          }
        }),
        { numRuns: 300 },
      );
    });
  });

  it('is never more permissive than xmldom: with markup spliced in anywhere, what it reads xmldom reads the same', function () {
    const tally = new CaseTally();
    const base = readFileSync('examples/smt-numa.xml', 'utf8');
    const fragments = ['<', '>', '&', '&amp;', '&#38;', '&x;', "'", '"', '=', '/', '</a>', '<a>', '<a/>', '<!--', '-->', '<![CDATA[', ']]>', '<?', '?>', ' ', '\t', '\n', '\r', 'x:', 'xmlns:x="u" ', ':', '\u0000', '\ud800', '\u{1f600}', '\u00e9'];
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(base.length), fc.constantFrom(...fragments)), { minLength: 1, maxLength: 3 }), (edits) => {
        let xml = base;
        for (const [at, fragment] of edits) xml = xml.slice(0, at % (xml.length + 1)) + fragment + xml.slice(at % (xml.length + 1));
        tally.generatedOne();
        const plain = readPlainXml(xml);
        if (!plain) return;
        tally.checkedOne();
        const dom = parseDomainXml(xml); // throws, failing the property, if xmldom refuses it
        if (dom.documentElement) sameTree(dom.documentElement, plain.documentElement);
        expect(readings(plain)).to.deep.equal(readings(dom));
        expect(writePlainXml(plain)).to.equal(xml);
      }),
      { numRuns: 2000 },
    );
    // Most splices leave the subset or break the XML (then xmldom decides alone); those that stay in it are the point.
    tally.expectAtLeast(MIN_SPLICED_READ, this);
  });
});
