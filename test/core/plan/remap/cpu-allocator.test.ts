// The substitute allocator's order of preference, checked against a plain
// model of each rule on generated hosts.
import { expect } from 'chai';
import fc from 'fast-check';
import { CpuAllocator } from '../../../../src/core/plan/remap/cpu-allocator.js';
import { CpuSet } from '../../../../src/core/cpuset.js';
import { makeHost } from '../../../support/gen-domain.js';

/** The shared tier by its definition: fewest uses, then on the wanted node, then the lowest id. */
function leastUsedModel(uses: Map<number, number>, nodeOf: (cpu: number) => number, wanted: number | undefined): number {
  const rank = (cpu: number): [number, number, number] => [uses.get(cpu) ?? 0, nodeOf(cpu) === wanted ? 0 : 1, cpu];
  const best = [...uses.keys()].sort((a, b) => {
    const [x, y] = [rank(a), rank(b)];
    return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
  })[0];
  if (best === undefined) throw new Error('no candidate');
  uses.set(best, (uses.get(best) ?? 0) + 1);
  return best;
}

describe('CpuAllocator', () => {
  it('shares the CPUs a domain already uses least-used first, on the wanted node, lowest id (as the model does)', () => {
    fc.assert(
      fc.property(
        fc.record({ cores: fc.integer({ min: 1, max: 8 }), threads: fc.integer({ min: 1, max: 2 }), nodes: fc.integer({ min: 1, max: 2 }) }),
        fc.array(fc.option(fc.integer({ min: 0, max: 2 }), { nil: undefined }), { minLength: 1, maxLength: 60 }),
        ({ cores, threads, nodes }, wanted) => {
          const host = makeHost(nodes, cores, threads, nodes);
          const pool = host.usable;
          // The domain uses every CPU already: each substitute must share.
          const allocator = new CpuAllocator({ host, pool, ownUsed: pool, heldByOthers: CpuSet.empty, floatingByOthers: CpuSet.empty, overcommit: false });
          const uses = new Map(pool.ids.map((cpu) => [cpu, 1]));
          const nodeOf = (cpu: number): number => host.cpus[cpu]?.node ?? -1;
          for (const node of wanted) {
            const grant = allocator.take(node);
            expect(grant?.tier).to.equal('shared');
            expect(grant?.cpu).to.equal(leastUsedModel(uses, nodeOf, node));
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('gives free CPUs first, then shares, and hands out sibling groups core by core', () => {
    const host = makeHost(1, 4, 2, 1); // cores 0-3, siblings c and c+4
    const allocator = new CpuAllocator({
      host,
      pool: host.usable,
      ownUsed: CpuSet.of([0]),
      heldByOthers: CpuSet.empty,
      floatingByOthers: CpuSet.empty,
      overcommit: false,
    });
    // Core 0 has one free thread left (4): no pair there; the next whole cores are 1 (1,5) and 2 (2,6).
    expect(allocator.takeSiblings(0, 2)?.map((g) => g.cpu)).to.deep.equal([1, 5]);
    expect(allocator.takeSiblings(0, 3)).to.equal(undefined); // wider than any core
    expect(allocator.takeSiblings(0, 2)?.map((g) => g.cpu)).to.deep.equal([2, 6]);
    expect(allocator.takeIfFree(5)).to.equal(undefined); // taken
    expect(allocator.takeIfFree(4)?.cpu).to.equal(4);
    expect([3, 7].map(() => allocator.take(0)?.tier)).to.deep.equal(['free', 'free']);
    // Nothing free: the least-used CPU this domain has, lowest id first, round and round.
    expect(Array.from({ length: 8 }, () => allocator.take(0)?.cpu)).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(allocator.take(0)).to.deep.include({ cpu: 0, tier: 'shared' });
  });
});
