// Read the local host from sysfs and procfs under a root dir: online CPUs,
// SMT siblings, NUMA nodes, and what this process may really use — online ∩
// sched affinity ∩ cgroup cpuset (docs/libvirt-hooks.md, "What the host
// really lets a process use"). Sync reads: it runs in a short-lived hook.
import { closeSync, existsSync, openSync, readdirSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { CpuSet, parseSysfsList } from '../core/cpuset.js';
import { HostError, RepinError } from '../core/errors.js';
import type { Host, HostCpu, HostNode } from '../core/host.js';

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
  const cpuDir = join(root, 'sys/devices/system/cpu');
  const online = readOnline(cpuDir);
  const placement = readNodes(join(root, 'sys/devices/system/node'), online);
  const cpus = readCpus(cpuDir, online, placement.nodeOf);

  const status = readStatus(join(root, 'proc/self/status'));
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
  const hostname = readText(join(root, 'proc/sys/kernel/hostname'))?.trim();
  return { name: name ?? (hostname || 'localhost'), cpus, usable, nodes: placement.nodes, usableNodes };
}

// --- files -----------------------------------------------------------------

const chunk = Buffer.allocUnsafe(64 * 1024);
/** A file that vanished under us: a CPU or cgroup going away between reads. */
const GONE = new Set(['ENOENT', 'ENOTDIR', 'ENODEV', 'ENXIO']);
const isGone = (err: unknown): boolean => GONE.has((err as NodeJS.ErrnoException | undefined)?.code ?? '');
const fault = (path: string, err: unknown): HostError =>
  new HostError(`cannot read ${path}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });

/** A file's text, or undefined when it does not exist (open, read, close: no fstat). */
function readText(path: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    if (isGone(err)) return undefined;
    throw fault(path, err);
  }
  try {
    // A short read is the end: a sysfs attribute is one show() of at most a page, and the
    // procfs files read here are single_open seq_files. Saves a syscall per file.
    let n = readSync(fd, chunk, 0, chunk.length, null);
    if (n < chunk.length) return chunk.toString('utf8', 0, n);
    const parts: Buffer[] = [];
    for (; n > 0; n = readSync(fd, chunk, 0, chunk.length, null)) parts.push(Buffer.from(chunk.subarray(0, n)));
    return Buffer.concat(parts).toString('utf8');
  } catch (err) {
    if (isGone(err)) return undefined;
    throw fault(path, err);
  } finally {
    closeSync(fd);
  }
}

function readList(path: string, what: string): CpuSet | undefined {
  const text = readText(path);
  if (text === undefined) return undefined;
  try {
    return parseSysfsList(text, `${what} in ${path}`);
  } catch (err) {
    throw new HostError(err instanceof Error ? err.message : String(err), { cause: err });
  }
}

/** A non-negative id; the kernel writes -1 for "unknown" (physical_package_id on some arm64). */
function readId(path: string): number | undefined {
  const text = readText(path)?.trim();
  if (text === undefined || text === '') return undefined;
  if (!/^-?\d+$/.test(text)) throw new HostError(`${path}: expected an integer, got '${text.slice(0, 20)}'`);
  const value = Number(text);
  return value >= 0 ? value : undefined;
}

/** Numeric suffixes of the entries named like `pattern` (one capture group). */
function listIds(dir: string, pattern: RegExp): number[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    if (isGone(err)) return [];
    throw fault(dir, err);
  }
  const ids: number[] = [];
  for (const entry of names) {
    const match = pattern.exec(entry);
    if (match) ids.push(Number(match[1]));
  }
  return ids.sort((a, b) => a - b);
}

// --- CPUs and nodes ----------------------------------------------------------

function readOnline(cpuDir: string): CpuSet {
  const listed = readList(join(cpuDir, 'online'), 'online CPU list');
  if (listed && !listed.isEmpty) return listed;
  // No `online` file: count cpuN dirs; cpu0 often has no `online` file of its own (not hot-pluggable).
  const ids = listIds(cpuDir, /^cpu(\d+)$/).filter((id) => (readText(join(cpuDir, `cpu${id}`, 'online'))?.trim() ?? '1') !== '0');
  if (ids.length === 0) throw new HostError(`no online CPU found in ${cpuDir}`);
  return CpuSet.of(ids);
}

/**
 * Topology of every online CPU. Files are read once per core and once per
 * package, not per CPU: thread siblings share core_id and physical_package_id
 * by definition, and each open of a sysfs file costs ~10 µs — 3 files × 4096
 * CPUs would blow the hook's time budget.
 */
function readCpus(cpuDir: string, online: CpuSet, nodeOf: ReadonlyMap<number, number>): HostCpu[] {
  const byId = new Map<number, HostCpu>();
  const socketOf = new Map<number, number>();
  let packageLists = true;
  for (const id of online.ids) {
    if (byId.has(id)) continue;
    // A CPU unplugged since `online` was read loses its topology dir: its files read as defaults.
    const topo = join(cpuDir, `cpu${id}`, 'topology');
    const listed =
      readList(join(topo, 'thread_siblings_list'), 'thread siblings') ?? readList(join(topo, 'core_cpus_list'), 'core CPUs');
    // A sibling already placed (its own files gone mid-read) keeps its own set: sets stay symmetric.
    let siblings = listed ? CpuSet.of(listed.ids.filter((cpu) => online.has(cpu) && !byId.has(cpu))) : CpuSet.empty;
    if (!siblings.has(id)) siblings = siblings.union(CpuSet.of([id]));
    const core = readId(join(topo, 'core_id')) ?? id;
    let socket = socketOf.get(id);
    if (socket === undefined) {
      const known = readId(join(topo, 'physical_package_id'));
      socket = known ?? 0;
      if (known !== undefined && packageLists) {
        // package_cpus_list is the newer name of core_siblings_list; older kernels have only the latter.
        const members =
          readList(join(topo, 'package_cpus_list'), 'package CPUs') ?? readList(join(topo, 'core_siblings_list'), 'package CPUs');
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
    const list = readList(join(nodeDir, `node${node}`, 'cpulist'), `node ${node} CPU list`) ?? CpuSet.empty;
    for (const cpu of list.ids) if (online.has(cpu) && !nodeOf.has(cpu)) nodeOf.set(cpu, node);
  }
  const members = new Map<number, number[]>(nodeIds.map((n) => [n, []]));
  for (const cpu of online.ids) {
    const node = nodeOf.get(cpu) ?? 0;
    let list = members.get(node);
    if (!list) members.set(node, (list = []));
    list.push(cpu);
  }
  const withMemory = readList(join(nodeDir, 'has_memory'), 'node list');
  const nodes = [...members.keys()]
    .sort((a, b) => a - b)
    .map((id) => ({
      id,
      cpus: CpuSet.of(members.get(id) ?? []),
      hasMemory: withMemory ? withMemory.has(id) : meminfoHasMemory(join(nodeDir, `node${id}`, 'meminfo')),
    }));
  return { nodeOf, nodes };
}

/** `Node 0 MemTotal:  16318796 kB`; without the file, assume the node has memory. */
function meminfoHasMemory(path: string): boolean {
  const match = /MemTotal:\s*(\d+)/.exec(readText(path) ?? '');
  return match ? Number(match[1]) > 0 : true;
}

// --- what this process may use -------------------------------------------------

interface Limits {
  cpus?: CpuSet;
  mems?: CpuSet;
  cpusFrom?: string;
}

function readStatus(path: string): Limits {
  const text = readText(path) ?? '';
  const field = (key: string): CpuSet | undefined => {
    const match = new RegExp(`^${key}:[ \\t]*(.*)$`, 'm').exec(text);
    if (!match || (match[1] ?? '').trim() === '') return undefined;
    try {
      return parseSysfsList(match[1] ?? '', `${key} in ${path}`);
    } catch (err) {
      throw new HostError(err instanceof Error ? err.message : String(err), { cause: err });
    }
  };
  return { cpus: field('Cpus_allowed_list'), mems: field('Mems_allowed_list') };
}

/** The cpuset of each hierarchy named in /proc/self/cgroup (v1, v2 or hybrid), intersected. */
function readCgroupCpuset(root: string): Limits {
  const text = readText(join(root, 'proc/self/cgroup')) ?? '';
  const limits: Limits = {};
  const add = (found: Found | undefined, key: 'cpus' | 'mems'): void => {
    if (!found) return;
    limits[key] = limits[key]?.intersect(found.set) ?? found.set;
    if (key === 'cpus') limits.cpusFrom = limits.cpusFrom ? `${limits.cpusFrom}, ${found.path}` : found.path;
  };
  for (const line of text.split('\n')) {
    const match = /^(\d+):([^:]*):(.*)$/.exec(line.replace(/\r$/, ''));
    if (!match) continue;
    const [, hierarchy, controllers = '', path = ''] = match;
    if (hierarchy === '0' && controllers === '') {
      // Pure v2 mounts at sys/fs/cgroup; systemd's hybrid layout puts it at sys/fs/cgroup/unified.
      const v2 = join(root, 'sys/fs/cgroup');
      const base = !existsSync(join(v2, 'cgroup.controllers')) && existsSync(join(v2, 'unified')) ? join(v2, 'unified') : v2;
      add(findUp(base, path, ['cpuset.cpus.effective'], 'cgroup cpus'), 'cpus');
      add(findUp(base, path, ['cpuset.mems.effective'], 'cgroup mems'), 'mems');
    } else if (controllers.split(',').includes('cpuset')) {
      for (const mount of new Set(['cpuset', controllers])) {
        const base = join(root, 'sys/fs/cgroup', mount);
        if (!existsSync(base)) continue;
        add(findUp(base, path, ['cpuset.effective_cpus', 'cpuset.cpus'], 'cgroup cpus'), 'cpus');
        add(findUp(base, path, ['cpuset.effective_mems', 'cpuset.mems'], 'cgroup mems'), 'mems');
        break;
      }
    }
  }
  return limits;
}

interface Found {
  set: CpuSet;
  path: string;
}

/**
 * The first non-blank file of `names` in the cgroup dir or its nearest
 * ancestor: v2 has cpuset files only where the controller is enabled, and a
 * container without its own cgroup namespace sees the host's path while
 * its own cgroup is mounted as the root.
 */
function findUp(base: string, cgroupPath: string, names: string[], what: string): Found | undefined {
  const segments = cgroupPath.replace(/ \(deleted\)$/, '').split('/').filter((s) => s !== '' && s !== '.');
  // A path outside our cgroup namespace (`/../..`) is not under our mount: read the mount's root.
  const levels = segments.includes('..') ? [] : segments;
  for (let depth = levels.length; depth >= 0; depth--) {
    const dir = join(base, ...levels.slice(0, depth));
    for (const name of names) {
      const path = join(dir, name);
      const set = readList(path, what);
      if (set && !set.isEmpty) return { set, path };
    }
  }
  return undefined;
}
