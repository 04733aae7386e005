// `repin hook DOMAIN OP SUBOP [EXTRA]`: run the hook protocol by hand, exactly as libvirt would.
import type { CommandModule } from 'yargs';
import { hookMain } from '../../hook/hook-main.js';
import type { Io } from '../../io/process-io.js';
import { ExitCode } from '../../core/errors.js';

interface Args {
  domain: string;
  op: string;
  subop: string;
  extra: string;
}

export function hookCommand(io: Io): CommandModule<object, Args> {
  return {
    command: 'hook <domain> <op> <subop> [extra]',
    describe: 'run the libvirt hook protocol by hand (domain XML on stdin)',
    builder: (y) =>
      y
        .positional('domain', { type: 'string', demandOption: true })
        .positional('op', { type: 'string', demandOption: true })
        .positional('subop', { type: 'string', demandOption: true })
        .positional('extra', { type: 'string', default: '-' }),
    handler: async (args) => {
      const code = await hookMain({ ...io, argv: [args.domain, args.op, args.subop, args.extra] });
      if (code !== 0) throw new ExitCode(code);
    },
  };
}
