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

export const ORIGINAL_NS = 'urn:repin:original:1';
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
  if (!metadata) return [];
  const out: Element[] = [];
  for (let node = metadata.firstChild; node; node = node.nextSibling) if (node.nodeType === 1) out.push(node as Element);
  return out;
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

export function readOriginal(doc: Document): OriginalPin[] | undefined {
  const record = metadataChildren(doc).find((e) => e.namespaceURI === ORIGINAL_NS);
  if (!record) return undefined;
  const pins: OriginalPin[] = [];
  for (let node = record.firstChild; node; node = node.nextSibling) {
    if (node.nodeType !== 1) continue;
    const e = node as Element;
    const element = e.getAttribute('element') as PinKind;
    const value = e.getAttribute('value') ?? '';
    const idText = e.getAttribute('id');
    const mode = e.getAttribute('mode');
    try {
      parseCpuset(value);
    } catch {
      return undefined; // a damaged record is ignored rather than trusted
    }
    pins.push({ element, value, ...(idText ? { id: Number(idText) } : {}), ...(mode ? { mode } : {}) });
  }
  return pins;
}

/** Append the original-placement record to <metadata> (created if missing). */
export function writeOriginal(doc: Document, pins: readonly OriginalPin[]): void {
  const domain = doc.documentElement;
  if (!domain) return;
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
  for (const pin of pins) {
    const e = doc.createElementNS(ORIGINAL_NS, 'repin:pin');
    e.setAttribute('element', pin.element);
    if (pin.id !== undefined) e.setAttribute('id', String(pin.id));
    e.setAttribute('value', pin.value);
    if (pin.mode !== undefined) e.setAttribute('mode', pin.mode);
    record.appendChild(text('\n      '));
    record.appendChild(e);
  }
  record.appendChild(text('\n    '));
  // Keep libvirt's indentation: the record goes where the closing tag's indent was.
  const last = metadata.lastChild;
  if (last && last.nodeType === 3 && (last.nodeValue ?? '').trim() === '') {
    metadata.insertBefore(text('\n    '), last);
    metadata.insertBefore(record, last);
  } else {
    metadata.appendChild(record);
  }
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
