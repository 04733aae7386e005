// Which host node each guest NUMA cell should land on (key -1: the domain as
// a whole, for pins that belong to no cell). The node a cell's memory is
// bound to wins; then the node its kept vCPUs are on; then the emptiest node
// that no other cell has taken.
import type { CpuAllocator } from './cpu-allocator.js';
import type { CpuSet } from '../../cpuset.js';
import type { CpuPin, DomainPins } from '../../domain/pins.js';
import type { Host } from '../../host/host.js';
import type { Demand } from './demands.js';
import { NodeVotes } from './node-votes.js';

export function planCellNodes(
  pins: DomainPins,
  cellOf: ReadonlyMap<number, number>,
  demands: readonly Demand[],
  kept: CpuSet,
  allocator: CpuAllocator,
  host: Host,
): Map<number, number> {
  const memoryNodes = new Set(host.nodes.filter((n) => n.hasMemory).map((n) => n.id));
  const boundNode = new Map<number, number>();
  for (const pin of pins.nodePins) {
    const first = pin.nodes.ids[0];
    if (first === undefined || !pin.nodes.ids.every((n) => memoryNodes.has(n))) continue;
    if (pin.kind === 'memnode' && pin.cell !== undefined) boundNode.set(pin.cell, first);
    if (pin.kind === 'numatune') boundNode.set(-1, first);
  }
  const keptVotes = new NodeVotes();
  // Index loops per vCPU pin: in code that runs once, for-of allocates an iterator result per step.
  for (let i = 0; i < pins.cpuPins.length; i++) {
    const pin = pins.cpuPins[i] as CpuPin;
    const { ids } = pin.cpus;
    for (let j = 0; j < ids.length; j++) {
      const cpu = ids[j] as number;
      if (!kept.has(cpu)) continue;
      const node = allocator.nodeOfCpu(cpu);
      if (node === undefined) continue;
      keptVotes.add(pin.kind === 'vcpupin' && pin.id !== undefined ? cellOf.get(pin.id) : undefined, node);
    }
  }
  const cells = [...new Set(demands.map((d) => d.cell ?? -1))].sort((a, b) => a - b);
  if (!cells.includes(-1)) cells.push(-1);
  const chosen = new Map<number, number>();
  const taken = new Set<number>();
  const byFree = allocator.nodesByFreeCount();
  for (const cell of cells) {
    const node =
      boundNode.get(cell) ?? keptVotes.top(cell) ?? (cell === -1 ? chosen.get(0) : undefined) ?? byFree.find((n) => !taken.has(n)) ?? byFree[0];
    if (node === undefined) continue;
    chosen.set(cell, node);
    taken.add(node);
  }
  return chosen;
}
