// Strict parsing and faithful printing of domain XML (src/core/xml/xmldom.ts): what is
// refused, what legal XML is kept, and that no refusal quotes the input.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { DomainXmlError } from '../../../src/core/errors.js';
import { parseDomainXml, serializeXml } from '../../../src/core/xml/xmldom.js';

const domain = (inner: string, before = ''): string => `${before}<domain type='kvm'>\n  <name>x</name>\n  ${inner}\n  <vcpu>1</vcpu>\n</domain>\n`;
const roundTrip = (xml: string): string => serializeXml(parseDomainXml(xml));
const refusal = (xml: string): string => {
  try {
    parseDomainXml(xml);
  } catch (error) {
    expect(error).to.be.instanceOf(DomainXmlError);
    return (error as Error).message;
  }
  throw new Error(`accepted: ${JSON.stringify(xml)}`);
};

describe('xml: a carriage return in text survives printing', () => {
  it('&#13; in foreign metadata text is printed as &#13;, so it reads back as CR, not as a newline', () => {
    const xml = domain(`<metadata><app:note xmlns:app='urn:app'>a&#13;b&#13;&#10;c &lt;&amp;&gt;</app:note></metadata>`);
    const out = roundTrip(xml);
    expect(out).to.include('a&#13;b&#13;\nc &lt;&amp;&gt;</app:note>');
    expect(out).to.not.include('\r');
    expect(parseDomainXml(out).getElementsByTagName('app:note')[0]?.textContent).to.equal('a\rb\r\nc <&>');
  });

  it('CDATA keeps its literal text and an attribute keeps its &#13;', () => {
    const out = roundTrip(domain(`<description>x<![CDATA[&#13; raw]]></description><metadata><a:b xmlns:a='urn:a' v='1&#13;2'/></metadata>`));
    expect(out).to.include('<![CDATA[&#13; raw]]>');
    expect(out).to.include('v="1&#13;2"');
  });
});

describe('xml: only UTF-8 is read and written', () => {
  for (const encoding of ['UTF-8', 'utf-8', 'UTF8', 'utf8']) {
    it(`encoding='${encoding}' is accepted and kept`, () => {
      const xml = domain('', `<?xml version='1.0' encoding='${encoding}'?>\n`);
      expect(roundTrip(xml)).to.include(`encoding='${encoding}'`);
    });
  }
  it('a declaration without an encoding is accepted', () => expect(roundTrip(domain('', '<?xml version="1.0"?>\n'))).to.include('<name>x</name>'));

  for (const encoding of ['ISO-8859-1', 'iso-8859-1', 'US-ASCII', 'latin1', 'UTF-16', 'windows-1252']) {
    it(`encoding="${encoding}" is refused as unparsable, naming the encoding`, () => {
      const message = refusal(domain(`<devices><disk><source file='/var/lib/\u00e9t\u00e9.qcow2'/></disk></devices>`, `<?xml version="1.0" encoding="${encoding}"?>\n`));
      expect(message).to.match(/^unparsable domain XML: /);
      expect(message).to.include(`'${encoding}'`).and.include('UTF-8');
    });
  }
  for (const encoding of ['s3cret value', 's3cret-vnc', 'UTF-8x']) {
    it(`encoding="${encoding}", no well-known encoding name, is refused without being quoted`, () => {
      const message = refusal(domain('', `<?xml version="1.0" encoding="${encoding}"?>\n`));
      expect(message).to.include('an encoding other than UTF-8').and.not.include(encoding);
    });
  }
});

describe('xml: legal XML is not refused', () => {
  const legal: [string, string][] = [
    ['<!DOCTYPE html> in CDATA in metadata', `<metadata><a:b xmlns:a='urn:a'><![CDATA[<!DOCTYPE html><p>hi</p>]]></a:b></metadata>`],
    ['<!ENTITY …> in a comment', `<!-- <!ENTITY x "y"> <!DOCTYPE domain> -->`],
    ['&#0; and &#1; in a comment', `<!-- &#0; &#1; & -->`],
    ['&#0; and a lone & in CDATA', `<description><![CDATA[&#0; &#x1; a & b]]></description>`],
    ['&#0; and <!DOCTYPE in a processing instruction', `<?app &#0; <!DOCTYPE ?>`],
    ['U+FFFD in text and in an attribute', `<description>bad byte: \ufffd</description><metadata><a:b xmlns:a='urn:a' v='\ufffd'/></metadata>`],
  ];
  for (const [what, inner] of legal) {
    it(`${what}: accepted and printed unchanged`, () => {
      const out = roundTrip(domain(inner));
      expect(out).to.include(inner.replace(/'/g, '"'));
    });
  }
});

describe('xml: what libvirt would refuse is refused', () => {
  const refused: [string, string, RegExp][] = [
    ["a lone & in an attribute (passwd='x&')", `<devices><graphics type='vnc' passwd='x&'/></devices>`, /an '&' that starts no entity .*\(line 3, column \d+\)/],
    ['a lone & in text', `<description>a & b</description>`, /an '&' that starts no/],
    ['&# without digits', `<description>a &#; b</description>`, /an '&' that starts no/],
    ['a DOCTYPE outside comments and CDATA', `<!-- x --><![CDATA[y]]>`, /DOCTYPE/],
    ['&#0; in text after a comment that mentions it', `<!-- &#0; --><description>&#0;</description>`, /character reference &#0;.*\(line 3/],
    ['&#1; in an attribute', `<metadata><a:b xmlns:a='urn:a' v='&#1;'/></metadata>`, /character reference &#1;/],
    ['a raw U+0001 inside CDATA', `<description><![CDATA[\u0001]]></description>`, /U\+0001/],
  ];
  for (const [what, inner, want] of refused) {
    it(`${what}: refused`, () => {
      const xml = what.startsWith('a DOCTYPE') ? domain(inner, '<!DOCTYPE domain>\n') : domain(inner);
      expect(refusal(xml)).to.match(want);
    });
  }
});

describe('xml: a refusal never quotes the input', () => {
  const SECRET = 'Qx7Zv9Kj';
  /** Any five characters of the secret. */
  const leaked = (message: string): boolean => [...Array(SECRET.length - 4).keys()].some((i) => message.includes(SECRET.slice(i, i + 5)));
  const cases: [string, string][] = [
    ["text with an apostrophe before the root (it's …)", `it's ${SECRET}\n${domain('')}`],
    ['an end tag with a quote in its name', domain(`<graphics></graphics"${SECRET}>`)],
    ['an end tag with trailing junk', domain(`<graphics></graphics ${SECRET}>`)],
    ['a mismatched end tag', domain(`<graphics></${SECRET}>`)],
    ['an unclosed element named like a secret', `<domain><name>x</name><${SECRET}>`],
    ['an unquoted attribute value', domain(`<graphics passwd=${SECRET}/>`)],
    ['an attribute value missing its closing quote', domain(`<graphics passwd='${SECRET}/>`)],
    ['an attribute value missing its opening quote', domain(`<graphics passwd=${SECRET}'/>`)],
    ['a duplicated attribute named like a secret', domain(`<graphics ${SECRET}='1' ${SECRET}='2'/>`)],
    ['an attribute without a value', domain(`<graphics ${SECRET}/>`)],
    ['attributes without whitespace between them', domain(`<graphics a='1'${SECRET}='2'/>`)],
    ['an undeclared entity', domain(`<description>&${SECRET};</description>`)],
    ['an entity without ;', domain(`<description>&${SECRET}</description>`)],
    ['a < inside an attribute value', domain(`<graphics passwd='${SECRET}<'/>`)],
    ['text after the root', `${domain('')}${SECRET}`],
    ['a second root named like a secret', `${domain('')}<${SECRET}/>`],
    ['a malformed processing instruction', domain(`<?${SECRET}`)],
    ['an unterminated comment', domain(`<!-- ${SECRET}`)],
    ['markup declaration junk', domain(`<!${SECRET}>`)],
    ['an element name that is not a name', domain(`<${SECRET}=1/>`)],
    ['an undeclared namespace prefix', domain(`<${SECRET}:a/>`)],
    ['the document cut inside the secret', `<domain><name>x</name><graphics passwd='${SECRET}`],
  ];
  for (const [what, xml] of cases) {
    it(`${what}: refused without any fragment of it`, () => {
      expect(xml).to.include(SECRET);
      const message = refusal(xml);
      expect(leaked(message), message).to.equal(false);
    });
  }

  it('the reviewer\'s inputs: the message keeps the parser\'s words and the line, not the text', () => {
    expect(refusal(domain(`<graphics></graphics"${SECRET}>`))).to.equal('unparsable domain XML: end tag name contains invalid characters (input not shown) (line 3, column 3)');
    expect(refusal(domain(`<graphics ${SECRET}='1' ${SECRET}='2'/>`))).to.match(/^unparsable domain XML: an attribute is defined twice \(line 3,/);
  });

  it('a secret-looking string wedged at every offset of a domain, after each kind of breaking character, is never quoted', () => {
    const base = readFileSync('test/fixtures/reliability/pinned.xml', 'utf8').slice(0, 700).replace(/<\/?[^>]*$/, '') + '</domain>';
    let refusals = 0;
    for (const breaker of ["'", '"', '<', '</', '&', '=', '<!', '<?', ']]>']) {
      for (let at = 0; at <= base.length; at += 5) {
        const xml = `${base.slice(0, at)}${breaker}${SECRET}${base.slice(at)}`;
        try {
          parseDomainXml(xml);
        } catch (error) {
          refusals++;
          const message = (error as Error).message;
          if (leaked(message)) expect.fail(`${JSON.stringify(xml.slice(Math.max(0, at - 20), at + 30))} → ${message}`);
        }
      }
    }
    expect(refusals).to.be.above(800);
  });
});
