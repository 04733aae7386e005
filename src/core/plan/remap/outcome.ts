// What remap could not keep, said in the plan. Substitutes follow each guest
// NUMA cell to one host node and each guest core to sibling threads of one
// host core when the host has room; when it has not, the plan says where the
// result falls short instead of leaving the README's promise to be checked by
// hand.
import { CpuSet } from '../../cpuset.js';
import type { CpuPin, DomainPins } from '../../domain/pins.js';
import type { Host, HostCpu } from '../../host/host.js';
import type { Change } from '../plan.js';

/** At most this many examples per note: a 512-vCPU guest must not get a 512-item line. */
const SHOWN = 4;

function listed(items: readonly string[]): string {
  return items.length > SHOWN ? `${items.slice(0, SHOWN).join('; ')}; … ${items.length - SHOWN} more` : items.join('; ');
}

/**
 * Notes for guest cells whose vCPUs remap spread over several host nodes, and
 * guest cores whose vCPUs it put on CPUs that are not sibling threads of one
 * host core. Only groups with a vCPU remap moved, each pinned to one CPU.
 */
export function placementNotes(pins: DomainPins, cellOf: ReadonlyMap<number, number>, changes: readonly Change[], host: Host): string[] {
  // Index loops per vCPU and per host CPU: in code that runs once, for-of allocates an iterator result per step.
  const moved = new Set<number>();
  for (let i = 0; i < changes.length; i++) {
    const c = changes[i] as Change;
    if (c.element === 'vcpupin' && c.id !== undefined && c.new !== null) moved.add(c.id);
  }
  if (moved.size === 0) return [];
  const cpuOf = new Map<number, number>();
  for (let i = 0; i < pins.cpuPins.length; i++) {
    const pin = pins.cpuPins[i] as CpuPin;
    if (pin.kind === 'vcpupin' && pin.id !== undefined && pin.cpus.size === 1) cpuOf.set(pin.id, pin.cpus.ids[0] ?? -1);
  }
  for (let i = 0; i < changes.length; i++) {
    const c = changes[i] as Change;
    if (c.element !== 'vcpupin' || c.id === undefined) continue;
    const single = c.new !== null && /^\d+$/.test(c.new) ? Number(c.new) : undefined;
    if (single === undefined) cpuOf.delete(c.id);
    else cpuOf.set(c.id, single);
  }
  // Only the CPUs the vCPUs end on: no map of a 4096-CPU host per plan.
  const wanted = new Set(cpuOf.values());
  const hostCpu = new Map<number, HostCpu>();
  for (let i = 0; i < host.cpus.length; i++) {
    const cpu = host.cpus[i] as HostCpu;
    if (wanted.has(cpu.id)) hostCpu.set(cpu.id, cpu);
  }
  /** The pinned vCPUs by `key`, only the groups with a vCPU remap moved. */
  const groups = <K>(key: (vcpu: number) => K): Map<K, number[]> => {
    const byKey = new Map<K, number[]>();
    const withMoved = new Set<K>();
    for (const vcpu of cpuOf.keys()) {
      const k = key(vcpu);
      const group = byKey.get(k);
      if (group) group.push(vcpu);
      else byKey.set(k, [vcpu]);
      if (moved.has(vcpu)) withMoved.add(k);
    }
    for (const k of byKey.keys()) if (!withMoved.has(k)) byKey.delete(k);
    return byKey;
  };
  /** Whether distinct CPUs, all sibling threads of the first one's core, hold these vCPUs: once per guest core, so no lists. */
  const onSiblings = (vcpus: readonly number[]): boolean => {
    const siblings = hostCpu.get(cpuOf.get(vcpus[0] ?? -1) ?? -1)?.siblings.ids;
    if (siblings === undefined) return false;
    for (let i = 0; i < vcpus.length; i++) {
      const cpu = cpuOf.get(vcpus[i] ?? -1) ?? -1;
      if (!siblings.includes(cpu)) return false;
      for (let j = 0; j < i; j++) if ((cpuOf.get(vcpus[j] ?? -1) ?? -1) === cpu) return false;
    }
    return true;
  };
  const notes: string[] = [];

  const split: string[] = [];
  if (pins.cells.length > 0) {
    for (const [cell, vcpus] of groups((vcpu) => cellOf.get(vcpu) ?? -1)) {
      if (cell === -1) continue;
      const nodes = CpuSet.of(vcpus.map((v) => hostCpu.get(cpuOf.get(v) ?? -1)?.node ?? -1).filter((n) => n >= 0));
      if (nodes.size > 1) split.push(`cell ${cell} on nodes ${nodes.toString()}`);
    }
  }
  if (split.length > 0) notes.push(`guest NUMA cells spread over several host nodes: ${listed(split)}`);

  const apart: string[] = [];
  if (pins.threadsPerCore > 1) {
    for (const vcpus of groups((vcpu) => `${cellOf.get(vcpu) ?? -1}/${Math.floor(vcpu / pins.threadsPerCore)}`).values()) {
      if (vcpus.length < 2 || onSiblings(vcpus)) continue;
      apart.push(`vCPUs ${CpuSet.of(vcpus).toString()} on CPUs ${vcpus.map((v) => cpuOf.get(v) ?? -1).join(',')}`);
    }
  }
  if (apart.length > 0) notes.push(`guest cores not on sibling threads of one host core: ${listed(apart)}`);
  return notes;
}
