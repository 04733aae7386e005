// `repin install` / `repin uninstall`: the hook on one host, for people without Ansible.
import { realpathSync } from 'node:fs';
import type { Argv, CommandModule } from 'yargs';
import { configPath } from '../../io/config-file.js';
import { install, uninstall, type HookMode } from '../../io/install.js';
import type { Io } from '../../io/process-io.js';

interface InstallArgs {
  mode: HookMode;
  'hooks-dir': string;
  node?: string;
  config?: string;
  script?: string;
}

export function installCommand(io: Io): CommandModule<object, InstallArgs> {
  return {
    command: 'install',
    describe: "install this script as libvirt's QEMU hook",
    builder: (y) =>
      y
        .option('mode', { choices: ['main', 'dropin', 'auto'] as const, default: 'main', describe: 'main: hooks/qemu; dropin: hooks/qemu.d/50-repin; auto: main unless a foreign hook is there' })
        .option('hooks-dir', { type: 'string', default: '/etc/libvirt/hooks' })
        .option('node', { type: 'string', describe: 'absolute node path for the shebang (default: this node)' })
        .option('config', { type: 'string', describe: 'config to create if missing (default /etc/libvirt/repin.json)' })
        .option('script', { type: 'string', describe: 'bundle to install (default: this script)' }) as unknown as Argv<InstallArgs>,
    handler: (args) => {
      const result = install({
        script: args.script ?? realpathSync(io.scriptPath),
        hooksDir: args['hooks-dir'],
        mode: args.mode,
        node: args.node ?? process.execPath,
        configPath: configPath(io.env, args.config),
      });
      for (const line of result.messages) io.stdout.write(`${line}\n`);
    },
  };
}

export function uninstallCommand(io: Io): CommandModule<object, { 'hooks-dir': string }> {
  return {
    command: 'uninstall',
    describe: "remove repin's hook (never a foreign one); the config stays",
    builder: (y) => y.option('hooks-dir', { type: 'string', default: '/etc/libvirt/hooks' }),
    handler: (args) => {
      for (const line of uninstall(args['hooks-dir'])) io.stdout.write(`${line}\n`);
    },
  };
}
