// Writes a fake sysfs/procfs tree (the files src/io/host/sysfs.ts reads) for a
// host shaped like `spec`, numbered like Linux on x86: thread t of core g is
// CPU t * cores + g, so a 16-CPU 2-thread host has siblings "0,8".
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CpuSet } from '../../src/core/cpuset.js';

export interface FakeCgroup {
  version: 1 | 2;
  /** The cgroup's effective CPUs. */
  cpus: string;
  /** The cgroup's effective memory nodes (default: every node). */
  mems?: string;
  /** Path in /proc/self/cgroup (default `/system.slice/libvirtd.service`). */
  path?: string;
  /** Where the cpuset files live, if not at `path` (an ancestor, to test the walk up). */
  filesAt?: string;
  /** libvirt's machine partition (default dir `machine.slice`) and its effective cpuset. */
  machine?: { cpus: string; mems?: string; dir?: 'machine.slice' | 'machine' };
  /**
   * The libvirt daemon as a process of its own in `path` (proc/<pid>/comm and cgroup, and
   * run/<name>.pid unless pidFile is false); this process is then in `shell` (a login
   * session's scope, with no cpuset files of its own).
   */
  daemon?: { name: 'libvirtd' | 'virtqemud'; pid: number; pidFile?: boolean; shell: string };
}

export interface FakeHostSpec {
  sockets: number;
  coresPerSocket: number;
  threadsPerCore: number;
  /** NUMA nodes; cores are spread over them evenly in order. */
  nodes: number;
  offline?: number[];
  /** etc/libvirt/qemu.conf (default: none, as if libvirt's defaults applied). */
  qemuConf?: string;
  /** `Cpus_allowed_list` (default: every CPU, as the kernel shows it). */
  allowed?: string;
  /** `Mems_allowed_list` (default: every node). */
  memsAllowed?: string;
  cgroup?: FakeCgroup;
  memorylessNodes?: number[];
  /** No sys/devices/system/node at all (a kernel without CONFIG_NUMA). */
  noNumaDir?: boolean;
  /** No sys/devices/system/cpu/online: the reader must scan cpuN dirs. */
  noOnlineFile?: boolean;
  /** No node/has_memory: the reader must look at nodeN/meminfo. */
  noHasMemory?: boolean;
  hostname?: string;
  /** Huge pages per node: nodeN/hugepages/hugepages-<kB>kB/{free,nr}_hugepages. */
  hugepages?: Record<number, { sizeKb: number; free: number; total: number }[]>;
  /** /proc/meminfo Hugepagesize. */
  defaultHugepageKb?: number;
  /** sys/devices/system/cpu/isolated and nohz_full (the kernel writes "(null)" in nohz_full when unset). */
  isolated?: string;
  nohzFull?: string;
}

export interface FakeCpu {
  id: number;
  core: number;
  socket: number;
  node: number;
  /** Every thread of the core, offline ones included. */
  threads: number[];
}

/** The CPUs `spec` describes, for tests to compute what they expect. */
export function fakeCpus(spec: FakeHostSpec): FakeCpu[] {
  const cores = spec.sockets * spec.coresPerSocket;
  const cpus: FakeCpu[] = [];
  for (let t = 0; t < spec.threadsPerCore; t++) {
    for (let g = 0; g < cores; g++) {
      const threads = Array.from({ length: spec.threadsPerCore }, (_, i) => i * cores + g);
      cpus.push({
        id: t * cores + g,
        core: g % spec.coresPerSocket,
        socket: Math.floor(g / spec.coresPerSocket),
        node: Math.floor((g * spec.nodes) / cores),
        threads,
      });
    }
  }
  return cpus;
}

/** Write the tree for `spec` under `dir` (which may already exist). */
export function makeFakeHost(dir: string, spec: FakeHostSpec): void {
  const write = (path: string, text: string): void => writeUnder(dir, path, text);
  const cpus = fakeCpus(spec);
  const offline = new Set(spec.offline ?? []);
  const all = CpuSet.of(cpus.map((c) => c.id));
  const online = CpuSet.of(cpus.filter((c) => !offline.has(c.id)).map((c) => c.id));
  const nodeIds = CpuSet.range(0, spec.nodes - 1);
  const memoryless = new Set(spec.memorylessNodes ?? []);

  const packages = Array.from({ length: spec.sockets }, (_, socket) =>
    CpuSet.of(cpus.filter((c) => c.socket === socket && online.has(c.id)).map((c) => c.id)).toString(),
  );
  const cpuDir = 'sys/devices/system/cpu';
  for (const name of ['possible', 'present']) write(`${cpuDir}/${name}`, `${all.toString()}\n`);
  if (!spec.noOnlineFile) write(`${cpuDir}/online`, `${online.toString()}\n`);
  for (const cpu of cpus) {
    // Plain writes into dirs made once: a 4096-CPU tree is ~25k files.
    const base = join(dir, cpuDir, `cpu${cpu.id}`);
    const topology = join(base, 'topology');
    mkdirSync(offline.has(cpu.id) ? base : topology, { recursive: true });
    if (cpu.id !== 0) writeFileSync(join(base, 'online'), offline.has(cpu.id) ? '0\n' : '1\n');
    if (offline.has(cpu.id)) continue; // the kernel removes an offline CPU's topology dir
    const siblings = CpuSet.of(cpu.threads.filter((id) => !offline.has(id)));
    writeFileSync(join(topology, 'core_id'), `${cpu.core}\n`);
    writeFileSync(join(topology, 'physical_package_id'), `${cpu.socket}\n`);
    writeFileSync(join(topology, 'thread_siblings_list'), `${siblings.toString()}\n`);
    writeFileSync(join(topology, 'package_cpus_list'), `${packages[cpu.socket] ?? ''}\n`);
  }

  if (!spec.noNumaDir) {
    const nodeDir = 'sys/devices/system/node';
    write(`${nodeDir}/online`, `${nodeIds.toString()}\n`);
    if (!spec.noHasMemory) write(`${nodeDir}/has_memory`, `${nodeIds.ids.filter((n) => !memoryless.has(n)).join(',')}\n`);
    for (const node of nodeIds.ids) {
      const members = CpuSet.of(cpus.filter((c) => c.node === node && online.has(c.id)).map((c) => c.id));
      write(`${nodeDir}/node${node}/cpulist`, `${members.toString()}\n`);
      const kb = memoryless.has(node) ? 0 : 16318796;
      write(`${nodeDir}/node${node}/meminfo`, `Node ${node} MemTotal:       ${kb} kB\nNode ${node} MemFree:        ${kb >> 1} kB\n`);
    }
  }

  for (const [node, sizes] of Object.entries(spec.hugepages ?? {})) {
    for (const h of sizes) {
      const base = `sys/devices/system/node/node${node}/hugepages/hugepages-${h.sizeKb}kB`;
      write(`${base}/free_hugepages`, `${h.free}\n`);
      write(`${base}/nr_hugepages`, `${h.total}\n`);
    }
  }
  if (spec.defaultHugepageKb !== undefined) write('proc/meminfo', `MemTotal:       32637592 kB\nHugePages_Total:       0\nHugepagesize:       ${spec.defaultHugepageKb} kB\n`);
  if (spec.isolated !== undefined) write(`${cpuDir}/isolated`, `${spec.isolated}\n`);
  if (spec.nohzFull !== undefined) write(`${cpuDir}/nohz_full`, `${spec.nohzFull}\n`);
  const allowed = spec.allowed ?? all.toString();
  const mems = spec.memsAllowed ?? nodeIds.toString();
  write('proc/self/status', `Name:\tnode\nState:\tR (running)\nCpus_allowed_list:\t${allowed}\nMems_allowed_list:\t${mems}\n`);
  write('proc/sys/kernel/hostname', `${spec.hostname ?? 'fakehost'}\n`);
  if (spec.qemuConf !== undefined) write('etc/libvirt/qemu.conf', spec.qemuConf);
  if (spec.cgroup) writeCgroup(dir, spec.cgroup, online.toString(), nodeIds.toString());
  if (spec.cgroup?.daemon) moveIntoShell(dir, spec.cgroup, spec.cgroup.daemon);
}

/** The daemon keeps the cgroup writeCgroup gave this process; this process moves to the shell's. */
function moveIntoShell(dir: string, cg: FakeCgroup, daemon: NonNullable<FakeCgroup['daemon']>): void {
  const own = readFileSync(join(dir, 'proc/self/cgroup'), 'utf8');
  writeUnder(dir, `proc/${daemon.pid}/cgroup`, own);
  writeUnder(dir, `proc/${daemon.pid}/comm`, `${daemon.name}\n`);
  if (daemon.pidFile !== false) writeUnder(dir, `run/${daemon.name}.pid`, `${daemon.pid}\n`);
  writeUnder(dir, 'proc/self/cgroup', own.split(cg.path ?? '/system.slice/libvirtd.service').join(daemon.shell));
}

function writeUnder(dir: string, path: string, text: string): void {
  const full = join(dir, path);
  mkdirSync(dirname(full), { recursive: true });
  writeFileSync(full, text);
}

function writeCgroup(dir: string, cg: FakeCgroup, online: string, nodes: string): void {
  const write = (path: string, text: string): void => writeUnder(dir, path, text);
  const path = cg.path ?? '/system.slice/libvirtd.service';
  const at = (cg.filesAt ?? path).replace(/^\/+/, '');
  const mems = cg.mems ?? nodes;
  if (cg.version === 2) {
    write('proc/self/cgroup', `0::${path}\n`);
    write('sys/fs/cgroup/cgroup.controllers', 'cpuset cpu io memory pids\n');
    write('sys/fs/cgroup/cpuset.cpus.effective', `${online}\n`);
    write('sys/fs/cgroup/cpuset.mems.effective', `${nodes}\n`);
    write(join('sys/fs/cgroup', at, 'cpuset.cpus.effective'), `${cg.cpus}\n`);
    write(join('sys/fs/cgroup', at, 'cpuset.mems.effective'), `${mems}\n`);
    mkdirSync(join(dir, 'sys/fs/cgroup', path), { recursive: true });
    if (cg.machine) {
      const machine = join('sys/fs/cgroup', cg.machine.dir ?? 'machine.slice');
      write(join(machine, 'cpuset.cpus.effective'), `${cg.machine.cpus}\n`);
      write(join(machine, 'cpuset.mems.effective'), `${cg.machine.mems ?? nodes}\n`);
    }
    return;
  }
  // systemd's hybrid layout, as on most v1 hosts: v1 controllers plus an empty v2 tree at unified/.
  write('proc/self/cgroup', `4:memory:${path}\n3:cpuset:${path}\n2:cpu,cpuacct:${path}\n1:name=systemd:${path}\n0::${path}\n`);
  write('sys/fs/cgroup/unified/cgroup.controllers', '\n');
  write('sys/fs/cgroup/cpuset/cpuset.effective_cpus', `${online}\n`);
  write('sys/fs/cgroup/cpuset/cpuset.effective_mems', `${nodes}\n`);
  for (const [file, text] of [
    ['cpuset.effective_cpus', cg.cpus],
    ['cpuset.cpus', cg.cpus],
    ['cpuset.effective_mems', mems],
    ['cpuset.mems', mems],
  ] as const) {
    write(join('sys/fs/cgroup/cpuset', at, file), `${text}\n`);
  }
  if (cg.machine) {
    const machine = join('sys/fs/cgroup/cpuset', cg.machine.dir ?? 'machine.slice');
    write(join(machine, 'cpuset.effective_cpus'), `${cg.machine.cpus}\n`);
    write(join(machine, 'cpuset.effective_mems'), `${cg.machine.mems ?? nodes}\n`);
  }
}

/** A fresh temp dir holding the tree for `spec`; the caller removes it. */
export function fakeHostDir(spec: FakeHostSpec): string {
  const dir = mkdtempSync(join(tmpdir(), 'repin-sysfs-'));
  makeFakeHost(dir, spec);
  return dir;
}

/** fakeHostDir for a suite: `make` a tree, `removeAll` the trees made so far. */
export function fakeHostDirs(): { make: (spec: FakeHostSpec) => string; removeAll: () => void } {
  const dirs: string[] = [];
  return {
    make: (spec) => {
      const dir = fakeHostDir(spec);
      dirs.push(dir);
      return dir;
    },
    removeAll: () => {
      for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
    },
  };
}
