// Which CPUs other running domains hold, read from what the host shows —
// never from libvirt, which is blocked waiting for the hook. libvirt's
// per-domain status files (/run/libvirt/qemu/<name>.xml, root-only) name each
// running guest's QEMU pid; /proc/<pid>/task/*/ then gives the real affinity
// of its vCPU threads (comm `CPU N/KVM` or `CPU N/TCG`) and emulator thread.
// Where /proc cannot be read, the pins in the status file stand in.
import { readdirSync } from 'node:fs';
import { CpuSet, parseCpuset, parseSysfsList } from '../../core/cpuset.js';
import type { Occupancy } from '../../core/host/host.js';
import { readIfReadable, under } from './sysfs-files.js';

export interface RunningDomain {
  readonly name: string;
  readonly uuid: string;
  readonly pid: number | undefined;
  /** One entry per vCPU or emulator thread: the CPUs it may run on. */
  readonly threads: readonly CpuSet[];
}

const first = (text: string, pattern: RegExp): string | undefined => pattern.exec(text)?.[1];

/** Affinities from the status file's own <cputune>, when /proc has nothing. */
function pinsFromStatus(text: string): CpuSet[] {
  const sets: CpuSet[] = [];
  for (const m of text.matchAll(/<(?:vcpupin|emulatorpin)\b[^>]*\bcpuset=['"]([^'"]+)['"]/g)) {
    try {
      sets.push(parseCpuset(m[1] ?? ''));
    } catch {
      // a status file libvirt wrote is well-formed; skip anything odd rather than fail
    }
  }
  return sets;
}

/** Thread ids of the vCPUs as libvirt's status file lists them (`<vcpus><vcpu id pid/>`, before the definition). */
function vcpuThreads(text: string): string[] | undefined {
  const definition = text.search(/<domain[\s>]/);
  const head = definition < 0 ? text : text.slice(0, definition);
  const tids = [...head.matchAll(/<vcpu\s+id=['"]\d+['"]\s+pid=['"](\d+)['"]/g)].map((m) => m[1] ?? '');
  return tids.length > 0 ? tids : undefined;
}

/**
 * The affinity of the emulator (main) thread and each vCPU thread. The vCPU
 * threads are the ones the status file names; an older status file without
 * them costs a look at every thread's name (`CPU N/KVM`).
 */
function threadsFromProc(root: string, pid: number, listed: readonly string[] | undefined): CpuSet[] | undefined {
  const taskDir = under(root, 'proc', String(pid), 'task');
  let tids: readonly string[];
  if (listed) {
    tids = [String(pid), ...listed];
  } else {
    try {
      tids = readdirSync(taskDir).filter((tid) => tid === String(pid) || /^CPU \d+\/(KVM|TCG)$/.test(readIfReadable(under(taskDir, tid, 'comm'))?.trim() ?? ''));
    } catch {
      return undefined;
    }
  }
  const sets: CpuSet[] = [];
  for (const tid of tids) {
    const list = first(readIfReadable(under(taskDir, tid, 'status')) ?? '', /^Cpus_allowed_list:\s*(\S*)/m);
    if (list === undefined) continue;
    try {
      sets.push(parseSysfsList(list));
    } catch {
      // thread vanished or odd file: ignore it
    }
  }
  // No process behind the pid (it ended, or /proc is not ours): the status file's pins stand in.
  return listed && sets.length === 0 ? undefined : sets;
}

/** Running domains other than `self` (matched by uuid, else name). */
export function readRunningDomains(root: string, self: { uuid: string; name: string }): RunningDomain[] {
  const dir = under(root, 'run/libvirt/qemu');
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.xml'));
  } catch {
    return [];
  }
  const domains: RunningDomain[] = [];
  for (const file of files) {
    const text = readIfReadable(under(dir, file));
    if (!text || !text.includes('<domstatus')) continue;
    const uuid = first(text, /<uuid>\s*([^<\s]+)\s*<\/uuid>/) ?? '';
    const name = first(text, /<name>\s*([^<]+?)\s*<\/name>/) ?? file.slice(0, -4);
    if ((self.uuid && uuid.toLowerCase() === self.uuid.toLowerCase()) || (!self.uuid && name === self.name)) continue;
    const pidText = first(text, /<domstatus\b[^>]*\bpid=['"](\d+)['"]/);
    const pid = pidText === undefined ? undefined : Number(pidText);
    const threads = (pid !== undefined ? threadsFromProc(root, pid, vcpuThreads(text)) : undefined) ?? pinsFromStatus(text);
    domains.push({ name, uuid, pid, threads });
  }
  return domains;
}

/**
 * A thread on one CPU holds it exclusively; a thread limited to a set
 * narrower than the usable CPUs floats over that set. Unpinned threads
 * (affinity covering every usable CPU) hold nothing.
 */
export function occupancyOf(domains: readonly RunningDomain[], usable: CpuSet, reserved: ReadonlyMap<string, CpuSet> = new Map()): Occupancy {
  const exclusive = new Set<number>();
  const floating = new Set<number>();
  const held = new Map<string, number[]>();
  const hold = (who: string, cpus: CpuSet): void => {
    for (const cpu of cpus.ids) exclusive.add(cpu);
    const list = held.get(who);
    if (list) list.push(...cpus.ids);
    else held.set(who, [...cpus.ids]);
  };
  for (const domain of domains) {
    for (const set of domain.threads) {
      const mine = set.intersect(usable);
      if (mine.size === 1) hold(domain.name, mine);
      else if (!usable.isSubsetOf(set)) for (const cpu of mine.ids) floating.add(cpu);
    }
  }
  for (const [who, cpus] of reserved) hold(`${who} (arriving)`, cpus);
  const holders: Record<string, string> = {};
  for (const [who, cpus] of held) holders[who] = CpuSet.of(cpus).toString();
  return { exclusive: CpuSet.of(exclusive), floating: CpuSet.of([...floating].filter((c) => !exclusive.has(c))), holders };
}
