// A small reader for domain XML as libvirt writes it, so that a filter call
// never loads xmldom for it (bench/run.mjs: xmldom's module set-up and first
// parse were most of a call's own time). Its tree (plain-dom.ts) also takes
// the plan's changes and writes the input back with only those changed.
// It accepts a strict subset of XML: elements, attributes, text, comments,
// namespace declarations and the five named entities; no CDATA, processing
// instructions, declarations, character references, CRs or characters outside
// the BMP. Anything else, and anything malformed, is `undefined`: the caller then
// parses with xmldom (xmldom.ts), which accepts or refuses it as always. So this
// reader is never more permissive than parseDomainXml, and where it answers,
// repin's readers find in its tree what they find in xmldom's
// (test/core/xml/plain-xml.test.ts).
import { PlainComment, PlainDocument, PlainElement, PlainText, type Attribute } from './plain-dom.js';
import { MAX_XML_BYTES, MAX_XML_DEPTH, MAX_XML_ELEMENTS } from './limits.js';

/** Markup or characters outside the subset, anywhere in the text. */
const OUTSIDE_SUBSET = /<!(?!--)|<\?|\]\]>|&#|[^\t\n\x20-\ud7ff\ue000-\ufffd]/;

const NAME = '[A-Za-z_][\\w.-]*';
const QNAME = `${NAME}(?::${NAME})?`;
// A tag is read in steps at lastIndex: its name, each attribute (a quoted value may hold `>`
// but no `<`), then its end.
const TAG_NAME = new RegExp(`</?(${QNAME})`, 'y');
const ATTRIBUTE = new RegExp(`[ \\t\\n]+(${QNAME})[ \\t\\n]*=[ \\t\\n]*(?:"([^<"]*)"|'([^<']*)')`, 'y');
const TAG_END = /[ \t\n]*(\/?)>/y;
const ENTITIES: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
const LONE_AMPERSAND = /&(?!(?:lt|gt|amp|quot|apos);)/;

/** Text or an attribute value with its entities replaced; undefined for any other `&`. */
function decode(raw: string): string | undefined {
  if (!raw.includes('&')) return raw;
  return LONE_AMPERSAND.test(raw) ? undefined : raw.replace(/&(lt|gt|amp|quot|apos);/g, (_, name: string) => ENTITIES[name] ?? '');
}

/** Namespace URIs by prefix ('' for the default namespace) in scope at an element. */
type Scope = ReadonlyMap<string, string>;
const NO_NAMESPACES: Scope = new Map();

/** The element's attributes from `at` and the scope it opens, or undefined outside the subset. */
function readAttributes(text: string, at: number, parent: Scope): { attributes: Attribute[]; scope: Scope; end: number } | undefined {
  const attributes: Attribute[] = [];
  let scope = parent;
  let prefixed: string[] | undefined;
  ATTRIBUTE.lastIndex = at;
  for (let match = ATTRIBUTE.exec(text); match; match = ATTRIBUTE.exec(text)) {
    const [raw, name = '', double, single] = match;
    const quoted = double ?? single ?? '';
    // XML turns tabs and newlines in a value into spaces: left to xmldom.
    const value = /[\t\n]/.test(quoted) ? undefined : decode(quoted);
    if (value === undefined || attributes.some((a) => a.name === name)) return undefined;
    attributes.push({ name, value, raw, space: raw.slice(0, raw.length - raw.trimStart().length), quote: double === undefined ? "'" : '"' });
    at = ATTRIBUTE.lastIndex;
    if (name === 'xmlns') scope = new Map(scope).set('', value);
    else if (name.startsWith('xmlns:')) {
      const prefix = name.slice(6);
      if (value === '' || prefix === 'xml' || prefix === 'xmlns') return undefined;
      scope = new Map(scope).set(prefix, value);
    } else if (name.includes(':')) (prefixed ??= []).push(name);
  }
  // Prefixed attributes: declared prefixes only, and no two with one expanded name.
  const expanded = new Set<string>();
  for (const name of prefixed ?? []) {
    const [prefix = '', local] = name.split(':');
    const uri = prefix === 'xml' ? 'xml' : scope.get(prefix);
    if (uri === undefined || expanded.has(`${uri} ${local}`)) return undefined;
    expanded.add(`${uri} ${local}`);
  }
  return { attributes, scope, end: at };
}

/** Whether the text has more than `limit` start tags: xmldom.ts refuses it unparsed, and so it should be. */
function startTagsOver(text: string, limit: number): boolean {
  let count = 0;
  for (let at = text.indexOf('<'); at >= 0; at = text.indexOf('<', at + 1)) {
    const next = text.charCodeAt(at + 1);
    if (next !== 0x2f && next !== 0x21 && ++count > limit) return true; // not `</` or `<!`
  }
  return false;
}

/** A tree of the document for repin's readers and writers (dom.ts), or undefined: parse it with xmldom. */
export function readPlainXml(text: string): PlainDocument | undefined {
  if (text.length > MAX_XML_BYTES || OUTSIDE_SUBSET.test(text) || startTagsOver(text, MAX_XML_ELEMENTS)) return undefined;
  const open: { element: PlainElement; scope: Scope; start: number; tagEnd: number }[] = [];
  let root: PlainElement | undefined;
  let rootStart = 0;
  let rootEnd = 0;
  let at = 0;
  for (;;) {
    const lt = text.indexOf('<', at);
    const raw = text.slice(at, lt < 0 ? text.length : lt);
    const top = open[open.length - 1];
    if (!top) {
      if (!/^[ \t\n]*$/.test(raw)) return undefined;
    } else if (raw !== '') {
      const decoded = decode(raw);
      if (decoded === undefined) return undefined;
      top.element.appendChild(new PlainText(decoded, raw));
    }
    if (lt < 0) break;
    if (text.startsWith('<!--', lt)) {
      // XML allows no `--` inside a comment; one before or after the root element stays in `before`/`after`.
      const close = text.indexOf('-->', lt + 4);
      if (close < 0 || text.slice(lt + 4, close).includes('--') || text[close - 1] === '-') return undefined;
      at = close + 3;
      top?.element.appendChild(new PlainComment(text.slice(lt, at)));
      continue;
    }
    TAG_NAME.lastIndex = lt;
    const tag = TAG_NAME.exec(text);
    if (!tag) return undefined;
    const name = tag[1] ?? '';
    if (text[lt + 1] === '/') {
      TAG_END.lastIndex = TAG_NAME.lastIndex;
      const close = TAG_END.exec(text);
      if (!close || close[1] || !top || top.element.nodeName !== name) return undefined;
      at = TAG_END.lastIndex;
      open.pop();
      top.element.located({ text, start: top.start, tagEnd: top.tagEnd, end: at });
      if (open.length === 0) rootEnd = at;
      continue;
    }
    if ((!top && root) || open.length >= MAX_XML_DEPTH) return undefined;
    const read = readAttributes(text, TAG_NAME.lastIndex, top?.scope ?? NO_NAMESPACES);
    if (!read) return undefined;
    TAG_END.lastIndex = read.end;
    const close = TAG_END.exec(text);
    if (!close) return undefined;
    at = TAG_END.lastIndex;
    const empty = close[1] === '/';
    const colon = name.indexOf(':');
    const prefix = colon < 0 ? '' : name.slice(0, colon);
    const uri = read.scope.get(prefix);
    if (colon >= 0 && (uri === undefined || prefix === 'xml' || prefix === 'xmlns')) return undefined;
    const element = new PlainElement(name, uri || null, read.attributes);
    const tagEnd = at - (empty ? 2 : 1);
    if (top) top.element.appendChild(element);
    else {
      root = element;
      rootStart = lt;
    }
    if (!empty) open.push({ element, scope: read.scope, start: lt, tagEnd });
    else {
      element.located({ text, start: lt, tagEnd, end: at });
      if (!top) rootEnd = at;
    }
  }
  // xmldom.ts refuses any other root: left to it, with its message.
  if (open.length > 0 || !root || root.nodeName !== 'domain' || root.namespaceURI !== null) return undefined;
  return new PlainDocument(root, text.slice(0, rootStart), text.slice(rootEnd));
}
