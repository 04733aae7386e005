// Every host-side placement in a domain definition, read from its XML.
// Host-side ids (CPUs, NUMA nodes) are what repin may change; guest-side ids
// (vcpupin vcpu=, memnode cellid=, <cpu><numa><cell cpus=>) identify what a
// pin belongs to and are never changed (see docs: "Host-side vs guest-side").
import { CpuSet, parseCpuset, printable } from '../cpuset.js';
import { childElements, selectElement, selectElements, type XmlDocument as Document, type XmlElement as Element } from '../xml/dom.js';
import { DomainXmlError } from '../errors.js';
import { readHugepageDemand, type HugepageDemand } from './hugepage-demand.js';

/** Element families that name host CPUs. */
export type CpuPinKind = 'vcpu' | 'vcpupin' | 'emulatorpin' | 'iothreadpin';
/** Element families that name host NUMA nodes. */
export type NodePinKind = 'numatune' | 'memnode' | 'memdev';
export type PinKind = CpuPinKind | NodePinKind;

export interface CpuPin {
  readonly kind: CpuPinKind;
  /** vCPU id for vcpupin, iothread id for iothreadpin; absent otherwise. */
  readonly id?: number;
  readonly cpus: CpuSet;
  readonly text: string;
}

export interface NodePin {
  readonly kind: NodePinKind;
  /** Guest cell for memnode; memory device index for memdev. */
  readonly id?: number;
  /** Guest cell the memory belongs to (memnode cellid, memory device target node). */
  readonly cell?: number;
  readonly nodes: CpuSet;
  readonly text: string;
  /** numatune memory/memnode mode attribute, kept to recreate a released element. */
  readonly mode?: string;
}

export interface GuestCell {
  readonly id: number;
  readonly vcpus: CpuSet;
}

export interface DomainPins {
  readonly name: string;
  readonly uuid: string;
  /** Maximum vCPU count (`<vcpu>` text). */
  readonly vcpus: number;
  /** Guest SMT threads per core (`<cpu><topology threads>`), 1 when absent. */
  readonly threadsPerCore: number;
  readonly cells: readonly GuestCell[];
  readonly cpuPins: readonly CpuPin[];
  readonly nodePins: readonly NodePin[];
  /** Ids of the domain's I/O threads (`<iothreadids>`, else 1..`<iothreads>`); absent: not read. */
  readonly iothreadIds?: readonly number[];
  /** How many `<devices><memory>` elements the domain has; absent: not read. */
  readonly memoryDevices?: number;
  /** Elements whose placement numad decides (`placement='auto'`): repin writes no set into them. */
  readonly autoPlaced?: readonly ('vcpu' | 'numatune')[];
  /** `<vcpupin vcpu=N>` ids with N at or past the vCPU count: libvirt ignores those elements, so repin plans without them. */
  readonly ignoredVcpupins?: readonly number[];
  /** `<cputune><shares>`, when it holds a decimal number (libvirt refuses anything else itself). */
  readonly shares?: { readonly value: number; readonly text: string };
  /** Memory backed by hugepages, per guest cell; absent: not hugepage-backed (not judged on free memory). */
  readonly hugepages?: readonly HugepageDemand[];
  /** vCPUs with `<vcpusched scheduler='fifo'|'rr'>` (guest ids): each must have a host CPU to itself. */
  readonly realtime?: CpuSet;
}

/**
 * Whether `<vcpu cpuset>` places any thread. libvirt runs a vCPU without a
 * vcpupin, the emulator without an emulatorpin and an I/O thread without an
 * iothreadpin on it (qemuProcessSetupPid: the thread's pin, else numad's
 * set, else the domain's cpuset); with every one of them pinned it places
 * nothing. Without the I/O thread ids, assume it does.
 */
export function vcpuCpusetInUse(pins: DomainPins): boolean {
  if (pins.iothreadIds === undefined) return true;
  const pinned = (kind: CpuPinKind): Set<number | undefined> => new Set(pins.cpuPins.filter((p) => p.kind === kind).map((p) => p.id));
  const vcpus = pinned('vcpupin');
  const iothreads = pinned('iothreadpin');
  return (
    pinned('emulatorpin').size === 0 ||
    Array.from({ length: pins.vcpus }, (_, id) => id).some((id) => !vcpus.has(id)) ||
    pins.iothreadIds.some((id) => !iothreads.has(id))
  );
}

/**
 * A vCPU or the emulator pinned to one CPU: the thread owns that CPU. The same
 * rule decides what other running domains hold (src/io/host/occupancy.ts reads
 * their vCPU and emulator threads) and what an arriving domain reserves
 * (dedicatedCpusAfter). An I/O thread on one CPU is an ordinary pin: it fits
 * wherever its CPU is usable, as other domains' I/O threads hold nothing.
 */
export function isDedicated(pin: CpuPin): boolean {
  return pin.cpus.size === 1 && (pin.kind === 'vcpupin' || pin.kind === 'emulatorpin');
}

/** Short human name of a pin: `vcpupin vcpu=3`, `emulatorpin`, `memnode cellid=1`. */
export function pinLabel(pin: { kind: PinKind; id?: number }): string {
  switch (pin.kind) {
    case 'vcpu':
      return 'vcpu cpuset';
    case 'vcpupin':
      return `vcpupin vcpu=${pin.id}`;
    case 'iothreadpin':
      return `iothreadpin iothread=${pin.id}`;
    case 'memnode':
      return `memnode cellid=${pin.id}`;
    case 'memdev':
      return `memory device #${pin.id} nodemask`;
    case 'numatune':
      return 'numatune memory nodeset';
    case 'emulatorpin':
      return 'emulatorpin';
  }
}

function intAttr(element: Element, name: string, where: string): number {
  const raw = element.getAttribute(name) ?? '';
  if (!/^\s*\d{1,6}\s*$/.test(raw)) throw new DomainXmlError(`${where}: ${name}='${printable(raw)}' is not a valid id`);
  return Number(raw);
}

function cpusetAttr(element: Element, attr: string, where: string): { set: CpuSet; text: string } {
  const text = element.getAttribute(attr) ?? '';
  let set: CpuSet;
  try {
    set = parseCpuset(text, `${where} ${attr}`);
  } catch (error) {
    throw new DomainXmlError(error instanceof Error ? error.message : String(error), { cause: error });
  }
  if (set.isEmpty) throw new DomainXmlError(`${where}: ${attr}='${printable(text)}' selects nothing`);
  return { set, text };
}

function readCells(doc: Document): GuestCell[] {
  return selectElements('/domain/cpu/numa/cell', doc).map((cell, index) => {
    const id = cell.hasAttribute('id') ? intAttr(cell, 'id', 'numa cell') : index;
    const cpus = cell.getAttribute('cpus');
    return { id, vcpus: cpus ? parseCpuset(cpus, `numa cell ${id} cpus`) : CpuSet.empty };
  });
}

/**
 * The CPU pins libvirt uses. A vcpupin naming a vCPU the domain lacks is
 * skipped before its cpuset is read, as libvirt's parser does
 * (virDomainVcpuPinDefParseXML: "Ignoring vcpupin for missing vcpus"); its id
 * goes to `ignored`.
 */
function readCpuPins(doc: Document, vcpus: number, ignored: number[]): CpuPin[] {
  const pins: CpuPin[] = [];
  const vcpu = selectElement('/domain/vcpu', doc);
  if (vcpu?.hasAttribute('cpuset') && vcpu.getAttribute('placement') !== 'auto') {
    const { set, text } = cpusetAttr(vcpu, 'cpuset', 'vcpu');
    pins.push({ kind: 'vcpu', cpus: set, text });
  }
  const seen = new Set<string>();
  const cputune = selectElement('/domain/cputune', doc);
  if (!cputune) return pins;
  for (const [name, kind, idAttr] of [
    ['vcpupin', 'vcpupin', 'vcpu'],
    ['emulatorpin', 'emulatorpin', undefined],
    ['iothreadpin', 'iothreadpin', 'iothread'],
  ] as const) {
    for (const element of childElements(cputune, name)) {
      const id = idAttr ? intAttr(element, idAttr, name) : undefined;
      if (kind === 'vcpupin' && id !== undefined && id >= vcpus) {
        ignored.push(id);
        continue;
      }
      const key = `${kind}/${id}`;
      if (seen.has(key)) throw new DomainXmlError(`${pinLabel({ kind, id })} appears twice`);
      seen.add(key);
      const { set, text } = cpusetAttr(element, 'cpuset', pinLabel({ kind, id }));
      pins.push(id === undefined ? { kind, cpus: set, text } : { kind, id, cpus: set, text });
    }
  }
  return pins;
}

function readNodePins(doc: Document): NodePin[] {
  const pins: NodePin[] = [];
  const memory = selectElement('/domain/numatune/memory', doc);
  if (memory?.hasAttribute('nodeset') && memory.getAttribute('placement') !== 'auto') {
    const { set, text } = cpusetAttr(memory, 'nodeset', 'numatune memory');
    const mode = memory.getAttribute('mode');
    pins.push({ kind: 'numatune', nodes: set, text, ...(mode ? { mode } : {}) });
  }
  const cells = new Set<number>();
  for (const memnode of selectElements('/domain/numatune/memnode', doc)) {
    const cell = intAttr(memnode, 'cellid', 'memnode');
    if (cells.has(cell)) throw new DomainXmlError(`memnode cellid=${cell} appears twice`);
    cells.add(cell);
    const { set, text } = cpusetAttr(memnode, 'nodeset', `memnode cellid=${cell}`);
    const mode = memnode.getAttribute('mode');
    pins.push({ kind: 'memnode', id: cell, cell, nodes: set, text, ...(mode ? { mode } : {}) });
  }
  selectElements('/domain/devices/memory', doc).forEach((device, index) => {
    const mask = childElements(device, 'source').flatMap((source) => childElements(source, 'nodemask'))[0];
    if (!mask) return;
    const text = mask.textContent ?? '';
    let nodes: CpuSet;
    try {
      nodes = parseCpuset(text, `memory device #${index} nodemask`);
    } catch (error) {
      throw new DomainXmlError(error instanceof Error ? error.message : String(error), { cause: error });
    }
    const target = childElements(device, 'target').flatMap((t) => childElements(t, 'node'))[0];
    const cellText = target?.textContent?.trim();
    const cell = cellText && /^\d+$/.test(cellText) ? Number(cellText) : undefined;
    pins.push(cell === undefined ? { kind: 'memdev', id: index, nodes, text } : { kind: 'memdev', id: index, cell, nodes, text });
  });
  return pins;
}

/**
 * Elements libvirt formats at most once. It refuses a second <numatune>, and
 * reads the others in ways that differ per element (all <cputune> children
 * together, the first <vcpu>): with two of one, which pin is live would be a
 * guess, so repin reads no placement from such a definition.
 */
const ONCE = ['name', 'uuid', 'metadata', 'vcpu', 'cputune', 'numatune', 'numatune/memory', 'cpu', 'cpu/topology', 'cpu/numa', 'devices'];

function checkOnce(doc: Document): void {
  for (const path of ONCE) {
    const count = selectElements(`/domain/${path}`, doc).length;
    if (count > 1) throw new DomainXmlError(`domain XML has ${count} <${path}> elements; libvirt has at most one`);
  }
}

/** Read every host-side placement of a parsed domain. */
export function readDomainPins(doc: Document): DomainPins {
  checkOnce(doc);
  const name = selectElement('/domain/name', doc)?.textContent?.trim() ?? '';
  const uuid = selectElement('/domain/uuid', doc)?.textContent?.trim() ?? '';
  const vcpuText = selectElement('/domain/vcpu', doc)?.textContent?.trim() ?? '1';
  const vcpus = /^\d{1,5}$/.test(vcpuText) ? Number(vcpuText) : NaN;
  if (!Number.isInteger(vcpus) || vcpus < 1) throw new DomainXmlError(`<vcpu>${printable(vcpuText)}</vcpu> is not a vCPU count`);
  const topology = selectElement('/domain/cpu/topology', doc);
  const threadsText = topology?.getAttribute('threads') ?? '1';
  const threads = /^\d{1,4}$/.test(threadsText) && Number(threadsText) > 0 ? Number(threadsText) : 1;
  const ignoredVcpupins: number[] = [];
  const cpuPins = readCpuPins(doc, vcpus, ignoredVcpupins);
  const autoPlaced = (['vcpu', 'numatune'] as const).filter(
    (element) => selectElement(element === 'vcpu' ? '/domain/vcpu' : '/domain/numatune/memory', doc)?.getAttribute('placement') === 'auto',
  );
  return {
    name,
    uuid,
    vcpus,
    threadsPerCore: threads,
    cells: readCells(doc),
    cpuPins,
    nodePins: readNodePins(doc),
    iothreadIds: readIothreadIds(doc),
    memoryDevices: selectElements('/domain/devices/memory', doc).length,
    autoPlaced,
    ...(ignoredVcpupins.length > 0 ? { ignoredVcpupins } : {}),
    ...readShares(doc),
    ...withHugepages(readHugepageDemand(doc)),
    ...readRealtime(doc, vcpus),
  };
}

/**
 * The I/O thread ids: those `<iothreadids>` lists, then as libvirt fills up to
 * `<iothreads>` N, the lowest ids from 1 not listed.
 */
function readIothreadIds(doc: Document): number[] {
  const ids = selectElements('/domain/iothreadids/iothread', doc).map((element) => intAttr(element, 'id', 'iothreadids iothread'));
  const countText = selectElement('/domain/iothreads', doc)?.textContent?.trim() ?? '0';
  const count = /^\d{1,5}$/.test(countText) ? Number(countText) : 0;
  for (let id = 1; ids.length < count; id++) if (!ids.includes(id)) ids.push(id);
  return ids;
}

/** `<cputune><shares>` as a number; absent or not a decimal number: not read. */
function readShares(doc: Document): { shares?: DomainPins['shares'] } {
  const text = selectElement('/domain/cputune/shares', doc)?.textContent;
  if (text === undefined || text === null || !/^\s*\d{1,20}\s*$/.test(text)) return {};
  return { shares: { value: Number(text.trim()), text } };
}

function withHugepages(demand: HugepageDemand[] | undefined): { hugepages?: HugepageDemand[] } {
  return demand === undefined || demand.length === 0 ? {} : { hugepages: demand };
}

/**
 * vCPUs a `<vcpusched>` gives a realtime scheduler (fifo or rr). Its `vcpus`
 * names guest vCPUs, so it is read, never rewritten; ids past the vCPU count
 * are dropped, as for vcpupin.
 */
function readRealtime(doc: Document, vcpus: number): { realtime?: CpuSet } {
  const ids: number[] = [];
  for (const sched of selectElements('/domain/cputune/vcpusched', doc)) {
    const scheduler = sched.getAttribute('scheduler');
    if (scheduler !== 'fifo' && scheduler !== 'rr') continue;
    const { set } = cpusetAttr(sched, 'vcpus', 'vcpusched');
    ids.push(...set.ids.filter((id) => id < vcpus));
  }
  return ids.length === 0 ? {} : { realtime: CpuSet.of(ids) };
}
