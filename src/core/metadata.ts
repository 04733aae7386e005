// repin's own <metadata> elements. libvirt keeps metadata across migrations
// and leaves it out of the ABI check, so a domain can carry its original
// placement (written by repin the first time it changes the domain) and a
// per-VM policy (set by `repin policy`, i.e. `virsh metadata`) wherever it goes.
import type { Document, Element } from '@xmldom/xmldom';
import { parseCpuset, printable } from './cpuset.js';
import { childElements, selectElement } from './dom.js';
import { ConfigError } from './errors.js';
import { POLICIES, type Policy } from './plan.js';
import type { PinKind } from './domain-pins.js';
import type { DomainOverride } from './config.js';

/**
 * The original placement, one text entry per pin (`vcpupin#0=20;`): a
 * 512-vCPU guest carries ~12 KiB instead of an element per pin, which cost
 * ~14 ms to build and print in the hook. Records in the per-pin layout of
 * ORIGINAL_NS_V1 (earlier repin builds) are still read.
 */
export const ORIGINAL_NS = 'urn:repin:original:2';
export const ORIGINAL_NS_V1 = 'urn:repin:original:1';
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
}

function metadataChildren(doc: Document): Element[] {
  const metadata = selectElement('/domain/metadata', doc);
  return metadata ? childElements(metadata) : [];
}

/** The manager whose metadata this domain carries, if any. */
export function foreignManager(doc: Document): string | undefined {
  for (const element of metadataChildren(doc)) {
    const ns = element.namespaceURI ?? '';
    const found = FOREIGN_MANAGERS.find((m) => ns.startsWith(m.prefix));
    if (found) return found.name;
  }
  return undefined;
}

const PIN_KINDS: ReadonlySet<string> = new Set<PinKind>(['vcpu', 'vcpupin', 'emulatorpin', 'iothreadpin', 'numatune', 'memnode', 'memdev']);

/** One entry: `kind[#id]=value[@mode]`. A cpuset or nodeset never holds `;`, `=`, `@` or `#`. */
const ENTRY = /^([a-z]+)(?:#(\d+))?=([^;=@#]*)(?:@([a-z]+))?$/;

/** The record's pins, or undefined when there is none or it is damaged or from a newer repin (then it is ignored, not trusted, and kept: see writeOriginal). */
export function readOriginal(doc: Document): OriginalPin[] | undefined {
  const children = metadataChildren(doc);
  const record = children.find((e) => e.namespaceURI === ORIGINAL_NS);
  if (!record) {
    const v1 = children.find((e) => e.namespaceURI === ORIGINAL_NS_V1);
    return v1 ? readOriginalV1(v1) : undefined;
  }
  const pins: OriginalPin[] = [];
  for (const entry of (record.textContent ?? '').split(';')) {
    if (entry.trim() === '') continue;
    const match = ENTRY.exec(entry.trim());
    if (!match || !PIN_KINDS.has(match[1] ?? '') || !validSet(match[3] ?? '')) return undefined;
    const [, element, id, value = '', mode] = match;
    pins.push({ element: element as PinKind, value, ...(id !== undefined ? { id: Number(id) } : {}), ...(mode ? { mode } : {}) });
  }
  return pins;
}

/** An element per pin: `<repin:pin element="vcpupin" id="0" value="20"/>`. */
function readOriginalV1(record: Element): OriginalPin[] | undefined {
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

/**
 * Append the original-placement record to <metadata> (created if missing); false,
 * and nothing written, when the domain already has a record readOriginal could not
 * read. libvirt keeps only the first element of each namespace in <metadata>
 * (virXMLNodeSanitizeNamespaces, src/util/virxml.c), so a second record would be
 * dropped; and an unreadable one may come from a newer repin, or be the only trace
 * of the true original, so it is not this build's to replace.
 */
export function writeOriginal(doc: Document, pins: readonly OriginalPin[]): boolean {
  const domain = doc.documentElement;
  if (!domain) return false;
  if (metadataChildren(doc).some((e) => e.namespaceURI === ORIGINAL_NS || e.namespaceURI === ORIGINAL_NS_V1)) return false;
  const text = (value: string): ReturnType<Document['createTextNode']> => doc.createTextNode(value);
  let metadata = selectElement('/domain/metadata', doc);
  if (!metadata) {
    metadata = doc.createElement('metadata');
    metadata.appendChild(text('\n  '));
    const after = childElements(domain, 'uuid')[0] ?? childElements(domain, 'name')[0];
    domain.insertBefore(metadata, after?.nextSibling ?? domain.firstChild);
    domain.insertBefore(text('\n  '), metadata);
  }
  const record = doc.createElementNS(ORIGINAL_NS, 'repin:original');
  const entries = pins.map((pin) => `\n      ${pin.element}${pin.id === undefined ? '' : `#${pin.id}`}=${pin.value}${pin.mode === undefined ? '' : `@${pin.mode}`};`);
  record.appendChild(text(`${entries.join('')}\n    `));
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
export function readPolicyMetadata(doc: Document): DomainOverride | undefined {
  const element = metadataChildren(doc).find((e) => e.namespaceURI === POLICY_NS);
  if (!element) return undefined;
  return parsePolicyElement(element, 'domain metadata');
}

export function parsePolicyElement(element: Element, where: string): DomainOverride {
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
