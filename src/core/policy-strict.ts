// strict: change nothing; refuse, naming every element that does not fit.
import type { CpuSet } from './cpuset.js';
import { describeMisfit, type Misfits } from './fit.js';
import type { Pools } from './pools.js';

export function strictRefusal(misfits: Misfits, pools: Pools, held: CpuSet | undefined): string | undefined {
  const all = [...misfits.cpu, ...misfits.node];
  if (all.length === 0) return undefined;
  return `${all.map((pin) => describeMisfit(pin, pools, held)).join('; ')} (policy strict)`;
}
