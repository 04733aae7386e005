// strict: change nothing; refuse, naming every element that does not fit.
import type { CpuSet } from '../cpuset.js';
import { describeMisfit, type Misfits } from './fit.js';
import type { Pools } from './pools.js';

/** `extra`: clauses for what does not fit beyond pins (shares, hugepages: host-fit checks). */
export function strictRefusal(misfits: Misfits, pools: Pools, held: CpuSet | undefined, extra: readonly string[] = []): string | undefined {
  const all = [...[...misfits.cpu, ...misfits.node].map((pin) => describeMisfit(pin, pools, held)), ...extra];
  if (all.length === 0) return undefined;
  return `${all.join('; ')} (policy strict)`;
}
