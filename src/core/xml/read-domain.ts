// The one entry for reading domain XML, with both readers loaded (the CLI,
// reconcile, intent): see domain-tree.ts for which reader takes what, and
// for the hook's variant that loads xmldom only when needed.
import { readPlainDomain, type DomainTree } from './domain-tree.js';
import { readXmldomDomain } from './xmldom.js';

export type { DomainTree } from './domain-tree.js';

/** Domain XML as a tree with its own writer; throws DomainXmlError for XML libvirt would refuse. */
export function readDomain(text: string): DomainTree {
  return readPlainDomain(text) ?? readXmldomDomain(text);
}
