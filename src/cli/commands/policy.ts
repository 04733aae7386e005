// `repin policy VM [POLICY]`: show or set a domain's own policy, stored in its
// metadata so it travels with the VM. Uses virsh — a normal command, never the hook.
import { DOMParser } from '@xmldom/xmldom';
import type { CommandModule } from 'yargs';
import { ConfigError } from '../../core/errors.js';
import { parsePolicyElement, POLICY_NS } from '../../core/metadata.js';
import { POLICIES, type Policy } from '../../core/plan.js';
import { parseCpuset } from '../../core/cpuset.js';
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
  const element = new DOMParser().parseFromString(xml, 'text/xml').documentElement;
  if (!element) return '(unreadable metadata)';
  const o = parsePolicyElement(element, 'domain metadata');
  const parts = [`policy ${o.policy ?? '(config default)'}`];
  if (o.allowedCpus) parts.push(`allowedCpus ${o.allowedCpus.toString()}`);
  if (o.emulatorCpus) parts.push(`emulatorCpus ${o.emulatorCpus.toString()}`);
  if (o.reservedCpus) parts.push(`reservedCpus ${o.reservedCpus.toString()}`);
  return parts.join(', ');
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
      const attrs: string[] = [];
      if (args.policy) attrs.push(`name="${args.policy}"`);
      for (const [flag, attr] of [['allowed-cpus', 'allowedCpus'], ['emulator-cpus', 'emulatorCpus']] as const) {
        const value = args[flag];
        if (value === undefined) continue;
        try {
          attrs.push(`${attr}="${parseCpuset(value, `--${flag}`).toString()}"`);
        } catch (error) {
          throw new ConfigError(error instanceof Error ? error.message : String(error));
        }
      }
      const xml = `<policy ${attrs.join(' ')}/>`;
      await v.setMetadata(args.domain, POLICY_NS, 'repin', xml);
      io.stdout.write(`${args.domain}: set ${describeElement(xml)}\n`);
    },
  };
}
