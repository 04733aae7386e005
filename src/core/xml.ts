// Strict parsing and faithful serialization of domain XML. xmldom silently
// drops or mangles what it cannot handle (undeclared entities, bad nesting),
// so every parser warning or error is turned into a refusal here.
import { DOMParser, XMLSerializer, type Document } from '@xmldom/xmldom';
import { MAX_CPU_ID, printable } from './cpuset.js';
import { DomainXmlError } from './errors.js';

/**
 * libvirt's RPC caps a string at REMOTE_STRING_MAX (4 MiB), so no domain XML
 * that libvirt itself passed can be larger; bigger input is refused unread.
 */
export const MAX_XML_BYTES = 4 * 1024 * 1024;

/**
 * At most this many elements. libvirt's largest domain (16384 vCPUs,
 * VIR_DOMAIN_CPUMASK_LEN) has two elements per vCPU that libvirt never merges
 * into ranges (`<vcpupin>`, `<vcpus><vcpu>`; equal `<vcpusched>` are merged),
 * plus room for everything else. xmldom needs ~15 µs per element, so this
 * bounds parsing well under a second; 4 MiB of `<a/>` would take 15 s.
 */
export const MAX_XML_ELEMENTS = 2 * (MAX_CPU_ID + 1) + 8192;

/** libxml2's default nesting limit (xmlParserMaxDepth without XML_PARSE_HUGE): libvirt cannot parse deeper. */
export const MAX_XML_DEPTH = 256;

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

/** The first character, raw or referenced, that XML 1.0 forbids: xmldom accepts them and would print them raw. */
function forbiddenCharacter(text: string): string | undefined {
  const raw = /[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/u.exec(text);
  if (raw) return `U+${(raw[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
  for (const ref of text.matchAll(/&#(?:x([0-9a-fA-F]+)|([0-9]+));/g)) {
    const code = ref[1] !== undefined ? parseInt(ref[1], 16) : Number(ref[2]);
    if (!isXmlChar(code)) return `the character reference ${printable(ref[0], 16)}`;
  }
  return undefined;
}

/**
 * xmldom's messages quote the input (`attribute "s3cret" missed quot`,
 * `entity not found:&pw`), and domain XML carries secrets: keep the words of
 * the message, never quoted or referenced input.
 */
function redact(message: string): string {
  return message
    .replace(/"[^"]*"|'[^']*'/g, '"…"')
    .replace(/&[^\s;]*;?/g, '&…')
    .replace(/(entity not found:|Reference production:)\s*\S*/g, '$1 …')
    .replace(/\s+/g, ' ');
}

interface Locator {
  readonly lineNumber?: number;
  readonly columnNumber?: number;
}

const position = (context: unknown): string => {
  const locator = (context as { locator?: Locator } | undefined)?.locator;
  return locator?.lineNumber === undefined ? '' : ` (line ${locator.lineNumber}, column ${locator.columnNumber ?? 0})`;
};

export function parseDomainXml(text: string): Document {
  if (text.length > MAX_XML_BYTES) {
    throw new DomainXmlError(`domain XML is ${text.length} bytes, more than libvirt's ${MAX_XML_BYTES}`);
  }
  if (/<!DOCTYPE/i.test(text) || /<!ENTITY/i.test(text)) {
    throw new DomainXmlError('domain XML has a DOCTYPE or ENTITY declaration; libvirt never sends one');
  }
  const size = measureMarkup(text);
  if (size.elements > MAX_XML_ELEMENTS) {
    throw new DomainXmlError(`domain XML has more than ${MAX_XML_ELEMENTS} elements; no libvirt domain is that large`);
  }
  if (size.depth > MAX_XML_DEPTH) {
    throw new DomainXmlError(`domain XML nests elements deeper than ${MAX_XML_DEPTH} levels, which libvirt cannot parse`);
  }
  const forbidden = forbiddenCharacter(text);
  if (forbidden !== undefined) throw new DomainXmlError(`domain XML contains ${forbidden}, which XML does not allow`);
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
  return doc;
}

function parseOnce(text: string, locator: boolean): { doc?: Document; problem?: string } {
  let problem: string | undefined;
  const parser = new DOMParser({
    locator,
    // XML 1.0 line ends only: xmldom's default also turns U+0085, U+2028 and U+2029 into \n (XML 1.1), changing text.
    normalizeLineEndings: (source) => source.replace(/\r\n?/g, '\n'),
    // Record the first complaint; xmldom itself throws on fatal errors.
    onError: (level, message, context) => {
      problem ??= `${level === 'warning' ? 'warning: ' : ''}${redact(message)}${position(context)}`;
    },
  });
  try {
    return { doc: parser.parseFromString(text, 'text/xml'), problem };
  } catch (error) {
    return { problem: problem ?? redact(error instanceof Error ? error.message : String(error)) };
  }
}

export function serializeXml(doc: Document): string {
  return new XMLSerializer().serializeToString(doc);
}
