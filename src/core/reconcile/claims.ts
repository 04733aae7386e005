// CPUs that saved definitions hold alone, for `repin reconcile`: a rewrite
// planned for one saved definition keeps off the dedicated CPUs of the others
// (their current pins, or what this run has just given them), as the hook
// keeps a live guest off CPUs other running guests hold. Pure.
import { CpuSet } from '../cpuset.js';
import { readDomainPins } from '../domain/pins.js';
import type { FilterResult } from '../plan/filter-tree.js';
import type { Host } from '../host/host.js';
import { dedicatedCpusAfter } from '../plan/plan.js';
import { readDomain } from '../xml/read-domain.js';

/** Per domain uuid: its name and the CPUs its saved definition pins a vCPU or the emulator to alone. */
export type Claims = Map<string, { readonly name: string; readonly cpus: CpuSet }>;

/** The dedicated CPUs of the saved definition a reconcile result leaves (its output, else its input). */
export function claimOf(result: Pick<FilterResult, 'output' | 'pins'>): CpuSet {
  const pins = result.output === undefined ? result.pins : readDomainPins(readDomain(result.output).doc);
  return CpuSet.of(dedicatedCpusAfter(pins.cpuPins, []));
}

/** `host` with the other domains' claims held exclusively (`name (saved definition)`). */
export function withClaims(host: Host, claims: Claims, self: string): Host {
  const holders: Record<string, string> = { ...host.occupancy?.holders };
  let exclusive = host.occupancy?.exclusive ?? CpuSet.empty;
  for (const [uuid, claim] of claims) {
    const cpus = claim.cpus.intersect(host.usable);
    if (uuid === self || cpus.isEmpty) continue;
    exclusive = exclusive.union(cpus);
    holders[`${claim.name} (saved definition)`] = cpus.toString();
  }
  if (exclusive === (host.occupancy?.exclusive ?? CpuSet.empty)) return host;
  return { ...host, occupancy: { exclusive, floating: (host.occupancy?.floating ?? CpuSet.empty).minus(exclusive), holders } };
}
