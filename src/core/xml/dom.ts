// The part of the DOM repin reads and changes, as interfaces that xmldom's
// tree and plain-dom.ts's both meet, and the few look-ups it needs. Every one is a
// fixed absolute child path (`/domain/cputune/vcpupin`), walked child by
// child in linear time. (A general XPath engine was measured here: its
// document-order sort calls xmldom's compareDocumentPosition, which rescans
// siblings, so one query over 1024 vcpupin elements took seconds — and the
// library was 78 KiB of every filter call's start-up. The tests use xpath.)
import type { Document } from '@xmldom/xmldom';
import { InternalError } from '../errors.js';

/** What repin's readers use of an element: xmldom's, or one of plain-xml.ts's smaller tree. */
export interface XmlElement {
  readonly nodeType: number;
  readonly nodeName: string;
  readonly namespaceURI: string | null;
  readonly firstChild: XmlNode | null;
  readonly nextSibling: XmlNode | null;
  readonly textContent: string | null;
  getAttribute(name: string): string | null;
  hasAttribute(name: string): boolean;
}

/** Any child: only elements (nodeType 1) are looked at. */
export interface XmlNode {
  readonly nodeType: number;
  readonly nextSibling: XmlNode | null;
}

export interface XmlDocument {
  readonly nodeType: number;
  readonly documentElement: XmlElement | null;
}

/** What repin's writers (rewrite.ts, metadata.ts) change: a small part of the DOM, which plain-dom.ts also has. */
export interface EditableNode {
  readonly nodeType: number;
  readonly nodeValue: string | null;
  readonly parentNode: EditableParent | null;
  readonly previousSibling: EditableNode | null;
  readonly nextSibling: EditableNode | null;
}

/** A node's parent, as far as a writer needs it. */
export interface EditableParent {
  removeChild<T extends EditableNode>(node: T): T;
  replaceChild<T extends EditableNode>(node: EditableNode, old: T): T;
}

export interface EditableElement extends XmlElement, EditableNode, EditableParent {
  readonly firstChild: EditableNode | null;
  readonly lastChild: EditableNode | null;
  readonly nextSibling: EditableNode | null;
  textContent: string | null;
  setAttribute(name: string, value: string): void;
  removeAttribute(name: string): void;
  appendChild<T extends EditableNode>(node: T): T;
  insertBefore<T extends EditableNode>(node: T, before: EditableNode | null): T;
}

export interface EditableDocument extends XmlDocument {
  readonly documentElement: EditableElement | null;
  createElement(name: string): EditableElement;
  createElementNS(uri: string, name: string): EditableElement;
  createTextNode(value: string): EditableNode;
}

/**
 * xmldom's document as the writers take it. At run time its nodes have every
 * member EditableDocument names; its typings declare the parameters as its own
 * Node class, which makes them not assignable, hence the one cast here.
 */
export const editable = (doc: Document): EditableDocument => doc as unknown as EditableDocument;

const SIMPLE_PATH = /^(\/[A-Za-z][\w-]*)+$/;

/** The element type of a document: EditableElement for a tree being rewritten, XmlElement for one being read. */
export type ElementOf<D extends XmlDocument> = NonNullable<D['documentElement']>;

/** Elements at an absolute child path such as `/domain/cputune/vcpupin`, in document order. */
export function selectElements<D extends XmlDocument>(path: string, context: D): ElementOf<D>[] {
  if (!SIMPLE_PATH.test(path) || context.nodeType !== 9) throw new InternalError(`unsupported element path ${path}`);
  const [rootName, ...rest] = path.slice(1).split('/');
  const root = context.documentElement as ElementOf<D> | null;
  let level: ElementOf<D>[] = root && root.nodeName === rootName ? [root] : [];
  for (const name of rest) level = level.flatMap((parent) => childElements(parent, name));
  return level;
}

export function selectElement<D extends XmlDocument>(path: string, context: D): ElementOf<D> | undefined {
  return selectElements(path, context)[0];
}

/** Direct child elements with this name, or all of them (any namespace) without one; of the parent's own tree type. */
export function childElements<E extends XmlElement>(parent: E, name?: string): E[] {
  const out: E[] = [];
  for (let node = parent.firstChild; node; node = node.nextSibling) {
    if (node.nodeType === 1 && (name === undefined || (node as XmlElement).nodeName === name)) out.push(node as E);
  }
  return out;
}
