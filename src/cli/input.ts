// `FILE|-`: a domain XML from a file or stdin, bounded like the hook's input.
import { readFileSync, statSync } from 'node:fs';
import { DomainXmlError } from '../core/errors.js';
import { MAX_XML_BYTES } from '../core/xml/limits.js';
import type { Io } from '../io/process-io.js';
import { readText } from '../io/fs/read-input.js';

export async function readDomainInput(file: string, io: Io): Promise<string> {
  // yargs hands a lone '-' positional over as ''.
  if (file === '-' || file === '') return readText(io.stdin, MAX_XML_BYTES, 'domain XML on stdin');
  try {
    if (statSync(file).size > MAX_XML_BYTES) throw new DomainXmlError(`${file} is larger than ${MAX_XML_BYTES} bytes`);
    return readFileSync(file, 'utf8');
  } catch (error) {
    if (error instanceof DomainXmlError) throw error;
    throw new DomainXmlError(`cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
}
