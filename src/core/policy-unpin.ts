// unpin: release every pin that does not fit; pins that fit stay as they are.
import type { Misfits } from './fit.js';
import type { Change } from './plan.js';
import type { Pools } from './pools.js';
import { releaseCpuPin, releaseNodePin } from './release.js';

export function unpinChanges(misfits: Misfits, pools: Pools): Change[] {
  return [
    ...misfits.cpu.map((pin) => releaseCpuPin(pin, pools, 'unpin: pin does not fit')),
    ...misfits.node.map((pin) => releaseNodePin(pin, 'unpin: nodeset does not fit')),
  ];
}
