// Realtime vCPUs (`<vcpusched scheduler='fifo'|'rr'>`) after a plan: each one
// pinned to one CPU must have it to itself, with no other vCPU, emulator or
// I/O thread pin of the domain on it. A realtime thread that shares its CPU
// starves the other thread (or the host's housekeeping) for as long as it
// runs. remap takes the realtime vCPUs' CPUs out of the floating pins it
// changed; intersect and unpin cannot place anything, so they refuse. Only
// what the plan changed is judged: a definition that already shared a CPU
// keeps doing so, as on its source.
import { CpuSet, parseCpuset } from '../cpuset.js';
import { pinLabel, vcpuCpusetInUse, type CpuPin, type DomainPins } from '../domain/pins.js';
import type { Change, Policy } from './plan.js';
import type { Pools } from './pools.js';
import { poolFor } from './pools.js';

export interface RealtimeFit {
  readonly changes: Change[];
  readonly refusal?: string;
}

interface Placed {
  readonly pin: CpuPin;
  readonly cpus: CpuSet;
  readonly change: Change | undefined;
}

/** Each CPU pin with its CPUs after `changes` (a released pin floats over its pool). */
function placeAll(pins: DomainPins, changes: readonly Change[], pools: Pools): Placed[] {
  // A <vcpu cpuset> that every thread's own pin overrides places nothing (vcpuCpusetInUse).
  const superseded = !vcpuCpusetInUse(pins);
  return pins.cpuPins.filter((pin) => !(superseded && pin.kind === 'vcpu')).map((pin) => {
    const c = changes.find((ch) => ch.element === pin.kind && ch.id === pin.id);
    const cpus = !c ? pin.cpus : c.new === null ? poolFor(pin.kind, pools) : parseCpuset(c.new);
    return { pin, cpus, change: c };
  });
}

export function fitRealtime(pins: DomainPins, changes: readonly Change[], pools: Pools, policy: Policy): RealtimeFit {
  const realtime = pins.realtime;
  if (!realtime || changes.length === 0) return { changes: [...changes] };
  let placed = placeAll(pins, changes, pools);
  const isRt = (p: Placed): boolean => p.pin.kind === 'vcpupin' && p.pin.id !== undefined && realtime.has(p.pin.id) && p.pin.cpus.size === 1;
  const out = [...changes];
  if (policy === 'remap') {
    // Substitutes for realtime vCPUs are CPUs of their own (CpuAllocator.takeAlone); what remains is a floating pin
    // the plan moved over their CPUs (the source shared a CPU between them): take those CPUs out of it.
    const rtCpus = CpuSet.of(placed.filter(isRt).flatMap((p) => p.cpus.ids));
    for (const p of placed) {
      if (isRt(p) || !p.change || p.change.new === null) continue;
      const overlap = p.cpus.intersect(rtCpus);
      if (overlap.isEmpty) continue;
      const left = p.cpus.minus(rtCpus);
      if (left.isEmpty) continue;
      const index = out.indexOf(p.change);
      out[index] = { ...p.change, new: left.toString(), rule: `${p.change.rule}; kept off CPU ${overlap.toString()} of realtime vCPUs` };
    }
    placed = placeAll(pins, out, pools);
  }
  for (const rt of placed.filter(isRt)) {
    const cpu = rt.cpus.ids[0] ?? -1;
    const movedRt = rt.change !== undefined;
    if (rt.cpus.size !== 1 && movedRt) {
      return { changes: [], refusal: `${pinLabel(rt.pin)} is realtime (vcpusched): policy ${policy} would leave it on CPUs ${rt.cpus.toString()}, not one of its own; refused, the guest keeps running on the source` };
    }
    const sharers = placed.filter((p) => p !== rt && p.cpus.has(cpu) && (movedRt || p.change !== undefined));
    if (sharers.length > 0) {
      const named = sharers.map((p) => `${pinLabel(p.pin)}${p.change?.new === null ? ' (released)' : ''}`);
      const who = named.length > 3 ? `${named.slice(0, 3).join(', ')} and ${named.length - 3} more` : named.join(', ');
      return {
        changes: [],
        refusal: `${pinLabel(rt.pin)} is realtime (vcpusched): policy ${policy} would share its CPU ${cpu} with ${who}; refused, the guest keeps running on the source`,
      };
    }
  }
  return { changes: out };
}
