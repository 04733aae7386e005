// Which pins do not fit this host, and why: shared by every policy.
import type { CpuSet } from '../cpuset.js';
import type { CpuPin, DomainPins, NodePin } from '../domain/pins.js';
import { isDedicated, pinLabel } from '../domain/pins.js';
import type { Host } from '../host/host.js';
import { poolFor, type Pools } from './pools.js';

export interface FitOptions {
  /** A dedicated pin on a CPU another domain holds exclusively does not fit (default true). */
  readonly protectDedicated?: boolean;
}

/** CPUs other running domains hold alone, when this plan must avoid them. */
export function heldByOthers(host: Host, options: FitOptions): CpuSet | undefined {
  return options.protectDedicated === false ? undefined : host.occupancy?.exclusive;
}

export function cpuPinFits(pin: CpuPin, pools: Pools, held: CpuSet | undefined): boolean {
  if (!pin.cpus.isSubsetOf(poolFor(pin.kind, pools))) return false;
  return !(isDedicated(pin) && held?.has(pin.cpus.ids[0] ?? -1));
}

export function nodePinFits(pin: NodePin, pools: Pools): boolean {
  return pin.nodes.isSubsetOf(pools.nodes);
}

/** One clause per misfit: `vcpupin vcpu=3 cpuset=20-21: host offers CPUs 0-15`. */
export function describeMisfit(pin: CpuPin | NodePin, pools: Pools, held: CpuSet | undefined): string {
  if ('cpus' in pin) {
    const pool = poolFor(pin.kind, pools);
    const where = `${pinLabel(pin)}${pin.kind === 'vcpu' ? '' : ' cpuset'}=${pin.cpus.toString()}`;
    if (pin.cpus.isSubsetOf(pool)) return `${where}: CPU held exclusively by another running domain (${held?.intersect(pin.cpus).toString()})`;
    return `${where}: host offers CPUs ${pool.toString() || 'none'}`;
  }
  // pinLabel already names the attribute of these two (`numatune memory nodeset`, `memory device #0 nodemask`).
  const attr = pin.kind === 'memdev' || pin.kind === 'numatune' ? '' : ' nodeset';
  return `${pinLabel(pin)}${attr}=${pin.nodes.toString()}: host has memory on nodes ${pools.nodes.toString() || 'none'}`;
}

export interface Misfits {
  readonly cpu: readonly CpuPin[];
  readonly node: readonly NodePin[];
}

/**
 * Whether other guests' CPUs (or reserved huge pages) can change this domain's
 * plan: they decide only whether a dedicated pin fits and where substitutes go. A domain with no
 * dedicated pin, no misfitting CPU pin and no original record to plan from
 * gets the same plan without them, so the host need not be scanned.
 */
export function occupancyMatters(pins: DomainPins, pools: Pools, hasOriginal: boolean): boolean {
  // Other arriving guests' reserved huge pages change whether hugepage-backed memory fits.
  if (pins.hugepages !== undefined) return true;
  return hasOriginal || pins.cpuPins.some((pin) => isDedicated(pin) || !cpuPinFits(pin, pools, undefined));
}

export function findMisfits(pins: DomainPins, pools: Pools, held: CpuSet | undefined): Misfits {
  return {
    cpu: pins.cpuPins.filter((pin) => !cpuPinFits(pin, pools, held)),
    node: pins.nodePins.filter((pin) => !nodePinFits(pin, pools)),
  };
}
