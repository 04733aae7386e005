// `repin check FILE|-`: exit 0 when the domain fits the host as it is, 1 when not, 2 on error.
import type { CommandModule } from 'yargs';
import { filterDomainXml } from '../../core/filter.js';
import { changeLabel } from '../../core/plan.js';
import type { Io } from '../../io/process-io.js';
import { ExitCode } from '../../core/errors.js';
import { EXIT } from '../exit.js';
import { readDomainInput } from '../input.js';
import { resolvePlanning, withPlanningOptions, type PlanningArgs } from '../options.js';

interface Args extends PlanningArgs {
  file: string;
}

export function checkCommand(io: Io): CommandModule<object, Args> {
  return {
    command: 'check <file>',
    describe: 'does the domain fit the host as it is? (exit 0 yes, 1 no, 2 error)',
    builder: (y) => withPlanningOptions(y).positional('file', { type: 'string', demandOption: true }),
    handler: async (args) => {
      const xml = await readDomainInput(args.file, io);
      const planning = resolvePlanning(args, io);
      const { plan } = filterDomainXml(xml, planning.host, planning.config, 'strict', { enrichHost: planning.enrich });
      const name = plan.domain.name || args.file;
      if (plan.outcome === 'unchanged') {
        io.stdout.write(`${name}: fits host ${planning.host.name}\n`);
        return;
      }
      io.stdout.write(`${name}: does not fit host ${planning.host.name}: ${plan.refusal ?? plan.changes.map((c) => changeLabel(c)).join(', ')}\n`);
      throw new ExitCode(EXIT.no);
    },
  };
}
