// The CPUs and nodes a plan may hand out on this host, after config limits.
import { CpuSet } from '../cpuset.js';
import { memoryNodes, type Host } from '../host/host.js';

export interface PoolOptions {
  /** Pool for vCPUs; default: every usable CPU. */
  readonly allowedCpus?: CpuSet;
  /** Pool for emulator and iothread pins; default: allowedCpus. */
  readonly emulatorCpus?: CpuSet;
  /** Never handed out, never counted as fitting. */
  readonly reservedCpus?: CpuSet;
}

export interface Pools {
  readonly usable: CpuSet;
  readonly vcpu: CpuSet;
  readonly emulator: CpuSet;
  readonly nodes: CpuSet;
}

export function computePools(host: Host, options: PoolOptions): Pools {
  const reserved = options.reservedCpus ?? CpuSet.empty;
  const usable = host.usable;
  const vcpu = (options.allowedCpus ? usable.intersect(options.allowedCpus) : usable).minus(reserved);
  const emulatorBase = options.emulatorCpus ?? options.allowedCpus;
  const emulator = (emulatorBase ? usable.intersect(emulatorBase) : usable).minus(reserved);
  return { usable, vcpu, emulator, nodes: memoryNodes(host) };
}

/** The pool a CPU pin of this kind must fit. */
export function poolFor(kind: 'vcpu' | 'vcpupin' | 'emulatorpin' | 'iothreadpin', pools: Pools): CpuSet {
  return kind === 'emulatorpin' || kind === 'iothreadpin' ? pools.emulator : pools.vcpu;
}
