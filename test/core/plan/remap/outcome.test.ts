// remap says where its result falls short of one host node per guest cell and
// sibling threads per guest core; a result that keeps both gets no such note.
import { expect } from 'chai';
import { parseConfig } from '../../../../src/core/config.js';
import { filterDomainXml } from '../../../../src/core/plan/filter-xml.js';
import type { Host } from '../../../../src/core/host/host.js';
import { makeHost } from '../../../support/gen-domain.js';

// 2 guest cells × 2 cores × 2 threads, pinned beyond any host below.
const guest = `<domain type='kvm'>
  <name>smt</name>
  <uuid>0e0e0e0e-2222-4222-8333-444444444444</uuid>
  <memory unit='KiB'>4194304</memory>
  <vcpu placement='static'>8</vcpu>
  <cputune>${Array.from({ length: 8 }, (_, v) => `<vcpupin vcpu='${v}' cpuset='${100 + v}'/>`).join('')}</cputune>
  <cpu><topology sockets='1' dies='1' cores='4' threads='2'/><numa><cell id='0' cpus='0-3' memory='2097152' unit='KiB'/><cell id='1' cpus='4-7' memory='2097152' unit='KiB'/></numa></cpu>
</domain>`;
const notesOn = (host: Host): readonly string[] => filterDomainXml(guest, host, parseConfig({})).plan.notes;

describe('remap outcome notes', () => {
  it('none when every cell fits one node and every guest core a host core', () => {
    const notes = notesOn(makeHost(2, 4, 2, 2)).join('\n');
    expect(notes).to.not.match(/guest NUMA cells spread|guest cores not on sibling threads/);
  });

  it('names the cells a too-small node splits and the cores a host without SMT cannot keep together', () => {
    // 2 nodes of 2 CPUs, no SMT: 8 vCPUs cannot keep 4 on one node, nor pairs on sibling threads.
    const notes = notesOn(makeHost(2, 2, 1, 2));
    expect(notes.find((n) => n.startsWith('guest NUMA cells spread over several host nodes: '))).to.match(/cell 0 on nodes 0-1/);
    expect(notes.find((n) => n.startsWith('guest cores not on sibling threads of one host core: '))).to.match(/vCPUs 0-1 on CPUs \d+,\d+/);
  });
});
