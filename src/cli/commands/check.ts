// `repin check FILE|-`: exit 0 when the domain fits the host as it is, 1 when not, 2 on error,
// 3 when another manager owns its pins and repin leaves it alone (as the hook does).
import type { CommandModule } from 'yargs';
import { filterDomainXml } from '../../core/plan/filter-xml.js';
import { changeLabel } from '../../core/plan/plan.js';
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
    describe: 'does the domain fit the host as it is? (exit 0 yes, 1 no, 2 error, 3 left alone)',
    builder: (y) =>
      withPlanningOptions(y)
        .positional('file', { type: 'string', demandOption: true })
        .epilog(
          [
            'Exit codes:',
            `  ${EXIT.ok}  fits`,
            `  ${EXIT.no}  does not fit (the reason follows)`,
            `  ${EXIT.error}  bad input, config or host`,
            `  ${EXIT.leftAlone}  left alone: another manager (Nova, oVirt, KubeVirt) owns the domain's`,
            '     pins and config manageForeign is off; the hook would not change it either',
          ].join('\n'),
        ),
    handler: async (args) => {
      const xml = await readDomainInput(args.file, io);
      const planning = resolvePlanning(args, io);
      const { plan } = filterDomainXml(xml, planning.host, planning.config, 'strict', { enrichHost: planning.enrich });
      const name = plan.domain.name || args.file;
      if (plan.outcome === 'unchanged') {
        io.stdout.write(`${name}: fits host ${planning.host.name}\n`);
        return;
      }
      if (plan.outcome === 'skipped') {
        io.stdout.write(`${name}: left alone on host ${planning.host.name}: ${plan.skipped ?? 'another manager owns its pins'}\n`);
        throw new ExitCode(EXIT.leftAlone);
      }
      const reason = plan.refusal ?? plan.changes.map((c) => changeLabel(c)).join(', ');
      io.stdout.write(`${name}: does not fit host ${planning.host.name}: ${reason || `outcome ${plan.outcome}`}\n`);
      throw new ExitCode(EXIT.no);
    },
  };
}
