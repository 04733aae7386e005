// A saved definition made to fit: planned as the hook plans a live one, and
// redefined only when nothing changed it meanwhile.
import { readDomainPins } from '../core/domain/pins.js';
import { VirshError } from '../core/errors.js';
import { claimOf } from '../core/reconcile/claims.js';
import { planReconcile, type ReconcileResult } from '../core/reconcile/decide.js';
import type { ReconcileRequest } from '../io/state/spool.js';
import { readDomain } from '../core/xml/read-domain.js';
import { describe, note, SOURCE_TEXT, type Run } from './run.js';

/**
 * The plan for a saved definition, made as the hook plans a live one: around
 * other guests' CPUs (not the guest's own) and the other saved definitions'.
 * When it does not fit and the hook's changes do not apply, the guest's live
 * pins, fitted by the hook on arrival, are what it should start with next time.
 */
async function planSaved(run: Run, uuid: string, xml: string, request: ReconcileRequest | undefined): Promise<ReconcileResult> {
  const host = run.occupied(readDomainPins(readDomain(xml).doc), run.host());
  const inputs = { claims: run.claims, ...(request ? { recorded: request.changes } : {}) };
  const result = planReconcile(xml, host, run.config, run.policy, inputs);
  if (result.plan.outcome !== 'rewritten' || result.source !== 'fresh') return result;
  const live = await run.virsh.dumpLiveXml(uuid);
  return live === xml ? result : planReconcile(xml, host, run.config, run.policy, { ...inputs, live });
}

/**
 * Plan one persistent domain's saved definition and, unless it fits, redefine
 * it. 'retry': virsh itself failed (libvirt restarting, a timeout) while the
 * request may still wait: nothing is journaled and the request stays.
 */
export async function reconcileDomain(run: Run, uuid: string, request: ReconcileRequest | undefined, quietIfFits: boolean, mayRetry = false): Promise<'done' | 'retry'> {
  const started = performance.now();
  const domain = { name: request?.name ?? '', uuid };
  try {
    for (let attempt = 1; ; attempt++) {
      const xml = await run.virsh.dumpInactiveXml(uuid);
      const result = await planSaved(run, uuid, xml, request);
      Object.assign(domain, { name: result.pins.name });
      const base = { policy: result.plan.policy, changes: result.plan.changes, started };
      // What later plans of this run keep off: the plan's result when it is defined (or shown), else the pins as they are.
      const leaves = run.dryRun || (result.plan.outcome === 'rewritten' && !result.shadow) ? result : { pins: result.pins };
      run.claims.set(uuid, { name: result.pins.name, cpus: claimOf(leaves) });
      if (run.dryRun) {
        run.io.stdout.write(run.showPlan(result, run.host()));
        if (result.plan.outcome === 'rewritten') run.io.stdout.write(`source: ${SOURCE_TEXT[result.source]}; dry run, not defined\n\n`);
        return 'done';
      }
      if (result.plan.outcome === 'unchanged' || result.plan.outcome === 'skipped') {
        const why = result.plan.skipped ?? 'saved definition fits this host';
        if (!quietIfFits) note(run, result.plan.outcome, domain, { ...base, notes: [why] });
        return 'done';
      }
      if (result.plan.outcome === 'refused') {
        note(run, 'refused', domain, { ...base, failed: true, notes: [result.plan.refusal ?? 'refused'] });
        return 'done';
      }
      if (result.shadow) {
        note(run, 'shadow', domain, { ...base, notes: [...result.plan.notes, 'shadow mode: not defined'] });
        return 'done';
      }
      // Right before define: has anyone else changed the saved definition since we read it?
      const again = await run.virsh.dumpInactiveXml(uuid);
      if (again !== xml) {
        if (attempt < 2) continue;
        note(run, 'skipped', domain, { ...base, failed: true, notes: ['the saved definition changed between read and define twice (someone else is editing it): left alone'] });
        return 'done';
      }
      await run.virsh.defineXml(result.output ?? xml).catch((error: unknown) => {
        run.claims.set(uuid, { name: result.pins.name, cpus: claimOf({ pins: result.pins }) });
        throw error;
      });
      const why = `saved definition redefined from ${SOURCE_TEXT[result.source]} (${result.plan.changes.length} change${result.plan.changes.length === 1 ? '' : 's'})`;
      note(run, 'rewritten', domain, { ...base, notes: [...result.plan.notes, why] }, xml);
      return 'done';
    }
  } catch (error) {
    if (mayRetry && error instanceof VirshError) return 'retry';
    note(run, 'error', domain, { changes: request?.changes ?? [], started, error: describe(error) });
    return 'done';
  }
}


/** Before --all plans anything: every saved definition's dedicated CPUs as they are, so no rewrite lands on them. */
export async function claimSaved(run: Run, uuids: readonly string[]): Promise<void> {
  for (const uuid of uuids) {
    try {
      const pins = readDomainPins(readDomain(await run.virsh.dumpInactiveXml(uuid)).doc);
      if (!run.claims.has(uuid)) run.claims.set(uuid, { name: pins.name, cpus: claimOf({ pins }) });
    } catch {
      // reconcileDomain reads it again and reports what is wrong
    }
  }
}

