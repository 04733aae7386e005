// The few DOM look-ups repin needs, typed against xmldom. xpath's typings
// speak the browser DOM; xmldom's nodes satisfy it at run time.
import type { Element, Node } from '@xmldom/xmldom';
import xpath from 'xpath';

const SIMPLE_PATH = /^(\/[A-Za-z][\w-]*)+$/;

/**
 * Elements matching a (namespace-free) XPath expression, in document order.
 * Plain absolute paths (`/domain/cputune/vcpupin`) are walked child by child
 * in linear time: xpath's document-order sort calls xmldom's
 * compareDocumentPosition, which rescans siblings, making a query over
 * thousands of vcpupin elements take seconds.
 */
export function selectElements(expression: string, context: Node): Element[] {
  if (SIMPLE_PATH.test(expression) && context.nodeType === 9) {
    const [rootName, ...rest] = expression.slice(1).split('/');
    const root = (context as unknown as { documentElement: Element | null }).documentElement;
    let level: Element[] = root && root.nodeName === rootName ? [root] : [];
    for (const name of rest) level = level.flatMap((parent) => childElements(parent, name));
    return level;
  }
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
