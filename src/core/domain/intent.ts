// Planning from a domain's original placement (its repin metadata record)
// instead of from an already-changed copy: A→B shrinks the pins, B→A puts the
// original back exactly; A→B→C remaps from A's pins, not B's.
import { parseCpuset } from '../cpuset.js';
import type { EditableDocument } from '../xml/dom.js';
import { pinLabel, readDomainPins, type CpuPin, type DomainPins, type NodePin, type PinKind } from './pins.js';
import type { Host } from '../host/host.js';
import { readOriginal, writeOriginal, type OriginalPin } from './metadata.js';
import { planOutcome, type Change, type ChangeElement, type Plan } from '../plan/plan.js';
import { planDomain, type PlanOptions } from '../plan/make-plan.js';
import { applyChanges } from '../plan/rewrite.js';

const CPU_KINDS: ReadonlySet<PinKind> = new Set(['vcpu', 'vcpupin', 'emulatorpin', 'iothreadpin']);
const key = (element: ChangeElement, id: number | undefined): string => `${element}/${id ?? ''}`;
/** One element's identity in a record entry or a change (`vcpupin/3`, `emulatorpin/`): the same key the record is read by. */
export const elementKey = (entry: { readonly element: ChangeElement; readonly id?: number }): string => key(entry.element, entry.id);

/** The placement as a record: what the metadata stores the first time repin changes a domain. */
export function recordOf(pins: DomainPins): OriginalPin[] {
  return [
    ...pins.cpuPins.map((p) => ({ element: p.kind, value: p.text, ...(p.id === undefined ? {} : { id: p.id }) })),
    ...pins.nodePins.map((p) => ({ element: p.kind, value: p.text, ...(p.id === undefined ? {} : { id: p.id }), ...(p.mode ? { mode: p.mode } : {}) })),
  ];
}

/**
 * Whether the current definition still has what a record entry pins (or a
 * pin from another definition of the same domain, src/core/reconcile/live.ts): the
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

type Pin = CpuPin | NodePin;
const pinKey = (pin: Pin): string => key(pin.kind, pin.id);

/**
 * Whether the pin was changed since repin wrote it (by `virsh vcpupin`,
 * `virsh edit`, …): then its current value, or its absence, is the new intent.
 * An entry of an earlier record, which does not say what repin wrote, never is.
 */
function changedSince(entry: OriginalPin, now: Pin | undefined): boolean {
  const { written } = entry;
  if (written === undefined) return false;
  if (now === undefined || written === null) return now !== undefined || written !== null;
  return written !== now.text && !parseCpuset(written).equals('cpus' in now ? now.cpus : now.nodes);
}

/** The record read against the current definition: what to plan from, and what the next record keeps. */
export interface Intent {
  /** The domain as originally pinned: entries still as repin left them, the rest as they are now. */
  readonly pins: DomainPins;
  /** Keys planned from a record entry. */
  readonly recorded: ReadonlySet<string>;
  /** Entries for what the domain no longer has (stillThere): left out, and kept in the record as they are. */
  readonly gone: ReadonlySet<OriginalPin>;
  /** The record in its order, entries changed since by someone left out. */
  readonly entries: readonly OriginalPin[];
  /** Pins changed since repin wrote them, as `label (now value)`. */
  readonly changed: readonly string[];
}

/**
 * Read the record against the current definition (guest topology from it):
 * entries that still apply and are as repin left them give the original; a pin
 * changed since, and one the record does not name, is taken as it is now.
 */
export function readIntent(current: DomainPins, original: readonly OriginalPin[]): Intent {
  // No record yet (a first rewrite): the domain as it is is its own original.
  if (original.length === 0) return { pins: current, recorded: new Set(), gone: new Set(), entries: [], changed: [] };
  const now = pinsByKey(current);
  const cellOfMemdev = new Map(current.nodePins.filter((p) => p.kind === 'memdev').map((p) => [p.id, p.cell]));
  const gone = new Set<OriginalPin>();
  const entries: OriginalPin[] = [];
  const changed: string[] = [];
  const recorded = new Set<string>();
  for (const o of original) {
    const k = key(o.element, o.id);
    const pin = now.get(k);
    if (!stillThere(o, current)) gone.add(o);
    else if (changedSince(o, pin)) {
      changed.push(`${pinLabel({ kind: o.element, ...(o.id === undefined ? {} : { id: o.id }) })} (now ${pin?.text ?? 'absent'})`);
      continue;
    } else recorded.add(k);
    entries.push(o);
  }
  const cpuPins: CpuPin[] = current.cpuPins.filter((p) => !recorded.has(pinKey(p)));
  const nodePins: NodePin[] = current.nodePins.filter((p) => !recorded.has(pinKey(p)));
  for (const o of entries) {
    if (gone.has(o)) continue;
    const set = parseCpuset(o.value);
    const id = o.id === undefined ? {} : { id: o.id };
    if (CPU_KINDS.has(o.element)) {
      cpuPins.push({ kind: o.element as CpuPin['kind'], ...id, cpus: set, text: o.value });
    } else {
      const cell = o.element === 'memnode' ? o.id : cellOfMemdev.get(o.id);
      nodePins.push({ kind: o.element as NodePin['kind'], ...id, ...(cell === undefined ? {} : { cell }), nodes: set, text: o.value, ...(o.mode ? { mode: o.mode } : {}) });
    }
  }
  return { pins: { ...current, cpuPins, nodePins }, recorded, gone, entries, changed };
}

/**
 * The record to write with `changes` applied to `current`: each entry's
 * original, and as its written value what the output holds. Entries that no
 * longer apply stay as they are; a pin changed since repin wrote it, or not
 * named yet, is recorded as if for the first time (its current value is its
 * original); a pin that is absent and was not recorded has nothing to record.
 */
export function nextRecord(current: DomainPins, intent: Intent, changes: readonly Change[]): OriginalPin[] {
  const changed = new Map<string, Change>();
  for (const c of changes) changed.set(key(c.element, c.id), c);
  const written = (k: string, now: Pin | undefined): string | null => {
    const change = changed.get(k);
    return change ? change.new : (now?.text ?? null);
  };
  const named = new Set<string>();
  const record: OriginalPin[] = [];
  let now: Map<string, Pin> | undefined;
  for (const o of intent.entries) {
    const k = key(o.element, o.id);
    named.add(k);
    now ??= pinsByKey(current);
    record.push(intent.gone.has(o) ? o : recordEntry(o.element, o.id, o.value, o.mode, written(k, now.get(k))));
  }
  const add = (pin: Pin, mode: string | undefined): void => {
    const k = pinKey(pin);
    if (!named.has(k)) record.push(recordEntry(pin.kind, pin.id, pin.text, mode, written(k, pin)));
  };
  for (const pin of current.cpuPins) add(pin, undefined);
  for (const pin of current.nodePins) add(pin, pin.mode);
  return record;
}

/** The current pins by key (a domain has one pin per key: readDomainPins refuses repeats). */
function pinsByKey(current: DomainPins): Map<string, Pin> {
  const byKey = new Map<string, Pin>();
  for (const pin of current.cpuPins) byKey.set(pinKey(pin), pin);
  for (const pin of current.nodePins) byKey.set(pinKey(pin), pin);
  return byKey;
}

/** A record entry with id and mode only when set. Built field by field: a spread per entry is costly for 512 pins in cold code. */
function recordEntry(element: PinKind, id: number | undefined, value: string, mode: string | undefined, written: string | null): OriginalPin {
  const entry: { -readonly [K in keyof OriginalPin]: OriginalPin[K] } = { element, value, written };
  if (id !== undefined) entry.id = id;
  if (mode) entry.mode = mode;
  return entry;
}

/**
 * Plan from the original record: restore it exactly when it fits, otherwise
 * apply the policy to the original (never to an already-changed copy).
 * Deterministic, so planning the output again on the same host changes
 * nothing. Changes are relative to the current XML.
 */
export function planFromOriginal(current: DomainPins, intent: Intent, host: Host, options: PlanOptions): Plan {
  const { pins: orig, recorded } = intent;
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
  // Changes to what is not a pin (<cputune><shares>) are judged on the current XML, not the record.
  for (const c of fromOriginal.changes) if (c.element === 'shares') changes.push(c);
  return { ...fromOriginal, outcome: planOutcome(changes, undefined), changes, notes: [...fromOriginal.notes] };
}

/**
 * Apply changes repin made elsewhere (the hook's, to a saved definition) and
 * keep the document's record true to them, as a rewrite by the filter would.
 */
export function applyOwnChanges(doc: EditableDocument, changes: readonly Change[]): void {
  const pins = readDomainPins(doc);
  const original = readOriginal(doc);
  applyChanges(doc, changes);
  if (original) writeOriginal(doc, nextRecord(pins, readIntent(pins, original), changes), true);
}

/** Record `original` in a document without a record, with what the document holds as the written values. */
export function recordFirst(doc: EditableDocument, original: readonly OriginalPin[]): boolean {
  const pins = readDomainPins(doc);
  return writeOriginal(doc, nextRecord(pins, readIntent(pins, original), []));
}
