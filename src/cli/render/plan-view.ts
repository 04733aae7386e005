// A plan for people: the changes and why, then the domain drawn on the host
// map before and after.
import { parseCpuset, type CpuSet } from '../../core/cpuset.js';
import { pinLabel, type CpuPin, type DomainPins, type PinKind } from '../../core/domain/pins.js';
import type { OriginalPin } from '../../core/domain/metadata.js';
import type { Host } from '../../core/host/host.js';
import { changeLabel, type Plan } from '../../core/plan/plan.js';
import { renderHostMap } from './host-map.js';

function shortLabel(pin: CpuPin): string {
  if (pin.kind === 'vcpupin') return `v${pin.id}`;
  if (pin.kind === 'iothreadpin') return `I${pin.id}`;
  if (pin.kind === 'emulatorpin') return 'E';
  return 'V';
}

/** Labels per CPU for pins of at most `maxSet` CPUs (wider sets would paint the whole map). */
function placementMarks(pins: readonly { pin: CpuPin; cpus: CpuSet }[], host: Host, maxSet = 4): { marks: Map<number, string>; offHost: string[] } {
  const online = new Set(host.cpus.map((c) => c.id));
  const marks = new Map<number, string>();
  const offHost: string[] = [];
  for (const { pin, cpus } of pins) {
    if (cpus.size > maxSet) continue;
    for (const cpu of cpus.ids) {
      const label = shortLabel(pin);
      if (!online.has(cpu)) {
        offHost.push(`${label}→${cpu}`);
        continue;
      }
      const had = marks.get(cpu);
      marks.set(cpu, had === undefined ? label : had.endsWith('+') ? had : `${had}+`);
    }
  }
  return { marks, offHost };
}

function table(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, col) => Math.max(...rows.map((r) => (r[col] ?? '').length))) ?? [];
  return rows.map((r) => `  ${r.map((cell, col) => (col === r.length - 1 ? cell : cell.padEnd(widths[col] ?? 0))).join('  ')}`.trimEnd());
}

/** Original (from repin's metadata) → current → proposed, per pin. */
function intentTable(plan: Plan, pins: DomainPins, original: readonly OriginalPin[]): string[] {
  const key = (kind: string, id: number | undefined): string => `${kind}/${id ?? ''}`;
  const current = new Map([...pins.cpuPins, ...pins.nodePins].map((p) => [key(p.kind, p.id), p.text]));
  const proposed = new Map(plan.changes.map((c) => [key(c.element, c.id), c.new]));
  const keys = new Map<string, { element: PinKind; id?: number }>();
  for (const o of original) keys.set(key(o.element, o.id), o);
  for (const p of [...pins.cpuPins, ...pins.nodePins]) keys.set(key(p.kind, p.id), { element: p.kind, ...(p.id === undefined ? {} : { id: p.id }) });
  const rows = [['element', 'original', 'current', 'proposed']];
  for (const [k, ref] of keys) {
    const now = current.get(k) ?? '-';
    const next = proposed.has(k) ? (proposed.get(k) ?? '(released)') : now;
    rows.push([pinLabel({ kind: ref.element, id: ref.id }), original.find((o) => key(o.element, o.id) === k)?.value ?? '-', now, next]);
  }
  return ['', 'placement (original from the domain metadata):', ...table(rows)];
}

export function renderPlan(plan: Plan, pins: DomainPins, host: Host, width = 80, original?: readonly OriginalPin[]): string {
  const out: string[] = [];
  out.push(`domain ${plan.domain.name || '(unnamed)'} on host ${host.name}, policy ${plan.policy}`);
  if (plan.domain.uuid) out.push(`uuid ${plan.domain.uuid}`);
  out.push(`host usable CPUs ${host.usable.toString() || 'none'}; nodes with memory ${host.nodes.filter((n) => n.hasMemory).map((n) => n.id).join(',') || 'none'}`);
  if (plan.outcome === 'refused') {
    out.push(`outcome: REFUSED — ${plan.refusal ?? ''}`);
  } else if (plan.outcome === 'skipped') {
    out.push(`outcome: left alone — ${plan.skipped ?? ''}`);
  } else if (plan.outcome === 'unchanged') {
    out.push('outcome: fits this host, nothing to change');
  } else {
    out.push(`outcome: rewritten, ${plan.changes.length} change${plan.changes.length === 1 ? '' : 's'}`);
    out.push('');
    const rows = [['element', 'old', 'new', 'why']];
    for (const c of plan.changes) rows.push([changeLabel(c), c.old ?? '(none)', c.new ?? '(released)', c.rule]);
    out.push(...table(rows));
  }
  for (const note of plan.notes) out.push(`note: ${note}`);
  if (original) out.push(...intentTable(plan, pins, original));
  const before = pins.cpuPins.map((pin) => ({ pin, cpus: pin.cpus }));
  const after = pins.cpuPins.flatMap((pin) => {
    const c = plan.changes.find((ch) => ch.element === pin.kind && ch.id === pin.id);
    if (!c) return [{ pin, cpus: pin.cpus }];
    return c.new === null ? [] : [{ pin, cpus: parseCpuset(c.new) }];
  });
  const legend = 'vN vCPU N, E emulator, IN iothread N, V <vcpu cpuset>, + several';
  const b = placementMarks(before, host);
  out.push('', `before  (${legend})`, renderHostMap(host, { width, marks: b.marks }).trimEnd());
  if (b.offHost.length > 0) out.push(`  not on this host: ${b.offHost.join(' ')}`);
  if (plan.outcome === 'rewritten') {
    out.push('', 'after', renderHostMap(host, { width, marks: placementMarks(after, host).marks }).trimEnd());
  }
  return `${out.join('\n')}\n`;
}
