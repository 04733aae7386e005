// XML that is not a domain (a metadata element virsh printed; a test's
// document), parsed by xmldom without its console output. Apart from xmldom.ts
// so that the hook's payload, which holds xmldom.ts, does not carry it.
import { DOMParser, type Document } from '@xmldom/xmldom';
import { printable } from '../cpuset.js';
import { DomainXmlError } from '../errors.js';
import { isReplacementGuess, position, redact } from './xmldom.js';

/**
 * What xmldom would print as a warning or an error is thrown as a
 * DomainXmlError instead (its words redacted, as for domain XML), but for its
 * guess that U+FFFD means a decoding problem.
 */
export function parseXml(text: string): Document {
  let problem: string | undefined;
  const parser = new DOMParser({
    onError: (_level, message, context) => {
      if (!isReplacementGuess(message)) problem ??= `${redact(message)}${position(context)}`;
    },
  });
  let doc: Document | undefined;
  try {
    doc = parser.parseFromString(text, 'text/xml');
  } catch (error) {
    problem ??= redact(error instanceof Error ? error.message : String(error));
  }
  if (problem !== undefined || !doc) throw new DomainXmlError(`unparsable XML: ${printable(problem ?? 'no document', 160)}`);
  return doc;
}
