// Strict parsing and faithful serialization of domain XML. xmldom silently
// drops or mangles what it cannot handle (undeclared entities, bad nesting),
// so every parser warning or error is turned into a refusal here.
import { DOMParser, XMLSerializer, type Document } from '@xmldom/xmldom';
import { printable } from './cpuset.js';
import { DomainXmlError } from './errors.js';

/**
 * libvirt's RPC caps a string at REMOTE_STRING_MAX (4 MiB), so no domain XML
 * that libvirt itself passed can be larger; bigger input is refused unread.
 */
export const MAX_XML_BYTES = 4 * 1024 * 1024;

export function parseDomainXml(text: string): Document {
  if (text.length > MAX_XML_BYTES) {
    throw new DomainXmlError(`domain XML is ${text.length} bytes, more than libvirt's ${MAX_XML_BYTES}`);
  }
  if (/<!DOCTYPE/i.test(text) || /<!ENTITY/i.test(text)) {
    throw new DomainXmlError('domain XML has a DOCTYPE or ENTITY declaration; libvirt never sends one');
  }
  let problem: string | undefined;
  const parser = new DOMParser({
    // Record the first complaint; xmldom itself throws on fatal errors.
    onError: (level, message) => {
      problem ??= `${level === 'warning' ? 'warning: ' : ''}${message}`;
    },
  });
  let doc: Document | undefined;
  try {
    doc = parser.parseFromString(text, 'text/xml');
  } catch (error) {
    problem ??= error instanceof Error ? error.message : String(error);
  }
  if (problem !== undefined || !doc) throw new DomainXmlError(`unparsable domain XML: ${printable((problem ?? 'no document').replace(/\s+/g, ' '), 120)}`);
  const root = doc.documentElement;
  if (!root || root.nodeName !== 'domain' || root.namespaceURI) {
    throw new DomainXmlError(`root element is <${printable(root?.nodeName ?? 'none')}>, not <domain>`);
  }
  return doc;
}

export function serializeXml(doc: Document): string {
  return new XMLSerializer().serializeToString(doc);
}
