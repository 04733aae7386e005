// Generators for property tests: random hosts (as profiles) and domain XML
// with every host-side pin family.
import fc from 'fast-check';
import { CpuSet } from '../../src/core/cpuset.js';
import type { Host } from '../../src/core/host/host.js';

export function makeHost(sockets: number, cores: number, threads: number, nodes: number, usableMask?: (id: number) => boolean): Host {
  const phys = sockets * cores;
  const cpus: Host['cpus'][number][] = [];
  for (let t = 0; t < threads; t++) {
    for (let s = 0; s < sockets; s++) {
      for (let c = 0; c < cores; c++) {
        const id = t * phys + s * cores + c;
        const siblings = CpuSet.of(Array.from({ length: threads }, (_, u) => u * phys + s * cores + c));
        cpus.push({ id, core: c, socket: s, node: Math.floor((s * nodes) / sockets) % nodes, siblings });
      }
    }
  }
  cpus.sort((a, b) => a.id - b.id);
  const all = CpuSet.of(cpus.map((c) => c.id));
  const usable = usableMask ? CpuSet.of(all.ids.filter(usableMask)) : all;
  const nodeList = Array.from({ length: nodes }, (_, n) => ({ id: n, cpus: CpuSet.of(cpus.filter((c) => c.node === n).map((c) => c.id)), hasMemory: true }));
  return { name: `gen-${sockets}x${cores}x${threads}-${nodes}n`, cpus, usable: usable.isEmpty ? all : usable, nodes: nodeList, usableNodes: CpuSet.of(nodeList.map((n) => n.id)) };
}

export const arbHost: fc.Arbitrary<Host> = fc
  .record({
    sockets: fc.integer({ min: 1, max: 2 }),
    cores: fc.integer({ min: 1, max: 8 }),
    threads: fc.integer({ min: 1, max: 2 }),
    nodes: fc.integer({ min: 1, max: 2 }),
    mask: fc.option(fc.integer({ min: 1, max: 2 ** 16 - 1 }), { nil: undefined }),
  })
  .map(({ sockets, cores, threads, nodes, mask }) =>
    makeHost(sockets, cores, threads, Math.min(nodes, sockets), mask === undefined ? undefined : (id) => ((mask >> id % 16) & 1) === 1),
  );

const cpuList = fc.uniqueArray(fc.integer({ min: 0, max: 47 }), { minLength: 1, maxLength: 4 }).map((ids) => CpuSet.of(ids).toString());

export interface DomainSpec {
  vcpus: number;
  threads: number;
  cells: number;
  pins: (string | null)[];
  vcpuCpuset: string | null;
  emulator: string | null;
  iothreads: (string | null)[];
  memory: string | null;
  memnodes: (string | null)[];
}

export const arbDomainSpec: fc.Arbitrary<DomainSpec> = fc
  .record({
    vcpuHalf: fc.integer({ min: 1, max: 8 }),
    threads: fc.integer({ min: 1, max: 2 }),
    cells: fc.integer({ min: 1, max: 2 }),
    dedicated: fc.boolean(),
    seedPins: fc.array(fc.option(fc.integer({ min: 0, max: 47 }), { nil: null }), { minLength: 16, maxLength: 16 }),
    setPins: fc.array(fc.option(cpuList, { nil: null }), { minLength: 16, maxLength: 16 }),
    vcpuCpuset: fc.option(cpuList, { nil: null }),
    emulator: fc.option(cpuList, { nil: null }),
    iothreads: fc.array(fc.option(cpuList, { nil: null }), { maxLength: 3 }),
    memory: fc.option(fc.constantFrom('0', '1', '0-1', '2', '3'), { nil: null }),
    memnodes: fc.array(fc.option(fc.constantFrom('0', '1', '2'), { nil: null }), { minLength: 2, maxLength: 2 }),
  })
  .map((r) => {
    const vcpus = r.vcpuHalf * 2;
    const pins = Array.from({ length: vcpus }, (_, i) => (r.dedicated ? (r.seedPins[i] === null ? null : String(r.seedPins[i])) : (r.setPins[i] ?? null)));
    return {
      vcpus,
      threads: r.threads,
      cells: r.cells,
      pins,
      vcpuCpuset: r.vcpuCpuset,
      emulator: r.emulator,
      iothreads: r.iothreads,
      memory: r.memory,
      memnodes: r.memnodes.slice(0, r.cells),
    };
  });

export function domainXml(spec: DomainSpec): string {
  const lines: string[] = [];
  lines.push("<domain type='kvm'>", '  <name>gen</name>', '  <uuid>00000000-0000-4000-8000-000000000001</uuid>');
  lines.push('  <metadata><x:keep xmlns:x="urn:example">metadata survives</x:keep></metadata>');
  lines.push(`  <vcpu placement='static'${spec.vcpuCpuset ? ` cpuset='${spec.vcpuCpuset}'` : ''}>${spec.vcpus}</vcpu>`);
  if (spec.iothreads.length > 0) lines.push(`  <iothreads>${spec.iothreads.length}</iothreads>`);
  lines.push('  <cputune>');
  spec.pins.forEach((pin, vcpu) => {
    if (pin !== null) lines.push(`    <vcpupin vcpu='${vcpu}' cpuset='${pin}'/>`);
  });
  if (spec.emulator) lines.push(`    <emulatorpin cpuset='${spec.emulator}'/>`);
  spec.iothreads.forEach((pin, i) => {
    if (pin !== null) lines.push(`    <iothreadpin iothread='${i + 1}' cpuset='${pin}'/>`);
  });
  lines.push('    <!-- a comment inside cputune -->', '  </cputune>');
  if (spec.memory || spec.memnodes.some((m) => m !== null)) {
    lines.push('  <numatune>');
    if (spec.memory) lines.push(`    <memory mode='strict' nodeset='${spec.memory}'/>`);
    spec.memnodes.forEach((m, cell) => {
      if (m !== null) lines.push(`    <memnode cellid='${cell}' mode='strict' nodeset='${m}'/>`);
    });
    lines.push('  </numatune>');
  }
  const cores = spec.vcpus / spec.threads;
  lines.push("  <cpu mode='host-passthrough'>", `    <topology sockets='1' dies='1' cores='${cores}' threads='${spec.threads}'/>`);
  if (spec.cells > 1) {
    const half = spec.vcpus / 2;
    lines.push('    <numa>', `      <cell id='0' cpus='0-${half - 1}' memory='1048576' unit='KiB'/>`, `      <cell id='1' cpus='${half}-${spec.vcpus - 1}' memory='1048576' unit='KiB'/>`, '    </numa>');
  }
  lines.push('  </cpu>', "  <devices><graphics type='vnc' passwd='hunter2'/></devices>", '</domain>', '');
  return lines.join('\n');
}
