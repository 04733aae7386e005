// Releasing a pin: the thread floats over the pool. When the pool is every
// usable CPU the pin is simply removed; otherwise it is set to the pool so a
// released thread still respects allowedCpus/emulatorCpus.
import type { CpuPin, NodePin } from './domain-pins.js';
import type { Change } from './plan.js';
import { poolFor, type Pools } from './pools.js';

export function releaseCpuPin(pin: CpuPin, pools: Pools, rule: string): Change {
  const pool = poolFor(pin.kind, pools);
  const value = pool.equals(pools.usable) ? null : pool.toString();
  return change(pin, value, `${rule}; released to ${value === null ? 'all usable CPUs' : `pool ${value}`}`);
}

export function releaseNodePin(pin: NodePin, rule: string): Change {
  return change(pin, null, `${rule}; memory binding released`);
}

export function change(pin: CpuPin | NodePin, value: string | null, rule: string): Change {
  const base = { element: pin.kind, old: pin.text, new: value, rule };
  return pin.id === undefined ? base : { ...base, id: pin.id };
}
