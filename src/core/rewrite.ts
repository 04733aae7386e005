// Apply a plan to a parsed domain, one small updater per element family.
// Only the attributes and elements named in the plan are touched; comments,
// metadata, unknown elements and formatting elsewhere stay as they were.
import type { Document, Element, Node } from '@xmldom/xmldom';
import { childElements, selectElement, selectElements } from './dom.js';
import type { PinKind } from './domain-pins.js';
import { InternalError } from './errors.js';
import type { Change } from './plan.js';

type Updater = (doc: Document, change: Change) => void;

const sameId = (element: Element, attr: string, id: number | undefined): boolean => Number((element.getAttribute(attr) ?? '').trim()) === id;

function find(doc: Document, path: string, attr: string | undefined, change: Change): Element {
  const found = selectElements(path, doc).find((e) => attr === undefined || sameId(e, attr, change.id));
  if (!found) throw new InternalError(`plan names ${change.element} ${change.id ?? ''} but the domain has no such element`);
  return found;
}

/** Remove an element and the blank text that indented it. */
function removeElement(element: Element): void {
  const before: Node | null = element.previousSibling;
  if (before && before.nodeType === 3 && (before.nodeValue ?? '').trim() === '') before.parentNode?.removeChild(before);
  element.parentNode?.removeChild(element);
}

const cpusetAttribute =
  (path: string, idAttr?: string): Updater =>
  (doc, change) => {
    const element = find(doc, path, idAttr, change);
    if (change.new === null) removeElement(element);
    else element.setAttribute('cpuset', change.new);
  };

const nodesetElement =
  (path: string, idAttr?: string): Updater =>
  (doc, change) => {
    const element = find(doc, path, idAttr, change);
    if (change.new === null) removeElement(element);
    else element.setAttribute('nodeset', change.new);
  };

const updaters: Record<PinKind, Updater> = {
  vcpu: (doc, change) => {
    const vcpu = selectElement('/domain/vcpu', doc);
    if (!vcpu) throw new InternalError('plan names <vcpu cpuset> but the domain has no <vcpu>');
    if (change.new === null) vcpu.removeAttribute('cpuset');
    else vcpu.setAttribute('cpuset', change.new);
  },
  vcpupin: cpusetAttribute('/domain/cputune/vcpupin', 'vcpu'),
  emulatorpin: cpusetAttribute('/domain/cputune/emulatorpin'),
  iothreadpin: cpusetAttribute('/domain/cputune/iothreadpin', 'iothread'),
  numatune: nodesetElement('/domain/numatune/memory'),
  memnode: nodesetElement('/domain/numatune/memnode', 'cellid'),
  memdev: (doc, change) => {
    const device = selectElements('/domain/devices/memory', doc)[change.id ?? -1];
    const mask = device && childElements(device, 'source').flatMap((s) => childElements(s, 'nodemask'))[0];
    if (!mask) throw new InternalError(`plan names memory device #${change.id} but it has no nodemask`);
    if (change.new === null) removeElement(mask);
    else mask.textContent = change.new;
  },
};

/** Apply the changes in place and return the same document. */
export function applyChanges(doc: Document, changes: readonly Change[]): Document {
  for (const change of changes) updaters[change.element](doc, change);
  return doc;
}
