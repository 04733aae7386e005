// What a hugepage-backed guest needs from the host: per guest NUMA cell (or
// for the whole guest without cells), its memory and the page size backing
// it, from <memoryBacking><hugepages>. A <page nodeset> names guest cells, so
// it is read here and never rewritten.
import { parseCpuset, type CpuSet } from '../cpuset.js';
import { childElements, selectElement, selectElements, type XmlDocument as Document, type XmlElement as Element } from '../xml/dom.js';

/** The memory of one guest cell (undefined: the whole guest) backed by pages of one size. */
export interface HugepageDemand {
  readonly cell: number | undefined;
  /** Page size in KiB; undefined: the host's default huge page size (`<hugepages/>` without a `<page>` for it). */
  readonly pageKb: number | undefined;
  readonly memoryKb: number;
}

/**
 * libvirt's units (virScaleInteger): powers of 1024 for `k`, `KiB`, `M`, `MiB`…,
 * powers of 1000 for `KB`, `MB`…, `b`/`bytes`; the size in KiB.
 */
export function toKib(value: number, unit: string | null | undefined, fallback = 'KiB'): number | undefined {
  const u = (unit ?? fallback).toLowerCase();
  const binary = ['b', 'k', 'm', 'g', 't', 'p', 'e'];
  const letter = u === 'bytes' ? 'b' : u[0];
  const power = binary.indexOf(letter ?? '');
  if (power < 0) return undefined;
  if (u === 'b' || u === 'bytes') return value / 1024;
  if (u.length === 1 || u.endsWith('ib')) return value * 1024 ** (power - 1);
  if (u.length === 2 && u.endsWith('b')) return (value * 1000 ** power) / 1024;
  return undefined;
}

function sizeOf(element: Element | undefined, attr: 'size' | 'memory' | 'text'): number | undefined {
  if (!element) return undefined;
  const raw = (attr === 'text' ? element.textContent : element.getAttribute(attr))?.trim() ?? '';
  if (!/^\d{1,20}$/.test(raw)) return undefined;
  return toKib(Number(raw), element.getAttribute('unit'));
}

/**
 * Each cell's hugepage demand, or undefined when the guest is not backed by
 * hugepages (or a size cannot be read: then libvirt would refuse the domain
 * itself). A cell takes the `<page>` whose nodeset names it, else the one
 * without a nodeset; with no `<page>` at all every cell uses the default size;
 * a cell no page covers is not hugepage-backed.
 */
export function readHugepageDemand(doc: Document): HugepageDemand[] | undefined {
  const hugepages = selectElement('/domain/memoryBacking/hugepages', doc);
  if (!hugepages) return undefined;
  const pages: { sizeKb: number; cells: CpuSet | undefined }[] = [];
  for (const page of childElements(hugepages, 'page')) {
    const sizeKb = sizeOf(page, 'size');
    if (sizeKb === undefined) return undefined;
    const nodeset = page.getAttribute('nodeset');
    pages.push({ sizeKb, cells: nodeset ? parseCpuset(nodeset, 'hugepages page nodeset') : undefined });
  }
  const pageFor = (cell: number | undefined): { pageKb: number | undefined } | undefined => {
    if (pages.length === 0) return { pageKb: undefined };
    const page = (cell === undefined ? undefined : pages.find((p) => p.cells?.has(cell))) ?? pages.find((p) => p.cells === undefined);
    return page ? { pageKb: page.sizeKb } : undefined;
  };
  const cells = selectElements('/domain/cpu/numa/cell', doc);
  if (cells.length === 0) {
    const memoryKb = sizeOf(selectElement('/domain/memory', doc), 'text');
    const page = pageFor(undefined);
    return memoryKb === undefined || !page ? undefined : [{ cell: undefined, memoryKb, ...page }];
  }
  const demands: HugepageDemand[] = [];
  for (const [index, cell] of cells.entries()) {
    const idText = cell.getAttribute('id');
    const id = idText && /^\d+$/.test(idText) ? Number(idText) : index;
    const memoryKb = sizeOf(cell, 'memory');
    if (memoryKb === undefined) return undefined;
    const page = pageFor(id);
    if (page) demands.push({ cell: id, memoryKb, ...page });
  }
  return demands;
}
