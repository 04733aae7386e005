// Whether a hugepage-backed guest's memory fits the nodes it is bound to:
// QEMU maps every page at start and fails ("unable to map backing store for
// guest RAM: Cannot allocate memory") when a bound node lacks free pages of
// the size. Guests without hugepages are not judged: the kernel allocates
// their memory lazily. remap moves a cell's binding to a node that can hold
// it; no policy removes or resizes hugepages.
import { CpuSet, parseCpuset } from '../cpuset.js';
import type { DomainPins, NodePin } from '../domain/pins.js';
import type { Host, HostCpu } from '../host/host.js';
import type { Change } from './plan.js';
import { change } from './release-pin.js';

/** The memory one binding holds: a memnode's cell, a numatune memory nodeset's cells, or the unbound rest. */
interface Need {
  readonly pin: NodePin | undefined;
  readonly cells: readonly (number | undefined)[];
  readonly pageKb: number;
  readonly pages: number;
}

/** Pages of one size a guest will take from one node once started. */
export interface HugepageClaim {
  readonly node: number;
  readonly sizeKb: number;
  readonly pages: number;
}

export interface HugepageFit {
  readonly changes: Change[];
  readonly notes: string[];
  /** One clause per binding that cannot hold its memory, with the numbers. */
  readonly misfits: string[];
  /** Guest cells whose memory moved to a node other than the one most of their vCPUs are on (cell → node). */
  readonly split: Map<number, number>;
  /** The pages each node gives, as counted off (for the reservation of an arriving guest). */
  readonly claims: HugepageClaim[];
}

function needsOf(pins: DomainPins, host: Host, after: ReadonlyMap<NodePin, string | null>): Need[] {
  const byKey = new Map<string, { pin: NodePin | undefined; cells: (number | undefined)[]; pageKb: number; kb: number }>();
  const memnode = new Map(pins.nodePins.filter((p) => p.kind === 'memnode' && after.get(p) !== null).map((p) => [p.cell, p]));
  const memory = pins.nodePins.find((p) => p.kind === 'numatune' && after.get(p) !== null);
  for (const demand of pins.hugepages ?? []) {
    const pageKb = demand.pageKb ?? host.extras?.defaultHugepageKb;
    if (pageKb === undefined || pageKb <= 0) continue;
    const pin = (demand.cell === undefined ? undefined : memnode.get(demand.cell)) ?? memory;
    const key = `${pins.nodePins.indexOf(pin as NodePin)}/${pageKb}`;
    const need = byKey.get(key) ?? { pin, cells: [], pageKb, kb: 0 };
    need.cells.push(demand.cell);
    need.kb += demand.memoryKb;
    byKey.set(key, need);
  }
  return [...byKey.values()].map((n) => ({ pin: n.pin, cells: n.cells, pageKb: n.pageKb, pages: Math.ceil(n.kb / n.pageKb) }));
}

function freeOn(host: Host, node: number, pageKb: number): number | undefined {
  const pages = host.nodes.find((n) => n.id === node)?.hugepages;
  if (pages === undefined) return undefined;
  return pages.find((p) => p.sizeKb === pageKb)?.free ?? 0;
}

function label(need: Need): string {
  if (need.pin?.kind === 'memnode') return `memnode cellid=${need.pin.cell}`;
  if (need.pin?.kind === 'numatune') return 'numatune memory';
  return 'hugepage-backed memory (no nodeset)';
}

function who(need: Need): string {
  const cells = need.cells.filter((c): c is number => c !== undefined);
  if (cells.length === 0) return 'the guest needs';
  return cells.length === 1 ? 'the cell needs' : `cells ${CpuSet.of(cells).toString()} need`;
}

/** Host node of each guest cell's vCPUs after the plan, by most vCPU CPUs. */
function cellNodes(pins: DomainPins, host: Host, changes: readonly Change[]): Map<number | undefined, number> {
  const nodeOf = new Map<number, number>();
  for (let i = 0; i < host.cpus.length; i++) {
    const cpu = host.cpus[i] as HostCpu;
    nodeOf.set(cpu.id, cpu.node);
  }
  const cellOf = new Map<number, number>();
  for (const cell of pins.cells) for (const v of cell.vcpus.ids) cellOf.set(v, cell.id);
  const moved = new Map<number | undefined, string | null>(changes.filter((c) => c.element === 'vcpupin').map((c) => [c.id, c.new]));
  const tally = new Map<number | undefined, Map<number, number>>();
  for (const pin of pins.cpuPins) {
    if (pin.kind !== 'vcpupin' || pin.id === undefined) continue;
    const text = moved.has(pin.id) ? moved.get(pin.id) : pin.text;
    if (text === null || text === undefined) continue;
    for (const key of [cellOf.get(pin.id), -1]) {
      const counts = tally.get(key) ?? new Map<number, number>();
      for (const cpu of parseCpuset(text).ids) {
        const node = nodeOf.get(cpu);
        if (node !== undefined) counts.set(node, (counts.get(node) ?? 0) + 1);
      }
      tally.set(key, counts);
    }
  }
  const top = new Map<number | undefined, number>();
  for (const [cell, counts] of tally) {
    const best = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0];
    if (best) top.set(cell, best[0]);
  }
  return top;
}

/**
 * Judge (and with `move`, fix) the hugepage-backed memory after `changes`.
 * Bindings are taken in order and their pages counted off the nodes they
 * name, so two cells on one node must both fit. Undefined free counts (a
 * profile without hugepages) leave the guest unjudged.
 */
export function fitHugepages(pins: DomainPins, host: Host, memoryNodes: CpuSet, changes: readonly Change[], move: boolean): HugepageFit {
  const result: HugepageFit = { changes: [...changes], notes: [], misfits: [], split: new Map(), claims: [] };
  if (!pins.hugepages || pins.hugepages.length === 0) return result;
  const after = new Map<NodePin, string | null>();
  for (const pin of pins.nodePins) {
    const c = changes.find((ch) => ch.element === pin.kind && ch.id === pin.id);
    after.set(pin, c ? c.new : pin.text);
  }
  const needs = needsOf(pins, host, after);
  if (needs.some((n) => memoryNodes.ids.some((node) => freeOn(host, node, n.pageKb) === undefined))) return result;
  const left = new Map<string, number>();
  const remaining = (node: number, pageKb: number): number => left.get(`${node}/${pageKb}`) ?? freeOn(host, node, pageKb) ?? 0;
  const take = (nodes: readonly number[], need: Need): void => {
    let wanted = need.pages;
    for (const node of nodes) {
      const got = Math.min(wanted, remaining(node, need.pageKb));
      left.set(`${node}/${need.pageKb}`, remaining(node, need.pageKb) - got);
      if (got > 0) result.claims.push({ node, sizeKb: need.pageKb, pages: got });
      wanted -= got;
    }
  };
  let votes: Map<number | undefined, number> | undefined;
  for (const need of needs) {
    const text = need.pin ? after.get(need.pin) : undefined;
    const bound = (text ? parseCpuset(text) : memoryNodes).ids;
    const free = bound.reduce((sum, node) => sum + remaining(node, need.pageKb), 0);
    if (free >= need.pages) {
      take(bound, need);
      continue;
    }
    const where = bound.length === 1 ? `node ${bound[0]} has` : `nodes ${CpuSet.of(bound).toString()} have`;
    const numbers = `${where} ${free} free ${need.pageKb} kB pages, ${who(need)} ${need.pages}`;
    const pin = need.pin;
    if (!move || !pin) {
      result.misfits.push(`${label(need)}: ${numbers}`);
      continue;
    }
    votes ??= cellNodes(pins, host, changes);
    const preferred = votes.get(need.cells.length === 1 ? need.cells[0] : -1) ?? votes.get(-1);
    const candidates = memoryNodes.ids.filter((node) => remaining(node, need.pageKb) >= need.pages);
    const target = candidates.includes(preferred ?? -1) ? preferred : candidates.sort((a, b) => remaining(b, need.pageKb) - remaining(a, need.pageKb) || a - b)[0];
    if (target === undefined) {
      result.misfits.push(`${label(need)}: ${numbers}; no node with memory here has ${need.pages} free`);
      continue;
    }
    const why = target === preferred ? `, where its vCPUs are` : '';
    const rule = `remap: ${numbers}; node ${target} has ${remaining(target, need.pageKb)}${why}`;
    take([target], need);
    const index = result.changes.findIndex((c) => c.element === pin.kind && c.id === pin.id);
    const moved = change(pin, String(target), rule);
    if (index >= 0) result.changes[index] = { ...moved, old: result.changes[index]?.old ?? pin.text, rule: `${result.changes[index]?.rule}; then ${rule}` };
    else result.changes.push(moved);
    const cell = need.cells.length === 1 ? need.cells[0] : undefined;
    if (preferred !== undefined && preferred !== target && cell !== undefined) result.split.set(cell, target);
    if (preferred !== undefined && preferred !== target) {
      result.notes.push(`${label(need)} moved to node ${target} for its huge pages while its vCPUs stay on node ${preferred}`);
    }
  }
  return result;
}

/**
 * The huge pages a guest takes per node with `changes` applied, for its
 * reservation while it arrives: another guest planned meanwhile must not
 * count them as free. Empty for a guest without hugepages.
 */
export function hugepageClaims(pins: DomainPins, host: Host, memoryNodes: CpuSet, changes: readonly Change[]): HugepageClaim[] {
  return fitHugepages(pins, host, memoryNodes, changes, false).claims;
}

/** The host with other arriving guests' claimed pages taken off each node's free count (only nodes with claims are copied). */
export function withoutClaims(host: Host, claims: readonly HugepageClaim[]): Host {
  if (claims.length === 0) return host;
  const nodes = host.nodes.map((node) => {
    const mine = claims.filter((c) => c.node === node.id);
    if (mine.length === 0 || !node.hugepages) return node;
    const hugepages = node.hugepages.map((h) => {
      const claimed = mine.filter((c) => c.sizeKb === h.sizeKb).reduce((sum, c) => sum + c.pages, 0);
      return { ...h, free: Math.max(0, h.free - claimed) };
    });
    return { id: node.id, cpus: node.cpus, hasMemory: node.hasMemory, hugepages };
  });
  return { ...host, nodes };
}
