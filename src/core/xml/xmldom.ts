// Strict parsing and faithful serialization of domain XML. xmldom silently
// drops or mangles what it cannot handle (undeclared entities, bad nesting),
// so every parser warning or error is turned into a refusal here.
import { DOMParser, XMLSerializer, type Document, type Node } from '@xmldom/xmldom';
import { printable } from '../cpuset.js';
import { editable } from './dom.js';
import type { DomainTree } from './domain-tree.js';
import { DomainXmlError } from '../errors.js';
import { MAX_XML_BYTES, MAX_XML_DEPTH, MAX_XML_ELEMENTS } from './limits.js';

/**
 * One piece of markup: a comment, a CDATA section, a processing instruction
 * or declaration, an end tag, or a start tag (its quoted values may hold `>`
 * and `<`). A `<` that starts none of these complete (unterminated, or a bare
 * `<` in text) matches alone: the parser will reject the document there.
 */
const MARKUP = /<!--[\s\S]*?-->|<!\[CDATA\[[\s\S]*?\]\]>|<[?!][^>]*>|<\/[^>]*>|<(?:[^'"<>]|"[^"]*"|'[^']*')*>|</g;

/**
 * Count start tags and nesting in one pass over the markup, cheap enough to
 * run before parsing (the regular expression engine does the scanning).
 * Stops counting once a limit is passed or at markup the parser will reject.
 */
function measureMarkup(text: string): { elements: number; depth: number } {
  let elements = 0;
  let depth = 0;
  let deepest = 0;
  for (const [token] of text.matchAll(MARKUP)) {
    if (token.length === 1) break;
    if (token.startsWith('<!--') ? !token.endsWith('-->') : token.startsWith('<![CDATA[') && !token.endsWith(']]>')) break;
    if (token[1] === '/') depth--;
    else if (token[1] !== '?' && token[1] !== '!') {
      elements++;
      if (!token.endsWith('/>')) deepest = Math.max(deepest, ++depth);
      if (elements > MAX_XML_ELEMENTS || deepest > MAX_XML_DEPTH) break;
    }
  }
  return { elements, depth: deepest };
}

/** XML 1.0 `Char`: what libxml2 (libvirt's parser) accepts, raw or as a character reference. */
const isXmlChar = (code: number): boolean =>
  code === 0x9 ||
  code === 0xa ||
  code === 0xd ||
  (code >= 0x20 && code <= 0xd7ff) ||
  (code >= 0xe000 && code <= 0xfffd) ||
  (code >= 0x10000 && code <= 0x10ffff);

/**
 * Comments, CDATA sections and processing instructions: their text is literal,
 * so `<!DOCTYPE`, `&#0;` or a lone `&` inside one is data, not markup.
 */
const LITERAL = /<!--[\s\S]*?-->|<!\[CDATA\[[\s\S]*?\]\]>|<\?[\s\S]*?\?>/g;

/** The text with every comment, CDATA section and processing instruction blanked out. */
const outsideLiterals = (text: string): string => text.replace(LITERAL, (literal) => literal.replace(/[^\n]/g, ' '));

/**
 * A scan that only counts outside comments, CDATA and processing instructions. The
 * cheap test on the whole text runs first; only a hit pays for blanking them out.
 */
function findOutsideLiterals(text: string, pattern: RegExp, outside: () => string): RegExpExecArray | null {
  return pattern.test(text) ? pattern.exec(outside()) : null;
}

/** A `&` that starts no entity or character reference: xmldom passes it through and prints `&amp;`. */
const LONE_AMPERSAND = /&(?![A-Za-z_:][\w.:-]*;|#[0-9]+;|#x[0-9a-fA-F]+;)/;

/** ` (line L, column C)` of an offset: numbers only, never the text there. */
function lineAndColumn(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const lineStart = before.lastIndexOf('\n') + 1;
  return ` (line ${before.split('\n').length}, column ${offset - lineStart + 1})`;
}

/**
 * Markup xmldom does not refuse but libxml2 (libvirt's parser) does, or that xmldom
 * would change: a DOCTYPE or ENTITY declaration, characters XML forbids (raw, or as a
 * character reference outside literal text), a lone `&`.
 */
function refuseUnsafeMarkup(text: string): void {
  let outside: string | undefined;
  const blanked = (): string => (outside ??= outsideLiterals(text));
  if (findOutsideLiterals(text, /<!DOCTYPE|<!ENTITY/i, blanked)) {
    throw new DomainXmlError('domain XML has a DOCTYPE or ENTITY declaration; libvirt never sends one');
  }
  const raw = /[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/u.exec(text);
  if (raw) {
    const code = `U+${(raw[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
    throw new DomainXmlError(`domain XML contains ${code}, which XML does not allow${lineAndColumn(text, raw.index)}`);
  }
  if (/&#/.test(text)) {
    for (const ref of blanked().matchAll(/&#(?:x([0-9a-fA-F]+)|([0-9]+));/g)) {
      const code = ref[1] !== undefined ? parseInt(ref[1], 16) : Number(ref[2]);
      if (!isXmlChar(code)) {
        throw new DomainXmlError(`domain XML contains the character reference ${printable(ref[0], 16)}, which XML does not allow${lineAndColumn(text, ref.index)}`);
      }
    }
  }
  const lone = findOutsideLiterals(text, LONE_AMPERSAND, blanked);
  if (lone) {
    throw new DomainXmlError(`unparsable domain XML: an '&' that starts no entity or character reference (escape it as &amp;)${lineAndColumn(text, lone.index)}`);
  }
}

/**
 * The XML declaration's encoding. Input is always decoded as UTF-8 and printed as
 * UTF-8 (libvirt formats domain XML in UTF-8), so keeping another declared encoding
 * would make libvirt read the output's non-ASCII text differently, or not at all.
 */
const KNOWN_ENCODING = /^(?:(?:US-)?ASCII|ISO[-_]?8859-\d{1,2}|latin-?\d|UTF-?(?:16|32)(?:[LB]E)?|UCS-[24]|(?:windows|cp)-?\d{3,4}|EUC-(?:JP|KR|CN)|Shift_JIS|GB2312|GBK|GB18030|Big5|KOI8-[RU])$/i;

function refuseForeignEncoding(text: string): void {
  const declaration = /^\ufeff?<\?xml\s[^>]*?\bencoding\s*=\s*(?:"([^"]*)"|'([^']*)')/.exec(text);
  const encoding = declaration?.[1] ?? declaration?.[2];
  if (encoding === undefined || /^utf-?8$/i.test(encoding)) return;
  // Only a well-known encoding name is quoted: the value is input, and could be anything.
  const named = KNOWN_ENCODING.test(encoding) ? `the encoding '${encoding}'` : 'an encoding other than UTF-8';
  throw new DomainXmlError(`unparsable domain XML: the XML declaration names ${named}; repin reads and writes only UTF-8, as libvirt sends it`);
}

/**
 * xmldom's messages quote the input (`attribute "s3cret" missed quot`,
 * `entity not found:&pw`, `Unexpected content outside root element: '…'`), and
 * domain XML carries secrets. Only the parser's own words are kept: a message known
 * to hold no input is kept whole, one that quotes input after fixed words is cut
 * there, and any other is replaced, so no byte of the document reaches a message.
 */
const WHOLE_MESSAGES = new Set([
  'EntityRef: expecting ;',
  'Extra content at the end of the document',
  'end tag name missing',
  "Unescaped '<' not allowed in attributes values",
  'attribute value must after "="',
  'unexpected end of input',
  'AttValue: \' or " expected',
  'xml declaration is not well-formed',
  'CDATA outside of element',
  'Error detected in Markup declaration',
  'doctype internal subset is not well-formed, missing ]',
  'missing root element',
]);
/** Fixed words, then input (a tag name, an entity, an excerpt). */
const INPUT_AFTER = /^(entity not found|entity not matching Reference production|unclosed xml tag\(s\)|Unexpected content outside root element|end tag name contains invalid trailing characters|end tag name is followed by a line break and trailing content|end tag name contains invalid characters|Opening and ending tag mismatch|element parse error|Error constructing the DOM: [A-Za-z]*Error)\b/;
/** Input in the middle of the message. */
const INPUT_WITHIN: readonly (readonly [RegExp, string])[] = [
  [/^Attribute [\s\S]* redefined$/, 'an attribute is defined twice'],
  [/^attribute [\s\S]* missed (?:start )?quot/, 'an attribute value is not quoted'],
  [/^attribute [\s\S]* missed value/, 'an attribute has no value'],
  [/^attribute space is required/, 'attributes are not separated by whitespace'],
];
/** Messages made of fixed words and the parser's own offset. */
const AT_POSITION = /^[A-Za-z ,]+(?: "<!")?[A-Za-z ,]* at position \d+(?: is an xml declaration which is only at the start of the document)?$/;

/** An xmldom complaint without any of the input it may quote (domain XML carries secrets). */
export function redact(message: string): string {
  if (WHOLE_MESSAGES.has(message) || AT_POSITION.test(message)) return message;
  const prefix = INPUT_AFTER.exec(message);
  if (prefix) return `${prefix[1] ?? ''} (input not shown)`;
  return INPUT_WITHIN.find(([pattern]) => pattern.test(message))?.[1] ?? 'malformed XML (the parser\'s message is not shown: it may quote the input)';
}

interface Locator {
  readonly lineNumber?: number;
  readonly columnNumber?: number;
}

/** ` (line L, column C)` from xmldom's locator, when it has one. */
export const position = (context: unknown): string => {
  const locator = (context as { locator?: Locator } | undefined)?.locator;
  return locator?.lineNumber === undefined ? '' : ` (line ${locator.lineNumber}, column ${locator.columnNumber ?? 0})`;
};

export function parseDomainXml(text: string): Document {
  if (text.length > MAX_XML_BYTES) {
    throw new DomainXmlError(`domain XML is ${text.length} bytes, more than libvirt's ${MAX_XML_BYTES}`);
  }
  refuseForeignEncoding(text);
  const size = measureMarkup(text);
  if (size.elements > MAX_XML_ELEMENTS) {
    throw new DomainXmlError(`domain XML has more than ${MAX_XML_ELEMENTS} elements; no libvirt domain is that large`);
  }
  if (size.depth > MAX_XML_DEPTH) {
    throw new DomainXmlError(`domain XML nests elements deeper than ${MAX_XML_DEPTH} levels, which libvirt cannot parse`);
  }
  refuseUnsafeMarkup(text);
  // Without the locator first: tracking every node's line and column costs a large domain
  // ~2 ms and a tenth of the parse's garbage. Only a complaint needs the position, so a
  // document that has one is parsed again with it, for the message.
  const { doc, problem: unplaced } = parseOnce(text, false);
  const problem = unplaced === undefined ? undefined : (parseOnce(text, true).problem ?? unplaced);
  if (problem !== undefined || !doc) throw new DomainXmlError(`unparsable domain XML: ${printable(problem ?? 'no document', 160)}`);
  const root = doc.documentElement;
  if (!root || root.nodeName !== 'domain' || root.namespaceURI) {
    throw new DomainXmlError(`root element is <${printable(root?.nodeName ?? 'none')}>, not <domain>`);
  }
  // Line ends were normalized before parsing, so only a character reference puts a CR in a text node.
  if (/&#(?:0*13|x0*d);/i.test(text)) mayHoldCr.add(doc);
  return doc;
}

/** xmldom's warning on U+FFFD: a character like any other; xmldom only guesses at a decoding problem. */
export const isReplacementGuess = (message: string): boolean => message.startsWith('Unicode replacement character detected');

/** Documents whose text may hold a CR: only these need serializeXml's per-node filter (~2 ms for 512 vCPUs). */
const mayHoldCr = new WeakSet<Document>();

function parseOnce(text: string, locator: boolean): { doc?: Document; problem?: string } {
  let problem: string | undefined;
  const parser = new DOMParser({
    locator,
    // XML 1.0 line ends only: xmldom's default also turns U+0085, U+2028 and U+2029 into \n (XML 1.1), changing text.
    normalizeLineEndings: (source) => source.replace(/\r\n?/g, '\n'),
    // Record the first complaint; xmldom itself throws on fatal errors.
    onError: (level, message, context) => {
      if (isReplacementGuess(message)) return;
      problem ??= `${level === 'warning' ? 'warning: ' : ''}${redact(message)}${position(context)}`;
    },
  });
  try {
    return { doc: parser.parseFromString(text, 'text/xml'), problem };
  } catch (error) {
    return { problem: problem ?? redact(error instanceof Error ? error.message : String(error)) };
  }
}

/**
 * A text node holding a carriage return (from `&#13;`): xmldom escapes only `<&>` in
 * text, and a raw CR is read back as a newline (XML end-of-line handling), so the
 * text is written with the CR as a reference. CDATA keeps its literal text.
 */
const TEXT_NODE = 3;
const escapeText = (node: Node): Node | string =>
  node.nodeType === TEXT_NODE && (node.nodeValue ?? '').includes('\r')
    ? (node.nodeValue ?? '').replace(/[<&>\r]/g, (c) => (c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '&' ? '&amp;' : '&#13;'))
    : node;

/** The XML parsed by xmldom as a DomainTree (domain-tree.ts): for XML outside the plain reader's subset. */
export function readXmldomDomain(text: string): DomainTree {
  const doc = parseDomainXml(text);
  return { doc: editable(doc), write: () => serializeXml(doc) };
}

export function serializeXml(doc: Document): string {
  if (!mayHoldCr.has(doc)) return new XMLSerializer().serializeToString(doc);
  // xmldom prints a string the filter returns as is (lib/dom.js serializeToString); its typings omit that.
  return new XMLSerializer().serializeToString(doc, escapeText as (node: Node) => Node);
}
