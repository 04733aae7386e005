// What a plan must also respect for QEMU to start here, after a policy has
// placed the pins: hugepage-backed memory on nodes with the free pages
// (hugepage-fit.ts), realtime vCPUs alone on their CPUs (realtime-fit.ts),
// and <cputune><shares> within the cgroup's range (cpu-shares.ts).
import { parseCpuset, type CpuSet } from '../cpuset.js';
import type { SharesVerdict } from './cpu-shares.js';
import type { DomainPins } from '../domain/pins.js';
import type { Misfits } from './fit.js';
import type { Host } from '../host/host.js';
import { fitHugepages } from './hugepage-fit.js';
import type { Change } from './plan.js';
import type { PlanOptions } from './make-plan.js';
import { remapChanges } from './remap/remap.js';
import type { Pools } from './pools.js';
import { fitRealtime } from './realtime-fit.js';

export interface FitContext {
  readonly pins: DomainPins;
  readonly host: Host;
  readonly pools: Pools;
  readonly held: CpuSet | undefined;
  readonly misfits: Misfits;
  readonly options: PlanOptions;
  readonly shares: SharesVerdict | undefined;
}

export interface Placed {
  readonly changes: Change[];
  readonly notes: string[];
  readonly refusal?: string;
}

/**
 * The policy's changes checked and completed: a hugepage-backed cell remap
 * moved to another node takes its vCPUs along when they can have CPUs of
 * their own there (else they stay, with a note); any other policy refuses a
 * shortfall with the numbers; then realtime vCPUs and shares.
 */
export function fitBeyondPins(ctx: FitContext, placed: Placed): Placed {
  const { pins, host, pools, options } = ctx;
  const remap = options.policy === 'remap';
  let { changes, notes } = placed;
  let hugepages = fitHugepages(pins, host, pools.nodes, changes, remap);
  if (remap && hugepages.misfits.length === 0 && hugepages.split.size > 0) {
    const along = remapChanges(pins, ctx.misfits, host, pools, ctx.held, { overcommit: options.overcommit === true, relocate: hugepages.split });
    const squeezed = along.notes.some((n) => n.includes('share CPUs the domain already uses'));
    const whole = along.refusal === undefined && !squeezed && cellsOnNodes(pins, host, along.changes, hugepages.split);
    const again = whole ? fitHugepages(pins, host, pools.nodes, along.changes, true) : undefined;
    if (again && again.misfits.length === 0) {
      changes = along.changes;
      notes = along.notes;
      hugepages = again;
    }
  }
  if (hugepages.misfits.length > 0) {
    const only = remap ? '' : '; only remap moves hugepage-backed memory';
    return { changes: [], notes, refusal: `${hugepages.misfits.join('; ')} (policy ${options.policy}${only})` };
  }
  notes = [...notes, ...hugepages.notes];
  const realtime = fitRealtime(pins, hugepages.changes, pools, options.policy);
  if (realtime.refusal !== undefined) return { changes: [], notes, refusal: realtime.refusal };
  return { changes: ctx.shares ? [...realtime.changes, ctx.shares.change] : realtime.changes, notes };
}

/** Whether every pinned vCPU of each cell is on its node after `changes` (cell → node). */
function cellsOnNodes(pins: DomainPins, host: Host, changes: readonly Change[], nodes: ReadonlyMap<number, number>): boolean {
  const nodeOf = new Map(host.cpus.map((c) => [c.id, c.node]));
  const cellOf = new Map<number, number>();
  for (const cell of pins.cells) for (const v of cell.vcpus.ids) cellOf.set(v, cell.id);
  return pins.cpuPins.every((pin) => {
    const node = pin.kind === 'vcpupin' && pin.id !== undefined ? nodes.get(cellOf.get(pin.id) ?? -1) : undefined;
    if (node === undefined) return true;
    const c = changes.find((ch) => ch.element === 'vcpupin' && ch.id === pin.id);
    const cpus = c ? (c.new === null ? [] : parseCpuset(c.new).ids) : pin.cpus.ids;
    return cpus.every((cpu) => nodeOf.get(cpu) === node);
  });
}
