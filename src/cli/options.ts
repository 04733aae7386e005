// Options shared by the commands that plan: which policy, config and host.
import type { Argv } from 'yargs';
import { POLICIES, type Policy } from '../core/plan.js';
import type { Config } from '../core/config.js';
import type { Host } from '../core/host.js';
import type { DomainPins } from '../core/domain-pins.js';
import { runDir, withLocalOccupancy } from '../io/local-occupancy.js';
import { configPath, loadConfig } from '../io/config-file.js';
import { chooseHost } from '../io/host-source.js';
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
  const host = chooseHost({ host: args.host, hostRoot: args['host-root'], hostCpus: args['host-cpus'] }, io.fsRoot, guestCpusetOutside(io));
  const local = args.host === undefined && args['host-cpus'] === undefined;
  const root = args['host-root'] ?? io.fsRoot;
  const enrich = local ? (pins: DomainPins, base: Host): Host => withLocalOccupancy(root, runDir(io.env), pins, base) : undefined;
  return { config, host, ...(args.policy ? { policy: args.policy } : {}), ...(enrich ? { enrich } : {}) };
}
