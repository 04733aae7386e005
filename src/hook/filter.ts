// The hook's filter op: read the XML, plan against this host, print the
// rewritten XML whole or nothing, journal what happened. Faults follow
// config onError (keep: print nothing, exit 0; fail: exit 1 with one line).
import { DEFAULT_CONFIG, type Config } from '../core/config.js';
import { printable } from '../core/cpuset.js';
import { RepinError } from '../core/errors.js';
import { filterDomainXml, type FilterResult, type FilterTimings } from '../core/filter.js';
import { MAX_XML_BYTES } from '../core/xml.js';
import { configPath, loadConfig } from '../io/config-file.js';
import { chooseHost } from '../io/host-source.js';
import { record, type JournalEntry, type JournalOutcome } from '../io/journal.js';
import type { Io } from '../io/process-io.js';
import { readText } from '../io/read-input.js';

const now = (): number => performance.now();

function oneLine(text: string): string {
  return printable(text.replace(/\s+/g, ' '), 600);
}

export async function runFilter(io: Io, op: string): Promise<number> {
  const started = now();
  const timings: FilterTimings & { startup?: number; read?: number } = { startup: started };
  const domainArg = io.argv[0] ?? '';
  let config: Config = DEFAULT_CONFIG;
  let xml: string | undefined;
  let result: FilterResult | undefined;
  let fault: unknown;
  try {
    config = loadConfig(configPath(io.env));
    const t = now();
    xml = await readText(io.stdin, MAX_XML_BYTES, 'domain XML on stdin');
    timings.read = now() - t;
    const host = chooseHost({ host: io.env.REPIN_HOST, hostRoot: io.env.REPIN_HOST_ROOT }, io.fsRoot);
    result = filterDomainXml(xml, host, config, undefined, now, timings);
  } catch (error) {
    fault = error;
  }

  let outcome: JournalOutcome;
  let code = 0;
  let print: string | undefined;
  if (fault !== undefined || !result) {
    outcome = 'error';
    if (config.onError === 'fail') {
      io.stderr.write(`repin: ${op} of ${printable(domainArg)} failed: ${oneLine(describe(fault))}\n`);
      code = 1;
    }
  } else if (result.shadow) {
    outcome = 'shadow';
  } else if (result.plan.outcome === 'refused') {
    outcome = 'refused';
    io.stderr.write(`repin: ${printable(result.plan.domain.name)}: ${oneLine(result.plan.refusal ?? 'refused')}\n`);
    code = 1;
  } else {
    outcome = result.plan.outcome;
    print = result.output;
  }
  // One write of the complete document: libvirt (or the next qemu.d script) sees all or nothing.
  if (print !== undefined) io.stdout.write(print.endsWith('\n') ? print : `${print}\n`);

  const entry: JournalEntry = {
    time: new Date().toISOString(),
    op,
    domain: result?.pins.name ?? domainArg,
    uuid: result?.pins.uuid ?? '',
    policy: result?.plan.policy ?? config.policy,
    outcome,
    changes: result?.plan.changes ?? [],
    durationMs: Math.round((now() - started) * 100) / 100,
    ...(result?.plan.refusal ? { refusal: result.plan.refusal } : {}),
    ...(fault !== undefined ? { error: oneLine(describe(fault)) } : {}),
    ...(result && result.plan.notes.length > 0 ? { notes: result.plan.notes } : {}),
  };
  try {
    const dir = io.env.REPIN_JOURNAL_DIR ?? config.journal.dir;
    record({ ...config.journal, dir }, entry, xml);
  } catch (error) {
    io.stderr.write(`repin: journal not written (${oneLine(describe(error))}); the filter result stands\n`);
  }
  if (io.env.REPIN_TIMING === '1') {
    io.stderr.write(`repin timing: ${JSON.stringify({ ...timings, total: now() - started, uptime: process.uptime() * 1000 })}\n`);
  }
  return code;
}

function describe(error: unknown): string {
  if (error instanceof RepinError) return error.message;
  if (error instanceof Error) return `internal error: ${error.message}`;
  return String(error);
}
