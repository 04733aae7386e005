// unpin: release every pin that does not fit; pins that fit stay as they are.
import type { DomainPins } from '../domain/pins.js';
import type { Misfits } from './fit.js';
import type { Change } from './plan.js';
import type { Pools } from './pools.js';
import { releaseCpuPin, releaseNodePin } from './release-pin.js';

export function unpinChanges(pins: DomainPins, misfits: Misfits, pools: Pools): Change[] {
  const vcpuCpusetStays = pins.cpuPins.some((pin) => pin.kind === 'vcpu' && !misfits.cpu.includes(pin));
  const memnodesStay = pins.nodePins.some((pin) => pin.kind === 'memnode' && !misfits.node.includes(pin));
  return [
    ...misfits.cpu.map((pin) => releaseCpuPin(pin, pools, 'unpin: pin does not fit', vcpuCpusetStays)),
    ...misfits.node.map((pin) => releaseNodePin(pin, pools, 'unpin: nodeset does not fit', memnodesStay)),
  ];
}
