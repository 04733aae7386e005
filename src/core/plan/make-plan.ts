// plan(): from a domain's pins, a host and a policy to a list of changes.
// Pure: no process, no fs, no clock.
import type { CpuSet } from '../cpuset.js';
import type { DomainPins } from '../domain/pins.js';
import { findMisfits, heldByOthers } from './fit.js';
import type { Host } from '../host/host.js';
import { planOutcome, type Change, type Plan, type Policy } from './plan.js';
import { intersectChanges } from './policy-intersect.js';
import { remapChanges } from './remap/remap.js';
import { strictRefusal } from './policy-strict.js';
import { unpinChanges } from './policy-unpin.js';
import { judgeShares } from './cpu-shares.js';
import { fitHugepages } from './hugepage-fit.js';
import { fitBeyondPins } from './host-fit.js';
import { computePools, type PoolOptions, type Pools } from './pools.js';

export interface PlanOptions extends PoolOptions {
  readonly policy: Policy;
  /** remap may use CPUs other domains hold exclusively, as a last resort. */
  readonly overcommit?: boolean;
  /** A dedicated pin on a CPU another domain holds exclusively does not fit (default true). */
  readonly protectDedicated?: boolean;
}

export function planDomain(pins: DomainPins, host: Host, options: PlanOptions, pools: Pools = computePools(host, options)): Plan {
  const held: CpuSet | undefined = heldByOthers(host, options);
  const misfits = findMisfits(pins, pools, held);
  const domain = { name: pins.name, uuid: pins.uuid };
  let changes: Change[] = [];
  let notes: string[] = [];
  let refusal: string | undefined;
  const shares = judgeShares(pins, host);
  if (options.policy === 'strict') {
    const hugepages = fitHugepages(pins, host, pools.nodes, [], false);
    refusal = strictRefusal(misfits, pools, held, [...(shares ? [shares.misfit] : []), ...hugepages.misfits]);
  } else if (misfits.cpu.length + misfits.node.length > 0) {
    switch (options.policy) {
      case 'intersect':
        changes = intersectChanges(pins, misfits, pools, held);
        break;
      case 'unpin':
        changes = unpinChanges(pins, misfits, pools);
        break;
      case 'remap': {
        const result = remapChanges(pins, misfits, host, pools, held, options);
        ({ changes, notes } = result);
        refusal = result.refusal;
        break;
      }
    }
  }
  if (refusal === undefined && options.policy !== 'strict') {
    const fit = fitBeyondPins({ pins, host, pools, held, misfits, options, shares }, { changes, notes });
    ({ changes, notes, refusal } = fit);
  }
  if (refusal !== undefined) changes = [];
  notes = [...readingNotes(pins), ...notes];
  return { domain, policy: options.policy, outcome: planOutcome(changes, refusal), changes, notes, ...(refusal === undefined ? {} : { refusal }) };
}

/**
 * What repin read past, as libvirt does. A vcpupin for a missing vCPU is kept
 * in the XML: libvirt skips it on every load and never stores it
 * (virDomainVcpuPinDefParseXML), so it places nothing, and repin changes only
 * placements that do not fit.
 */
function readingNotes(pins: DomainPins): string[] {
  const ids = pins.ignoredVcpupins ?? [];
  if (ids.length === 0) return [];
  const what = ids.length === 1 ? `vcpupin vcpu=${ids[0]}` : `vcpupin vcpu=${ids.join(',')}`;
  return [
    `${what} names a vCPU the domain does not have (it has ${pins.vcpus}): libvirt ignores such an element ("Ignoring vcpupin for missing vcpus"), so it was not planned and is kept as it is`,
  ];
}
