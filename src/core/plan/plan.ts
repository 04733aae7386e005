// A plan: what repin would change in a domain's host-side placement and why.
// Pure data; produced by the policies in policy-*.ts, applied by rewrite.ts.
import { pinLabel, type CpuPin, type PinKind } from '../domain/pins.js';

export const POLICIES = ['remap', 'intersect', 'unpin', 'strict'] as const;
export type Policy = (typeof POLICIES)[number];

/** What a change names: a host-side pin, or `<cputune><shares>` (host-fit.ts), which libvirt checks against the host's cgroup version. */
export type ChangeElement = PinKind | 'shares';

export interface Change {
  readonly element: ChangeElement;
  /** vCPU, iothread, guest cell or memory device index; absent for single elements. */
  readonly id?: number;
  /** Old cpuset/nodeset, or null when the element is created (restoring an original pin). */
  readonly old: string | null;
  /** New cpuset/nodeset, or null when the pin is released (element or attribute removed). */
  readonly new: string | null;
  readonly rule: string;
  /** numatune memory/memnode mode, when the change recreates such an element. */
  readonly mode?: string;
}

export type Outcome = 'unchanged' | 'rewritten' | 'refused' | 'skipped';

export interface Plan {
  readonly domain: { readonly name: string; readonly uuid: string };
  readonly policy: Policy;
  readonly outcome: Outcome;
  readonly changes: readonly Change[];
  /** One line naming every offending element, the host's usable set and the policy. */
  readonly refusal?: string;
  /** Why the domain was left alone (another manager owns its pins). */
  readonly skipped?: string;
  /** Things an operator should know (shared substitutes, skipped elements). */
  readonly notes: readonly string[];
}

export function planOutcome(changes: readonly Change[], refusal: string | undefined): Outcome {
  if (refusal !== undefined) return 'refused';
  return changes.length > 0 ? 'rewritten' : 'unchanged';
}

/** `vcpupin vcpu=3`, `emulatorpin`, … for a change. */
export function changeLabel(change: Change): string {
  return change.element === 'shares' ? 'cputune shares' : pinLabel({ kind: change.element, id: change.id });
}

/** CPUs the domain will hold alone once started: its single-CPU vcpu/emulator pins after the plan. */
export function dedicatedCpusAfter(pins: readonly CpuPin[], changes: readonly Change[]): number[] {
  // Changed values by element and id; index loops and no string keys: this runs once per vCPU.
  const changed = { vcpupin: new Map<number | undefined, string | null>(), emulatorpin: new Map<number | undefined, string | null>() };
  for (let i = 0; i < changes.length; i++) {
    const c = changes[i] as Change;
    if (c.element === 'vcpupin' || c.element === 'emulatorpin') changed[c.element].set(c.id, c.new);
  }
  const out: number[] = [];
  for (let i = 0; i < pins.length; i++) {
    const pin = pins[i] as CpuPin;
    if (pin.kind !== 'vcpupin' && pin.kind !== 'emulatorpin') continue;
    const byId = changed[pin.kind];
    const text = byId.has(pin.id) ? (byId.get(pin.id) ?? null) : pin.text;
    if (text !== null && /^\s*\d+\s*$/.test(text)) out.push(Number(text));
  }
  return out;
}
