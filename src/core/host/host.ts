// What repin knows about a host: its CPUs, which of them this process may
// really use, SMT siblings and NUMA nodes. Built by src/io/host/sysfs.ts from
// the kernel, by host-json.ts from a saved profile, or by flatHost for what-ifs.
import { CpuSet } from '../cpuset.js';

/** One online logical CPU. */
export interface HostCpu {
  readonly id: number;
  /** The core, named by its lowest online thread (from `topology/thread_siblings_list`): unique host-wide. */
  readonly core: number;
  /** `topology/physical_package_id`. */
  readonly socket: number;
  /** NUMA node holding the CPU (0 on hosts without NUMA information). */
  readonly node: number;
  /** `topology/thread_siblings_list`, including the CPU itself. */
  readonly siblings: CpuSet;
}

/** Huge pages of one size on one node (`nodeN/hugepages/hugepages-<kB>kB`). */
export interface NodeHugepages {
  readonly sizeKb: number;
  /** `free_hugepages`: what a guest starting now can map. */
  readonly free: number;
  /** `nr_hugepages`: reserved on the node, free or not. */
  readonly total: number;
}

export interface HostNode {
  readonly id: number;
  readonly cpus: CpuSet;
  /** Whether the node has memory (`N_MEMORY`): nodesets may only name these. */
  readonly hasMemory: boolean;
  /** Huge pages by size; absent: not known (a profile without them), so hugepage-backed guests are not judged. */
  readonly hugepages?: readonly NodeHugepages[];
}

/** CPUs another running domain holds, as seen on this host (issue: occupancy). */
export interface Occupancy {
  /** CPUs that some other domain's vCPU or emulator is pinned to alone. */
  readonly exclusive: CpuSet;
  /** CPUs that other domains' threads may float over. */
  readonly floating: CpuSet;
  /** Who holds what, for display: domain name → CPUs held exclusively. */
  readonly holders: Readonly<Record<string, string>>;
}

export interface Host {
  readonly name: string;
  /** Online CPUs, sorted by id. */
  readonly cpus: readonly HostCpu[];
  /** Online CPUs guests may use: online ∩ the cpuset of the cgroup they run in (src/io/host/cgroup-limits.ts). */
  readonly usable: CpuSet;
  readonly nodes: readonly HostNode[];
  /** NUMA nodes guests may allocate from (that cgroup's mems). */
  readonly usableNodes: CpuSet;
  readonly occupancy?: Occupancy;
  /** cgroup version of the cpu controller guests run under (src/io/host/cgroup-limits.ts); absent: unknown, shares not judged. */
  readonly cpuCgroup?: 1 | 2;
  /** What only some guests' plans ask about; an object of its own so a host read from sysfs reads it on first use, not on every copy. */
  readonly extras?: HostExtras;
}

export interface HostExtras {
  /** Size of `<hugepages/>` without a `<page>` size (/proc/meminfo Hugepagesize). */
  readonly defaultHugepageKb?: number;
  /** CPUs isolated from the scheduler (`isolated`, `nohz_full`): preferred for realtime vCPUs. */
  readonly isolated?: CpuSet;
}

/** Nodes a nodeset may name: usable and with memory. */
export function memoryNodes(host: Host): CpuSet {
  return CpuSet.of(host.nodes.filter((n) => n.hasMemory && host.usableNodes.has(n.id)).map((n) => n.id));
}

/** A flat host of the given CPUs: one NUMA node 0 with memory, no SMT. */
export function flatHost(cpus: CpuSet, name = 'flat'): Host {
  return {
    name,
    cpus: cpus.ids.map((id) => ({ id, core: id, socket: 0, node: 0, siblings: CpuSet.of([id]) })),
    usable: cpus,
    nodes: [{ id: 0, cpus, hasMemory: true }],
    usableNodes: CpuSet.of([0]),
  };
}
