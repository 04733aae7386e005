// Domain XML for the benchmark, generated rather than committed: a typical
// libvirt guest definition (disks, NICs, consoles, metadata) around the
// placement elements repin reads, sized by `spec`.

/**
 * @param {object} spec
 * @param {string} spec.name
 * @param {number} spec.vcpus
 * @param {(vcpu: number) => string} spec.pin host cpuset of each vCPU
 * @param {string} spec.emulatorpin
 * @param {number} [spec.cells] guest NUMA cells (vCPUs split evenly); 0 = none
 * @param {(cell: number) => number} [spec.cellNode] host node of each cell's memory
 * @param {string} spec.memoryNodeset
 * @param {number} [spec.threads] guest SMT threads per core
 */
export function domainXml(spec) {
  const { name, vcpus, cells = 0, threads = 1 } = spec;
  const memoryKiB = Math.max(8, vcpus * 2) * 1048576;
  const pins = Array.from({ length: vcpus }, (_, v) => `    <vcpupin vcpu='${v}' cpuset='${spec.pin(v)}'/>`);
  const perCell = cells > 0 ? vcpus / cells : 0;
  const memnodes = Array.from({ length: cells }, (_, c) => `    <memnode cellid='${c}' mode='strict' nodeset='${spec.cellNode?.(c) ?? 0}'/>`);
  const numaCells = Array.from(
    { length: cells },
    (_, c) => `      <cell id='${c}' cpus='${c * perCell}-${(c + 1) * perCell - 1}' memory='${memoryKiB / cells}' unit='KiB'/>`,
  );
  const sockets = Math.max(1, cells);
  const cores = vcpus / sockets / threads;
  const disks = ['vda', 'vdb'].map(
    (dev, i) => `    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2' cache='none' io='native' discard='unmap'/>
      <source file='/var/lib/libvirt/images/${name}-${i}.qcow2'/>
      <target dev='${dev}' bus='virtio'/>
      <address type='pci' domain='0x0000' bus='0x0${4 + i}' slot='0x00' function='0x0'/>
    </disk>`,
  );
  const nics = [0, 1].map(
    (i) => `    <interface type='bridge'>
      <mac address='52:54:00:12:34:5${i}'/>
      <source bridge='br${i}'/>
      <model type='virtio'/>
      <driver name='vhost' queues='${Math.min(8, vcpus)}'/>
      <address type='pci' domain='0x0000' bus='0x0${1 + i}' slot='0x00' function='0x0'/>
    </interface>`,
  );
  return `<domain type='kvm' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>${name}</name>
  <uuid>6f1c2a7e-3b8d-4c51-9a0e-${String(vcpus).padStart(12, '0')}</uuid>
  <metadata>
    <app:owner xmlns:app="http://example.com/app">
      <app:team>bench</app:team>
      <app:flavor name="bench.${vcpus}" vcpus="${vcpus}"/>
    </app:owner>
  </metadata>
  <memory unit='KiB'>${memoryKiB}</memory>
  <currentMemory unit='KiB'>${memoryKiB}</currentMemory>
  <memoryBacking>
    <hugepages/>
  </memoryBacking>
  <vcpu placement='static'>${vcpus}</vcpu>
  <cputune>
${pins.join('\n')}
    <emulatorpin cpuset='${spec.emulatorpin}'/>
  </cputune>
  <numatune>
    <memory mode='strict' nodeset='${spec.memoryNodeset}'/>
${memnodes.join('\n')}
  </numatune>
  <os>
    <type arch='x86_64' machine='pc-q35-7.2'>hvm</type>
    <boot dev='hd'/>
  </os>
  <features>
    <acpi/>
    <apic/>
  </features>
  <cpu mode='host-passthrough' check='none' migratable='on'>
    <topology sockets='${sockets}' dies='1' cores='${cores}' threads='${threads}'/>
${cells > 0 ? `    <numa>\n${numaCells.join('\n')}\n    </numa>\n` : ''}  </cpu>
  <clock offset='utc'>
    <timer name='rtc' tickpolicy='catchup'/>
    <timer name='pit' tickpolicy='delay'/>
    <timer name='hpet' present='no'/>
  </clock>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
${disks.join('\n')}
${nics.join('\n')}
    <serial type='pty'>
      <target type='isa-serial' port='0'/>
    </serial>
    <console type='pty'>
      <target type='serial' port='0'/>
    </console>
    <channel type='unix'>
      <target type='virtio' name='org.qemu.guest_agent.0'/>
    </channel>
    <!-- console for the operators -->
    <graphics type='vnc' port='-1' autoport='yes' listen='127.0.0.1'/>
    <video>
      <model type='virtio' heads='1' primary='yes'/>
    </video>
    <memballoon model='none'/>
    <rng model='virtio'>
      <backend model='random'>/dev/urandom</backend>
    </rng>
  </devices>
</domain>
`;
}
