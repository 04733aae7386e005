// Planning from a domain's original placement (its repin metadata record)
// instead of from an already-changed copy: A→B shrinks the pins, B→A puts the
// original back exactly; A→B→C remaps from A's pins, not B's.
import { parseCpuset } from './cpuset.js';
import type { CpuPin, DomainPins, NodePin, PinKind } from './domain-pins.js';
import type { Host } from './host.js';
import type { OriginalPin } from './metadata.js';
import { planOutcome, type Change, type Plan } from './plan.js';
import { planDomain, type PlanOptions } from './planner.js';

const CPU_KINDS: ReadonlySet<PinKind> = new Set(['vcpu', 'vcpupin', 'emulatorpin', 'iothreadpin']);
const key = (element: PinKind, id: number | undefined): string => `${element}/${id ?? ''}`;

/** The placement as a record: what the metadata stores the first time repin changes a domain. */
export function recordOf(pins: DomainPins): OriginalPin[] {
  return [
    ...pins.cpuPins.map((p) => ({ element: p.kind, value: p.text, ...(p.id === undefined ? {} : { id: p.id }) })),
    ...pins.nodePins.map((p) => ({ element: p.kind, value: p.text, ...(p.id === undefined ? {} : { id: p.id }), ...(p.mode ? { mode: p.mode } : {}) })),
  ];
}

/**
 * Whether the current definition still has what a record entry pins (or a
 * pin from another definition of the same domain, src/core/reconcile-live.ts): the
 * vCPU, I/O thread, guest cell or memory device may have gone since (vCPUs
 * or DIMMs unplugged, `virsh iothreaddel`), and numad may place the vCPUs or
 * memory now (`placement='auto'`): such an entry is left out, not restored.
 */
export function stillThere(entry: OriginalPin, current: DomainPins): boolean {
  const id = entry.id ?? -1;
  switch (entry.element) {
    case 'vcpu':
      return !current.autoPlaced?.includes('vcpu');
    case 'numatune':
      return !current.autoPlaced?.includes('numatune');
    case 'vcpupin':
      return id < current.vcpus;
    case 'iothreadpin':
      return current.iothreadIds === undefined || current.iothreadIds.includes(id);
    case 'memnode':
      return current.cells.some((cell) => cell.id === id);
    case 'memdev':
      return current.memoryDevices === undefined || id < current.memoryDevices;
    case 'emulatorpin':
      return true;
  }
}

/**
 * The domain as it was originally pinned (guest topology from the current
 * definition): the record's entries that still apply, and the current pins
 * the record does not name (added since it was written) as they are now.
 */
function originalPins(current: DomainPins, original: readonly OriginalPin[]): { pins: DomainPins; recorded: ReadonlySet<string> } {
  const cellOfMemdev = new Map(current.nodePins.filter((p) => p.kind === 'memdev').map((p) => [p.id, p.cell]));
  const applies = original.filter((o) => stillThere(o, current));
  const recorded = new Set(applies.map((o) => key(o.element, o.id)));
  const cpuPins: CpuPin[] = current.cpuPins.filter((p) => !recorded.has(key(p.kind, p.id)));
  const nodePins: NodePin[] = current.nodePins.filter((p) => !recorded.has(key(p.kind, p.id)));
  for (const o of applies) {
    const set = parseCpuset(o.value);
    const id = o.id === undefined ? {} : { id: o.id };
    if (CPU_KINDS.has(o.element)) {
      cpuPins.push({ kind: o.element as CpuPin['kind'], ...id, cpus: set, text: o.value });
    } else {
      const cell = o.element === 'memnode' ? o.id : cellOfMemdev.get(o.id);
      nodePins.push({ kind: o.element as NodePin['kind'], ...id, ...(cell === undefined ? {} : { cell }), nodes: set, text: o.value, ...(o.mode ? { mode: o.mode } : {}) });
    }
  }
  return { pins: { ...current, cpuPins, nodePins }, recorded };
}

/**
 * Plan from the original record: restore it exactly when it fits, otherwise
 * apply the policy to the original (never to an already-changed copy).
 * Deterministic, so planning the output again on the same host changes
 * nothing. Changes are relative to the current XML.
 */
export function planFromOriginal(current: DomainPins, original: readonly OriginalPin[], host: Host, options: PlanOptions): Plan {
  const { pins: orig, recorded } = originalPins(current, original);
  const fromOriginal = planDomain(orig, host, options);
  if (fromOriginal.outcome === 'refused') return { ...fromOriginal, changes: [] };

  const target = new Map<string, { value: string | null; rule: string; mode?: string }>();
  const planned = new Map(fromOriginal.changes.map((c) => [key(c.element, c.id), c]));
  for (const pin of [...orig.cpuPins, ...orig.nodePins]) {
    const k = key(pin.kind, pin.id);
    const change = planned.get(k);
    const mode = 'mode' in pin && pin.mode ? { mode: pin.mode } : {};
    const from = recorded.has(k) ? ` (from the original ${pin.text})` : '';
    target.set(k, change ? { value: change.new, rule: `${change.rule}${from}`, ...mode } : { value: pin.text, rule: 'original placement restored', ...mode });
  }
  const currentByKey = new Map<string, CpuPin | NodePin>([...current.cpuPins, ...current.nodePins].map((p) => [key(p.kind, p.id), p]));
  const changes: Change[] = [];
  for (const [k, want] of target) {
    const now = currentByKey.get(k);
    const [element, idText] = k.split('/') as [PinKind, string];
    const id = idText === '' ? {} : { id: Number(idText) };
    const same = now !== undefined && want.value !== null && parseCpuset(want.value).equals('cpus' in now ? now.cpus : now.nodes);
    if (same || (now === undefined && want.value === null)) continue;
    changes.push({ element, ...id, old: now?.text ?? null, new: want.value, rule: want.rule, ...(want.mode ? { mode: want.mode } : {}) });
  }
  return { ...fromOriginal, outcome: planOutcome(changes, undefined), changes, notes: [...fromOriginal.notes] };
}
