// The changes that give a saved definition the placement its guest runs with
// here: after a migration the hook fitted the live pins to this host, and an
// operator expects the next cold start to use the same CPUs. Pure.
import { parseCpuset } from '../cpuset.js';
import type { DomainPins } from '../domain/pins.js';
import { elementKey as key, recordOf, stillThere } from '../domain/intent.js';
import type { OriginalPin } from '../domain/metadata.js';
import type { Change } from '../plan/plan.js';

/** Same ids, however written (`0-2` and `0,1,2`). */
export function sameIds(a: string, b: string): boolean {
  try {
    return parseCpuset(a).equals(parseCpuset(b));
  } catch {
    return a === b;
  }
}

/**
 * One change per pin whose live value differs from the saved one: set, created
 * or released. Pins for what the saved definition lacks (a vCPU or DIMM
 * hot-plugged live only) are left out.
 */
export function liveChanges(saved: DomainPins, live: DomainPins): Change[] {
  const rule = 'as the guest runs here (its live definition)';
  const before = new Map<string, OriginalPin>(recordOf(saved).map((p) => [key(p), p]));
  const after = new Map<string, OriginalPin>(recordOf(live).filter((p) => stillThere(p, saved)).map((p) => [key(p), p]));
  const changes: Change[] = [];
  for (const [k, pin] of after) {
    const old = before.get(k);
    if (old !== undefined && sameIds(old.value, pin.value)) continue;
    changes.push({ element: pin.element, ...(pin.id === undefined ? {} : { id: pin.id }), old: old?.value ?? null, new: pin.value, rule, ...(pin.mode ? { mode: pin.mode } : {}) });
  }
  for (const [k, pin] of before) {
    if (!after.has(k)) changes.push({ element: pin.element, ...(pin.id === undefined ? {} : { id: pin.id }), old: pin.value, new: null, rule });
  }
  return changes;
}
