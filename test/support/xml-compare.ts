// Structural comparison of XML documents: insignificant whitespace between
// elements is ignored, attribute order does not matter, everything else does
// (comments, CDATA, namespaces, text).
import type { Node, Element } from '@xmldom/xmldom';
import { parseXml } from '../../src/core/xml/parse-any.js';

function canon(node: Node, out: string[], depth: number): void {
  const pad = '  '.repeat(depth);
  switch (node.nodeType) {
    case 1: {
      const element = node as Element;
      const attrs: string[] = [];
      for (let i = 0; i < element.attributes.length; i++) {
        const a = element.attributes.item(i);
        if (a) attrs.push(`${a.name}=${JSON.stringify(a.value)}`);
      }
      attrs.sort();
      out.push(`${pad}<${element.tagName}${attrs.length ? ` ${attrs.join(' ')}` : ''}>`);
      for (let c = element.firstChild; c; c = c.nextSibling) canon(c, out, depth + 1);
      out.push(`${pad}</${element.tagName}>`);
      return;
    }
    case 3: {
      const text = node.nodeValue ?? '';
      if (text.trim() !== '') out.push(`${pad}text ${JSON.stringify(text.trim())}`);
      return;
    }
    case 4:
      out.push(`${pad}cdata ${JSON.stringify(node.nodeValue)}`);
      return;
    case 7:
      out.push(`${pad}pi ${node.nodeName} ${JSON.stringify(node.nodeValue)}`);
      return;
    case 8:
      out.push(`${pad}comment ${JSON.stringify(node.nodeValue)}`);
      return;
    default:
      for (let c = node.firstChild; c; c = c.nextSibling) canon(c, out, depth);
  }
}

/** A canonical text form of an XML document for structural comparison. */
export function canonicalXml(xml: string): string {
  const doc = parseXml(xml);
  const out: string[] = [];
  canon(doc, out, 0);
  return out.join('\n');
}
