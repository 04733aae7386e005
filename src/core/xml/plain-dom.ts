// The tree plain-xml.ts reads: the few DOM members repin's readers and
// writers use (dom.ts), over the source text. Written back, every node the
// plan did not touch is its own source bytes, so the output differs from the
// input only where the plan changed it (quotes, entities, spacing and
// comments elsewhere stay as they were); changed elements are written with
// their untouched attributes as they were, and new ones in libvirt's style.
import type { EditableDocument, EditableElement, EditableNode } from './dom.js';
import { InternalError } from '../errors.js';

const escapeText = (value: string): string => value.replace(/[&<>]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : '&gt;'));
const escapeAttribute = (value: string, quote: string): string =>
  value.replace(/[&<"']/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c !== quote ? c : c === '"' ? '&quot;' : '&apos;'));

abstract class PlainNode implements EditableNode {
  abstract readonly nodeType: number;
  parentNode: PlainElement | null = null;
  previousSibling: PlainNode | null = null;
  nextSibling: PlainNode | null = null;
  abstract get nodeValue(): string | null;
  abstract write(out: string[]): void;
}

export class PlainText extends PlainNode {
  readonly nodeType = 3;
  /** `raw`: the source text, entities as written; absent for text repin made. */
  constructor(
    readonly nodeValue: string,
    private readonly raw?: string,
  ) {
    super();
  }

  write(out: string[]): void {
    out.push(this.raw ?? escapeText(this.nodeValue));
  }
}

export class PlainComment extends PlainNode {
  readonly nodeType = 8;
  constructor(private readonly raw: string) {
    super();
  }

  get nodeValue(): string {
    return this.raw.slice(4, -3);
  }

  write(out: string[]): void {
    out.push(this.raw);
  }
}

export interface Attribute {
  readonly name: string;
  readonly value: string;
  /** As in the source, with the whitespace before it; absent once set by repin. */
  readonly raw?: string;
  /** The whitespace before it in the source, kept when its value changes. */
  readonly space: string;
  readonly quote: string;
}

/** Where an element was in the source: its whole text, and how its start tag ended. */
export interface SourceSpan {
  readonly text: string;
  readonly start: number;
  /** Offset of the start tag's `>` or `/>`. */
  readonly tagEnd: number;
  readonly end: number;
}

export class PlainElement extends PlainNode implements EditableElement {
  readonly nodeType = 1;
  firstChild: PlainNode | null = null;
  lastChild: PlainNode | null = null;
  /** Where the element was in the source; absent for one repin made. */
  private span: SourceSpan | undefined;
  /** Nothing in the element changed: it is written as its source. */
  private unchanged = false;
  /** Its attributes did not change: its start tag is written as in the source. */
  private tagUnchanged = false;

  constructor(
    readonly nodeName: string,
    readonly namespaceURI: string | null,
    private readonly attributes: Attribute[],
    /** A namespace to declare on a new element: createElementNS. */
    private readonly declares?: { readonly prefix: string; readonly uri: string },
  ) {
    super();
  }

  /** Set by the reader once the element's end is known. */
  located(span: SourceSpan): void {
    this.span = span;
    this.unchanged = true;
    this.tagUnchanged = true;
  }

  get nodeValue(): null {
    return null;
  }

  getAttribute(name: string): string | null {
    return this.attributes.find((a) => a.name === name)?.value ?? null;
  }

  hasAttribute(name: string): boolean {
    return this.attributes.some((a) => a.name === name);
  }

  setAttribute(name: string, value: string): void {
    const at = this.attributes.findIndex((a) => a.name === name);
    const { space = ' ', quote = "'" } = this.attributes[at] ?? {};
    if (at < 0) this.attributes.push({ name, value, space, quote });
    else this.attributes[at] = { name, value, space, quote };
    this.tagChanged();
  }

  removeAttribute(name: string): void {
    const at = this.attributes.findIndex((a) => a.name === name);
    if (at < 0) return;
    this.attributes.splice(at, 1);
    this.tagChanged();
  }

  get textContent(): string {
    let text = '';
    for (let node: PlainNode | null = this.firstChild; node; node = node.nextSibling) {
      if (node.nodeType === 3) text += node.nodeValue ?? '';
      else if (node instanceof PlainElement) text += node.textContent;
    }
    return text;
  }

  set textContent(value: string) {
    while (this.firstChild) this.removeChild(this.firstChild);
    if (value !== '') this.appendChild(new PlainText(value));
  }

  appendChild<T extends EditableNode>(node: T): T {
    return this.insertBefore(node, null);
  }

  insertBefore<T extends EditableNode>(node: T, before: EditableNode | null): T {
    const child = plain(node);
    child.parentNode?.removeChild(child);
    const next = before === null ? null : plain(before);
    if (next !== null && next.parentNode !== this) throw new InternalError('insertBefore: not a child of this element');
    const previous = next ? next.previousSibling : this.lastChild;
    child.parentNode = this;
    child.previousSibling = previous;
    child.nextSibling = next;
    if (previous) previous.nextSibling = child;
    else this.firstChild = child;
    if (next) next.previousSibling = child;
    else this.lastChild = child;
    this.changed();
    return node;
  }

  removeChild<T extends EditableNode>(node: T): T {
    const child = plain(node);
    if (child.parentNode !== this) throw new InternalError('removeChild: not a child of this element');
    if (child.previousSibling) child.previousSibling.nextSibling = child.nextSibling;
    else this.firstChild = child.nextSibling;
    if (child.nextSibling) child.nextSibling.previousSibling = child.previousSibling;
    else this.lastChild = child.previousSibling;
    child.parentNode = null;
    child.previousSibling = null;
    child.nextSibling = null;
    this.changed();
    return node;
  }

  replaceChild<T extends EditableNode>(node: EditableNode, old: T): T {
    this.insertBefore(node, old);
    return this.removeChild(old);
  }

  write(out: string[]): void {
    const span = this.span;
    if (span && this.unchanged) {
      out.push(span.text.slice(span.start, span.end));
      return;
    }
    if (span && this.tagUnchanged) out.push(span.text.slice(span.start, span.tagEnd));
    else {
      out.push(`<${this.nodeName}`);
      if (this.declares) out.push(` xmlns:${this.declares.prefix}='${escapeAttribute(this.declares.uri, "'")}'`);
      for (const a of this.attributes) out.push(a.raw ?? `${a.space}${a.name}=${a.quote}${escapeAttribute(a.value, a.quote)}${a.quote}`);
    }
    if (!this.firstChild) {
      // Empty now: as the source wrote it (`<a></a>` or `<a/>`); a new element as libvirt does.
      out.push(span && span.text[span.tagEnd] === '>' ? `></${this.nodeName}>` : '/>');
      return;
    }
    out.push('>');
    for (let node: PlainNode | null = this.firstChild; node; node = node.nextSibling) node.write(out);
    out.push(`</${this.nodeName}>`);
  }

  private tagChanged(): void {
    this.tagUnchanged = false;
    this.changed();
  }

  /** This element and those around it are no longer their source text (those further out already are not). */
  private changed(): void {
    if (!this.unchanged) return;
    this.unchanged = false;
    this.parentNode?.changed();
  }
}

function plain(node: EditableNode): PlainNode {
  if (!(node instanceof PlainNode)) throw new InternalError('a plain tree takes only its own nodes');
  return node;
}

export class PlainDocument implements EditableDocument {
  readonly nodeType = 9;

  constructor(
    readonly documentElement: PlainElement,
    /** The text around the root element: whitespace and comments, kept as they were. */
    readonly before: string,
    readonly after: string,
  ) {}

  createElement(name: string): PlainElement {
    return new PlainElement(name, null, []);
  }

  createElementNS(uri: string, name: string): PlainElement {
    const colon = name.indexOf(':');
    return new PlainElement(name, uri, [], colon < 0 ? undefined : { prefix: name.slice(0, colon), uri });
  }

  createTextNode(value: string): PlainText {
    return new PlainText(value);
  }
}

/** The document as text: its source, but for what was changed. */
export function writePlainXml(doc: PlainDocument): string {
  const out: string[] = [doc.before];
  doc.documentElement.write(out);
  out.push(doc.after);
  return out.join('');
}
