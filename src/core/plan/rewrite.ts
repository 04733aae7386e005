// Apply a plan to a parsed domain, one small updater per element family.
// Only the attributes and elements named in the plan are touched; comments,
// metadata, unknown elements and formatting elsewhere stay as they were.
import { childElements, selectElement, selectElements, type EditableDocument as Document, type EditableElement as Element, type EditableNode as Node } from '../xml/dom.js';
import { InternalError } from '../errors.js';
import type { Change, ChangeElement } from './plan.js';

type Updater = (doc: Document, change: Change) => void;


/** Elements of one family by id, indexed once per document (a plan may touch thousands). */
const indexes = new WeakMap<Document, Map<string, Map<number | undefined, Element>>>();

function find(doc: Document, path: string, attr: string | undefined, change: Change): Element {
  let byPath = indexes.get(doc);
  if (!byPath) {
    byPath = new Map();
    indexes.set(doc, byPath);
  }
  let index = byPath.get(path);
  if (!index) {
    index = new Map();
    for (const e of selectElements(path, doc)) {
      const id = attr === undefined ? undefined : Number((e.getAttribute(attr) ?? '').trim());
      if (!index.has(id)) index.set(id, e);
    }
    byPath.set(path, index);
  }
  const found = index.get(attr === undefined ? undefined : change.id);
  if (!found) throw new InternalError(`plan names ${change.element} ${change.id ?? ''} but the domain has no such element`);
  return found;
}

/** Remove an element and the blank text that indented it. */
function removeElement(element: Element): void {
  const before: Node | null = element.previousSibling;
  if (before && before.nodeType === 3 && (before.nodeValue ?? '').trim() === '') before.parentNode?.removeChild(before);
  element.parentNode?.removeChild(element);
}

/** The parent for a recreated element (`cputune`, `numatune`), made if missing. */
function container(doc: Document, name: string): Element {
  const found = selectElement(`/domain/${name}`, doc);
  if (found) return found;
  const created = doc.createElement(name);
  doc.documentElement?.appendChild(created);
  return created;
}

/** Set an attribute of an existing element, remove the element, or recreate it (restoring an original pin). */
const pinElement =
  (parent: string, name: string, attr: 'cpuset' | 'nodeset', idAttr?: string): Updater =>
  (doc, change) => {
    if (change.old === null) {
      if (change.new === null) return;
      const element = doc.createElement(name);
      if (idAttr !== undefined) element.setAttribute(idAttr, String(change.id));
      if (change.mode !== undefined) element.setAttribute('mode', change.mode);
      element.setAttribute(attr, change.new);
      container(doc, parent).appendChild(element);
      return;
    }
    const element = find(doc, `/domain/${parent}/${name}`, idAttr, change);
    if (change.new === null) removeElement(element);
    else element.setAttribute(attr, change.new);
  };

const updaters: Record<ChangeElement, Updater> = {
  vcpu: (doc, change) => {
    const vcpu = selectElement('/domain/vcpu', doc);
    if (!vcpu) throw new InternalError('plan names <vcpu cpuset> but the domain has no <vcpu>');
    if (change.new === null) vcpu.removeAttribute('cpuset');
    else vcpu.setAttribute('cpuset', change.new);
  },
  vcpupin: pinElement('cputune', 'vcpupin', 'cpuset', 'vcpu'),
  emulatorpin: pinElement('cputune', 'emulatorpin', 'cpuset'),
  iothreadpin: pinElement('cputune', 'iothreadpin', 'cpuset', 'iothread'),
  numatune: pinElement('numatune', 'memory', 'nodeset'),
  memnode: pinElement('numatune', 'memnode', 'nodeset', 'cellid'),
  memdev: (doc, change) => {
    const device = selectElements('/domain/devices/memory', doc)[change.id ?? -1];
    if (!device) throw new InternalError(`plan names memory device #${change.id} but the domain has no such device`);
    let source = childElements(device, 'source')[0];
    const mask = source && childElements(source, 'nodemask')[0];
    if (mask) {
      if (change.new === null) removeElement(mask);
      else mask.textContent = change.new;
      return;
    }
    if (change.new === null) return;
    if (!source) {
      source = doc.createElement('source');
      device.appendChild(source);
    }
    const created = doc.createElement('nodemask');
    created.textContent = change.new;
    source.appendChild(created);
  },
  shares: (doc, change) => {
    const shares = selectElement('/domain/cputune/shares', doc);
    if (!shares || change.new === null) throw new InternalError('plan names <cputune><shares> but the domain has none');
    shares.textContent = change.new;
  },
};

/** Apply the changes in place and return the same document. */
export function applyChanges(doc: Document, changes: readonly Change[]): Document {
  for (const change of changes) updaters[change.element](doc, change);
  return doc;
}
