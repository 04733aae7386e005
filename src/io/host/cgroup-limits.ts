// Where guests' CPUs and memory nodes are really limited: the cpuset cgroup
// their QEMU runs in (v1, v2 or hybrid). Not this process's affinity: libvirt
// resets a QEMU's affinity to all online CPUs before pinning its threads, so a
// daemon restricted with CPUAffinity= or taskset (tuned's cpu-partitioning
// does that to every service) does not restrict its guests. Not always this
// process's cgroup either: a hook inherits libvirtd's, but when libvirt
// manages cpuset cgroups (qemu.conf `cgroup_controllers`, the default) each
// guest gets one under the machine partition, outside the daemon's
// (docs/libvirt-hooks.md). When libvirt does not, guests share the daemon's
// cgroup: a hook is in it already; a command run from a shell, ssh or a
// service is not, and reads the daemon's instead (src/cli/outside.ts).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { CpuSet } from '../../core/cpuset.js';
import { readList, readText } from './sysfs-files.js';

export interface Limits {
  cpus?: CpuSet;
  mems?: CpuSet;
  cpusFrom?: string;
}

/**
 * Whether libvirt's QEMU driver gives guests cpuset cgroups of their own:
 * `cgroup_controllers` in qemu.conf lists "cpuset", or is not set (libvirt's
 * default list has it). A missing file is libvirt's default; one this
 * process may not read is an error (the hook runs as root, so it can);
 * commands outside the hook count it as the default and say so.
 */
export function libvirtManagesCpuset(root: string): boolean {
  const text = readText(join(root, 'etc/libvirt/qemu.conf'));
  if (text === undefined) return true;
  // libvirt's config syntax: `key = [ "a", "b" ]`, possibly over several lines, `#` comments.
  const uncommented = text
    .split('\n')
    .map((line) => line.replace(/^((?:[^#"']|"[^"]*"|'[^']*')*)#.*$/, '$1'))
    .join('\n');
  const list = /(?:^|\n)[ \t]*cgroup_controllers[ \t]*=[ \t]*\[([^\]]*)\]/.exec(uncommented)?.[1];
  if (list === undefined) return true;
  return [...list.matchAll(/"([^"]*)"|'([^']*)'/g)].some((m) => (m[1] ?? m[2]) === 'cpuset');
}

/** The cpuset guests started now would get (see the top of this file). */
export function readGuestCpuset(root: string): Limits {
  return readCgroupCpuset(root, libvirtManagesCpuset(root) ? machinePartition : ownCgroup);
}

/** Which cgroup to read under a hierarchy's mount `base`, given this process's path in it. */
export type Placement = (base: string, ownPath: string) => string;

export const ownCgroup: Placement = (_base, ownPath) => ownPath;

/**
 * libvirt's default partition, /machine: systemd-machined's machine.slice, or a
 * plain `machine` cgroup without systemd; before the first guest creates
 * either, what it would inherit: the mount's root (in a container with its own
 * cgroup namespace, the container's cgroup).
 */
export const machinePartition: Placement = (base) => ['/machine.slice', '/machine'].find((dir) => existsSync(join(base, dir))) ?? '/';

/** The cpuset of each hierarchy named in /proc/self/cgroup (or another process's), v1, v2 or hybrid, intersected. */
export function readCgroupCpuset(root: string, placement: Placement = ownCgroup, procCgroup = 'proc/self/cgroup'): Limits {
  const text = readText(join(root, procCgroup)) ?? '';
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
      add(findUp(base, placement(base, path), ['cpuset.cpus.effective'], 'cgroup cpus'), 'cpus');
      add(findUp(base, placement(base, path), ['cpuset.mems.effective'], 'cgroup mems'), 'mems');
    } else if (controllers.split(',').includes('cpuset')) {
      for (const mount of new Set(['cpuset', controllers])) {
        const base = join(root, 'sys/fs/cgroup', mount);
        if (!existsSync(base)) continue;
        add(findUp(base, placement(base, path), ['cpuset.effective_cpus', 'cpuset.cpus'], 'cgroup cpus'), 'cpus');
        add(findUp(base, placement(base, path), ['cpuset.effective_mems', 'cpuset.mems'], 'cgroup mems'), 'mems');
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

/**
 * The cgroup version of the cpu controller guests run under, which decides
 * the range libvirt accepts for `<cputune><shares>` (src/core/plan/cpu-shares.ts):
 * v1 when a v1 hierarchy in /proc/self/cgroup carries `cpu` (libvirt prefers
 * a controller's v1 mount, as on systemd's hybrid layout), else v2 when the
 * unified hierarchy offers `cpu`; undefined when neither does. The version is
 * the machine's, so this process's cgroup file tells it for guests too.
 */
export function readCpuCgroupVersion(root: string): 1 | 2 | undefined {
  const text = readText(join(root, 'proc/self/cgroup')) ?? '';
  let unified = false;
  for (const line of text.split('\n')) {
    const match = /^(\d+):([^:]*):/.exec(line);
    if (!match) continue;
    if (match[1] === '0' && match[2] === '') unified = true;
    else if ((match[2] ?? '').split(',').includes('cpu')) return 1;
  }
  if (!unified) return undefined;
  const v2 = join(root, 'sys/fs/cgroup');
  const controllers = readText(join(v2, 'cgroup.controllers')) ?? readText(join(v2, 'unified', 'cgroup.controllers')) ?? '';
  return controllers.split(/\s+/).includes('cpu') ? 2 : undefined;
}
