import { expect } from 'chai';
import { renderHostMap } from '../../../src/cli/render/host-map.js';
import { CpuSet } from '../../../src/core/cpuset.js';
import { flatHost, type Host } from '../../../src/core/host/host.js';
import { fakeCpus, type FakeHostSpec } from '../../support/fake-sysfs.js';

/** A host in memory with the fake sysfs layout (thread t of core g is CPU t * cores + g). */
function smtHost(spec: FakeHostSpec, usable?: string, name = 'test'): Host {
  const cpus = fakeCpus(spec).map((c) => ({ id: c.id, core: c.core, socket: c.socket, node: c.node, siblings: CpuSet.of(c.threads) }));
  cpus.sort((a, b) => a.id - b.id);
  const all = CpuSet.of(cpus.map((c) => c.id));
  const nodes = Array.from({ length: spec.nodes }, (_, id) => ({
    id,
    cpus: CpuSet.of(cpus.filter((c) => c.node === id).map((c) => c.id)),
    hasMemory: !(spec.memorylessNodes ?? []).includes(id),
  }));
  return { name, cpus, usable: usable === undefined ? all : CpuSet.of(parseIds(usable)), nodes, usableNodes: CpuSet.range(0, spec.nodes - 1) };
}
const parseIds = (text: string): number[] => CpuSet.of(text.split(',').flatMap((part) => {
  const [a = '0', b = a] = part.split('-');
  return CpuSet.range(Number(a), Number(b)).ids;
})).ids as number[];

const HOST64: FakeHostSpec = { sockets: 2, coresPerSocket: 16, threadsPerCore: 2, nodes: 2 };
const lines = (text: string): string[] => text.split('\n');
const cellsOf = (text: string): string[] => text.match(/\[[^\]]*\]/g) ?? [];

describe('renderHostMap', () => {
  it('draws a small flat host', () => {
    expect(renderHostMap(flatHost(CpuSet.range(0, 3), 'tiny'))).to.equal(
      ['tiny: 4 CPUs, 4 cores, 1 socket, 1 NUMA node; usable 0-3', 'node 0  (memory)  CPUs 0-3', '  [0] [1] [2] [3]'].join('\n'),
    );
  });

  it('fits a 2-node 64-CPU SMT host in 80 columns and a few lines', () => {
    const text = renderHostMap(smtHost(HOST64));
    for (const line of lines(text)) expect(line.length, line).to.be.at.most(80);
    expect(lines(text).length).to.be.at.most(8);
    expect(text).to.include('node 0  (memory)  CPUs 0-15,32-47');
    expect(text).to.include('node 1  (memory)  CPUs 16-31,48-63');
    expect(text).to.include('[ 0 32]');
    expect(text).to.include('[31 63]');
    expect(cellsOf(text)).to.have.length(32);
    expect(text).to.not.include('not usable');
  });

  it('honours a narrower width', () => {
    const text = renderHostMap(smtHost(HOST64), { width: 40 });
    for (const line of lines(text)) expect(line.length, line).to.be.at.most(40);
  });

  it('marks CPUs this process may not use, with a legend', () => {
    const text = renderHostMap(smtHost(HOST64, '0-59'));
    expect(text).to.include('[28  60x]');
    expect(text).to.include('[ 0  32 ]');
    expect(text).to.match(/^x = online but not usable/m);
    for (const line of lines(text)) expect(line.length, line).to.be.at.most(80);
  });

  it('shows marks next to the ids and keeps cells aligned', () => {
    const marks = new Map([[0, 'v0'], [32, 'v1'], [1, 'E'], [17, 'I12']]);
    const text = renderHostMap(smtHost(HOST64), { marks });
    expect(text).to.include('[ 0:v0  32:v1 ]');
    expect(text).to.include('[ 1:E   33    ]');
    expect(text).to.include('17:I12');
    expect(new Set(cellsOf(text).map((c) => c.length)).size).to.equal(1);
    for (const line of lines(text)) expect(line.length, line).to.be.at.most(80);
  });

  it('shows a mark on an unusable CPU with both flag and label', () => {
    const text = renderHostMap(smtHost(HOST64, '0-59'), { marks: new Map([[60, 'v3'], [0, 'v10']]) });
    expect(text).to.include('[28      60x:v3 ]');
    expect(text).to.include('[ 0:v10  32     ]');
  });

  it('lists marks on CPUs the host does not have', () => {
    const text = renderHostMap(flatHost(CpuSet.range(0, 3)), { marks: new Map([[40, 'v3'], [2, 'v0']]) });
    expect(text).to.include('[2:v0]');
    expect(text).to.include('marked but not on this host: 40:v3');
  });

  it('shows memoryless, unusable and CPU-less nodes in the headers', () => {
    const host = { ...smtHost({ ...HOST64, nodes: 3, memorylessNodes: [1] }), usableNodes: CpuSet.of([0, 1]) };
    const withEmpty = { ...host, nodes: [...host.nodes, { id: 3, cpus: CpuSet.empty, hasMemory: true }] };
    const text = renderHostMap(withEmpty);
    expect(text).to.include('node 1  (no memory)  CPUs');
    expect(text).to.include('node 2  (memory, not usable)  CPUs');
    expect(text).to.include('node 3  (memory, not usable)  no CPUs');
  });

  it('summarises a 4096-CPU host per node in few lines', () => {
    const host = smtHost({ sockets: 8, coresPerSocket: 256, threadsPerCore: 2, nodes: 8 }, '0-4000');
    const marks = new Map(Array.from({ length: 64 }, (_, i): [number, string] => [i, `v${i}`]));
    const text = renderHostMap(host, { marks });
    expect(lines(text).length).to.be.below(40);
    for (const line of lines(text)) expect(line.length, line).to.be.at.most(80);
    expect(text).to.include('node 0  (memory)  CPUs 0-255,2048-2303  512 CPUs, 512 usable, 64 marked');
    expect(text).to.include('node 7  (memory)  CPUs 1792-2047,3840-4095  512 CPUs, 417 usable');
    expect(text).to.include('not usable (95): 4001-4095');
    expect(text).to.match(/^marks: 0:v0 1:v1/m);
    expect(text).to.match(/ \d+:v\d+ \.\.\.$/m); // cut between marks, not inside one
  });

  it('stays bounded for a host with many nodes', () => {
    const host = smtHost({ sockets: 64, coresPerSocket: 32, threadsPerCore: 2, nodes: 64 });
    const text = renderHostMap(host);
    expect(lines(text).length).to.be.below(40);
    expect(text).to.include('... 32 more nodes with 2048 CPUs');
  });
});
