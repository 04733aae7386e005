// A plan: what repin would change in a domain's host-side placement and why.
// Pure data; produced by the policies in policy-*.ts, applied by rewrite.ts.
import { pinLabel, type PinKind } from './domain-pins.js';

export const POLICIES = ['remap', 'intersect', 'unpin', 'strict'] as const;
export type Policy = (typeof POLICIES)[number];

export interface Change {
  readonly element: PinKind;
  /** vCPU, iothread, guest cell or memory device index; absent for single elements. */
  readonly id?: number;
  readonly old: string;
  /** New cpuset/nodeset, or null when the pin is released (element or attribute removed). */
  readonly new: string | null;
  readonly rule: string;
}

export type Outcome = 'unchanged' | 'rewritten' | 'refused';

export interface Plan {
  readonly domain: { readonly name: string; readonly uuid: string };
  readonly policy: Policy;
  readonly outcome: Outcome;
  readonly changes: readonly Change[];
  /** One line naming every offending element, the host's usable set and the policy. */
  readonly refusal?: string;
  /** Things an operator should know (shared substitutes, skipped elements). */
  readonly notes: readonly string[];
}

export function planOutcome(changes: readonly Change[], refusal: string | undefined): Outcome {
  if (refusal !== undefined) return 'refused';
  return changes.length > 0 ? 'rewritten' : 'unchanged';
}

/** `vcpupin vcpu=3`, `emulatorpin`, … for a change. */
export function changeLabel(change: Change): string {
  return pinLabel({ kind: change.element, id: change.id });
}
