// A host drawn as a compact text map, like a small lstopo: one block per NUMA
// node, one cell per core holding its threads, so `repin host` shows the
// topology and `repin plan` can draw a domain's pins on it before and after.
import { CpuSet } from '../../core/cpuset.js';
import type { Host, HostCpu } from '../../core/host/host.js';

export interface HostMapOptions {
  /** Columns the map must fit in (default 80). */
  width?: number;
  /** A short label per CPU id (`v3` vCPU 3, `E` emulator, `I1` iothread 1), drawn next to the id. */
  marks?: ReadonlyMap<number, string>;
}

/** Above this many CPUs the map is one summary line per node, so output stays bounded. */
const DETAIL_LIMIT = 256;
const SUMMARY_NODES = 32;
const SUMMARY_MARK_LINES = 3;
const LEGEND = 'x = online but not usable by this process (affinity or cgroup cpuset)';

/** Render `host` as text lines joined by `\n` (no trailing newline, no colours). */
export function renderHostMap(host: Host, opts: HostMapOptions = {}): string {
  const width = Math.max(20, opts.width ?? 80);
  const marks = opts.marks ?? new Map<number, string>();
  const blocks = nodeBlocks(host);
  const unusable = host.cpus.some((cpu) => !host.usable.has(cpu.id));
  const lines = [fit(title(host), width)];
  if (host.cpus.length > DETAIL_LIMIT) lines.push(...summary(host, blocks, marks, width));
  else lines.push(...detail(host, blocks, marks, width, unusable));
  const online = new Set(host.cpus.map((c) => c.id));
  const strays = [...marks].filter(([id]) => !online.has(id)).sort((a, b) => a[0] - b[0]);
  if (strays.length > 0) lines.push(fit(`marked but not on this host: ${markList(strays)}`, width));
  if (unusable) lines.push(fit(LEGEND, width));
  return lines.join('\n');
}

interface Block {
  id: number;
  /** undefined: CPUs point at a node the host does not list. */
  hasMemory: boolean | undefined;
  cpus: HostCpu[];
}

/** Every listed node plus any node a CPU names, each with its CPUs in id order. */
function nodeBlocks(host: Host): Block[] {
  const blocks = new Map<number, Block>(host.nodes.map((n) => [n.id, { id: n.id, hasMemory: n.hasMemory, cpus: [] }]));
  for (const cpu of [...host.cpus].sort((a, b) => a.id - b.id)) {
    let block = blocks.get(cpu.node);
    if (!block) blocks.set(cpu.node, (block = { id: cpu.node, hasMemory: undefined, cpus: [] }));
    block.cpus.push(cpu);
  }
  return [...blocks.values()].sort((a, b) => a.id - b.id);
}

function title(host: Host): string {
  const count = (values: Iterable<number>): number => new Set(values).size;
  const cores = count(host.cpus.map((c) => Math.min(c.siblings.ids[0] ?? c.id, c.id)));
  const sockets = count(host.cpus.map((c) => c.socket));
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  return `${host.name}: ${plural(host.cpus.length, 'CPU')}, ${plural(cores, 'core')}, ${plural(sockets, 'socket')}, ${plural(host.nodes.length, 'NUMA node')}; usable ${host.usable.toString() || 'none'}`;
}

function header(host: Host, block: Block): string {
  const memory = block.hasMemory === undefined ? 'not listed' : block.hasMemory ? 'memory' : 'no memory';
  const usable = block.hasMemory === undefined || host.usableNodes.has(block.id) ? '' : ', not usable';
  const cpus = block.cpus.length === 0 ? 'no CPUs' : `CPUs ${CpuSet.of(block.cpus.map((c) => c.id)).toString()}`;
  return `node ${block.id}  (${memory}${usable})  ${cpus}`;
}

function detail(host: Host, blocks: Block[], marks: ReadonlyMap<number, string>, width: number, unusable: boolean): string[] {
  const groups = blocks.map((block) => cores(block.cpus));
  const threads = Math.max(1, ...groups.flat().map((core) => core.length));
  const idWidth = Math.max(1, ...host.cpus.map((c) => `${c.id}`.length));
  const labelWidth = Math.max(0, ...host.cpus.map((c) => marks.get(c.id)?.length ?? 0));
  // After the right-aligned id, one left-aligned field: `x` if not usable, then `:label`.
  const fieldWidth = (unusable ? 1 : 0) + (labelWidth > 0 ? labelWidth + 1 : 0);
  const token = (cpu: HostCpu | undefined): string => {
    if (!cpu) return ' '.repeat(idWidth + fieldWidth);
    const label = marks.get(cpu.id);
    const field = `${host.usable.has(cpu.id) ? '' : 'x'}${label === undefined ? '' : `:${label}`}`;
    return `${`${cpu.id}`.padStart(idWidth)}${field.padEnd(fieldWidth)}`;
  };
  const cell = (core: HostCpu[]): string =>
    `[${Array.from({ length: threads }, (_, i) => token(core[i])).join(' ')}]`;
  const cellWidth = cell([]).length;
  const perLine = Math.max(1, Math.floor((width - 2 + 1) / (cellWidth + 1)));

  const lines: string[] = [];
  blocks.forEach((block, i) => {
    lines.push(fit(header(host, block), width));
    const row = groups[i] ?? [];
    for (let start = 0; start < row.length; start += perLine) {
      lines.push(`  ${row.slice(start, start + perLine).map(cell).join(' ')}`.trimEnd());
    }
  });
  return lines;
}

/** Cores of one node in order of their first CPU; each CPU lands in exactly one cell. */
function cores(cpus: HostCpu[]): HostCpu[][] {
  const byId = new Map(cpus.map((c) => [c.id, c]));
  const placed = new Set<number>();
  const result: HostCpu[][] = [];
  for (const cpu of cpus) {
    if (placed.has(cpu.id)) continue;
    const core = [cpu];
    placed.add(cpu.id);
    for (const id of cpu.siblings.ids) {
      const sibling = byId.get(id);
      if (sibling && !placed.has(id)) {
        core.push(sibling);
        placed.add(id);
      }
    }
    result.push(core);
  }
  return result;
}

function summary(host: Host, blocks: Block[], marks: ReadonlyMap<number, string>, width: number): string[] {
  const lines: string[] = [];
  for (const block of blocks.slice(0, SUMMARY_NODES)) {
    const ids = block.cpus.map((c) => c.id);
    const usable = ids.filter((id) => host.usable.has(id)).length;
    const marked = ids.filter((id) => marks.has(id)).length;
    const counts = block.cpus.length === 0 ? '' : `  ${ids.length} CPUs, ${usable} usable${marked > 0 ? `, ${marked} marked` : ''}`;
    lines.push(fit(`${header(host, block)}${counts}`, width));
  }
  const rest = blocks.slice(SUMMARY_NODES);
  if (rest.length > 0) {
    const cpus = rest.reduce((sum, b) => sum + b.cpus.length, 0);
    lines.push(`... ${rest.length} more nodes with ${cpus} CPUs`);
  }
  const notUsable = CpuSet.of(host.cpus.map((c) => c.id)).minus(host.usable);
  if (!notUsable.isEmpty) lines.push(fit(`not usable (${notUsable.size}): ${notUsable.toString()}`, width));
  const online = new Set(host.cpus.map((c) => c.id));
  const shown = [...marks].filter(([id]) => online.has(id)).sort((a, b) => a[0] - b[0]);
  if (shown.length > 0) lines.push(...wrap(`marks: ${markList(shown)}`, width, SUMMARY_MARK_LINES));
  return lines;
}

function markList(marks: [number, string][]): string {
  return marks.map(([id, label]) => `${id}:${label}`).join(' ');
}

/** Cut a line to `width`, showing that something was cut. */
function fit(line: string, width: number): string {
  return line.length <= width ? line : `${line.slice(0, width - 3)}...`;
}

/** Wrap words onto at most `max` lines of `width`, the last one cut with `...`. */
function wrap(text: string, width: number, max: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = `  ${word}`;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(line);
  if (lines.length <= max) return lines;
  const last = (lines[max - 1] ?? '').split(' ');
  while (last.length > 1 && `${last.join(' ')} ...`.length > width) last.pop();
  return [...lines.slice(0, max - 1), fit(`${last.join(' ')} ...`, width)];
}
