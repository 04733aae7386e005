// The few DOM look-ups repin needs, typed against xmldom. xpath's typings
// speak the browser DOM; xmldom's nodes satisfy it at run time.
import type { Element, Node } from '@xmldom/xmldom';
import xpath from 'xpath';

/** Elements matching a (namespace-free) XPath expression, in document order. */
export function selectElements(expression: string, context: Node): Element[] {
  const found = xpath.select(expression, context as unknown as globalThis.Node);
  return Array.isArray(found) ? (found as unknown as Element[]) : [];
}

export function selectElement(expression: string, context: Node): Element | undefined {
  return selectElements(expression, context)[0];
}

/** Direct child elements with this local name (no namespace). */
export function childElements(parent: Element, name: string): Element[] {
  const out: Element[] = [];
  for (let node = parent.firstChild; node; node = node.nextSibling) {
    if (node.nodeType === 1 && node.nodeName === name) out.push(node as Element);
  }
  return out;
}

export function textOf(element: Element | undefined): string | undefined {
  return element?.textContent ?? undefined;
}
