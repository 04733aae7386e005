// `repin install` / `repin uninstall`: the hook on one host, for people without
// Ansible; where systemd runs, also the CLI copy and the reconcile units that
// fix migrated domains' saved definitions.
import { existsSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { DEFAULT_CONFIG } from '../../core/config.js';
import { ConfigError } from '../../core/errors.js';
import { PATH_UNIT } from '../../core/reconcile-units.js';
import { configPath, loadConfig } from '../../io/config-file.js';
import {
  checkHasCli,
  checkUnits,
  DISABLE_ARGS,
  ENABLE_ARGS,
  install,
  installCli,
  installedHooks,
  installUnits,
  systemctl,
  systemdRuns,
  uninstall,
  uninstallUnits,
  type HookMode,
} from '../../io/install.js';
import { CODE_CACHE_DIR, makeCodeCache, removeCodeCaches } from '../../io/code-cache.js';
import type { Io } from '../../io/process-io.js';

const HOOKS_DIR = '/etc/libvirt/hooks';
const UNITS_DIR = '/etc/systemd/system';

interface UnitArgs {
  'hooks-dir': string;
  'units-dir'?: string;
  units?: boolean;
  systemctl: boolean;
}

interface InstallArgs extends UnitArgs {
  mode: HookMode;
  node?: string;
  config?: string;
  script?: string;
  'bin-dir': string;
  'cache-dir'?: string;
  'code-cache': boolean;
}

interface CodeCacheArgs {
  'hooks-dir': string;
  hook?: string;
  'cache-dir': string;
  force: boolean;
}

const UNITS_HELP =
  'install the reconcile units (default: where systemd runs, when installing into the system hooks dir or given --units-dir)';

function unitOptions<T>(y: Argv<T>): Argv<T & UnitArgs> {
  return y
    .option('hooks-dir', { type: 'string', default: HOOKS_DIR })
    .option('units-dir', { type: 'string', describe: `systemd unit dir (default ${UNITS_DIR})` })
    .option('units', { type: 'boolean', describe: UNITS_HELP })
    .option('systemctl', { type: 'boolean', default: true, describe: 'run systemctl daemon-reload and enable/disable (--no-systemctl: only write files)' });
}

/** Units only on a systemd host's real hooks dir, unless asked: a test tree must not touch the system. */
function wantUnits(args: UnitArgs, io: Io): boolean {
  return args.units ?? (args['units-dir'] !== undefined || (args['hooks-dir'] === HOOKS_DIR && systemdRuns(io.fsRoot)));
}

const CACHE_DIR_HELP = `where the hook's code cache goes (default ${CODE_CACHE_DIR} when installing into ${HOOKS_DIR}; the hook reads it there)`;

/** The code cache's dir: given, or the system's for the system hooks dir; none for a test tree. */
function cacheDir(args: { 'hooks-dir': string; 'cache-dir'?: string }): string | undefined {
  return args['cache-dir'] ?? (args['hooks-dir'] === HOOKS_DIR ? CODE_CACHE_DIR : undefined);
}

/** Where the config puts the spool and the journal (the defaults when it cannot be read). */
function places(path: string): { spoolDir: string; journalDir: string } {
  let config = DEFAULT_CONFIG;
  try {
    config = loadConfig(path);
  } catch {
    // the defaults, as the hook itself falls back to them
  }
  return { spoolDir: config.spoolDir, journalDir: config.journal.dir };
}

export function installCommand(io: Io): CommandModule<object, InstallArgs> {
  return {
    command: 'install',
    describe: "install this script as libvirt's QEMU hook, and the reconcile units where systemd runs",
    builder: (y) =>
      unitOptions(y)
        .option('mode', { choices: ['main', 'dropin', 'auto'] as const, default: 'main', describe: 'main: hooks/qemu; dropin: hooks/qemu.d/50-repin; auto: main unless a foreign hook is there' })
        .option('node', { type: 'string', describe: 'absolute node path for the shebang (default: this node)' })
        .option('config', { type: 'string', describe: 'config to create if missing (default /etc/libvirt/repin.json)' })
        .option('script', { type: 'string', describe: 'bundle to install (default: this script)' })
        .option('bin-dir', { type: 'string', default: '/usr/local/bin', describe: 'where the reconcile service finds the repin CLI (with the units)' })
        .option('cache-dir', { type: 'string', describe: CACHE_DIR_HELP })
        .option('code-cache', { type: 'boolean', default: true, describe: "make the hook's code cache (--no-code-cache: the hook compiles on every filter call)" }) as unknown as Argv<InstallArgs>,
    handler: async (args) => {
      const script = args.script ?? realpathSync(io.scriptPath);
      const node = args.node ?? process.execPath;
      const config = configPath(io.env, args.config);
      const units = wantUnits(args, io);
      const unitsDir = args['units-dir'] ?? UNITS_DIR;
      // Refuse before writing anything: the CLI copy needs the whole bundle, and units must be ours to replace.
      if (units) {
        checkHasCli(script);
        checkUnits(unitsDir);
      }
      const result = install({ script, hooksDir: args['hooks-dir'], mode: args.mode, node, configPath: config });
      for (const line of result.messages) io.stdout.write(`${line}\n`);
      const cache = cacheDir(args);
      if (args['code-cache'] && cache !== undefined) io.stdout.write(`${makeCodeCache(result.hookPath, cache).message}\n`);
      if (!units) return;
      const binPath = join(args['bin-dir'], 'repin');
      const lines = [installCli(script, node, binPath), ...installUnits(unitsDir, { binPath, ...places(config) })];
      for (const line of lines) io.stdout.write(`${line}\n`);
      if (!args.systemctl) return;
      io.stdout.write(`${await systemctl(['daemon-reload'], io.env)}\n`);
      io.stdout.write(`${await systemctl(ENABLE_ARGS, io.env)}\n`);
    },
  };
}

export function uninstallCommand(io: Io): CommandModule<object, UnitArgs> {
  return {
    command: 'uninstall',
    describe: "remove repin's hook and reconcile units (never foreign ones); the config and the CLI copy stay",
    builder: (y) => unitOptions(y).option('cache-dir', { type: 'string', describe: CACHE_DIR_HELP }),
    handler: async (args) => {
      for (const line of uninstall(args['hooks-dir'])) io.stdout.write(`${line}\n`);
      const cache = cacheDir(args);
      for (const path of cache === undefined ? [] : removeCodeCaches(cache)) io.stdout.write(`removed code cache ${path}\n`);
      if (!wantUnits(args, io)) return;
      const unitsDir = args['units-dir'] ?? UNITS_DIR;
      // Stop the watcher before its unit file goes away.
      if (args.systemctl && existsSync(join(unitsDir, PATH_UNIT))) await systemctl(DISABLE_ARGS, io.env).catch(() => undefined);
      const { removed, messages } = uninstallUnits(unitsDir);
      for (const line of messages) io.stdout.write(`${line}\n`);
      if (removed.length === 0) io.stdout.write(`no repin units in ${unitsDir}\n`);
      else if (args.systemctl) io.stdout.write(`${await systemctl(['daemon-reload'], io.env)}\n`);
    },
  };
}

export function codeCacheCommand(io: Io): CommandModule<object, CodeCacheArgs> {
  return {
    command: 'code-cache',
    describe: "make the installed hook's code cache again (after upgrading node; install makes it)",
    builder: (y) =>
      y
        .option('hooks-dir', { type: 'string', default: HOOKS_DIR, describe: "make it for repin's hooks here: qemu and qemu.d/50-repin" })
        .option('hook', { type: 'string', describe: 'make it for this hook file instead (a drop-in under another name)' })
        .option('cache-dir', { type: 'string', default: CODE_CACHE_DIR, describe: 'where the hook reads it' })
        .option('force', { type: 'boolean', default: false, describe: 'make it even when the one there was made for this build and node' }),
    handler: (args) => {
      const hooks = args.hook !== undefined ? [args.hook] : installedHooks(args['hooks-dir']);
      if (hooks.length === 0) throw new ConfigError(`no repin hook in ${args['hooks-dir']}`);
      for (const hook of hooks) io.stdout.write(`${makeCodeCache(hook, args['cache-dir'], { force: args.force }).message}\n`);
    },
  };
}
