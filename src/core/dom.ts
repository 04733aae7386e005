// The few DOM look-ups repin needs, typed against xmldom. Every one is a
// fixed absolute child path (`/domain/cputune/vcpupin`), walked child by
// child in linear time. (A general XPath engine was measured here: its
// document-order sort calls xmldom's compareDocumentPosition, which rescans
// siblings, so one query over 1024 vcpupin elements took seconds — and the
// library was 78 KiB of every filter call's start-up. The tests use xpath.)
import type { Element, Node } from '@xmldom/xmldom';
import { InternalError } from './errors.js';

const SIMPLE_PATH = /^(\/[A-Za-z][\w-]*)+$/;

/** Elements at an absolute child path such as `/domain/cputune/vcpupin`, in document order. */
export function selectElements(path: string, context: Node): Element[] {
  if (!SIMPLE_PATH.test(path) || context.nodeType !== 9) throw new InternalError(`unsupported element path ${path}`);
  const [rootName, ...rest] = path.slice(1).split('/');
  const root = (context as unknown as { documentElement: Element | null }).documentElement;
  let level: Element[] = root && root.nodeName === rootName ? [root] : [];
  for (const name of rest) level = level.flatMap((parent) => childElements(parent, name));
  return level;
}

export function selectElement(expression: string, context: Node): Element | undefined {
  return selectElements(expression, context)[0];
}

/** Direct child elements with this name, or all of them (any namespace) without one. */
export function childElements(parent: Element, name?: string): Element[] {
  const out: Element[] = [];
  for (let node = parent.firstChild; node; node = node.nextSibling) {
    if (node.nodeType === 1 && (name === undefined || node.nodeName === name)) out.push(node as Element);
  }
  return out;
}

export function textOf(element: Element | undefined): string | undefined {
  return element?.textContent ?? undefined;
}
