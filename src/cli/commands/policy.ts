// `repin policy VM [POLICY]`: show or set a domain's own policy, stored in its
// metadata so it travels with the VM. Uses virsh — a normal command, never the hook.
import type { CommandModule } from 'yargs';
import { ConfigError } from '../../core/errors.js';
import type { DomainOverride } from '../../core/config.js';
import { parsePolicyElement, POLICY_NS } from '../../core/domain/metadata.js';
import { POLICIES, type Policy } from '../../core/plan/plan.js';
import { parseCpuset } from '../../core/cpuset.js';
import { parseXml } from '../../core/xml/parse-any.js';
import type { Io } from '../../io/process-io.js';
import { DEFAULT_CONNECT, virsh } from '../../io/virsh.js';

interface Args {
  domain: string;
  policy?: Policy;
  'allowed-cpus'?: string;
  'emulator-cpus'?: string;
  clear?: boolean;
  connect: string;
}

function describeElement(xml: string): string {
  let element;
  try {
    element = parseXml(xml).documentElement;
  } catch (error) {
    return `(unreadable metadata: ${error instanceof Error ? error.message : String(error)})`;
  }
  if (!element) return '(unreadable metadata)';
  const o = parsePolicyElement(element, 'domain metadata');
  const parts = [`policy ${o.policy ?? '(config default)'}`];
  if (o.allowedCpus) parts.push(`allowedCpus ${o.allowedCpus.toString()}`);
  if (o.emulatorCpus) parts.push(`emulatorCpus ${o.emulatorCpus.toString()}`);
  if (o.reservedCpus) parts.push(`reservedCpus ${o.reservedCpus.toString()}`);
  return parts.join(', ');
}

/** The domain's policy as stored; an unreadable one is replaced (said on stderr), not kept. */
async function currentPolicy(domain: string, read: () => Promise<string | undefined>, io: Io): Promise<DomainOverride> {
  const xml = await read();
  if (!xml) return {};
  try {
    const element = parseXml(xml).documentElement;
    return element ? parsePolicyElement(element, 'domain metadata') : {};
  } catch (error) {
    io.stderr.write(`repin: ${domain}: its stored policy is unreadable (${error instanceof Error ? error.message : String(error)}); replacing it\n`);
    return {};
  }
}

export function policyCommand(io: Io): CommandModule<object, Args> {
  return {
    command: 'policy <domain> [policy]',
    describe: "show or set a domain's own repin policy (kept in its metadata; the config file's overrides still win)",
    builder: (y) =>
      y
        .positional('domain', { type: 'string', demandOption: true })
        .positional('policy', { choices: POLICIES })
        .option('allowed-cpus', { type: 'string', describe: 'pool for this domain’s vCPUs' })
        .option('emulator-cpus', { type: 'string', describe: 'pool for its emulator and iothreads' })
        .option('clear', { type: 'boolean', describe: 'remove the per-domain policy' })
        .option('connect', { type: 'string', default: DEFAULT_CONNECT }),
    handler: async (args) => {
      const v = virsh({ connect: args.connect, timeoutMs: 30_000, env: io.env });
      const setting = args.policy !== undefined || args['allowed-cpus'] !== undefined || args['emulator-cpus'] !== undefined;
      if (args.clear) {
        await v.setMetadata(args.domain, POLICY_NS, 'repin', undefined);
        io.stdout.write(`${args.domain}: per-domain policy removed\n`);
        return;
      }
      if (!setting) {
        const xml = await v.getMetadata(args.domain, POLICY_NS);
        io.stdout.write(`${args.domain}: ${xml ? describeElement(xml) : 'no per-domain policy (the config file decides)'}\n`);
        return;
      }
      // Only what is given changes: `repin policy VM --allowed-cpus 4-7` keeps a policy set before.
      const before = await currentPolicy(args.domain, () => v.getMetadata(args.domain, POLICY_NS), io);
      const attrs: string[] = [];
      const name = args.policy ?? before.policy;
      if (name) attrs.push(`name="${name}"`);
      for (const [flag, attr] of [['allowed-cpus', 'allowedCpus'], ['emulator-cpus', 'emulatorCpus'], [undefined, 'reservedCpus']] as const) {
        const value = flag === undefined ? undefined : args[flag];
        if (value === undefined) {
          const kept = before[attr];
          if (kept) attrs.push(`${attr}="${kept.toString()}"`);
          continue;
        }
        try {
          attrs.push(`${attr}="${parseCpuset(value, `--${flag}`).toString()}"`);
        } catch (error) {
          throw new ConfigError(error instanceof Error ? error.message : String(error), { cause: error });
        }
      }
      const xml = `<policy ${attrs.join(' ')}/>`;
      await v.setMetadata(args.domain, POLICY_NS, 'repin', xml);
      io.stdout.write(`${args.domain}: set ${describeElement(xml)}\n`);
    },
  };
}
