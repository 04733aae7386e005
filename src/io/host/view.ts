// This host as the planner sees it, assembled in one place for the hook, the
// CLI and reconcile: its CPUs and NUMA nodes and what guests may use (a saved
// profile, a flat list of CPUs, a sysfs tree or this machine: host/source.ts),
// and, for a plan of one domain, what the other guests here hold (their
// pinned threads, and CPUs reserved for guests still arriving:
// local-occupancy.ts). Pools are the core's business (core/plan/pools.ts).
import type { DomainPins } from '../../core/domain/pins.js';
import type { Host } from '../../core/host/host.js';
import type { Limits } from './cgroup-limits.js';
import { chooseHost } from './source.js';
import { runDir, withLocalOccupancy } from './local-occupancy.js';

export interface HostViewSource {
  /** A saved host profile (--host, or REPIN_HOST). */
  readonly profile?: string;
  /** A flat host of these CPUs (--host-cpus). */
  readonly cpus?: string;
  /** Read sys/, proc/ and run/libvirt/ under this directory instead of fsRoot (--host-root, REPIN_HOST_ROOT). */
  readonly root?: string;
  /**
   * The profile stands for this machine (REPIN_HOST: tests and manual runs of
   * the hook), so other guests here count; a --host profile is another host.
   */
  readonly profileIsHere?: boolean;
  /** For commands run outside libvirt's daemon: the guests' cpuset as the hook would see it (cli/outside.ts). */
  readonly guestCpuset?: (root: string) => Limits;
}

export interface HostView {
  /** The host itself, read now (reconcile reads it again per domain: CPUs may go offline meanwhile). */
  readonly read: () => Host;
  /**
   * `host` as a plan for `pins` sees it, with the other guests on this machine;
   * undefined when the host is not this machine. A host that already carries
   * occupancy (a profile saved with it) keeps it as it is.
   */
  readonly withOthers?: (pins: Pick<DomainPins, 'uuid' | 'name'>, host: Host) => Host;
}

/** The hook's host (and reconcile's without a --host option): REPIN_HOST / REPIN_HOST_ROOT, else this machine. */
export function hookHostSource(env: Readonly<Record<string, string | undefined>>): HostViewSource {
  return { ...(env.REPIN_HOST !== undefined ? { profile: env.REPIN_HOST } : {}), ...(env.REPIN_HOST_ROOT !== undefined ? { root: env.REPIN_HOST_ROOT } : {}), profileIsHere: true };
}

export function hostView(source: HostViewSource, fsRoot: string, env: Readonly<Record<string, string | undefined>>): HostView {
  const read = (): Host => chooseHost({ host: source.profile, hostCpus: source.cpus, hostRoot: source.root }, fsRoot, source.guestCpuset);
  const here = source.cpus === undefined && (source.profile === undefined || source.profileIsHere === true);
  if (!here) return { read };
  const root = source.root ?? fsRoot;
  const dir = runDir(env);
  return { read, withOthers: (pins, host) => (host.occupancy ? host : withLocalOccupancy(root, dir, pins, host)) };
}
