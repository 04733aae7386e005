// Commands are not libvirt's hook: run from a shell, ssh or a systemd service,
// they read the guests' cgroup as the hook, the daemon's child, sees it
// (src/io/host/cgroup-limits.ts), and tell the operator, once each, where they cannot.
import { libvirtManagesCpuset, machinePartition, ownCgroup, readCgroupCpuset, type Limits } from '../io/host/cgroup-limits.js';
import { findDaemonCgroup } from '../io/host/libvirt-daemon.js';
import type { Io } from '../io/process-io.js';

/**
 * The guests' cpuset for a command run outside the daemon: libvirt's machine
 * partition when it manages cpusets (also when qemu.conf cannot be read, as
 * libvirt's default, saying so); else the daemon's own cgroup, found by its
 * pid, falling back to this process's, saying so.
 */
export function guestCpusetOutside(io: Io): (root: string) => Limits {
  const said = new Set<string>();
  const note = (text: string): void => {
    if (said.has(text)) return;
    said.add(text);
    io.stderr.write(`repin: note: ${text}\n`);
  };
  return (root) => {
    let managed: boolean;
    try {
      managed = libvirtManagesCpuset(root);
    } catch (error) {
      note(`${error instanceof Error ? error.message : String(error)}: counted as libvirt's default (guests in cpuset cgroups of their own under machine.slice); run as root to read it`);
      managed = true;
    }
    if (managed) return readCgroupCpuset(root, machinePartition);
    const daemon = findDaemonCgroup(root);
    if ('path' in daemon) return readCgroupCpuset(root, ownCgroup, daemon.path);
    note(`qemu.conf keeps guests in the libvirt daemon's cgroup, but ${daemon.missing}: read this process's cgroup instead, which may not be the guests'`);
    return readCgroupCpuset(root, ownCgroup);
  };
}
