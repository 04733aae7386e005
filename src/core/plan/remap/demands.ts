// The CPUs remap must replace, with what they are to the guest: which vCPUs
// use them, whether a pin is dedicated (one CPU), the guest NUMA cell and the
// guest core (for SMT siblings). Dedicated CPUs are placed first.
import { isDedicated, type CpuPin, type DomainPins } from '../../domain/pins.js';

export interface Demand {
  readonly cpu: number;
  dedicated: boolean;
  /** Some vCPU uses this CPU (vCPUs are placed before emulator and I/O threads). */
  vcpu: boolean;
  cell: number | undefined;
  /** Guest core (vCPU id / threads) when the guest has SMT and a dedicated vCPU uses this CPU. */
  core: number | undefined;
  /** A realtime vCPU (vcpusched fifo/rr) is pinned to this CPU alone: its substitute must be a CPU of its own. */
  realtime?: number;
}

/** Guest cell of each vCPU that a `<cpu><numa><cell cpus>` names. */
export function vcpuCells(pins: DomainPins): Map<number, number> {
  const cells = new Map<number, number>();
  for (const cell of pins.cells) {
    // Index loops per vCPU here and below: in code that runs once, for-of allocates an iterator result per step.
    const { ids } = cell.vcpus;
    for (let i = 0; i < ids.length; i++) cells.set(ids[i] as number, cell.id);
  }
  return cells;
}

export function collectDemands(
  pins: DomainPins,
  cellOf: ReadonlyMap<number, number>,
  classPins: readonly CpuPin[],
  bad: (pin: CpuPin, cpu: number) => boolean,
): Demand[] {
  const byCpu = new Map<number, Demand>();
  for (let i = 0; i < classPins.length; i++) {
    const pin = classPins[i] as CpuPin;
    const dedicated = isDedicated(pin);
    const vcpu = pin.kind === 'vcpupin' ? pin.id : undefined;
    const { ids } = pin.cpus;
    for (let j = 0; j < ids.length; j++) {
      const cpu = ids[j] as number;
      if (!bad(pin, cpu)) continue;
      let demand = byCpu.get(cpu);
      if (!demand) {
        demand = { cpu, dedicated: false, vcpu: false, cell: undefined, core: undefined };
        byCpu.set(cpu, demand);
      }
      demand.dedicated ||= dedicated;
      if (dedicated && vcpu !== undefined && pins.realtime?.has(vcpu)) demand.realtime ??= vcpu;
      demand.vcpu ||= pin.kind === 'vcpupin' || pin.kind === 'vcpu';
      if (vcpu !== undefined) {
        demand.cell ??= cellOf.get(vcpu);
        if (dedicated && pins.threadsPerCore > 1) demand.core ??= Math.floor(vcpu / pins.threadsPerCore);
      }
    }
  }
  return [...byCpu.values()];
}

/** Groups placed together (one guest core's siblings), dedicated ones first, then by cell and CPU. */
export function orderDemands(demands: readonly Demand[]): Demand[][] {
  const groups = new Map<string, Demand[]>();
  for (const d of demands) {
    const key = d.core === undefined ? `cpu/${d.cpu}` : `core/${d.cell ?? -1}/${d.core}`;
    const group = groups.get(key);
    if (group) group.push(d);
    else groups.set(key, [d]);
  }
  const rank = (g: Demand[]): [number, number, number, number] => {
    const first = g[0];
    const tier = first?.realtime !== undefined ? -1 : (first?.dedicated ? 0 : 2) + (first?.vcpu ? 0 : 1);
    return [tier, first?.cell ?? -1, first?.core ?? -1, first?.cpu ?? -1];
  };
  return [...groups.values()].sort((a, b) => {
    const ra = rank(a);
    const rb = rank(b);
    return ra[0] - rb[0] || ra[1] - rb[1] || ra[2] - rb[2] || ra[3] - rb[3];
  });
}
