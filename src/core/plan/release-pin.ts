// Releasing a pin: the thread floats over the pool. When the pool is every
// usable CPU the pin is simply removed; otherwise it is set to the pool so a
// released thread still respects allowedCpus/emulatorCpus.
import type { CpuPin, NodePin } from '../domain/pins.js';
import type { Change } from './plan.js';
import { poolFor, type Pools } from './pools.js';

/**
 * `vcpuCpusetStays`: the domain keeps a `<vcpu cpuset>`. libvirt runs a thread
 * whose pin is removed on that set, not on every CPU (qemuProcessSetupPid:
 * the thread's pin, else numad's set, else the domain's cpuset), so there a
 * released pin is written out as its pool.
 */
export function releaseCpuPin(pin: CpuPin, pools: Pools, rule: string, vcpuCpusetStays: boolean): Change {
  const pool = poolFor(pin.kind, pools);
  if (pin.kind !== 'vcpu' && vcpuCpusetStays) {
    return change(pin, pool.toString(), `${rule}; released to pool ${pool.toString()}, written out: without a pin the thread would run on <vcpu cpuset>`);
  }
  const value = pool.equals(pools.usable) ? null : pool.toString();
  return change(pin, value, `${rule}; released to ${value === null ? 'all usable CPUs' : `pool ${value}`}`);
}

/**
 * `memnodesStay`: some `<memnode>` stays. `<numatune><memory>` cannot go then:
 * libvirt refuses a restrictive memnode without a restrictive memory, and
 * with `<vcpu placement='auto'>` a numatune without memory turns automatic,
 * which memnodes may not be combined with (virDomainNumatuneParseXML). The
 * element stays, bound to every node with memory here, its mode kept.
 */
export function releaseNodePin(pin: NodePin, pools: Pools, rule: string, memnodesStay: boolean): Change {
  if (pin.kind === 'numatune' && memnodesStay) {
    return change(pin, pools.nodes.toString(), `${rule}; widened to every node with memory (${pools.nodes.toString()}), as memnodes stay`);
  }
  return change(pin, null, `${rule}; memory binding released`);
}

export function change(pin: CpuPin | NodePin, value: string | null, rule: string): Change {
  // Two literals, not a spread: a remap builds one per vCPU, and a spread copy costs ~400 bytes in cold code.
  if (pin.id === undefined) return { element: pin.kind, old: pin.text, new: value, rule };
  return { element: pin.kind, old: pin.text, new: value, rule, id: pin.id };
}
