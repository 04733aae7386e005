// Which host a command plans against: a saved profile (--host), a flat list
// of CPUs (--host-cpus), a sysfs tree (--host-root), or this machine.
import { readFileSync } from 'node:fs';
import { parseCpuset } from '../../core/cpuset.js';
import { HostError } from '../../core/errors.js';
import { flatHost, type Host } from '../../core/host/host.js';
import { hostFromProfile } from '../../core/host/host-json.js';
import type { Limits } from './cgroup-limits.js';
import { readHost } from './sysfs.js';

export interface HostChoice {
  readonly host?: string;
  readonly hostCpus?: string;
  readonly hostRoot?: string;
}

export function loadHostProfile(path: string): Host {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new HostError(`cannot read host profile ${path}: ${(error as Error).message}`, { cause: error });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new HostError(`host profile ${path} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  return hostFromProfile(value, path);
}

/** `guestCpuset`: for commands that are not libvirt's hook (src/cli/outside.ts). */
export function chooseHost(choice: HostChoice, fsRoot: string, guestCpuset?: (root: string) => Limits): Host {
  if (choice.host !== undefined) return loadHostProfile(choice.host);
  if (choice.hostCpus !== undefined) return flatHost(parseCpuset(choice.hostCpus, '--host-cpus'), `cpus ${choice.hostCpus}`);
  return readHost(choice.hostRoot ?? fsRoot, undefined, guestCpuset);
}
