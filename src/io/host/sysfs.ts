// Read the local host from sysfs and procfs under a root dir: online CPUs,
// SMT siblings, NUMA nodes, and what guests may really use — online ∩ the
// cpuset cgroup their QEMU runs in (cgroup-limits.ts; docs/libvirt-hooks.md,
// "What the host really lets a process use"). Sync reads: it runs in a
// short-lived hook.
import { CpuSet } from '../../core/cpuset.js';
import { HostError, RepinError } from '../../core/errors.js';
import type { Host, HostCpu, HostExtras, HostNode } from '../../core/host/host.js';
import { readCpuCgroupVersion, readGuestCpuset, type Limits } from './cgroup-limits.js';
import { readDefaultHugepageKb, readIsolated, readNodeHugepages } from './fit-sysfs.js';
import { listIds, readId, readList, readText, under } from './sysfs-files.js';

/**
 * Read the host this process runs on; `root` is `/` outside tests. `guestCpuset`:
 * how to find the guests' cgroup (a command that is not the hook passes its own).
 */
export function readHost(root: string, name?: string, guestCpuset: (root: string) => Limits = readGuestCpuset): Host {
  try {
    return readHostUnder(root, name, guestCpuset);
  } catch (err) {
    if (err instanceof RepinError) throw err;
    throw new HostError(`cannot read the host under ${root}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

function readHostUnder(root: string, name: string | undefined, guestCpuset: (root: string) => Limits): Host {
  const cpuDir = under(root, 'sys/devices/system/cpu');
  const online = readOnline(cpuDir);
  const placement = readNodes(under(root, 'sys/devices/system/node'), online);

  const cgroup = guestCpuset(root);
  const usable = cgroup.cpus ? online.intersect(cgroup.cpus) : online;
  const nodeIds = CpuSet.of(placement.nodes.map((n) => n.id));
  const usableNodes = cgroup.mems ? nodeIds.intersect(cgroup.mems) : nodeIds;

  if (usable.isEmpty) {
    throw new HostError(
      `no usable CPU under ${root}: online ${online.toString()}, ` +
        `guests' cgroup cpuset ${cgroup.cpus?.toString() ?? '(none)'}${cgroup.cpusFrom ? ` (${cgroup.cpusFrom})` : ''}`,
    );
  }
  const hostname = readText(under(root, 'proc/sys/kernel/hostname'))?.trim();
  const topology = new Topology(cpuDir, placement);
  const cpus = online.ids.map((id) => topology.cpu(id));
  const cpuCgroup = readCpuCgroupVersion(root);
  const host: Host = { name: name ?? (hostname || 'localhost'), cpus, usable, nodes: placement.nodes, usableNodes, ...(cpuCgroup === undefined ? {} : { cpuCgroup }) };
  return withLazyExtras(host, root, cpuDir);
}

/** The host's extras, read on first use (getters, like each node's hugepages). */
function withLazyExtras(host: Host, root: string, cpuDir: string): Host {
  let hugeKb: number | undefined | null = null;
  let isolated: CpuSet | undefined;
  const extras: HostExtras = Object.defineProperties(
    {},
    {
      defaultHugepageKb: { enumerable: true, get: () => (hugeKb === null ? (hugeKb = readDefaultHugepageKb(root)) : hugeKb) },
      isolated: { enumerable: true, get: () => (isolated ??= readIsolated(cpuDir)) },
    },
  );
  return { ...host, extras };
}

// --- CPUs and nodes ----------------------------------------------------------

function readOnline(cpuDir: string): CpuSet {
  const listed = readList(under(cpuDir, 'online'), 'online CPU list');
  if (listed && !listed.isEmpty) return listed;
  // No `online` file: count cpuN dirs; cpu0 often has no `online` file of its own (not hot-pluggable).
  const ids = listIds(cpuDir, /^cpu(\d+)$/).filter((id) => (readText(under(cpuDir, `cpu${id}`, 'online'))?.trim() ?? '1') !== '0');
  if (ids.length === 0) throw new HostError(`no online CPU found in ${cpuDir}`);
  return CpuSet.of(ids);
}

type CpuTopology = Pick<HostCpu, 'core' | 'socket' | 'siblings'>;

/**
 * SMT and package topology, read one NUMA node at a time when something first
 * asks for a core, socket or sibling set on it. The files are one per core
 * (and one per package; each ~20 µs to open and read): a guest that fits never
 * reads them, and a remap reads only the nodes it draws substitutes from. SMT
 * siblings are taken from the CPU's own node (they share a core, so a node).
 */
class Topology {
  private readonly known = new Map<number, CpuTopology>();
  private readonly socketOf = new Map<number, number>();
  private packageLists = true;

  constructor(
    private readonly cpuDir: string,
    private readonly placement: Placement,
  ) {}

  /** A CPU whose core, socket and siblings are read on first use. */
  cpu(id: number): HostCpu {
    return new SysfsCpu(id, this.placement.nodeOf.get(id) ?? 0, this);
  }

  of(id: number, node: number): CpuTopology {
    let found = this.known.get(id);
    if (!found) {
      const cpus = this.placement.nodes.find((n) => n.id === node)?.cpus ?? CpuSet.one(id);
      try {
        this.readNode(cpus);
      } catch (err) {
        if (err instanceof RepinError) throw err;
        throw new HostError(`cannot read the CPU topology under ${this.cpuDir}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      }
      found = this.known.get(id) ?? { core: id, socket: 0, siblings: CpuSet.one(id) };
    }
    return found;
  }

  private readNode(cpus: CpuSet): void {
    const { known, socketOf } = this;
    for (let i = 0; i < cpus.ids.length; i++) {
      const id = cpus.ids[i] as number;
      if (known.has(id)) continue;
      // A CPU unplugged since `online` was read loses its topology dir: its files read as defaults.
      const topo = under(this.cpuDir, `cpu${id}`, 'topology');
      const listed =
        readList(under(topo, 'thread_siblings_list'), 'thread siblings') ?? readList(under(topo, 'core_cpus_list'), 'core CPUs');
      // A sibling already placed (its own files gone mid-read) keeps its own set: sets stay symmetric.
      let siblings = listed ? CpuSet.of(listed.ids.filter((cpu) => cpus.has(cpu) && !known.has(cpu))) : CpuSet.empty;
      if (!siblings.ids.includes(id)) siblings = siblings.union(CpuSet.one(id));
      // A core is named by its lowest thread: unique host-wide, and one file per core fewer than core_id.
      const core = siblings.ids[0] ?? id;
      let socket = socketOf.get(id);
      if (socket === undefined) {
        const packageId = readId(under(topo, 'physical_package_id'));
        socket = packageId ?? 0;
        if (packageId !== undefined && this.packageLists) {
          // package_cpus_list is the newer name of core_siblings_list; older kernels have only the latter.
          const members =
            readList(under(topo, 'package_cpus_list'), 'package CPUs') ?? readList(under(topo, 'core_siblings_list'), 'package CPUs');
          if (members) for (const member of members.ids) socketOf.set(member, packageId);
          else this.packageLists = false;
        }
      }
      const facts = { core, socket, siblings };
      for (const member of siblings.ids) if (!known.has(member)) known.set(member, facts);
    }
  }
}

/** One online CPU of a sysfs host; its topology getters ask the node's Topology. */
class SysfsCpu implements HostCpu {
  readonly #topology: Topology;

  constructor(
    readonly id: number,
    readonly node: number,
    topology: Topology,
  ) {
    this.#topology = topology;
  }

  get core(): number {
    return this.#topology.of(this.id, this.node).core;
  }

  get socket(): number {
    return this.#topology.of(this.id, this.node).socket;
  }

  get siblings(): CpuSet {
    return this.#topology.of(this.id, this.node).siblings;
  }
}

interface Placement {
  nodeOf: Map<number, number>;
  nodes: HostNode[];
}

/** Nodes from each nodeN/cpulist, read once; CPUs no node claims go to node 0. */
function readNodes(nodeDir: string, online: CpuSet): Placement {
  const nodeOf = new Map<number, number>();
  const nodeIds = listIds(nodeDir, /^node(\d+)$/);
  if (nodeIds.length === 0) return { nodeOf, nodes: [{ id: 0, cpus: online, hasMemory: true }] };

  // Index loops over CPUs: in code that runs once, for-of allocates an iterator result per step.
  for (const node of nodeIds) {
    const { ids } = readList(under(nodeDir, `node${node}`, 'cpulist'), `node ${node} CPU list`) ?? CpuSet.empty;
    for (let i = 0; i < ids.length; i++) {
      const cpu = ids[i] as number;
      if (online.has(cpu) && !nodeOf.has(cpu)) nodeOf.set(cpu, node);
    }
  }
  const members = new Map<number, number[]>(nodeIds.map((n) => [n, []]));
  for (let i = 0; i < online.ids.length; i++) {
    const cpu = online.ids[i] as number;
    const node = nodeOf.get(cpu) ?? 0;
    let list = members.get(node);
    if (!list) members.set(node, (list = []));
    list.push(cpu);
  }
  const withMemory = readList(under(nodeDir, 'has_memory'), 'node list');
  const nodes = [...members.keys()]
    .sort((a, b) => a - b)
    .map((id) => {
      let hugepages: HostNode['hugepages'];
      const node = {
        id,
        cpus: CpuSet.of(members.get(id) ?? []),
        hasMemory: withMemory ? withMemory.has(id) : meminfoHasMemory(under(nodeDir, `node${id}`, 'meminfo')),
      };
      // Read on first use: only a hugepage-backed guest's plan asks.
      return Object.defineProperty(node, 'hugepages', { enumerable: true, get: () => (hugepages ??= readNodeHugepages(nodeDir, id)) });
    });
  return { nodeOf, nodes };
}

/** `Node 0 MemTotal:  16318796 kB`; without the file, assume the node has memory. */
function meminfoHasMemory(path: string): boolean {
  const match = /MemTotal:\s*(\d+)/.exec(readText(path) ?? '');
  return match ? Number(match[1]) > 0 : true;
}
