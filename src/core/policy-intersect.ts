// intersect: the original method (Inspur, 2017). AND each pin with the pool
// bit by bit; a pin left empty is released to the floating pool.
import type { CpuSet } from './cpuset.js';
import { isDedicated } from './domain-pins.js';
import type { Misfits } from './fit.js';
import type { Change } from './plan.js';
import { poolFor, type Pools } from './pools.js';
import { change, releaseCpuPin, releaseNodePin } from './release.js';

export function intersectChanges(misfits: Misfits, pools: Pools, held: CpuSet | undefined): Change[] {
  const changes: Change[] = [];
  for (const pin of misfits.cpu) {
    let kept = pin.cpus.intersect(poolFor(pin.kind, pools));
    if (held && isDedicated(pin)) kept = kept.minus(held);
    changes.push(
      kept.isEmpty
        ? releaseCpuPin(pin, pools, 'intersect: no CPU of the pin is in the pool')
        : change(pin, kept.toString(), `intersect: kept CPUs in the pool, dropped ${pin.cpus.minus(kept).toString()}`),
    );
  }
  for (const pin of misfits.node) {
    const kept = pin.nodes.intersect(pools.nodes);
    changes.push(
      kept.isEmpty
        ? releaseNodePin(pin, 'intersect: no node of the set has memory here')
        : change(pin, kept.toString(), `intersect: kept nodes with memory, dropped ${pin.nodes.minus(kept).toString()}`),
    );
  }
  return changes;
}
