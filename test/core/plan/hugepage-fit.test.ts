// Hugepage-backed guests against the free pages of the nodes they are bound
// to, on fake sysfs trees: fits, moved by remap, refused with the numbers.
import { expect } from 'chai';
import { join } from 'node:path';
import { parseConfig } from '../../../src/core/config.js';
import { readDomainPins } from '../../../src/core/domain/pins.js';
import { memoryNodes } from '../../../src/core/host/host.js';
import { hugepageClaims } from '../../../src/core/plan/hugepage-fit.js';
import { parseDomainXml } from '../../../src/core/xml/xmldom.js';
import { withLocalOccupancy } from '../../../src/io/host/local-occupancy.js';
import { saveReservations } from '../../../src/io/state/reservations.js';
import { filterDomainXml } from '../../../src/core/plan/filter-xml.js';
import type { Policy } from '../../../src/core/plan/plan.js';
import { readHost } from '../../../src/io/host/sysfs.js';
import { fakeHostDirs, type FakeHostSpec } from '../../support/fake-sysfs.js';

// 2 nodes: CPUs 0-3 on node 0, 4-7 on node 1 (no SMT).
const spec = (free0: number, free1: number, giant: [number, number] = [0, 0]): FakeHostSpec => ({
  sockets: 2,
  coresPerSocket: 4,
  threadsPerCore: 1,
  nodes: 2,
  defaultHugepageKb: 2048,
  hugepages: {
    0: [
      { sizeKb: 2048, free: free0, total: free0 + 10 },
      { sizeKb: 1048576, free: giant[0], total: giant[0] },
    ],
    1: [
      { sizeKb: 2048, free: free1, total: free1 + 10 },
      { sizeKb: 1048576, free: giant[1], total: giant[1] },
    ],
  },
});

interface Guest {
  backing?: string;
  memnodes?: [number, string][];
  memory?: string;
  cells?: boolean;
}

/** Two cells of 1 GiB (512 pages of 2 MiB): cell 0 = vCPUs 0-1 on CPUs 0-1, cell 1 = vCPUs 2-3 on CPUs 4-5. */
function domain(g: Guest): string {
  const backing = g.backing === undefined ? "<memoryBacking><hugepages><page size='2048' unit='KiB'/></hugepages></memoryBacking>" : g.backing;
  const memnodes = (g.memnodes ?? []).map(([cell, nodes]) => `<memnode cellid='${cell}' mode='strict' nodeset='${nodes}'/>`).join('');
  const memory = g.memory ? `<memory mode='strict' nodeset='${g.memory}'/>` : '';
  const numatune = memnodes || memory ? `<numatune>${memory}${memnodes}</numatune>` : '';
  const cells =
    g.cells === false
      ? ''
      : "<numa><cell id='0' cpus='0-1' memory='1' unit='GiB'/><cell id='1' cpus='2-3' memory='1048576' unit='KiB'/></numa>";
  return (
    `<domain type='kvm'><name>hp</name><uuid>00000000-0000-4000-8000-000000000004</uuid><memory unit='GiB'>2</memory>${backing}` +
    `<vcpu placement='static'>4</vcpu><cputune><vcpupin vcpu='0' cpuset='0'/><vcpupin vcpu='1' cpuset='1'/><vcpupin vcpu='2' cpuset='4'/><vcpupin vcpu='3' cpuset='5'/></cputune>` +
    `${numatune}<cpu mode='host-passthrough'><topology sockets='1' dies='1' cores='4' threads='1'/>${cells}</cpu></domain>`
  );
}

const TWO_NODES: [number, string][] = [
  [0, '0'],
  [1, '1'],
];

describe('hugepages per host node', () => {
  const { make, removeAll } = fakeHostDirs();
  after(removeAll);
  const config = parseConfig({});

  interface Case {
    name: string;
    host: FakeHostSpec;
    guest: Guest;
    policy: Policy;
    outcome: 'unchanged' | 'rewritten' | 'refused';
    /** Expected nodeset changes (`memnode/1 1→0`), the refusal, or a note, as a pattern. */
    changes?: string[];
    refusal?: string;
    note?: RegExp;
  }
  const cases: Case[] = [
    { name: 'each node has the pages its cell needs', host: spec(600, 600), guest: { memnodes: TWO_NODES }, policy: 'remap', outcome: 'unchanged' },
    {
      name: 'remap moves a cell whose node lacks pages to one that has them, its vCPUs along',
      host: spec(1100, 100),
      guest: { memnodes: TWO_NODES },
      policy: 'remap',
      outcome: 'rewritten',
      changes: [
        'vcpupin/2 4→2: remap: 4→2 (free, node 0)',
        'vcpupin/3 5→3: remap: 5→3 (free, node 0)',
        'memnode/1 1→0: remap: node 1 has 100 free 2048 kB pages, the cell needs 512; node 0 has 588, where its vCPUs are',
      ],
    },
    {
      name: 'when the node with pages has no free CPUs for the cell, its vCPUs stay, with a note',
      host: { ...spec(1100, 100), coresPerSocket: 3 },
      guest: { memnodes: TWO_NODES },
      policy: 'remap',
      outcome: 'rewritten',
      changes: ['memnode/1 1→0: remap: node 1 has 100 free 2048 kB pages, the cell needs 512; node 0 has 588'],
      note: /memnode cellid=1 moved to node 0 for its huge pages while its vCPUs stay on node 1/,
    },
    {
      name: 'two cells on one node must both fit: the second is refused with the numbers left',
      host: spec(600, 100),
      guest: { memnodes: TWO_NODES },
      policy: 'remap',
      outcome: 'refused',
      refusal: 'memnode cellid=1: node 1 has 100 free 2048 kB pages, the cell needs 512; no node with memory here has 512 free (policy remap)',
    },
    {
      name: 'strict refuses with the numbers',
      host: spec(600, 100),
      guest: { memnodes: TWO_NODES },
      policy: 'strict',
      outcome: 'refused',
      refusal: 'memnode cellid=1: node 1 has 100 free 2048 kB pages, the cell needs 512 (policy strict)',
    },
    {
      name: 'intersect refuses rather than let QEMU fail at start',
      host: spec(1100, 100),
      guest: { memnodes: TWO_NODES },
      policy: 'intersect',
      outcome: 'refused',
      refusal: 'memnode cellid=1: node 1 has 100 free 2048 kB pages, the cell needs 512 (policy intersect; only remap moves hugepage-backed memory)',
    },
    { name: 'a guest without hugepages is not judged on free memory', host: spec(0, 0), guest: { backing: '', memnodes: TWO_NODES }, policy: 'strict', outcome: 'unchanged' },
    {
      name: 'a memory nodeset without memnodes: the union must hold the whole guest',
      host: spec(600, 600),
      guest: { memory: '0-1' },
      policy: 'strict',
      outcome: 'unchanged',
    },
    {
      name: 'a memory nodeset whose union is short of the whole guest is refused by strict',
      host: spec(500, 500),
      guest: { memory: '0-1' },
      policy: 'strict',
      outcome: 'refused',
      refusal: 'numatune memory: nodes 0-1 have 1000 free 2048 kB pages, cells 0-1 need 1024 (policy strict)',
    },
    {
      name: 'a memory nodeset on one node short of the whole guest is moved by remap',
      host: spec(1100, 500),
      guest: { memory: '1', cells: false },
      policy: 'remap',
      outcome: 'rewritten',
      changes: ['numatune/ 1→0: remap: node 1 has 500 free 2048 kB pages, the guest needs 1024; node 0 has 1100, where its vCPUs are'],
    },
    {
      name: '<hugepages/> without a page size uses the host default (Hugepagesize)',
      host: spec(600, 100),
      guest: { backing: '<memoryBacking><hugepages/></memoryBacking>', memnodes: TWO_NODES },
      policy: 'strict',
      outcome: 'refused',
      refusal: 'memnode cellid=1: node 1 has 100 free 2048 kB pages, the cell needs 512 (policy strict)',
    },
    {
      name: '1 GiB pages for cell 1 only (page nodeset names guest cells): cell 0 is not hugepage-backed',
      host: spec(0, 0, [0, 1]),
      guest: { backing: "<memoryBacking><hugepages><page size='1' unit='GiB' nodeset='1'/></hugepages></memoryBacking>", memnodes: TWO_NODES },
      policy: 'strict',
      outcome: 'unchanged',
    },
    {
      name: '1 GiB pages short on the bound node: moved to the node that has them',
      host: spec(0, 0, [2, 0]),
      guest: { backing: "<memoryBacking><hugepages><page size='1048576' unit='KiB' nodeset='1'/></hugepages></memoryBacking>", memnodes: TWO_NODES },
      policy: 'remap',
      outcome: 'rewritten',
      changes: [
        'vcpupin/2 4→2: remap: 4→2 (free, node 0)',
        'vcpupin/3 5→3: remap: 5→3 (free, node 0)',
        'memnode/1 1→0: remap: node 1 has 0 free 1048576 kB pages, the cell needs 1; node 0 has 2, where its vCPUs are',
      ],
    },
  ];
  for (const c of cases) {
    it(`${c.policy}: ${c.name}`, () => {
      const host = readHost(make(c.host), 'hp-host');
      const xml = domain(c.guest);
      const { plan, output } = filterDomainXml(xml, host, config, c.policy);
      expect(plan.outcome, plan.refusal).to.equal(c.outcome);
      if (c.refusal !== undefined) expect(plan.refusal).to.equal(c.refusal);
      if (c.changes) expect(plan.changes.map((ch) => `${ch.element}/${ch.id ?? ''} ${ch.old}→${ch.new}: ${ch.rule}`)).to.deep.equal(c.changes);
      if (c.note) expect(plan.notes.join('\n')).to.match(c.note);
      // The page nodeset names guest cells: whatever else changes, it stays.
      if (output) for (const page of xml.match(/<page [^>]*>/g) ?? []) expect(output).to.include(page);
    });
  }
});

describe('hugepages reserved by other arriving guests', () => {
  const { make, removeAll } = fakeHostDirs();
  after(removeAll);
  const config = parseConfig({});

  it('an arriving guest claims its pages per node; pages another arrival claimed are not free to the next plan', () => {
    const dir = make(spec(600, 600));
    const host = readHost(dir, 'hp-host');
    const pins = readDomainPins(parseDomainXml(domain({ memnodes: TWO_NODES })));
    expect(hugepageClaims(pins, host, memoryNodes(host), [])).to.deep.equal([
      { node: 0, sizeKb: 2048, pages: 512 },
      { node: 1, sizeKb: 2048, pages: 512 },
    ]);
    // Another guest arriving at the same moment reserved 200 pages on node 1: cell 1 (512) no longer fits there.
    saveReservations(join(dir, 'run'), [{ uuid: 'other', name: 'other', cpus: '', expires: Date.now() + 60_000, hugepages: [{ node: 1, sizeKb: 2048, pages: 200 }] }]);
    const enriched = withLocalOccupancy(dir, join(dir, 'run'), pins, host);
    expect(enriched.nodes[1]?.hugepages?.find((h) => h.sizeKb === 2048)?.free).to.equal(400);
    const { plan } = filterDomainXml(domain({ memnodes: TWO_NODES }), enriched, config, 'strict');
    expect(plan.refusal).to.equal('memnode cellid=1: node 1 has 400 free 2048 kB pages, the cell needs 512 (policy strict)');
  });

  it('a guest without hugepages claims nothing', () => {
    const host = readHost(make(spec(600, 600)), 'hp-host');
    const pins = readDomainPins(parseDomainXml(domain({ backing: '', memnodes: TWO_NODES })));
    expect(hugepageClaims(pins, host, memoryNodes(host), [])).to.deep.equal([]);
  });
});
