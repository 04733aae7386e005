// XPath over repin's output in tests: say what to check the way an operator
// would point at it (`/domain/cputune/vcpupin[@vcpu="3"]/@cpuset`).
import { parseXml } from '../../src/core/xml/parse-any.js';
import xpath from 'xpath';

/** String values of every node the expression selects. */
export function xpathValues(xml: string, expression: string): string[] {
  const doc = parseXml(xml);
  const found = xpath.select(expression, doc as unknown as Node);
  if (!Array.isArray(found)) return [typeof found === 'object' && found !== null ? '' : String(found)];
  return found.map((node) => (node as { nodeValue?: string | null; textContent?: string | null }).nodeValue ?? (node as { textContent?: string | null }).textContent ?? '');
}
