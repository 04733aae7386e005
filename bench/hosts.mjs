// The hosts the benchmark plans against: fake sysfs/procfs trees written by
// the tests' own generators (test/support/fake-sysfs.ts, fake-running.ts,
// loaded through tsx), read by the hook through REPIN_HOST_ROOT exactly as it
// reads / in production — other guests already running included.
import { tsImport } from 'tsx/esm/api';

const { makeFakeHost } = await tsImport('../test/support/fake-sysfs.ts', import.meta.url);
const { addRunningDomain } = await tsImport('../test/support/fake-running.ts', import.meta.url);

/** Shapes: CPU ids are numbered like Linux on x86 (thread t of core g is t * cores + g). */
export const HOSTS = {
  /** A common 2-socket hypervisor: 64 CPUs, 2 nodes, SMT. */
  typical: { sockets: 2, coresPerSocket: 16, threadsPerCore: 2, nodes: 2, hostname: 'hv-typical', running: { count: 4, vcpus: 4, firstCpu: 16 } },
  /** 1024 CPUs in 4 nodes with SMT. */
  large: { sockets: 2, coresPerSocket: 256, threadsPerCore: 2, nodes: 4, hostname: 'hv-large', running: { count: 8, vcpus: 16, firstCpu: 384 } },
  /** 4096 CPUs in 8 nodes with SMT. */
  huge: { sockets: 4, coresPerSocket: 512, threadsPerCore: 2, nodes: 8, hostname: 'hv-huge', running: { count: 8, vcpus: 32, firstCpu: 1792 } },
};

export const cpuCount = (spec) => spec.sockets * spec.coresPerSocket * spec.threadsPerCore;

/** Write the tree for `spec` under `dir`, with `spec.running` guests pinned 1:1 from `firstCpu` up. */
export function writeHost(dir, spec) {
  makeFakeHost(dir, spec);
  const { count, vcpus, firstCpu } = spec.running;
  for (let d = 0; d < count; d++) {
    const cpus = Array.from({ length: vcpus }, (_, v) => String(firstCpu + d * vcpus + v));
    const pid = 10000 + d * 1000;
    addRunningDomain(dir, {
      name: `running-${d}`,
      uuid: `0b5e1c00-0000-4000-8000-${String(d).padStart(12, '0')}`,
      pid,
      vcpus: cpus,
      emulator: cpus.join(','),
      statusPins: cpus,
    });
  }
}
