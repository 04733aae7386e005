// remap (default): keep every pin that fits; build one substitution map for
// the CPUs that do not fit and apply it to every element, so relationships
// survive: distinct CPUs stay distinct, shared CPUs stay shared, guest SMT
// siblings land on host siblings, and one guest cell's vCPUs land on one node
// with its memnode following. Nodesets naming missing nodes are mapped too.
import { CpuAllocator, type Grant } from './cpu-allocator.js';
import { CpuSet, parseCpuset } from '../../cpuset.js';
import { isDedicated, vcpuCpusetInUse, type CpuPin, type DomainPins, type NodePin } from '../../domain/pins.js';
import { cpuPinFits, type Misfits } from '../fit.js';
import type { Host, HostCpu } from '../../host/host.js';
import type { Change } from '../plan.js';
import { poolFor, type Pools } from '../pools.js';
import { change } from '../release-pin.js';
import { NodeVotes } from './node-votes.js';
import { planCellNodes } from './cells.js';
import { collectDemands, orderDemands, vcpuCells, type Demand } from './demands.js';
import { placementNotes } from './outcome.js';

export interface RemapOptions {
  readonly overcommit?: boolean;
  /** Guest cells to move whole to a host node (cell → node): their vCPUs on other nodes are moved too (hugepage-fit.ts). */
  readonly relocate?: ReadonlyMap<number, number>;
}

export interface RemapResult {
  readonly changes: Change[];
  readonly notes: string[];
  /** Set when even sharing cannot place a CPU (pool empty, or only others' exclusive CPUs left). */
  readonly refusal?: string;
}

export function remapChanges(
  pins: DomainPins,
  misfits: Misfits,
  host: Host,
  pools: Pools,
  held: CpuSet | undefined,
  options: RemapOptions,
): RemapResult {
  const notes: string[] = [];
  const cellOf = vcpuCells(pins);
  const away = relocation(pins, cellOf, host, options.relocate);
  const misfitting = new Set([...misfits.cpu, ...pins.cpuPins.filter((pin) => pin.cpus.ids.some((cpu) => away(pin, cpu)))]);
  // One substitution map per pool: with separate emulator CPUs, vCPU and emulator pins cannot share anyway.
  const classes = pools.vcpu.equals(pools.emulator)
    ? [{ pool: pools.vcpu, pins: pins.cpuPins }]
    : [
        { pool: pools.vcpu, pins: pins.cpuPins.filter((p) => p.kind === 'vcpu' || p.kind === 'vcpupin') },
        { pool: pools.emulator, pins: pins.cpuPins.filter((p) => p.kind === 'emulatorpin' || p.kind === 'iothreadpin') },
      ];
  const grants = new Map<CpuPin, Map<number, Grant>>();
  for (const { pool, pins: classPins } of classes) {
    if (!classPins.some((pin) => misfitting.has(pin))) continue;
    const result = substitutes({ pins, cellOf, classPins, pool, pools, host, held, overcommit: options.overcommit === true, away, relocate: options.relocate });
    if ('refusal' in result) return { changes: [], notes, refusal: result.refusal };
    notes.push(...result.notes);
    for (const pin of classPins) if (misfitting.has(pin)) grants.set(pin, result.map);
  }
  const changes: Change[] = [];
  for (const pin of pins.cpuPins) {
    const map = grants.get(pin);
    const moved = map && applyMap(pin, map, pools, held, away);
    if (moved) changes.push(moved);
  }
  changes.push(...remapNodePins(pins, cellOf, misfits.node, pools, changes, host));
  notes.push(...placementNotes(pins, cellOf, changes, host));
  return { changes, notes };
}

interface ClassInput {
  readonly pins: DomainPins;
  /** Guest cell of each vCPU (vcpuCells). */
  readonly cellOf: ReadonlyMap<number, number>;
  readonly classPins: readonly CpuPin[];
  readonly pool: CpuSet;
  readonly pools: Pools;
  readonly host: Host;
  readonly held: CpuSet | undefined;
  readonly overcommit: boolean;
  /** A CPU of a pin that must move though it fits (its cell is relocated). */
  readonly away: (pin: CpuPin, cpu: number) => boolean;
  readonly relocate: ReadonlyMap<number, number> | undefined;
}

/** The substitution map for one pool's pins: each CPU that does not fit → the CPU that replaces it. */
function substitutes(input: ClassInput): { map: Map<number, Grant>; notes: string[] } | { refusal: string } {
  const { pins, cellOf, classPins, pool, pools, host, held } = input;
  const bad = (pin: CpuPin, cpu: number): boolean => !pool.has(cpu) || (isDedicated(pin) && !cpuPinFits(pin, pools, held)) || input.away(pin, cpu);
  const demands = collectDemands(pins, cellOf, classPins, bad);
  // CPUs the domain keeps using; a <vcpu cpuset> every thread's own pin overrides uses none.
  const superseded = !vcpuCpusetInUse(pins);
  const kept = CpuSet.of(classPins.flatMap((pin) => (superseded && pin.kind === 'vcpu' ? [] : pin.cpus.ids.filter((cpu) => !bad(pin, cpu)))));
  // CPUs a kept vCPU holds alone: a substitute goes there only after every CPU the domain's other threads use (the squeeze).
  // The emulator alone on a CPU counts as floating here: it mostly sleeps, a second vCPU does not.
  const ownHeld = CpuSet.of(classPins.flatMap((pin) => (isDedicated(pin) && pin.kind === 'vcpupin' ? pin.cpus.ids.filter((cpu) => !bad(pin, cpu)) : [])));
  const allocator = new CpuAllocator({
    host,
    pool,
    ownUsed: kept,
    ownHeld,
    heldByOthers: held ?? CpuSet.empty,
    floatingByOthers: host.occupancy?.floating ?? CpuSet.empty,
    overcommit: input.overcommit,
    alone: keptRealtimeCpus(pins, classPins, bad),
    ...(host.extras?.isolated ? { isolated: host.extras.isolated } : {}),
  });
  const cellNode = planCellNodes(pins, cellOf, demands, kept, allocator, host);
  for (const [cell, node] of input.relocate ?? []) cellNode.set(cell, node);
  const partners = keptSiblingsByGuestCore(pins, cellOf, classPins, bad, allocator);
  const map = new Map<number, Grant>();
  const notes: string[] = [];
  const shared: number[] = [];
  const overFloating: number[] = [];
  const groups = orderDemands(demands);
  // First complete guest cores whose other vCPUs kept their CPUs: their free host siblings are spoken for.
  for (const group of groups) {
    const first = group[0];
    const threads = first?.core === undefined ? [] : (partners.get(`${first.cell ?? -1}/${first.core}`) ?? []);
    for (const demand of group) {
      const grant = threads.length > 0 && !map.has(demand.cpu) ? takePartner(allocator, threads) : undefined;
      if (grant && demand.realtime !== undefined) allocator.markAlone(grant.cpu);
      if (grant) map.set(demand.cpu, demand.realtime === undefined ? grant : { ...grant, why: 'realtime, alone, host sibling' });
    }
  }
  for (const group of groups) {
    const wanted = group.filter((d) => !map.has(d.cpu));
    if (wanted.length === 0) continue;
    const node = cellNode.get(wanted[0]?.cell ?? -1) ?? cellNode.get(-1);
    const realtime = wanted[0]?.realtime !== undefined;
    const siblings = node !== undefined && wanted.length > 1 ? allocator.takeSiblings(node, wanted.length, realtime) : undefined;
    for (let i = 0; i < wanted.length; i++) {
      const demand = wanted[i] as Demand;
      if (demand.realtime !== undefined) {
        const alone = siblings?.[i] ?? allocator.takeAlone(node);
        if (!alone) {
          return {
            refusal: `remap: realtime vCPU ${demand.realtime} (vcpusched) needs a CPU no other thread uses for its CPU ${demand.cpu}; none is free (pool ${pool.toString() || 'empty'}, held by other domains ${held?.toString() || 'none'})`,
          };
        }
        map.set(demand.cpu, alone);
        continue;
      }
      const grant = siblings?.[i] ?? allocator.take(node);
      if (!grant) {
        const needed = CpuSet.of(demands.map((d) => d.cpu)).size;
        return { refusal: `remap: no CPU left for ${demand.cpu} (needed ${needed} substitutes; pool ${pool.toString() || 'empty'}, held by other domains ${held?.toString() || 'none'}, overcommit off)` };
      }
      if (grant.tier === 'shared' && demand.dedicated) shared.push(demand.cpu);
      if (grant.tier === 'own-floating' && demand.dedicated) overFloating.push(grant.cpu);
      if (grant.tier === 'overcommit') notes.push(`CPU ${grant.cpu} is held by another domain; shared because overcommit is on`);
      map.set(demand.cpu, grant);
    }
  }
  if (overFloating.length > 0) {
    notes.push(`no free CPU left: dedicated substitutes on CPUs ${CpuSet.of(overFloating).toString()}, which only the domain's own floating pins also use`);
  }
  if (shared.length > 0) notes.push(`host has too few free CPUs for distinct substitutes: ${CpuSet.of(shared).toString()} share CPUs the domain already uses`);
  return { map, notes };
}

/** Whether a CPU of a pin must move because its guest cell is relocated to another node (none without `relocate`). */
function relocation(
  pins: DomainPins,
  cellOf: ReadonlyMap<number, number>,
  host: Host,
  relocate: ReadonlyMap<number, number> | undefined,
): (pin: CpuPin, cpu: number) => boolean {
  if (!relocate || relocate.size === 0) return () => false;
  const nodeOf = new Map(host.cpus.map((c) => [c.id, c.node]));
  return (pin, cpu) => {
    if (pin.kind !== 'vcpupin' || pin.id === undefined) return false;
    const target = relocate.get(cellOf.get(pin.id) ?? -1);
    return target !== undefined && nodeOf.get(cpu) !== target;
  };
}

/** CPUs that realtime vCPUs keep (single-CPU pins that fit): no substitute may share them. */
function keptRealtimeCpus(pins: DomainPins, classPins: readonly CpuPin[], bad: (pin: CpuPin, cpu: number) => boolean): CpuSet {
  const rt = pins.realtime;
  if (!rt) return CpuSet.empty;
  return CpuSet.of(classPins.flatMap((pin) => (pin.kind === 'vcpupin' && pin.id !== undefined && rt.has(pin.id) && isDedicated(pin) ? pin.cpus.ids.filter((cpu) => !bad(pin, cpu)) : [])));
}

/** One pin through the map; the rule names each substitute and the tier it came from. */
function applyMap(pin: CpuPin, map: ReadonlyMap<number, Grant>, pools: Pools, held: CpuSet | undefined, away: (pin: CpuPin, cpu: number) => boolean): Change | undefined {
  const pool = poolFor(pin.kind, pools);
  // Once per vCPU pin: the rule is built as it goes, no closure or list of every move.
  const ids = pin.cpus.ids.slice();
  let moved = 0;
  let shown = '';
  for (let i = 0; i < ids.length; i++) {
    const cpu = ids[i] as number;
    const grant = map.get(cpu);
    if (!grant || (pool.has(cpu) && cpuPinFits(pin, pools, held) && !away(pin, cpu))) continue;
    ids[i] = grant.cpu;
    if (++moved <= 4) shown += `${moved > 1 ? ', ' : ''}${cpu}→${grant.cpu} (${grant.why ?? grant.tier}, node ${grant.node})`;
  }
  const next = CpuSet.of(ids);
  if (next.equals(pin.cpus)) return undefined;
  return change(pin, next.toString(), `remap: ${shown}${moved > 4 ? `, … ${moved - 4} more` : ''}`);
}

/** Host sibling threads of the CPUs that a guest core's other vCPUs keep (key: cell/core). */
function keptSiblingsByGuestCore(
  pins: DomainPins,
  cellOf: ReadonlyMap<number, number>,
  classPins: readonly CpuPin[],
  bad: (pin: CpuPin, cpu: number) => boolean,
  allocator: CpuAllocator,
): Map<string, number[]> {
  const partners = new Map<string, number[]>();
  if (pins.threadsPerCore < 2) return partners;
  for (const pin of classPins) {
    const cpu = pin.cpus.ids[0];
    if (pin.kind !== 'vcpupin' || pin.id === undefined || pin.cpus.size !== 1 || cpu === undefined || bad(pin, cpu)) continue;
    const key = `${cellOf.get(pin.id) ?? -1}/${Math.floor(pin.id / pins.threadsPerCore)}`;
    partners.set(key, [...(partners.get(key) ?? []), ...allocator.siblingsOf(cpu)]);
  }
  return partners;
}

function takePartner(allocator: CpuAllocator, threads: readonly number[]): Grant | undefined {
  for (const cpu of threads) {
    const grant = allocator.takeIfFree(cpu);
    if (grant) return grant;
  }
  return undefined;
}

/** Map nodes the host lacks: a cell's memory follows its vCPUs; otherwise the domain's main node. */
function remapNodePins(
  pins: DomainPins,
  cellOf: ReadonlyMap<number, number>,
  misfits: readonly NodePin[],
  pools: Pools,
  cpuChanges: readonly Change[],
  host: Host,
): Change[] {
  if (misfits.length === 0) return [];
  // Index loops: in code that runs once, for-of allocates an iterator result per step.
  const nodeOf = new Map<number, number>();
  for (let i = 0; i < host.cpus.length; i++) {
    const cpu = host.cpus[i] as HostCpu;
    nodeOf.set(cpu.id, cpu.node);
  }
  const moved = new Map<number | undefined, string | null>();
  for (let i = 0; i < cpuChanges.length; i++) {
    const c = cpuChanges[i] as Change;
    if (c.element === 'vcpupin') moved.set(c.id, c.new);
  }
  const votes = new NodeVotes();
  for (let i = 0; i < pins.cpuPins.length; i++) {
    const pin = pins.cpuPins[i] as CpuPin;
    if (pin.kind !== 'vcpupin') continue;
    const next = moved.get(pin.id);
    const { ids } = next === undefined ? pin.cpus : next === null ? CpuSet.empty : parseCpuset(next);
    for (let j = 0; j < ids.length; j++) {
      const cpu = ids[j] as number;
      const node = nodeOf.get(cpu);
      if (node === undefined || !pools.nodes.has(node)) continue;
      votes.add(pin.id === undefined ? undefined : cellOf.get(pin.id), node);
    }
  }
  const top = (cell: number): number | undefined => votes.top(cell);
  return misfits.map((pin) => {
    const kept = pin.nodes.intersect(pools.nodes);
    const cellNode = pin.cell === undefined ? undefined : top(pin.cell);
    const choice = cellNode ?? top(-1) ?? pools.nodes.ids.find((n) => !kept.has(n)) ?? pools.nodes.ids[0];
    if (choice === undefined) return change(pin, null, 'remap: host has no node with memory; binding released');
    const next = kept.union(CpuSet.of([choice]));
    const why = cellNode !== undefined ? `guest cell ${pin.cell} vCPUs are on node ${choice}` : `node ${choice} holds the domain's vCPUs or has memory`;
    return change(pin, next.toString(), `remap: ${pin.nodes.minus(pools.nodes).toString()}→${choice} (${why})`);
  });
}
