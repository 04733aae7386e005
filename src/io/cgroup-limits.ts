// What this process may use beyond what is online: its affinity and memory
// policy (/proc/self/status) and its cgroup's effective cpuset (v1, v2 or
// hybrid). A hook inherits libvirtd's cgroup (docs/libvirt-hooks.md).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseSysfsList, type CpuSet } from '../core/cpuset.js';
import { HostError } from '../core/errors.js';
import { readList, readText } from './sysfs-files.js';

export interface Limits {
  cpus?: CpuSet;
  mems?: CpuSet;
  cpusFrom?: string;
}

export function readStatus(path: string): Limits {
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
export function readCgroupCpuset(root: string): Limits {
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
