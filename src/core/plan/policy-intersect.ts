// intersect: the original method (Inspur, 2017). AND each pin with the pool
// bit by bit; a pin left empty is released to the floating pool.
import type { CpuSet } from '../cpuset.js';
import { isDedicated, type CpuPin, type DomainPins, type NodePin } from '../domain/pins.js';
import type { Misfits } from './fit.js';
import type { Change } from './plan.js';
import { poolFor, type Pools } from './pools.js';
import { change, releaseCpuPin, releaseNodePin } from './release-pin.js';

export function intersectChanges(pins: DomainPins, misfits: Misfits, pools: Pools, held: CpuSet | undefined): Change[] {
  const keptCpus = (pin: CpuPin): CpuSet => {
    const kept = pin.cpus.intersect(poolFor(pin.kind, pools));
    return held && isDedicated(pin) ? kept.minus(held) : kept;
  };
  const keptNodes = (pin: NodePin): CpuSet => pin.nodes.intersect(pools.nodes);
  // What stays in the domain decides where a released thread or memory goes (release-pin.ts).
  const vcpuCpusetStays = pins.cpuPins.some((pin) => pin.kind === 'vcpu' && (!misfits.cpu.includes(pin) || !keptCpus(pin).isEmpty));
  const memnodesStay = pins.nodePins.some((pin) => pin.kind === 'memnode' && (!misfits.node.includes(pin) || !keptNodes(pin).isEmpty));
  const changes: Change[] = [];
  for (const pin of misfits.cpu) {
    const kept = keptCpus(pin);
    changes.push(
      kept.isEmpty
        ? releaseCpuPin(pin, pools, 'intersect: no CPU of the pin is in the pool', vcpuCpusetStays)
        : change(pin, kept.toString(), `intersect: kept CPUs in the pool, dropped ${pin.cpus.minus(kept).toString()}`),
    );
  }
  for (const pin of misfits.node) {
    const kept = keptNodes(pin);
    changes.push(
      kept.isEmpty
        ? releaseNodePin(pin, pools, 'intersect: no node of the set has memory here', memnodesStay)
        : change(pin, kept.toString(), `intersect: kept nodes with memory, dropped ${pin.nodes.minus(kept).toString()}`),
    );
  }
  return changes;
}
