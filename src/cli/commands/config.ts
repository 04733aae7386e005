// `repin config check FILE`: validate a config before it goes live (Ansible's validate:).
import type { CommandModule } from 'yargs';
import { loadConfig } from '../../io/state/config-file.js';
import type { Io } from '../../io/process-io.js';

export function configCommand(io: Io): CommandModule<object, { action: string; file: string }> {
  return {
    command: 'config <action> <file>',
    describe: 'config check FILE: validate a config file',
    builder: (y) =>
      y.positional('action', { choices: ['check'], demandOption: true }).positional('file', { type: 'string', demandOption: true }),
    handler: (args) => {
      const config = loadConfig(args.file, { mustExist: true });
      io.stdout.write(`${args.file}: valid (policy ${config.policy}, onError ${config.onError}${config.shadow ? ', shadow' : ''})\n`);
    },
  };
}
