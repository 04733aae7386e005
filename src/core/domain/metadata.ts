// repin's own <metadata> elements. libvirt keeps metadata across migrations
// and leaves it out of the ABI check, so a domain can carry its original
// placement (written by repin the first time it changes the domain) and a
// per-VM policy (set by `repin policy`, i.e. `virsh metadata`) wherever it goes.
import { parseCpuset, printable } from '../cpuset.js';
import { childElements, selectElement, type ElementOf, type EditableDocument, type EditableNode, type XmlDocument, type XmlElement } from '../xml/dom.js';
import { ConfigError } from '../errors.js';
import { POLICIES, type Policy } from '../plan/plan.js';
import type { PinKind } from './pins.js';
import type { DomainOverride } from '../config.js';

/**
 * The original placement, one text entry per pin (`vcpupin#0=20:0;`): the
 * original, and after `>` what repin last wrote there when that differs from
 * it (`none`: it released the element). A 512-vCPU guest carries ~12 KiB
 * instead of an element per pin, which cost ~14 ms to build and print in the
 * hook. Records of ORIGINAL_NS_V2 (no written values) and ORIGINAL_NS_V1 (an
 * element per pin), from earlier repin builds, are still read.
 */
export const ORIGINAL_NS = 'urn:repin:original:3';
export const ORIGINAL_NS_V2 = 'urn:repin:original:2';
export const ORIGINAL_NS_V1 = 'urn:repin:original:1';
/** Every version's namespace starts so: one from a newer build is recognised as a record, and kept. */
const ORIGINAL_FAMILY = 'urn:repin:original:';
export const POLICY_NS = 'urn:repin:policy:1';

/** Namespaces of managers that place pins themselves; repin leaves their domains alone by default. */
export const FOREIGN_MANAGERS: readonly { readonly name: string; readonly prefix: string }[] = [
  { name: 'OpenStack Nova', prefix: 'http://openstack.org/xmlns/libvirt/nova/' },
  { name: 'oVirt', prefix: 'http://ovirt.org/vm/' },
  { name: 'KubeVirt', prefix: 'http://kubevirt.io' },
];

export interface OriginalPin {
  readonly element: PinKind;
  readonly id?: number;
  readonly value: string;
  /** numatune memory/memnode mode, so a removed element can be recreated as it was. */
  readonly mode?: string;
  /**
   * What repin last wrote there (null: it released the element); undefined in
   * records of earlier builds, which did not say: such an entry is taken as
   * still as repin left it.
   */
  readonly written?: string | null;
}

function metadataChildren<D extends XmlDocument>(doc: D): ElementOf<D>[] {
  const metadata = selectElement('/domain/metadata', doc);
  return metadata ? childElements(metadata) : [];
}

/** The manager whose metadata this domain carries, if any. */
export function foreignManager(doc: XmlDocument): string | undefined {
  for (const element of metadataChildren(doc)) {
    const ns = element.namespaceURI ?? '';
    const found = FOREIGN_MANAGERS.find((m) => ns.startsWith(m.prefix));
    if (found) return found.name;
  }
  return undefined;
}

const PIN_KINDS: ReadonlySet<string> = new Set<PinKind>(['vcpu', 'vcpupin', 'emulatorpin', 'iothreadpin', 'numatune', 'memnode', 'memdev']);

/** One entry: `kind[#id]=value[@mode][:written]`; `:`, unlike `>`, needs no escaping in XML text. A cpuset or nodeset never holds `;`, `=`, `@`, `#` or `:`. */
const ENTRY = /^([a-z]+)(?:#(\d+))?=([^;=@#:]*)(?:@([a-z]+))?(?::([^;=@#:]*))?$/;
/** The written value of a released element. */
const RELEASED = 'none';

function recordElements<D extends XmlDocument>(doc: D): ElementOf<D>[] {
  return metadataChildren(doc).filter((e) => (e.namespaceURI ?? '').startsWith(ORIGINAL_FAMILY));
}

/**
 * The record's pins, or undefined when there is none or it is damaged or from a
 * newer repin (then it is ignored, not trusted, and kept: see writeOriginal).
 * Entries of a current record always carry `written`.
 */
export function readOriginal(doc: XmlDocument): OriginalPin[] | undefined {
  const records = recordElements(doc);
  if (records.some((e) => e.namespaceURI !== ORIGINAL_NS && e.namespaceURI !== ORIGINAL_NS_V2 && e.namespaceURI !== ORIGINAL_NS_V1)) return undefined;
  const newest = [ORIGINAL_NS, ORIGINAL_NS_V2, ORIGINAL_NS_V1].map((ns) => records.find((e) => e.namespaceURI === ns)).find((e) => e !== undefined);
  if (!newest) return undefined;
  return newest.namespaceURI === ORIGINAL_NS_V1 ? readOriginalV1(newest) : readEntries(newest.textContent ?? '', newest.namespaceURI === ORIGINAL_NS);
}

function readEntries(text: string, withWritten: boolean): OriginalPin[] | undefined {
  const pins: OriginalPin[] = [];
  for (const entry of text.split(';')) {
    if (entry.trim() === '') continue;
    const match = ENTRY.exec(entry.trim());
    if (!match || !PIN_KINDS.has(match[1] ?? '') || !validSet(match[3] ?? '')) return undefined;
    const [, element, id, value = '', mode, written] = match;
    if (written !== undefined && (!withWritten || (written !== RELEASED && !validSet(written)))) return undefined;
    const pin: OriginalPin = { element: element as PinKind, value, ...(id !== undefined ? { id: Number(id) } : {}), ...(mode ? { mode } : {}) };
    pins.push(withWritten ? { ...pin, written: written === RELEASED ? null : (written ?? value) } : pin);
  }
  return pins;
}

/** An element per pin: `<repin:pin element="vcpupin" id="0" value="20"/>`. */
function readOriginalV1(record: XmlElement): OriginalPin[] | undefined {
  const pins: OriginalPin[] = [];
  for (const e of childElements(record)) {
    const element = e.getAttribute('element') as PinKind;
    const value = e.getAttribute('value') ?? '';
    const idText = e.getAttribute('id');
    const mode = e.getAttribute('mode');
    if (!PIN_KINDS.has(element) || !validSet(value)) return undefined;
    pins.push({ element, value, ...(idText ? { id: Number(idText) } : {}), ...(mode ? { mode } : {}) });
  }
  return pins;
}

function validSet(value: string): boolean {
  try {
    parseCpuset(value);
    return true;
  } catch {
    return false;
  }
}

/** One entry as text; the written value only when it differs from the original. */
function entryText(pin: OriginalPin): string {
  const written = pin.written === undefined || pin.written === pin.value ? '' : `:${pin.written ?? RELEASED}`;
  return `${pin.element}${pin.id === undefined ? '' : `#${pin.id}`}=${pin.value}${pin.mode === undefined ? '' : `@${pin.mode}`}${written};`;
}

/**
 * Write the original-placement record into <metadata> (created if missing). With
 * `replace` (the caller read the record with readOriginal) it takes the place of
 * the one there, whatever its version; otherwise it is only added to a domain
 * without one. False, and nothing written, when the domain has a record
 * readOriginal could not read. libvirt keeps only the first element of each
 * namespace in <metadata> (virXMLNodeSanitizeNamespaces, src/util/virxml.c), so a
 * second record would be dropped; and an unreadable one may come from a newer
 * repin, or be the only trace of the true original, so it is not this build's to
 * replace.
 */
export function writeOriginal(doc: EditableDocument, pins: readonly OriginalPin[], replace = false): boolean {
  const domain = doc.documentElement;
  if (!domain) return false;
  const existing = recordElements(doc);
  if (existing.length > 0 && !replace) return false;
  const text = (value: string): EditableNode => doc.createTextNode(value);
  const record = doc.createElementNS(ORIGINAL_NS, 'repin:original');
  record.appendChild(text(`${pins.map((pin) => `\n      ${entryText(pin)}`).join('')}\n    `));
  const [first, ...others] = existing;
  if (first) {
    first.parentNode?.replaceChild(record, first);
    for (const other of others) other.parentNode?.removeChild(other);
    return true;
  }
  let metadata = selectElement('/domain/metadata', doc);
  if (!metadata) {
    metadata = doc.createElement('metadata');
    metadata.appendChild(text('\n  '));
    const after = childElements(domain, 'uuid')[0] ?? childElements(domain, 'name')[0];
    domain.insertBefore(metadata, after?.nextSibling ?? domain.firstChild);
    domain.insertBefore(text('\n  '), metadata);
  }
  // Keep libvirt's indentation: the record goes where the closing tag's indent was.
  const last = metadata.lastChild;
  if (last && last.nodeType === 3 && (last.nodeValue ?? '').trim() === '') {
    metadata.insertBefore(text('\n    '), last);
    metadata.insertBefore(record, last);
  } else {
    metadata.appendChild(record);
  }
  return true;
}

/** The per-VM policy element, as `virsh metadata --uri urn:repin:policy:1` stores it. */
export function readPolicyMetadata(doc: XmlDocument): DomainOverride | undefined {
  const element = metadataChildren(doc).find((e) => e.namespaceURI === POLICY_NS);
  if (!element) return undefined;
  return parsePolicyElement(element, 'domain metadata');
}

export function parsePolicyElement(element: XmlElement, where: string): DomainOverride {
  const name = element.getAttribute('name');
  if (name !== null && name !== '' && !(POLICIES as readonly string[]).includes(name)) {
    throw new ConfigError(`${where}: policy '${printable(name)}' is not one of ${POLICIES.join(', ')}`);
  }
  const cpus = (attr: string): ReturnType<typeof parseCpuset> | undefined => {
    const value = element.getAttribute(attr);
    return value ? parseCpuset(value, `${where} ${attr}`) : undefined;
  };
  const allowedCpus = cpus('allowedCpus');
  const emulatorCpus = cpus('emulatorCpus');
  const reservedCpus = cpus('reservedCpus');
  return {
    ...(name ? { policy: name as Policy } : {}),
    ...(allowedCpus ? { allowedCpus } : {}),
    ...(emulatorCpus ? { emulatorCpus } : {}),
    ...(reservedCpus ? { reservedCpus } : {}),
  };
}
