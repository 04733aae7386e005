// `repin reconcile`: fix the saved definition of migrated domains (the
// service is src/reconcile/; this file reads the command line into a Run).
// libvirt's hook filters only the live XML; with `virsh migrate --persistent`
// the saved definition arrives unfiltered (qemuMigrationDstPersist) and the
// next cold boot fails.
import type { Argv, CommandModule } from 'yargs';
import type { DomainPins } from '../../core/domain/pins.js';
import { ExitCode, UsageError } from '../../core/errors.js';
import type { Host } from '../../core/host/host.js';
import { parseDuration } from '../../core/reconcile/wait.js';
import { configPath, loadConfig } from '../../io/state/config-file.js';
import { hookHostSource, hostView } from '../../io/host/view.js';
import type { Io } from '../../io/process-io.js';
import { DEFAULT_CONNECT, virsh } from '../../io/virsh.js';
import type { Run } from '../../reconcile/run.js';
import { reconcile } from '../../reconcile/service.js';
import { EXIT } from '../exit.js';
import { hostSourceOf, withPlanningOptions, type PlanningArgs } from '../options.js';
import { guestCpusetOutside } from '../outside.js';
import { renderPlan } from '../render/plan-view.js';

interface Args extends PlanningArgs {
  pending?: boolean;
  all?: boolean;
  'dry-run'?: boolean;
  wait: string;
  connect: string;
  'virsh-timeout': string;
  'spool-dir'?: string;
  lock?: string;
  'lock-wait'?: string;
}

export function reconcileCommand(io: Io): CommandModule<object, Args> {
  return {
    command: 'reconcile',
    describe: "fit migrated domains' saved definitions to this host (talks to libvirt through virsh)",
    builder: (y) =>
      (withPlanningOptions(y) as unknown as Argv<Args>)
        .option('pending', { type: 'boolean', describe: 'handle the requests the hook left in the spool (what the systemd path unit runs)' })
        .option('all', { type: 'boolean', describe: 'check every persistent domain on this host' })
        .option('dry-run', { type: 'boolean', describe: 'show the plans only: no define, no journal, spool untouched' })
        .option('wait', { type: 'string', default: '10m', describe: 'how long after the hook’s request a domain may take to become persistent here' })
        .option('connect', { type: 'string', default: DEFAULT_CONNECT, describe: 'libvirt URI for virsh --connect' })
        .option('virsh-timeout', { type: 'string', default: '60s', describe: 'time limit per virsh call' })
        .option('spool-dir', { type: 'string', describe: 'request spool (default: config spoolDir, /var/lib/repin/pending)' })
        .option('lock', { type: 'string', describe: 'lock file (default: <spool-dir>.lock)' })
        .option('lock-wait', { type: 'string', describe: 'how long to wait for another run to finish (default: --wait; 0 = exit at once)' })
        .check((a) => {
          if (!a.pending && !a.all) throw new UsageError('name what to reconcile: --pending, --all or both');
          return true;
        }),
    handler: async (args) => {
      const waitMs = parseDuration(args.wait, '--wait');
      const config = loadConfig(configPath(io.env, args.config), { mustExist: args.config !== undefined });
      const explicitHost = args.host !== undefined || args['host-root'] !== undefined || args['host-cpus'] !== undefined;
      // Without a --host option, plan against the same host the hook used, with other guests' CPUs
      // as the hook reads them; as a systemd service, not the daemon's child, with the guests'
      // cgroup as the hook sees it.
      const view = hostView(explicitHost ? hostSourceOf(args, io) : { ...hookHostSource(io.env), guestCpuset: guestCpusetOutside(io) }, io.fsRoot, io.env);
      const host = view.read();
      const spoolDir = args['spool-dir'] ?? config.spoolDir;
      const { withOthers } = view;
      const occupied = (pins: DomainPins, base: Host): Host => (withOthers ? withOthers(pins, base) : base);
      const run: Run = {
        io,
        showPlan: (result, at) => renderPlan(result.plan, result.pins, at),
        virsh: virsh({ connect: args.connect, timeoutMs: parseDuration(args['virsh-timeout'], '--virsh-timeout'), env: io.env }),
        config,
        host: explicitHost ? () => host : view.read,
        occupied,
        claims: new Map(),
        ...(args.policy ? { policy: args.policy } : {}),
        journal: { ...config.journal, dir: io.env.REPIN_JOURNAL_DIR ?? config.journal.dir },
        dryRun: args['dry-run'] === true,
        failed: false,
      };
      const lockPath = args.lock ?? `${spoolDir.replace(/\/+$/, '')}.lock`;
      const lockWaitMs = args['lock-wait'] === undefined ? waitMs : parseDuration(args['lock-wait'], '--lock-wait');
      await reconcile(run, { pending: args.pending === true, all: args.all === true, waitMs, spoolDir, lockPath, lockWaitMs });
      if (run.failed) throw new ExitCode(EXIT.no);
    },
  };
}
