// Options shared by the commands that plan: which policy, config and host.
import type { Argv } from 'yargs';
import { POLICIES, type Policy } from '../core/plan/plan.js';
import type { Config } from '../core/config.js';
import type { Host } from '../core/host/host.js';
import type { DomainPins } from '../core/domain/pins.js';
import { configPath, loadConfig } from '../io/state/config-file.js';
import { hostView, type HostViewSource } from '../io/host/view.js';
import type { Io } from '../io/process-io.js';
import { guestCpusetOutside } from './outside.js';

export interface PlanningArgs {
  policy?: Policy;
  config?: string;
  host?: string;
  'host-root'?: string;
  'host-cpus'?: string;
}

export function withPlanningOptions<T>(yargs: Argv<T>): Argv<T & PlanningArgs> {
  return yargs
    .option('policy', { choices: POLICIES, describe: 'policy to apply (default: from config, else remap)' })
    .option('config', { type: 'string', describe: 'config file (default $REPIN_CONFIG or /etc/libvirt/repin.json)' })
    .option('host', { type: 'string', describe: 'plan for a saved host profile (repin host --json)' })
    .option('host-root', { type: 'string', describe: 'read sys/ and proc/ under this directory' })
    .option('host-cpus', { type: 'string', describe: 'a flat host of these CPUs on NUMA node 0, no SMT' })
    .conflicts('host', ['host-root', 'host-cpus'])
    .conflicts('host-cpus', 'host-root');
}

export interface Planning {
  readonly config: Config;
  readonly host: Host;
  readonly policy?: Policy;
  /** For this machine (or a --host-root tree): add other running domains' occupancy. */
  readonly enrich?: (pins: DomainPins, host: Host) => Host;
}

export function resolvePlanning(args: PlanningArgs, io: Io): Planning {
  const config = loadConfig(configPath(io.env, args.config), { mustExist: args.config !== undefined });
  const view = hostView(hostSourceOf(args, io), io.fsRoot, io.env);
  return { config, host: view.read(), ...(args.policy ? { policy: args.policy } : {}), ...(view.withOthers ? { enrich: view.withOthers } : {}) };
}

/** The host the --host, --host-cpus and --host-root options name (this machine without them), as a command outside the daemon sees it. */
export function hostSourceOf(args: Pick<PlanningArgs, 'host' | 'host-root' | 'host-cpus'>, io: Io): HostViewSource {
  return {
    ...(args.host !== undefined ? { profile: args.host } : {}),
    ...(args['host-cpus'] !== undefined ? { cpus: args['host-cpus'] } : {}),
    ...(args['host-root'] !== undefined ? { root: args['host-root'] } : {}),
    guestCpuset: guestCpusetOutside(io),
  };
}
