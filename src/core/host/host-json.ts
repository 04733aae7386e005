// A host profile as JSON (`repin host --json`), so a plan can be made for
// host B while sitting on host A. Cpusets are stored in libvirt's text form.
import { CpuSet, parseSysfsList } from '../cpuset.js';
import { HostError } from '../errors.js';
import type { Host, HostCpu, HostNode, NodeHugepages } from './host.js';

export const HOST_PROFILE_VERSION = 1;

export interface HostProfile {
  repinHost: number;
  name: string;
  usable: string;
  usableNodes: string;
  nodes: { id: number; cpus: string; memory: boolean; hugepages?: { sizeKb: number; free: number; total: number }[] }[];
  cpus: { id: number; core: number; socket: number; node: number; siblings: string }[];
  occupancy?: { exclusive: string; floating: string; holders: Record<string, string> };
  /** cgroup version of the cpu controller guests run under (optional: older profiles lack it). */
  cpuCgroup?: 1 | 2;
  /** /proc/meminfo Hugepagesize, in kB. */
  defaultHugepageKb?: number;
  /** Isolated CPUs (isolated ∪ nohz_full), in libvirt's list form. */
  isolated?: string;
}

export function hostToProfile(host: Host): HostProfile {
  const profile: HostProfile = {
    repinHost: HOST_PROFILE_VERSION,
    name: host.name,
    usable: host.usable.toString(),
    usableNodes: host.usableNodes.toString(),
    nodes: host.nodes.map((n) => ({
      id: n.id,
      cpus: n.cpus.toString(),
      memory: n.hasMemory,
      ...(n.hugepages && n.hugepages.length > 0 ? { hugepages: n.hugepages.map((h) => ({ sizeKb: h.sizeKb, free: h.free, total: h.total })) } : {}),
    })),
    cpus: host.cpus.map((c) => ({ id: c.id, core: c.core, socket: c.socket, node: c.node, siblings: c.siblings.toString() })),
  };
  if (host.cpuCgroup !== undefined) profile.cpuCgroup = host.cpuCgroup;
  const extras = host.extras;
  if (extras?.defaultHugepageKb !== undefined) profile.defaultHugepageKb = extras.defaultHugepageKb;
  if (extras?.isolated && !extras.isolated.isEmpty) profile.isolated = extras.isolated.toString();
  if (host.occupancy) {
    const o = host.occupancy;
    profile.occupancy = { exclusive: o.exclusive.toString(), floating: o.floating.toString(), holders: { ...o.holders } };
  }
  return profile;
}

/** Validate and load a parsed profile; `source` names it in errors. */
export function hostFromProfile(value: unknown, source: string): Host {
  const fail = (detail: string): never => {
    throw new HostError(`host profile ${source}: ${detail}`);
  };
  if (typeof value !== 'object' || value === null) return fail('not a JSON object');
  const p = value as Partial<HostProfile>;
  if (p.repinHost !== HOST_PROFILE_VERSION) fail(`repinHost must be ${HOST_PROFILE_VERSION}, got ${JSON.stringify(p.repinHost)}`);
  if (!Array.isArray(p.cpus) || p.cpus.length === 0) fail('cpus must be a non-empty array');
  if (!Array.isArray(p.nodes)) fail('nodes must be an array');
  const list = (text: unknown, key: string): CpuSet => {
    if (typeof text !== 'string') return fail(`${key} must be a CPU list string`);
    return parseSysfsList(text, `${key} in ${source}`);
  };
  const int = (n: unknown, key: string): number => {
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) return fail(`${key} must be a non-negative integer, got ${JSON.stringify(n)}`);
    return n;
  };
  const cpus: HostCpu[] = (p.cpus ?? []).map((c, i) => ({
    id: int(c.id, `cpus[${i}].id`),
    core: int(c.core, `cpus[${i}].core`),
    socket: int(c.socket, `cpus[${i}].socket`),
    node: int(c.node, `cpus[${i}].node`),
    siblings: list(c.siblings, `cpus[${i}].siblings`),
  }));
  cpus.sort((a, b) => a.id - b.id);
  const pages = (value: unknown, key: string): NodeHugepages[] => {
    if (!Array.isArray(value)) return fail(`${key} must be an array`);
    return value.map((h: Partial<NodeHugepages>, j) => ({
      sizeKb: int(h.sizeKb, `${key}[${j}].sizeKb`),
      free: int(h.free, `${key}[${j}].free`),
      total: int(h.total, `${key}[${j}].total`),
    }));
  };
  const nodes: HostNode[] = (p.nodes ?? []).map((n, i) => ({
    id: int(n.id, `nodes[${i}].id`),
    cpus: list(n.cpus, `nodes[${i}].cpus`),
    hasMemory: n.memory === true,
    ...(n.hugepages === undefined ? {} : { hugepages: pages(n.hugepages, `nodes[${i}].hugepages`) }),
  }));
  if (p.cpuCgroup !== undefined && p.cpuCgroup !== 1 && p.cpuCgroup !== 2) fail(`cpuCgroup must be 1 or 2, got ${JSON.stringify(p.cpuCgroup)}`);
  const host: Host = {
    ...(p.cpuCgroup === undefined ? {} : { cpuCgroup: p.cpuCgroup }),
    ...(p.defaultHugepageKb === undefined && p.isolated === undefined
      ? {}
      : {
          extras: {
            ...(p.defaultHugepageKb === undefined ? {} : { defaultHugepageKb: int(p.defaultHugepageKb, 'defaultHugepageKb') }),
            ...(p.isolated === undefined ? {} : { isolated: list(p.isolated, 'isolated') }),
          },
        }),
    name: typeof p.name === 'string' ? p.name : source,
    cpus,
    usable: list(p.usable, 'usable'),
    nodes,
    usableNodes: p.usableNodes === undefined ? CpuSet.of(nodes.map((n) => n.id)) : list(p.usableNodes, 'usableNodes'),
  };
  if (p.occupancy) {
    return {
      ...host,
      occupancy: {
        exclusive: list(p.occupancy.exclusive, 'occupancy.exclusive'),
        floating: list(p.occupancy.floating, 'occupancy.floating'),
        holders: p.occupancy.holders ?? {},
      },
    };
  }
  return host;
}
