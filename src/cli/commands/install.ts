// `repin install` / `repin uninstall`: repin on one host, by hand or from the
// Ansible role (which runs exactly this). The layout is src/bundle/layout.ts;
// what each step does, src/io/install/install.ts.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { DROPIN_NAME, SYSTEM_BIN_DIR, SYSTEM_HOOKS_DIR, SYSTEM_LIB_DIR, SYSTEM_UNITS_DIR } from '../../bundle/layout.js';
import { DEFAULT_CONFIG } from '../../core/config.js';
import { ConfigError } from '../../core/errors.js';
import { PATH_UNIT } from '../../core/reconcile/units.js';
import { configPath, loadConfig } from '../../io/state/config-file.js';
import { describeStep, install, systemdRuns, uninstall, type HookMode, type Step } from '../../io/install/install.js';
import type { Io } from '../../io/process-io.js';
import { DISABLE_ARGS, ENABLE_ARGS, pathUnitRunning, systemctl } from '../../io/install/systemctl.js';

interface CommonArgs {
  'hooks-dir': string;
  'lib-dir'?: string;
  'bin-dir'?: string;
  'units-dir'?: string;
  units?: boolean;
  systemctl: boolean;
  'dry-run': boolean;
  json: boolean;
}

interface InstallArgs extends CommonArgs {
  mode: HookMode;
  'dropin-name': string;
  node?: string;
  config?: string;
  build?: string;
  'code-cache': boolean;
}

interface UninstallArgs extends CommonArgs {
  purge: boolean;
}

function commonOptions<T>(y: Argv<T>): Argv<T & CommonArgs> {
  return y
    .option('hooks-dir', { type: 'string', default: SYSTEM_HOOKS_DIR })
    .option('lib-dir', { type: 'string', describe: `where builds go, one dir each (default ${SYSTEM_LIB_DIR} with the system hooks dir; required with another)` })
    .option('bin-dir', { type: 'string', describe: `where the repin command goes (default ${SYSTEM_BIN_DIR} with the system hooks dir; none with another)` })
    .option('units-dir', { type: 'string', describe: `systemd unit dir (default ${SYSTEM_UNITS_DIR})` })
    .option('units', { type: 'boolean', describe: 'the reconcile units (default: where systemd runs, with the system hooks dir or given --units-dir)' })
    .option('systemctl', { type: 'boolean', default: true, describe: 'run systemctl daemon-reload and enable/disable the path unit when needed (--no-systemctl: only files)' })
    .option('dry-run', { type: 'boolean', default: false, describe: 'say what would change; write nothing' })
    .option('json', { type: 'boolean', default: false, describe: 'print the report as one JSON object (for the Ansible role)' });
}

interface Places {
  readonly hooksDir: string;
  readonly libDir: string;
  readonly binDir?: string;
  readonly unitsDir?: string;
}

/** The system layout for the system hooks dir; a test tree names its own dirs and never gets units unless asked. */
function places(args: CommonArgs, io: Io): Places {
  const system = args['hooks-dir'] === SYSTEM_HOOKS_DIR;
  const libDir = args['lib-dir'] ?? (system ? SYSTEM_LIB_DIR : undefined);
  if (libDir === undefined) throw new ConfigError(`--lib-dir is required with --hooks-dir ${args['hooks-dir']}`);
  const binDir = args['bin-dir'] ?? (system ? SYSTEM_BIN_DIR : undefined);
  const units = args.units ?? (args['units-dir'] !== undefined || (system && systemdRuns(io.fsRoot)));
  if (units && binDir === undefined) throw new ConfigError('the reconcile units run the repin command: give --bin-dir');
  return { hooksDir: args['hooks-dir'], libDir, ...(binDir !== undefined ? { binDir } : {}), ...(units ? { unitsDir: args['units-dir'] ?? SYSTEM_UNITS_DIR } : {}) };
}

/** Where the config puts the spool and the journal (the defaults when it cannot be read, as the hook falls back). */
function spoolAndJournal(path: string): { spoolDir: string; journalDir: string } {
  let config = DEFAULT_CONFIG;
  try {
    config = loadConfig(path);
  } catch {
    // the defaults
  }
  return { spoolDir: config.spoolDir, journalDir: config.journal.dir };
}

/** The path unit enabled and running, when units were written or it is not so yet. */
async function startPathUnit(io: Io, unitsChanged: boolean, dryRun: boolean): Promise<Step[]> {
  if (!unitsChanged && (await pathUnitRunning(io.env))) return [{ path: PATH_UNIT, action: 'kept', what: 'running unit' }];
  if (!dryRun) {
    await systemctl(['daemon-reload'], io.env);
    await systemctl(ENABLE_ARGS, io.env);
  }
  return [{ path: PATH_UNIT, action: 'updated', what: 'enabled and started unit' }];
}

function print(io: Io, args: CommonArgs, report: object, steps: readonly Step[], extra: readonly string[]): void {
  if (args.json) {
    io.stdout.write(`${JSON.stringify({ ...report, changed: steps.some((s) => s.action !== 'kept'), steps })}\n`);
    return;
  }
  for (const step of steps) io.stdout.write(`${describeStep(step, args['dry-run'])}\n`);
  for (const line of extra) io.stdout.write(`${line}\n`);
}

export function installCommand(io: Io): CommandModule<object, InstallArgs> {
  return {
    command: 'install',
    describe: "install this build: libvirt's QEMU hook, the repin command and, where systemd runs, the reconcile units",
    builder: (y) =>
      commonOptions(y)
        .option('mode', { choices: ['main', 'dropin', 'auto'] as const, default: 'main', describe: 'main: hooks/qemu; dropin: hooks/qemu.d/<dropin-name>; auto: main unless a foreign hook is there' })
        .option('dropin-name', { type: 'string', default: DROPIN_NAME, describe: 'the hook file name in qemu.d/ (libvirt runs them in name order)' })
        .option('node', { type: 'string', describe: 'absolute node path the hook and command run (default: this node)' })
        .option('config', { type: 'string', describe: 'config to create if missing (default /etc/libvirt/repin.json)' })
        .option('build', { type: 'string', describe: 'the build dir to install (default: the one this command runs from)' })
        .option('code-cache', { type: 'boolean', default: true, describe: "make the hook's code cache with --node (--no-code-cache: every filter call compiles the hook)" }) as unknown as Argv<InstallArgs>,
    handler: async (args) => {
      const buildDir = args.build ?? io.bundleDir;
      if (buildDir === undefined) throw new ConfigError('run from source: give --build (npm run build writes dist/)');
      const node = args.node ?? process.execPath;
      if (!node.startsWith('/')) throw new ConfigError(`--node must be an absolute path (libvirt runs hooks with a minimal PATH), got ${node}`);
      // The kernel splits a #! line at its first blank: the rest would be one argument to node.
      if (/\s/.test(node)) throw new ConfigError(`--node must not contain blanks (a #! line cannot carry them), got ${JSON.stringify(node)}`);
      const where = places(args, io);
      const config = configPath(io.env, args.config);
      const units = where.unitsDir !== undefined && where.binDir !== undefined ? { dir: where.unitsDir, places: { binPath: join(where.binDir, 'repin'), ...spoolAndJournal(config) } } : undefined;
      const report = install({ buildDir, ...where, mode: args.mode, dropinName: args['dropin-name'], node, configPath: config, ...(units ? { units } : {}), dryRun: args['dry-run'], codeCache: args['code-cache'] });
      let steps = report.steps;
      if (units && args.systemctl) steps = [...steps, ...(await startPathUnit(io, steps.some((s) => s.what === 'unit' && s.action !== 'kept'), args['dry-run']))];
      const reload = report.reloadNeeded
        ? 'libvirt discovers hooks only at start: reload the daemon now (systemctl reload libvirtd, or virtqemud on modular hosts)'
        : 'no reload needed: a qemu hook already existed, libvirt re-reads it on every call';
      print(io, args, { buildId: report.buildId, hook: report.hookPath, reloadNeeded: report.reloadNeeded, notes: report.notes }, steps, [...report.notes, reload]);
    },
  };
}

export function uninstallCommand(io: Io): CommandModule<object, UninstallArgs> {
  return {
    command: 'uninstall',
    describe: "remove repin's hooks (under any name) and reconcile units, never anyone else's; --purge also the command and builds (the config stays)",
    builder: (y) => commonOptions(y).option('purge', { type: 'boolean', default: false, describe: 'also remove the repin command and every installed build' }),
    handler: async (args) => {
      const where = places(args, io);
      // Stop the watcher before its unit file goes away.
      if (where.unitsDir !== undefined && args.systemctl && !args['dry-run'] && existsSync(join(where.unitsDir, PATH_UNIT))) {
        await systemctl(DISABLE_ARGS, io.env).catch(() => undefined);
      }
      const steps = uninstall({ ...where, purge: args.purge, dryRun: args['dry-run'] });
      if (where.unitsDir !== undefined && args.systemctl && !args['dry-run'] && steps.some((s) => s.what === 'unit')) await systemctl(['daemon-reload'], io.env);
      print(io, args, {}, steps, steps.length === 0 ? [`nothing of repin's in ${where.hooksDir}`] : []);
    },
  };
}
