// `repin replay CAPTURE`: re-run the filter on a journaled capture against
// the current (or a given) host and config; no side effects.
import { isAbsolute, join } from 'node:path';
import type { CommandModule } from 'yargs';
import { filterDomainXml, normalizeXml } from '../../core/plan/filter-xml.js';
import { unifiedDiff } from '../../core/unified-diff.js';
import { existsSync } from 'node:fs';
import type { Io } from '../../io/process-io.js';
import { ExitCode } from '../../core/errors.js';
import { EXIT } from '../exit.js';
import { readDomainInput } from '../input.js';
import { resolvePlanning, withPlanningOptions, type PlanningArgs } from '../options.js';
import { renderPlan } from '../render/plan-view.js';

interface Args extends PlanningArgs {
  capture: string;
  json?: boolean;
}

export function replayCommand(io: Io): CommandModule<object, Args> {
  return {
    command: 'replay <capture>',
    describe: 'replay a journaled capture (path, or captures/NAME from the journal) and show plan and diff',
    builder: (y) => withPlanningOptions(y).positional('capture', { type: 'string', demandOption: true }).option('json', { type: 'boolean' }),
    handler: async (args) => {
      const planning = resolvePlanning(args, io);
      const path = isAbsolute(args.capture) || existsSync(args.capture) ? args.capture : join(planning.config.journal.dir, args.capture);
      const xml = await readDomainInput(path, io);
      const result = filterDomainXml(xml, planning.host, planning.config, planning.policy, { enrichHost: planning.enrich });
      if (args.json) {
        io.stdout.write(`${JSON.stringify({ capture: path, ...result.plan, output: result.output ?? null }, null, 2)}\n`);
      } else {
        io.stdout.write(renderPlan(result.plan, result.pins, planning.host, 80, result.original));
        if (result.output) io.stdout.write(`\n${unifiedDiff(normalizeXml(xml), result.output, ['capture', 'replayed'])}`);
      }
      if (result.plan.outcome === 'refused') throw new ExitCode(EXIT.no);
    },
  };
}
