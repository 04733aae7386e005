// The hook's filter op: read the XML, plan against this host, print the
// rewritten XML whole or nothing, journal what happened. Faults follow
// config onError (keep: print nothing, exit 0; fail: exit 1 with one line).
import { DEFAULT_CONFIG, type Config } from '../core/config.js';
import { CpuSet, printable } from '../core/cpuset.js';
import { readDomainOnDemand } from '../core/xml/domain-tree.js';
import { filterTree, type FilterResult, type FilterTimings } from '../core/plan/filter-tree.js';
import { isoTime } from '../core/iso-time.js';
import { MAX_XML_BYTES } from '../core/xml/limits.js';
import { configPath, loadConfig } from '../io/state/config-file.js';
import { hookHostSource, hostView } from '../io/host/view.js';
import { record, type JournalEntry, type JournalOutcome } from '../io/state/journal.js';
import { runDir } from '../io/host/local-occupancy.js';
import { monotonicMs } from '../io/monotonic.js';
import { isOutputCutShort, type Io } from '../io/process-io.js';
import { loadReservations, RESERVATION_TTL_MS, saveReservations, withHostLock } from '../io/state/reservations.js';
import { dedicatedCpusAfter } from '../core/plan/plan.js';
import { hugepageClaims } from '../core/plan/hugepage-fit.js';
import { memoryNodes, type Host } from '../core/host/host.js';
import { readFdText, readText } from '../io/fs/read-input.js';
import { writeReconcileRequest } from '../io/state/spool.js';
import type { StartMarks } from './hook-main.js';
import { describeFault, filterExit, type FilterEnd } from './exit.js';

function oneLine(text: string): string {
  return printable(text.replace(/\s+/g, ' '), 600);
}

/**
 * Where a filter call's time goes, in ms, for REPIN_TIMING=1 and `npm run bench`:
 * startup (process start until the hook's bundle is loaded and compiled),
 * init (its modules evaluated), then each step of the filter.
 */
type Timings = FilterTimings & Partial<Record<'startup' | 'init' | 'config' | 'read' | 'host' | 'lock' | 'reserve' | 'print' | 'spool' | 'journal', number>>;

export async function runFilter(io: Io, op: string, marks?: StartMarks): Promise<number> {
  const started = monotonicMs();
  const uptime = process.uptime() * 1000;
  const timings: Timings = marks ? { startup: marks.loaded, init: uptime - marks.loaded } : { startup: uptime };
  let last = started;
  const lap = (step: keyof Timings): void => {
    const t = monotonicMs();
    timings[step] = t - last;
    last = t;
  };
  const domainArg = io.argv[0] ?? '';
  let config: Config = DEFAULT_CONFIG;
  let xml: string | undefined;
  let result: FilterResult | undefined;
  let fault: unknown;
  try {
    config = loadConfig(configPath(io.env));
    lap('config');
    xml = io.stdinFd === undefined ? await readText(io.stdin, MAX_XML_BYTES, 'domain XML on stdin') : readFdText(io.stdinFd, MAX_XML_BYTES, 'domain XML on stdin');
    lap('read');
    const view = hostView(hookHostSource(io.env), io.fsRoot, io.env);
    const host = view.read();
    lap('host');
    // XML as libvirt writes it never loads xmldom (domain-tree.ts).
    const tree = await readDomainOnDemand(xml);
    lap('parse');
    const dir = runDir(io.env);
    // Occupancy, plan and reservation under one host-wide lock: concurrent arrivals get disjoint CPUs.
    result = withHostLock(dir, (locked) => {
      lap('lock');
      const planned = filterTree(tree, host, config, undefined, {
        clock: monotonicMs,
        timings,
        ...(view.withOthers ? { enrichHost: view.withOthers } : {}),
      });
      last = monotonicMs();
      if (locked && planned.plan.outcome !== 'refused') reserve(dir, planned, host.usable, host);
      lap('reserve');
      return planned;
    });
  } catch (error) {
    fault = error;
  }

  let outcome: JournalOutcome;
  let end: FilterEnd;
  let print: string | undefined;
  if (fault !== undefined || !result) {
    outcome = 'error';
    end = 'fault';
    if (config.onError === 'fail') io.stderr.write(`repin: ${op} of ${printable(domainArg)} failed: ${oneLine(describeFault(fault))}\n`);
  } else if (result.shadow) {
    outcome = 'shadow';
    end = 'kept';
  } else if (result.plan.outcome === 'refused') {
    outcome = 'refused';
    end = 'refused';
    io.stderr.write(`repin: ${printable(result.plan.domain.name)}: ${oneLine(result.plan.refusal ?? 'refused')}\n`);
  } else {
    outcome = result.plan.outcome;
    print = result.output;
    end = print === undefined ? 'kept' : 'printed';
  }
  // One write of the complete document: libvirt (or the next qemu.d script) sees all or nothing.
  if (print !== undefined) {
    try {
      io.stdout.write(print.endsWith('\n') ? print : `${print}\n`);
    } catch (error) {
      // Nothing written yet: hookMain's last resort keeps libvirt's XML, truthfully.
      if (!isOutputCutShort(error)) throw error;
      // Part of the XML is out and cannot be taken back. libvirt would fail to parse it and cancel
      // the migration (or restore) anyway (docs/libvirt-hooks.md, "Broken output"); exiting 1 fails
      // it the same way, before parsing, and puts this line in virsh's error instead of a parser's.
      // Exit 0 would be no safer: the half document is what libvirt would use.
      fault = error;
      outcome = 'error';
      end = 'cut-short';
      io.stderr.write(`repin: ${op} of ${printable(domainArg)}: ${error.message}; exit 1, libvirt fails the ${op}\n`);
    }
  }
  const code = filterExit(end, config.onError);
  lap('print');

  const entry: JournalEntry = {
    time: isoTime(Date.now()),
    op,
    domain: result?.pins.name ?? domainArg,
    uuid: result?.pins.uuid ?? '',
    policy: result?.plan.policy ?? config.policy,
    outcome,
    changes: result?.plan.changes ?? [],
    durationMs: Math.round((monotonicMs() - started) * 100) / 100,
    ...(marks?.codeCache !== undefined ? { codeCache: marks.codeCache } : {}),
    ...(result?.plan.refusal ? { refusal: result.plan.refusal } : {}),
    ...(result?.plan.skipped ? { skipped: result.plan.skipped } : {}),
    ...(fault !== undefined ? { error: oneLine(describeFault(fault)) } : {}),
    ...(result && result.plan.notes.length > 0 ? { notes: result.plan.notes } : {}),
  };
  if (op === 'migrate' && result && (outcome === 'rewritten' || (outcome === 'shadow' && result.plan.changes.length > 0))) {
    // The saved definition travels unfiltered: leave `repin reconcile` a note (the hook never calls libvirt).
    try {
      writeReconcileRequest(io.env.REPIN_SPOOL_DIR ?? config.spoolDir, { uuid: result.pins.uuid, name: result.pins.name, time: entry.time, changes: [...result.plan.changes] });
    } catch (error) {
      io.stderr.write(`repin: reconcile request not written (${oneLine(describeFault(error))}); run repin reconcile --all later\n`);
    }
  }
  lap('spool');
  try {
    const dir = io.env.REPIN_JOURNAL_DIR ?? config.journal.dir;
    record({ ...config.journal, dir }, entry, xml);
  } catch (error) {
    io.stderr.write(`repin: journal not written (${oneLine(describeFault(error))}); the filter result stands\n`);
  }
  lap('journal');
  if (io.env.REPIN_TIMING === '1') {
    io.stderr.write(`repin timing: ${JSON.stringify({ ...timings, total: monotonicMs() - started, uptime: process.uptime() * 1000, codeCache: marks?.codeCache })}\n`);
  }
  return code;
}

/** Record the CPUs of this host that the domain will hold alone until it is seen running. */
function reserve(dir: string, result: FilterResult, usable: CpuSet, host: Host): void {
  // In shadow mode libvirt starts the guest with its incoming pins: those are what it will hold.
  const changes = result.shadow ? [] : result.plan.changes;
  const cpus = dedicatedCpusAfter(result.pins.cpuPins, changes).filter((cpu) => usable.has(cpu));
  const { uuid, name } = result.pins;
  // Huge pages the guest will take (src/core/plan/hugepage-fit.ts): none for a guest without hugepages.
  const hugepages = result.pins.hugepages ? hugepageClaims(result.pins, host, memoryNodes(host), changes) : [];
  const all = loadReservations(dir);
  const others = all.filter((r) => r.uuid !== uuid);
  if (cpus.length === 0 && hugepages.length === 0 && others.length === all.length) return;
  const expires = Date.now() + RESERVATION_TTL_MS;
  const mine = cpus.length === 0 && hugepages.length === 0 ? [] : [{ uuid, name, cpus: CpuSet.of(cpus).toString(), expires, ...(hugepages.length > 0 ? { hugepages } : {}) }];
  try {
    saveReservations(dir, [...others, ...mine]);
  } catch {
    // a reservation is an optimisation for concurrent arrivals; never fail a migration over it
  }
}
