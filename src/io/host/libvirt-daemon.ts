// Where the libvirt daemon that runs QEMU guests is: modular virtqemud or
// monolithic libvirtd (docs/libvirt-hooks.md). Its pid comes from the pid
// file a privileged daemon writes (RUNSTATEDIR/<daemon>.pid), else, on this
// machine's own root, from its systemd unit's MainPID, and counts only if
// /proc/<pid>/comm names the daemon (a stale pid file names someone else).
// For commands run outside the hook; the hook is the daemon's child already.
import { execFileSync } from 'node:child_process';
import { readIfReadable, under } from './sysfs-files.js';

const DAEMONS = ['virtqemud', 'libvirtd'] as const;

function pidFrom(text: string | undefined): number | undefined {
  const pid = Number(text?.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** `systemctl show -p MainPID` of the daemon's unit; undefined without systemd or when it is not running. */
function unitPid(daemon: string): number | undefined {
  try {
    return pidFrom(execFileSync('systemctl', ['show', '--property', 'MainPID', '--value', `${daemon}.service`], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] }));
  } catch {
    return undefined;
  }
}

/** The daemon's cgroup file under `root` (`proc/<pid>/cgroup`), or why there is none. */
export function findDaemonCgroup(root: string): { path: string } | { missing: string } {
  for (const daemon of DAEMONS) {
    const isDaemon = (pid: number | undefined): pid is number => pid !== undefined && readIfReadable(under(root, 'proc', String(pid), 'comm'))?.trim() === daemon;
    // The unit (a systemctl process) only when the pid file names no running daemon.
    const fromFile = pidFrom(readIfReadable(under(root, 'run', `${daemon}.pid`)));
    if (isDaemon(fromFile)) return { path: `proc/${fromFile}/cgroup` };
    const fromUnit = root === '/' ? unitPid(daemon) : undefined;
    if (isDaemon(fromUnit)) return { path: `proc/${fromUnit}/cgroup` };
  }
  return { missing: `no running virtqemud or libvirtd was found (pid files ${under(root, 'run')}/{virtqemud,libvirtd}.pid${root === '/' ? ', their systemd units' : ''})` };
}
