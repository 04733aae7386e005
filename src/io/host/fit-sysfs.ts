// What a host offers beyond CPUs and nodes, read when first asked (a guest
// without hugepages or realtime vCPUs never reads these files): free huge
// pages per NUMA node and page size, the default huge page size, and the CPUs
// the kernel keeps for isolated work.
import { CpuSet } from '../../core/cpuset.js';
import type { NodeHugepages } from '../../core/host/host.js';
import { listIds, readList, readText, under } from './sysfs-files.js';

/** `nodeN/hugepages/hugepages-<kB>kB/{free,nr}_hugepages`, smallest size first; none when the dir is missing. */
export function readNodeHugepages(nodeDir: string, node: number): NodeHugepages[] {
  const dir = under(nodeDir, `node${node}`, 'hugepages');
  return listIds(dir, /^hugepages-(\d+)kB$/).map((sizeKb) => {
    const count = (name: string): number => {
      const text = readText(under(dir, `hugepages-${sizeKb}kB`, name))?.trim() ?? '';
      return /^\d+$/.test(text) ? Number(text) : 0;
    };
    return { sizeKb, free: count('free_hugepages'), total: count('nr_hugepages') };
  });
}

/** `Hugepagesize:` in /proc/meminfo: the size `<hugepages/>` without a `<page>` gets (libvirt uses the default hugetlbfs mount). */
export function readDefaultHugepageKb(root: string): number | undefined {
  const match = /^Hugepagesize:\s*(\d+)\s*kB/m.exec(readText(under(root, 'proc/meminfo')) ?? '');
  return match ? Number(match[1]) : undefined;
}

/** CPUs kept from the scheduler's load balancing (`isolated`, the isolcpus= list) or from its tick (`nohz_full`). */
export function readIsolated(cpuDir: string): CpuSet {
  const isolated = readList(under(cpuDir, 'isolated'), 'isolated CPUs') ?? CpuSet.empty;
  // Kernels without nohz_full= write "(null)" there (tick_nohz_full_mask unset).
  const nohzText = readText(under(cpuDir, 'nohz_full'))?.trim();
  const nohz = nohzText === undefined || nohzText === '(null)' ? CpuSet.empty : (readList(under(cpuDir, 'nohz_full'), 'nohz_full CPUs') ?? CpuSet.empty);
  return isolated.union(nohz);
}
