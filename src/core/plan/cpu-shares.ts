// <cputune><shares> against the cgroup version guests run under here. libvirt
// writes it as cpu.shares on cgroup v1, taking [2, 262144]
// (virCgroupV1SetCpuShares), and as cpu.weight on v2, taking [1, 10000]
// (virCgroupV2SetCpuShares); a value outside fails the guest's start. The CFS
// period and quota are checked against the same bounds on both versions
// (virCgroupV1SetCpuCfsPeriod/virCgroupV2SetCpuCfsPeriod, and the quota
// setters), so they are never changed.
import type { DomainPins } from '../domain/pins.js';
import type { Host } from '../host/host.js';
import type { Change } from './plan.js';

/** libvirt's accepted range for shares, per cgroup version of the cpu controller. */
export const SHARES_RANGE = { 1: { min: 2, max: 262144, file: 'cpu.shares', fn: 'virCgroupV1SetCpuShares' }, 2: { min: 1, max: 10000, file: 'cpu.weight', fn: 'virCgroupV2SetCpuShares' } } as const;

export interface SharesVerdict {
  /** The clause naming the value and the range, for a refusal. */
  readonly misfit: string;
  /** The value brought into range. */
  readonly change: Change;
}

/**
 * Whether the domain's shares fit this host's cgroup version; when not, the
 * value brought into range by clamping to its nearest end. Clamping keeps
 * every value libvirt accepts as it is (repin cannot tell which version an
 * in-range value was meant for) and never reverses the order of two guests'
 * weights; scaling out-of-range values by the defaults' ratio (1024 on v1,
 * 100 on v2) would put a 16-vCPU guest's 16384 below an 8-vCPU guest's
 * untouched 8192. Undefined when it fits, or when either side is unknown.
 */
export function judgeShares(pins: DomainPins, host: Host): SharesVerdict | undefined {
  const shares = pins.shares;
  const version = host.cpuCgroup;
  if (shares === undefined || version === undefined) return undefined;
  const range = SHARES_RANGE[version];
  if (shares.value >= range.min && shares.value <= range.max) return undefined;
  const next = shares.value < range.min ? range.min : range.max;
  const where = `cputune shares=${shares.text.trim()}`;
  const misfit = `${where}: cgroup v${version} here, where libvirt writes it as ${range.file} and takes ${range.min}-${range.max} (${range.fn})`;
  const end = next === range.max ? 'top' : 'bottom';
  const rule = `cgroup v${version}: ${range.file} takes ${range.min}-${range.max} (${range.fn}); clamped to the ${end} of the range, keeping its order against other guests`;
  return { misfit, change: { element: 'shares', old: shares.text, new: String(next), rule } };
}
