// `repin plan FILE|-`: what repin would do to a domain here, and why.
import type { CommandModule } from 'yargs';
import { filterDomainXml, normalizeXml } from '../../core/plan/filter-xml.js';
import { unifiedDiff } from '../../core/unified-diff.js';
import type { Io } from '../../io/process-io.js';
import { ExitCode } from '../../core/errors.js';
import { EXIT } from '../exit.js';
import { readDomainInput } from '../input.js';
import { resolvePlanning, withPlanningOptions, type PlanningArgs } from '../options.js';
import { renderPlan } from '../render/plan-view.js';

interface Args extends PlanningArgs {
  file: string;
  json?: boolean;
  diff?: boolean;
}

export function planCommand(io: Io): CommandModule<object, Args> {
  return {
    command: 'plan <file>',
    describe: 'show what repin would change in a domain XML (FILE or - for stdin) and why',
    builder: (y) =>
      withPlanningOptions(y)
        .positional('file', { type: 'string', demandOption: true })
        .option('json', { type: 'boolean', describe: 'the plan as JSON' })
        .option('diff', { type: 'boolean', describe: 'a unified diff of the XML' }),
    handler: async (args) => {
      const xml = await readDomainInput(args.file, io);
      const planning = resolvePlanning(args, io);
      const result = filterDomainXml(xml, planning.host, planning.config, planning.policy, { enrichHost: planning.enrich });
      if (args.json) io.stdout.write(`${JSON.stringify({ ...result.plan, host: planning.host.name, shadow: result.shadow }, null, 2)}\n`);
      else if (args.diff) io.stdout.write(result.output ? unifiedDiff(normalizeXml(xml), result.output, [`${args.file} (incoming)`, `${args.file} (repin)`]) : '');
      else io.stdout.write(renderPlan(result.plan, result.pins, planning.host, 80, result.original));
      if (result.plan.outcome === 'refused') throw new ExitCode(EXIT.no);
    },
  };
}
