// Fake running domains under a root: libvirt's status file in
// run/libvirt/qemu/ and QEMU's threads in proc/<pid>/task/.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface FakeDomain {
  name: string;
  uuid: string;
  pid: number;
  /** Affinity of each vCPU thread (kernel list format). */
  vcpus: string[];
  /** Affinity of the main (emulator) thread. */
  emulator: string;
  /** Write no /proc entries: only the status file's pins are known. */
  noProc?: boolean;
  /** Pins written into the status file's <cputune>. */
  statusPins?: string[];
  /** Leave out libvirt's `<vcpus><vcpu id pid/>` thread list (older status files): threads are found by name. */
  noThreadList?: boolean;
}

export function addRunningDomain(root: string, d: FakeDomain): void {
  const qemuDir = join(root, 'run/libvirt/qemu');
  mkdirSync(qemuDir, { recursive: true });
  const pins = (d.statusPins ?? []).map((cpuset, vcpu) => `      <vcpupin vcpu='${vcpu}' cpuset='${cpuset}'/>`).join('\n');
  // As qemuDomainObjPrivateXMLFormatVcpus writes it: each online vCPU's thread id, before the definition.
  const threads = d.noThreadList ? '' : `  <vcpus>\n${d.vcpus.map((_, i) => `    <vcpu id='${i}' pid='${d.pid + 1 + i}'/>\n`).join('')}  </vcpus>\n`;
  writeFileSync(
    join(qemuDir, `${d.name}.xml`),
    `<!-- WARNING: THIS IS AN AUTO-GENERATED FILE -->\n<domstatus state='running' reason='booted' pid='${d.pid}'>\n${threads}  <domain type='qemu' id='1'>\n    <vcpus>\n      <vcpu id='0' enabled='yes' hotpluggable='no'/>\n    </vcpus>\n    <name>${d.name}</name>\n    <uuid>${d.uuid}</uuid>\n    <cputune>\n${pins}\n    </cputune>\n  </domain>\n</domstatus>\n`,
  );
  if (d.noProc) return;
  const task = (tid: number, comm: string, allowed: string): void => {
    const dir = join(root, 'proc', String(d.pid), 'task', String(tid));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'comm'), `${comm}\n`);
    writeFileSync(join(dir, 'status'), `Name:\t${comm}\nCpus_allowed_list:\t${allowed}\n`);
  };
  task(d.pid, 'qemu-system-x86', d.emulator);
  d.vcpus.forEach((allowed, i) => task(d.pid + 1 + i, `CPU ${i}/KVM`, allowed));
  task(d.pid + 100, 'worker', '0-63');
}
