// Read the local host from sysfs and procfs under a root dir: online CPUs,
// SMT siblings, NUMA nodes, and what this process may really use — online ∩
// sched affinity ∩ cgroup cpuset (docs/libvirt-hooks.md, "What the host
// really lets a process use"). Sync reads: it runs in a short-lived hook.
import { CpuSet } from '../core/cpuset.js';
import { HostError, RepinError } from '../core/errors.js';
import type { Host, HostCpu, HostNode } from '../core/host.js';
import { readCgroupCpuset, readStatus } from './cgroup-limits.js';
import { listIds, readId, readList, readText, under } from './sysfs-files.js';

/** Read the host this process runs on; `root` is `/` outside tests. */
export function readHost(root: string, name?: string): Host {
  try {
    return readHostUnder(root, name);
  } catch (err) {
    if (err instanceof RepinError) throw err;
    throw new HostError(`cannot read the host under ${root}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

function readHostUnder(root: string, name: string | undefined): Host {
  const cpuDir = under(root, 'sys/devices/system/cpu');
  const online = readOnline(cpuDir);
  const placement = readNodes(under(root, 'sys/devices/system/node'), online);

  const status = readStatus(under(root, 'proc/self/status'));
  const cgroup = readCgroupCpuset(root);
  let usable = online;
  for (const limit of [status.cpus, cgroup.cpus]) if (limit) usable = usable.intersect(limit);
  let usableNodes = CpuSet.of(placement.nodes.map((n) => n.id));
  for (const limit of [status.mems, cgroup.mems]) if (limit) usableNodes = usableNodes.intersect(limit);

  if (usable.isEmpty) {
    throw new HostError(
      `no usable CPU under ${root}: online ${online.toString()}, Cpus_allowed_list ${status.cpus?.toString() ?? '(none)'}, ` +
        `cgroup cpuset ${cgroup.cpus?.toString() ?? '(none)'}${cgroup.cpusFrom ? ` (${cgroup.cpusFrom})` : ''}`,
    );
  }
  const hostname = readText(under(root, 'proc/sys/kernel/hostname'))?.trim();
  // SMT and package topology is a file per core: read it when a plan first asks (a guest that
  // fits, or any plan that substitutes no CPU, never does).
  let cpus: HostCpu[] | undefined;
  return {
    name: name ?? (hostname || 'localhost'),
    get cpus(): HostCpu[] {
      return (cpus ??= readTopology(cpuDir, online, placement.nodeOf));
    },
    usable,
    nodes: placement.nodes,
    usableNodes,
  };
}

function readTopology(cpuDir: string, online: CpuSet, nodeOf: ReadonlyMap<number, number>): HostCpu[] {
  try {
    return readCpus(cpuDir, online, nodeOf);
  } catch (err) {
    if (err instanceof RepinError) throw err;
    throw new HostError(`cannot read the CPU topology under ${cpuDir}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
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

/**
 * Topology of every online CPU. Files are read once per core and once per
 * package, not per CPU: thread siblings share a core and a package by
 * definition, and each sysfs file costs ~20 µs to open and read — 3 files ×
 * 4096 CPUs would blow the hook's time budget.
 */
function readCpus(cpuDir: string, online: CpuSet, nodeOf: ReadonlyMap<number, number>): HostCpu[] {
  const byId = new Map<number, HostCpu>();
  const socketOf = new Map<number, number>();
  let packageLists = true;
  for (const id of online.ids) {
    if (byId.has(id)) continue;
    // A CPU unplugged since `online` was read loses its topology dir: its files read as defaults.
    const topo = under(cpuDir, `cpu${id}`, 'topology');
    const listed =
      readList(under(topo, 'thread_siblings_list'), 'thread siblings') ?? readList(under(topo, 'core_cpus_list'), 'core CPUs');
    // A sibling already placed (its own files gone mid-read) keeps its own set: sets stay symmetric.
    let siblings = listed ? CpuSet.of(listed.ids.filter((cpu) => online.has(cpu) && !byId.has(cpu))) : CpuSet.empty;
    if (!siblings.has(id)) siblings = siblings.union(CpuSet.of([id]));
    // A core is named by its lowest thread: unique host-wide, and one file per core fewer than core_id.
    const core = siblings.ids[0] ?? id;
    let socket = socketOf.get(id);
    if (socket === undefined) {
      const known = readId(under(topo, 'physical_package_id'));
      socket = known ?? 0;
      if (known !== undefined && packageLists) {
        // package_cpus_list is the newer name of core_siblings_list; older kernels have only the latter.
        const members =
          readList(under(topo, 'package_cpus_list'), 'package CPUs') ?? readList(under(topo, 'core_siblings_list'), 'package CPUs');
        if (members) for (const member of members.ids) socketOf.set(member, known);
        else packageLists = false;
      }
    }
    for (const member of siblings.ids) {
      if (!byId.has(member)) byId.set(member, { id: member, core, socket, node: nodeOf.get(member) ?? 0, siblings });
    }
  }
  return online.ids.map(
    (id) => byId.get(id) ?? { id, core: id, socket: 0, node: nodeOf.get(id) ?? 0, siblings: CpuSet.of([id]) },
  );
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

  for (const node of nodeIds) {
    const list = readList(under(nodeDir, `node${node}`, 'cpulist'), `node ${node} CPU list`) ?? CpuSet.empty;
    for (const cpu of list.ids) if (online.has(cpu) && !nodeOf.has(cpu)) nodeOf.set(cpu, node);
  }
  const members = new Map<number, number[]>(nodeIds.map((n) => [n, []]));
  for (const cpu of online.ids) {
    const node = nodeOf.get(cpu) ?? 0;
    let list = members.get(node);
    if (!list) members.set(node, (list = []));
    list.push(cpu);
  }
  const withMemory = readList(under(nodeDir, 'has_memory'), 'node list');
  const nodes = [...members.keys()]
    .sort((a, b) => a - b)
    .map((id) => ({
      id,
      cpus: CpuSet.of(members.get(id) ?? []),
      hasMemory: withMemory ? withMemory.has(id) : meminfoHasMemory(under(nodeDir, `node${id}`, 'meminfo')),
    }));
  return { nodeOf, nodes };
}

/** `Node 0 MemTotal:  16318796 kB`; without the file, assume the node has memory. */
function meminfoHasMemory(path: string): boolean {
  const match = /MemTotal:\s*(\d+)/.exec(readText(path) ?? '');
  return match ? Number(match[1]) > 0 : true;
}
