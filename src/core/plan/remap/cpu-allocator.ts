// Hands out substitute CPUs for remap, best first: free CPUs on the wanted
// node, free CPUs elsewhere, CPUs other domains float over, CPUs no vCPU of
// this domain holds alone (its floating pins': a multi-CPU emulatorpin,
// iothreadpin, vcpupin or <vcpu cpuset>; its emulator's), CPUs one of its
// vCPUs holds (shared, least used first: the squeeze), and CPUs other domains
// hold exclusively (only with overcommit). Free and floating lists are walked
// with cursors, never rescanned; the shared tier keeps a heap per node.
import type { CpuSet } from '../../cpuset.js';
import type { Host, HostCpu } from '../../host/host.js';
import { UseHeap, type UseEntry } from './use-heap.js';

export type Tier = 'free' | 'floating' | 'own-floating' | 'shared' | 'overcommit';

export interface Grant {
  readonly cpu: number;
  readonly tier: Tier;
  readonly node: number;
  /** Said in the plan instead of the tier: why this CPU (a realtime vCPU's own CPU). */
  readonly why?: string;
}

interface NodeLists {
  readonly free: number[];
  freeCursor: number;
  readonly floating: number[];
  floatingCursor: number;
  /** CPUs only this domain's floating pins use. */
  readonly ownFloating: number[];
  ownFloatingCursor: number;
  /**
   * Free CPUs grouped by physical core, for sibling groups: built on the first
   * sibling request for the node, so only the nodes asked read their SMT topology.
   */
  cores?: number[][];
  /** The ownFloating CPUs by physical core, for sibling groups once nothing free or floating is left. */
  ownCores?: number[][];
  /** Cores before this one have fewer than two untaken CPUs left: no sibling group fits there again. */
  coreCursor: number;
  /** Most CPUs of any one core: a larger group cannot be placed on siblings here. */
  widestCore: number;
  /** The CPUs that were free at the start (takeIfFree asks without a scan). */
  readonly freeSet: Set<number>;
}

export interface AllocatorInput {
  readonly host: Host;
  readonly pool: CpuSet;
  /** CPUs this domain keeps using (pins that fit). */
  readonly ownUsed: CpuSet;
  /** Of those, the CPUs a kept vCPU holds alone; the rest only the domain's floating pins or its emulator use. */
  readonly ownHeld?: CpuSet;
  readonly heldByOthers: CpuSet;
  readonly floatingByOthers: CpuSet;
  readonly overcommit: boolean;
  /** CPUs a realtime vCPU of this domain keeps: never shared (no shared or own-floating grant). */
  readonly alone?: CpuSet;
  /** Isolated CPUs (isolated, nohz_full): preferred by takeAlone. */
  readonly isolated?: CpuSet;
}

export class CpuAllocator {
  private readonly taken = new Set<number>();
  private readonly useCount = new Map<number, number>();
  private readonly byNode = new Map<number, NodeLists>();
  private readonly nodeOf = new Map<number, number>();
  private readonly cpuOf = new Map<number, HostCpu>();
  private readonly held: number[];
  /** CPUs given to (or kept by) a realtime vCPU: the shared tier skips them. */
  private readonly alone = new Set<number>();
  /** The shared tier's candidates by node, least used first (built when first needed). */
  private sharedHeaps: Map<number, UseHeap> | undefined;

  constructor(private readonly input: AllocatorInput) {
    // Index loops over the host's CPUs here and in the other per-CPU and per-vCPU loops of a
    // remap: in code that runs once, for-of allocates an iterator result per step.
    const cpus = input.host.cpus;
    for (let i = 0; i < cpus.length; i++) {
      const cpu = cpus[i] as HostCpu;
      if (!input.pool.has(cpu.id)) continue;
      this.nodeOf.set(cpu.id, cpu.node);
      this.cpuOf.set(cpu.id, cpu);
      let lists = this.byNode.get(cpu.node);
      if (!lists) {
        lists = {
          free: [],
          freeCursor: 0,
          floating: [],
          floatingCursor: 0,
          ownFloating: [],
          ownFloatingCursor: 0,
          coreCursor: 0,
          widestCore: 0,
          freeSet: new Set(),
        };
        this.byNode.set(cpu.node, lists);
      }
      if (input.ownUsed.has(cpu.id)) {
        this.useCount.set(cpu.id, 1);
        if (input.ownHeld && !input.ownHeld.has(cpu.id)) lists.ownFloating.push(cpu.id);
        continue;
      }
      if (input.heldByOthers.has(cpu.id)) continue;
      if (input.floatingByOthers.has(cpu.id)) {
        lists.floating.push(cpu.id);
        continue;
      }
      lists.free.push(cpu.id);
      lists.freeSet.add(cpu.id);
    }
    this.held = input.pool.ids.filter((id) => input.heldByOthers.has(id) && !input.ownUsed.has(id));
    for (const id of input.alone?.ids ?? []) this.alone.add(id);
  }

  /**
   * A free CPU no other thread will be given, for a realtime vCPU: an
   * isolated one first (on `node`, then elsewhere), then any free one;
   * undefined when no CPU is free.
   */
  takeAlone(node: number | undefined): Grant | undefined {
    const order = this.nodeOrder(node);
    const isolated = this.input.isolated;
    let grant: Grant | undefined;
    if (isolated && !isolated.isEmpty) {
      for (const n of order) {
        const cpu = this.byNode.get(n)?.free.find((id) => isolated.has(id) && !this.taken.has(id));
        if (cpu !== undefined) {
          grant = this.grant(cpu, 'free', n);
          break;
        }
      }
    }
    if (!grant) {
      for (const n of order) {
        const cpu = this.next(n, 'free');
        if (cpu !== undefined) {
          grant = this.grant(cpu, 'free', n);
          break;
        }
      }
    }
    if (!grant) return undefined;
    this.alone.add(grant.cpu);
    return { ...grant, why: isolated?.has(grant.cpu) ? 'realtime, alone, isolated' : 'realtime, alone' };
  }

  /** Nodes that have CPUs in the pool, most free CPUs first. */
  nodesByFreeCount(): number[] {
    return [...this.byNode.entries()].sort((a, b) => b[1].free.length - a[1].free.length || a[0] - b[0]).map(([node]) => node);
  }

  nodeOfCpu(cpu: number): number | undefined {
    return this.nodeOf.get(cpu);
  }

  /**
   * `count` free sibling threads of one core on `node`, or undefined. Once no
   * CPU is free or floating anywhere, sibling threads that only the domain's
   * floating pins use (the next tier of take) serve instead, unless the group
   * must be `alone` (realtime vCPUs: free threads only, never shared later).
   */
  takeSiblings(node: number, count: number, alone = false): Grant[] | undefined {
    const lists = this.byNode.get(node);
    if (!lists || count < 2) return undefined;
    if (alone) {
      const grants = this.takeFreeSiblings(node, lists, count);
      for (const g of grants ?? []) this.alone.add(g.cpu);
      return grants?.map((g) => ({ ...g, why: 'realtime, alone, host siblings' }));
    }
    return this.takeFreeSiblings(node, lists, count) ?? this.takeOwnFloatingSiblings(node, lists, count);
  }

  /** Keep this granted CPU out of every later shared grant (a realtime vCPU took it). */
  markAlone(cpu: number): void {
    this.alone.add(cpu);
  }

  private takeOwnFloatingSiblings(node: number, lists: NodeLists, count: number): Grant[] | undefined {
    if (lists.ownFloating.length < count) return undefined;
    for (const n of this.byNode.keys()) if (this.next(n, 'free') !== undefined || this.next(n, 'floating') !== undefined) return undefined;
    lists.ownCores ??= this.groupByCore(lists.ownFloating).cores;
    for (const core of lists.ownCores) {
      if (this.untaken(core) < count) continue;
      const grants: Grant[] = [];
      for (let j = 0; j < core.length && grants.length < count; j++) {
        const cpu = core[j] as number;
        if (!this.taken.has(cpu)) grants.push(this.grant(cpu, 'own-floating', node));
      }
      return grants;
    }
    return undefined;
  }

  private takeFreeSiblings(node: number, lists: NodeLists, count: number): Grant[] | undefined {
    const cores = (lists.cores ??= this.coresOf(lists));
    if (count > lists.widestCore) return undefined;
    while (lists.coreCursor < cores.length && this.untaken(cores[lists.coreCursor]) < 2) lists.coreCursor++;
    for (let i = lists.coreCursor; i < cores.length; i++) {
      const core = cores[i] ?? [];
      if (this.untaken(core) < count) continue;
      const grants: Grant[] = [];
      for (let j = 0; j < core.length && grants.length < count; j++) {
        const cpu = core[j] as number;
        if (!this.taken.has(cpu)) grants.push(this.grant(cpu, 'free', node));
      }
      return grants;
    }
    return undefined;
  }

  /** How many of a core's CPUs are not taken yet (counted, not listed: asked once or twice per guest core). */
  private untaken(core: readonly number[] = []): number {
    let count = 0;
    for (let i = 0; i < core.length; i++) if (!this.taken.has(core[i] as number)) count++;
    return count;
  }

  /** The node's CPUs that were free at the start, by physical core in order of their first CPU. */
  private coresOf(lists: NodeLists): number[][] {
    const { cores, widest } = this.groupByCore(lists.free);
    lists.widestCore = widest;
    return cores;
  }

  /** CPUs by physical core, in order of each core's first CPU in `ids`. */
  private groupByCore(ids: readonly number[]): { cores: number[][]; widest: number } {
    const byKey = new Map<string, number[]>();
    const cores: number[][] = [];
    let widest = 0;
    for (const id of ids) {
      const cpu = this.cpuOf.get(id);
      const key = cpu ? `${cpu.socket}/${cpu.core}` : `cpu/${id}`;
      let core = byKey.get(key);
      if (!core) {
        core = [];
        byKey.set(key, core);
        cores.push(core);
      }
      core.push(id);
      widest = Math.max(widest, core.length);
    }
    return { cores, widest };
  }

  /**
   * The other SMT threads of a CPU in the pool (kept pins are), asked only for
   * the CPUs a guest keeps: a host read from sysfs reads just their nodes' topology.
   */
  siblingsOf(cpu: number): number[] {
    return (this.cpuOf.get(cpu)?.siblings.ids ?? []).filter((s) => s !== cpu);
  }

  /** This CPU, if it is still free (tier 'free'); used to complete a sibling pair. */
  takeIfFree(cpu: number): Grant | undefined {
    const node = this.nodeOf.get(cpu);
    if (node === undefined || this.taken.has(cpu) || this.useCount.has(cpu)) return undefined;
    if (!this.byNode.get(node)?.freeSet.has(cpu)) return undefined;
    return this.grant(cpu, 'free', node);
  }

  /** The best single CPU, preferring `node`; undefined only when the pool has nothing to give. */
  take(node: number | undefined): Grant | undefined {
    const order = this.nodeOrder(node);
    for (const n of order) {
      const cpu = this.next(n, 'free');
      if (cpu !== undefined) return this.grant(cpu, 'free', n);
    }
    for (const n of order) {
      const cpu = this.next(n, 'floating');
      if (cpu !== undefined) return this.grant(cpu, 'floating', n);
    }
    for (const n of order) {
      const cpu = this.next(n, 'own-floating');
      if (cpu !== undefined && !this.alone.has(cpu)) return this.grant(cpu, 'own-floating', n);
    }
    const shared = this.leastUsed(node);
    if (shared !== undefined) return this.grant(shared, 'shared', this.nodeOf.get(shared) ?? 0);
    if (this.input.overcommit) {
      const cpu = this.held[0];
      if (cpu !== undefined) return this.grant(cpu, 'overcommit', this.nodeOf.get(cpu) ?? 0);
    }
    return undefined;
  }

  private nodeOrder(node: number | undefined): number[] {
    const all = this.nodesByFreeCount();
    return node === undefined ? all : [node, ...all.filter((n) => n !== node)];
  }

  private next(node: number, tier: 'free' | 'floating' | 'own-floating'): number | undefined {
    const lists = this.byNode.get(node);
    if (!lists) return undefined;
    const list = tier === 'free' ? lists.free : tier === 'floating' ? lists.floating : lists.ownFloating;
    let cursor = tier === 'free' ? lists.freeCursor : tier === 'floating' ? lists.floatingCursor : lists.ownFloatingCursor;
    while (cursor < list.length && this.taken.has(list[cursor] ?? -1)) cursor++;
    if (tier === 'free') lists.freeCursor = cursor;
    else if (tier === 'floating') lists.floatingCursor = cursor;
    else lists.ownFloatingCursor = cursor;
    return list[cursor];
  }

  /**
   * The CPU this domain uses least, preferring `node`, then the lowest id.
   * Only reached once no CPU is free or floating anywhere, so from then on
   * the candidates are fixed and each grant adds one use: per-node heaps
   * keep every pick at O(nodes + log CPUs), not a scan of the pool.
   */
  private leastUsed(node: number | undefined): number | undefined {
    this.sharedHeaps ??= this.buildSharedHeaps();
    let best: UseEntry | undefined;
    let bestOnNode = false;
    for (const [n, heap] of this.sharedHeaps) {
      const top = heap.peek();
      if (!top) continue;
      const onNode = n === node;
      if (!best || top.count < best.count || (top.count === best.count && (onNode !== bestOnNode ? onNode : top.cpu < best.cpu))) {
        best = top;
        bestOnNode = onNode;
      }
    }
    return best?.cpu;
  }

  private buildSharedHeaps(): Map<number, UseHeap> {
    const heaps = new Map<number, UseHeap>();
    for (const [cpu, count] of this.useCount) {
      if (this.alone.has(cpu)) continue;
      const node = this.nodeOf.get(cpu) ?? -1;
      let heap = heaps.get(node);
      if (!heap) heaps.set(node, (heap = new UseHeap()));
      heap.push({ cpu, count });
    }
    return heaps;
  }

  private grant(cpu: number, tier: Tier, node: number): Grant {
    this.taken.add(cpu);
    const count = (this.useCount.get(cpu) ?? 0) + 1;
    this.useCount.set(cpu, count);
    const heap = this.sharedHeaps?.get(this.nodeOf.get(cpu) ?? -1);
    // A shared grant is always its node's top (leastUsed chose it); any other grant changes the candidates.
    if (tier === 'shared' && heap?.peek()?.cpu === cpu) {
      heap.pop();
      heap.push({ cpu, count });
    } else {
      this.sharedHeaps = undefined;
    }
    return { cpu, tier, node };
  }
}
