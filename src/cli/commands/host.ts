// `repin host`: the host as repin sees it (a map, or --json to save a profile).
import type { CommandModule } from 'yargs';
import type { Host } from '../../core/host/host.js';
import { hostToProfile } from '../../core/host/host-json.js';
import { hostname } from 'node:os';
import { printable } from '../../core/cpuset.js';
import { hostView } from '../../io/host/view.js';
import type { Io } from '../../io/process-io.js';
import { renderHostMap } from '../render/host-map.js';
import { hostSourceOf, type PlanningArgs } from '../options.js';

interface Args extends Pick<PlanningArgs, 'host' | 'host-root' | 'host-cpus'> {
  json?: boolean;
  name?: string;
}

export function hostCommand(io: Io): CommandModule<object, Args> {
  return {
    command: 'host',
    describe: 'show this host (CPUs, SMT siblings, NUMA nodes, what this process may use)',
    builder: (y) =>
      y
        .option('json', { type: 'boolean', describe: 'print a host profile for --host' })
        .option('name', { type: 'string', describe: 'name stored in the profile (default: hostname)' })
        .option('host', { type: 'string', describe: 'show a saved host profile' })
        .option('host-root', { type: 'string', describe: 'read sys/ and proc/ under this directory' })
        .option('host-cpus', { type: 'string', describe: 'a flat host of these CPUs' }),
    handler: (args) => {
      const view = hostView(hostSourceOf(args, io), io.fsRoot, io.env);
      let host = view.read();
      // Every other guest counts: the map is drawn for no domain in particular.
      if (view.withOthers) host = view.withOthers({ uuid: '', name: '' }, host);
      if (args.name !== undefined) host = { ...host, name: args.name };
      else if (args.host === undefined && args['host-cpus'] === undefined) host = { ...host, name: hostname() };
      if (args.json) {
        io.stdout.write(`${JSON.stringify(hostToProfile(host), null, 1)}\n`);
        return;
      }
      io.stdout.write(`host ${host.name}: ${host.cpus.length} online CPUs, usable ${host.usable.toString() || 'none'}, ${host.nodes.length} NUMA node(s)\n`);
      const marks = new Map<number, string>();
      for (const cpu of host.occupancy?.exclusive.ids ?? []) marks.set(cpu, '#');
      io.stdout.write(`${renderHostMap(host, { marks }).trimEnd()}\n`);
      const held = Object.entries(host.occupancy?.holders ?? {});
      if (held.length > 0) io.stdout.write(`# = held exclusively by another domain: ${held.map(([who, cpus]) => `${printable(who, 32)} ${cpus}`).join('; ')}\n`);
      if (host.occupancy && !host.occupancy.floating.isEmpty) io.stdout.write(`pinned floating threads of other domains use ${host.occupancy.floating.toString()}\n`);
      for (const line of fitLines(host)) io.stdout.write(`${line}\n`);
    },
  };
}

/** Huge pages per node, isolated CPUs and the cgroup version: what decides fit beyond CPUs and nodes. */
function fitLines(host: Host): string[] {
  const lines: string[] = [];
  for (const node of host.nodes) {
    const pages = (node.hugepages ?? []).filter((h) => h.total > 0 || h.free > 0);
    if (pages.length > 0) lines.push(`node ${node.id} huge pages: ${pages.map((h) => `${h.free} of ${h.total} free × ${h.sizeKb} kB`).join(', ')}`);
  }
  const isolated = host.extras?.isolated;
  if (isolated && !isolated.isEmpty) lines.push(`isolated CPUs (isolated, nohz_full): ${isolated.toString()}`);
  if (host.cpuCgroup !== undefined) lines.push(`cgroup v${host.cpuCgroup} cpu controller: <cputune><shares> must be within ${host.cpuCgroup === 2 ? '1-10000' : '2-262144'}`);
  return lines;
}
