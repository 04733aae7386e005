// Hands out substitute CPUs for remap, best first: free CPUs on the wanted
// node, free CPUs elsewhere, CPUs other domains float over, CPUs this domain
// already uses (shared, least used first), and CPUs other domains hold
// exclusively (only with overcommit). Linear in host size: per-node lists
// are walked with cursors, never rescanned from the start.
import type { CpuSet } from './cpuset.js';
import type { Host } from './host.js';

export type Tier = 'free' | 'floating' | 'shared' | 'overcommit';

export interface Grant {
  readonly cpu: number;
  readonly tier: Tier;
  readonly node: number;
}

interface NodeLists {
  readonly free: number[];
  freeCursor: number;
  readonly floating: number[];
  floatingCursor: number;
  /** Free CPUs grouped by physical core, for sibling groups. */
  readonly cores: number[][];
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
  readonly heldByOthers: CpuSet;
  readonly floatingByOthers: CpuSet;
  readonly overcommit: boolean;
}

export class CpuAllocator {
  private readonly taken = new Set<number>();
  private readonly useCount = new Map<number, number>();
  private readonly byNode = new Map<number, NodeLists>();
  private readonly nodeOf = new Map<number, number>();
  private readonly held: number[];

  constructor(private readonly input: AllocatorInput) {
    const coreKey = new Map<string, number[]>();
    for (const cpu of input.host.cpus) {
      if (!input.pool.has(cpu.id)) continue;
      this.nodeOf.set(cpu.id, cpu.node);
      let lists = this.byNode.get(cpu.node);
      if (!lists) {
        lists = { free: [], freeCursor: 0, floating: [], floatingCursor: 0, cores: [], coreCursor: 0, widestCore: 0, freeSet: new Set() };
        this.byNode.set(cpu.node, lists);
      }
      if (input.ownUsed.has(cpu.id)) {
        this.useCount.set(cpu.id, 1);
        continue;
      }
      if (input.heldByOthers.has(cpu.id)) continue;
      if (input.floatingByOthers.has(cpu.id)) {
        lists.floating.push(cpu.id);
        continue;
      }
      lists.free.push(cpu.id);
      lists.freeSet.add(cpu.id);
      const key = `${cpu.node}/${cpu.socket}/${cpu.core}`;
      let core = coreKey.get(key);
      if (!core) {
        core = [];
        coreKey.set(key, core);
        lists.cores.push(core);
      }
      core.push(cpu.id);
      lists.widestCore = Math.max(lists.widestCore, core.length);
    }
    this.held = input.pool.ids.filter((id) => input.heldByOthers.has(id) && !input.ownUsed.has(id));
  }

  /** Nodes that have CPUs in the pool, most free CPUs first. */
  nodesByFreeCount(): number[] {
    return [...this.byNode.entries()].sort((a, b) => b[1].free.length - a[1].free.length || a[0] - b[0]).map(([node]) => node);
  }

  nodeOfCpu(cpu: number): number | undefined {
    return this.nodeOf.get(cpu);
  }

  /** `count` free sibling threads of one core on `node`, or undefined. */
  takeSiblings(node: number, count: number): Grant[] | undefined {
    const lists = this.byNode.get(node);
    if (!lists || count < 2 || count > lists.widestCore) return undefined;
    const untaken = (core: readonly number[]): number[] => core.filter((cpu) => !this.taken.has(cpu));
    while (lists.coreCursor < lists.cores.length && untaken(lists.cores[lists.coreCursor] ?? []).length < 2) lists.coreCursor++;
    for (let i = lists.coreCursor; i < lists.cores.length; i++) {
      const free = untaken(lists.cores[i] ?? []);
      if (free.length >= count) return free.slice(0, count).map((cpu) => this.grant(cpu, 'free', node));
    }
    return undefined;
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

  private next(node: number, tier: 'free' | 'floating'): number | undefined {
    const lists = this.byNode.get(node);
    if (!lists) return undefined;
    const list = tier === 'free' ? lists.free : lists.floating;
    let cursor = tier === 'free' ? lists.freeCursor : lists.floatingCursor;
    while (cursor < list.length && this.taken.has(list[cursor] ?? -1)) cursor++;
    if (tier === 'free') lists.freeCursor = cursor;
    else lists.floatingCursor = cursor;
    return list[cursor];
  }

  private leastUsed(node: number | undefined): number | undefined {
    let best: number | undefined;
    let bestCount = Infinity;
    let bestOnNode = false;
    for (const [cpu, count] of this.useCount) {
      const onNode = node !== undefined && this.nodeOf.get(cpu) === node;
      if (count < bestCount || (count === bestCount && onNode && !bestOnNode) || (count === bestCount && onNode === bestOnNode && best !== undefined && cpu < best)) {
        best = cpu;
        bestCount = count;
        bestOnNode = onNode;
      }
    }
    return best;
  }

  private grant(cpu: number, tier: Tier, node: number): Grant {
    this.taken.add(cpu);
    this.useCount.set(cpu, (this.useCount.get(cpu) ?? 0) + 1);
    return { cpu, tier, node };
  }
}
