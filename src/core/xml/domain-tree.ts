// A domain's XML read into a tree that writes itself out: the one way repin
// reads domain XML, for the hook, the CLI, reconcile and intent alike. XML in
// plain-xml.ts's subset (all that libvirt sends) is read by it and written
// back as it came but for the plan's changes; other XML is read by xmldom
// (xmldom.ts), which refuses what libvirt would, and re-serialized.
// readDomain (read-domain.ts) holds both readers; readDomainOnDemand here
// loads xmldom's code only when the plain reader declines, so a hook filter
// call on libvirt's XML never loads it (xmldom's set-up and first parse were
// most of such a call's own time).
import type { EditableDocument } from './dom.js';
import { writePlainXml } from './plain-dom.js';
import { readPlainXml } from './plain-xml.js';

/** A domain's XML as a tree repin reads and changes (dom.ts), and the writer that goes with it. */
export interface DomainTree {
  readonly doc: EditableDocument;
  /** The document as text, with whatever was changed in `doc`. */
  write(): string;
}

/** The plain reader's tree, or undefined when the XML is outside its subset (then xmldom decides). */
export function readPlainDomain(text: string): DomainTree | undefined {
  const doc = readPlainXml(text);
  return doc && { doc, write: () => writePlainXml(doc) };
}

/** readDomain, loading xmldom only for XML outside the plain reader's subset: the hook's entry. */
export async function readDomainOnDemand(text: string): Promise<DomainTree> {
  return readPlainDomain(text) ?? (await import('./xmldom.js')).readXmldomDomain(text);
}
