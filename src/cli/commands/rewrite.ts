// `repin rewrite FILE|-`: the rewritten XML on stdout, exactly what the hook prints.
import type { CommandModule } from 'yargs';
import { filterDomainXml } from '../../core/plan/filter-xml.js';
import type { Io } from '../../io/process-io.js';
import { ExitCode } from '../../core/errors.js';
import { EXIT } from '../exit.js';
import { readDomainInput } from '../input.js';
import { resolvePlanning, withPlanningOptions, type PlanningArgs } from '../options.js';

interface Args extends PlanningArgs {
  file: string;
}

export function rewriteCommand(io: Io): CommandModule<object, Args> {
  return {
    command: 'rewrite <file>',
    describe: 'print the domain XML rewritten to fit the host (unchanged input is printed as is)',
    builder: (y) => withPlanningOptions(y).positional('file', { type: 'string', demandOption: true }),
    handler: async (args) => {
      const xml = await readDomainInput(args.file, io);
      const planning = resolvePlanning(args, io);
      const result = filterDomainXml(xml, planning.host, planning.config, planning.policy, { enrichHost: planning.enrich });
      if (result.plan.outcome === 'refused') {
        io.stderr.write(`repin: ${result.plan.refusal ?? 'refused'}\n`);
        throw new ExitCode(EXIT.no);
      }
      io.stdout.write(result.output ?? xml);
    },
  };
}
