// What libvirt does with what a plan leaves behind: threads without a pin,
// a numatune without <memory>, an original record older than the domain.
// Each case is one a review of the policies against libvirt's source found.
import { expect } from 'chai';
import { parseConfig } from '../../../src/core/config.js';
import { readDomainPins, vcpuCpusetInUse } from '../../../src/core/domain/pins.js';
import { filterDomainXml } from '../../../src/core/plan/filter-xml.js';
import type { Policy } from '../../../src/core/plan/plan.js';
import { parseDomainXml } from '../../../src/core/xml/xmldom.js';
import { makeHost } from '../../support/gen-domain.js';
import { xpathValues } from '../../support/xpath.js';

// 2 sockets × 4 cores × 2 threads, a node per socket: CPUs 0-15, nodes 0 and 1.
const host = makeHost(2, 4, 2, 2);
const config = parseConfig({});

const domain = (body: string, metadata = ''): string =>
  `<domain type='kvm'>\n  <name>d</name>\n  <uuid>0e0e0e0e-1111-4222-8333-444444444444</uuid>${metadata}\n  <memory unit='KiB'>4194304</memory>\n${body}\n</domain>`;
const record = (entries: string): string => `\n  <metadata><repin:original xmlns:repin="urn:repin:original:2">${entries}</repin:original></metadata>`;
const run = (xml: string, policy?: Policy) => filterDomainXml(xml, host, config, policy);
const values = (xml: string | undefined, path: string): string[] => xpathValues(xml ?? '', path);

describe('libvirt semantics of what a plan leaves', () => {
  describe('<vcpu cpuset> with every thread pinned places nothing', () => {
    const nova = domain(`  <vcpu placement='static' cpuset='0-15'>4</vcpu>
  <cputune>
    <vcpupin vcpu='0' cpuset='20'/><vcpupin vcpu='1' cpuset='21'/><vcpupin vcpu='2' cpuset='22'/><vcpupin vcpu='3' cpuset='23'/>
    <emulatorpin cpuset='0-1'/>
  </cputune>`);

    it('is told apart from one that still places a vCPU, the emulator or an I/O thread', () => {
      const inUse = (xml: string): boolean => vcpuCpusetInUse(readDomainPins(parseDomainXml(xml)));
      expect(inUse(nova)).to.equal(false);
      expect(inUse(nova.replace("<vcpupin vcpu='3' cpuset='23'/>", ''))).to.equal(true);
      expect(inUse(nova.replace("<emulatorpin cpuset='0-1'/>", ''))).to.equal(true);
      expect(inUse(nova.replace('<cputune>', '<iothreads>1</iothreads>\n  <cputune>'))).to.equal(true);
      expect(inUse(nova.replace('<cputune>', "<iothreads>1</iothreads>\n  <cputune><iothreadpin iothread='1' cpuset='2'/>"))).to.equal(false);
    });

    it('remap gives the vCPUs free CPUs of their own, not the emulator’s (its CPUs are not in use)', () => {
      const result = run(nova);
      const pins = values(result.output, '/domain/cputune/vcpupin/@cpuset');
      expect(pins).to.have.length(4);
      expect(new Set(pins).size).to.equal(4);
      for (const cpu of pins) expect(['0', '1']).to.not.include(cpu);
      expect(result.plan.notes.join(' ')).to.not.match(/too few free CPUs/);
    });
  });

  describe('a released pin where <vcpu cpuset> stays', () => {
    const xml = domain(`  <vcpu placement='static' cpuset='2'>2</vcpu>
  <cputune><vcpupin vcpu='0' cpuset='20'/><vcpupin vcpu='1' cpuset='21'/><emulatorpin cpuset='0-1'/></cputune>`);

    for (const policy of ['unpin', 'intersect'] as const) {
      it(`${policy}: is written out as the pool, as without a pin the vCPU would run on <vcpu cpuset>`, () => {
        const result = run(xml, policy);
        expect(values(result.output, '/domain/cputune/vcpupin/@cpuset')).to.deep.equal(['0-15', '0-15']);
        expect(values(result.output, '/domain/vcpu/@cpuset')).to.deep.equal(['2']);
        expect(result.plan.changes.map((c) => c.rule).join('\n')).to.match(/would run on <vcpu cpuset>/);
      });
    }

    it('is removed when <vcpu cpuset> goes too (nothing left to inherit)', () => {
      const result = run(xml.replace("cpuset='2'>", "cpuset='30'>"), 'unpin');
      expect(values(result.output, '/domain/cputune/vcpupin/@cpuset')).to.deep.equal([]);
      expect(values(result.output, '/domain/vcpu/@cpuset')).to.deep.equal([]);
    });
  });

  describe('<numatune><memory> cannot go while memnodes stay', () => {
    const cells = "  <cpu><numa><cell id='0' cpus='0-1' memory='4194304' unit='KiB'/></numa></cpu>";
    const restrictive = domain(`  <vcpu placement='static'>2</vcpu>
  <numatune><memory mode='restrictive' nodeset='3'/><memnode cellid='0' mode='restrictive' nodeset='1'/></numatune>
${cells}`);
    const auto = domain(`  <vcpu placement='auto'>2</vcpu>
  <numatune><memory mode='strict' nodeset='3'/><memnode cellid='0' mode='strict' nodeset='0'/></numatune>
${cells}`);

    for (const policy of ['unpin', 'intersect'] as const) {
      it(`${policy}: a restrictive memnode keeps its restrictive <memory>, widened to every node with memory`, () => {
        const out = run(restrictive, policy).output;
        expect(values(out, '/domain/numatune/memory/@mode')).to.deep.equal(['restrictive']);
        expect(values(out, '/domain/numatune/memory/@nodeset')).to.deep.equal(['0-1']);
        expect(values(out, '/domain/numatune/memnode/@nodeset')).to.deep.equal(['1']);
      });

      it(`${policy}: with <vcpu placement='auto'>, memnodes keep a static <memory> (else numatune turns automatic)`, () => {
        const out = run(auto, policy).output;
        expect(values(out, '/domain/numatune/memory/@nodeset')).to.deep.equal(['0-1']);
        expect(values(out, '/domain/numatune/memory/@placement')).to.deep.equal([]);
      });
    }
  });

  describe('an original record older than the domain', () => {
    it('does not pin an I/O thread that no longer exists, nor restore a DIMM that was unplugged', () => {
      const xml = domain(
        `  <vcpu placement='static'>1</vcpu>
  <iothreads>1</iothreads>
  <cputune><vcpupin vcpu='0' cpuset='0'/><iothreadpin iothread='1' cpuset='2'/></cputune>
  <devices><memory model='dimm'><source><nodemask>0</nodemask></source><target><size unit='KiB'>524288</size><node>0</node></target></memory></devices>`,
        record('vcpupin#0=20;iothreadpin#1=22;iothreadpin#2=23;memdev#0=3;memdev#1=2;'),
      );
      const result = run(xml);
      expect(result.plan.outcome).to.not.equal('error');
      expect(values(result.output ?? xml, '/domain/cputune/iothreadpin/@iothread')).to.deep.equal(['1']);
      expect(values(result.output ?? xml, '/domain/devices/memory')).to.have.length(1);
    });

    it('keeps pins added since it was written, when they fit', () => {
      const xml = domain(
        `  <vcpu placement='static'>1</vcpu>
  <iothreads>1</iothreads>
  <cputune><vcpupin vcpu='0' cpuset='6'/><emulatorpin cpuset='3'/><iothreadpin iothread='1' cpuset='2'/></cputune>
  <numatune><memory mode='strict' nodeset='0'/></numatune>`,
        record('vcpupin#0=20;'),
      );
      const out = run(xml).output ?? xml;
      expect(values(out, '/domain/cputune/emulatorpin/@cpuset')).to.deep.equal(['3']);
      expect(values(out, '/domain/cputune/iothreadpin/@cpuset')).to.deep.equal(['2']);
      expect(values(out, '/domain/numatune/memory/@nodeset')).to.deep.equal(['0']);
    });

    it("writes no set into an element numad now places (placement='auto')", () => {
      const xml = domain(
        `  <vcpu placement='auto'>2</vcpu>
  <numatune><memory mode='strict' placement='auto'/></numatune>`,
        record('vcpu=20-21;numatune=1;'),
      );
      const out = run(xml).output ?? xml;
      expect(values(out, '/domain/vcpu/@cpuset')).to.deep.equal([]);
      expect(values(out, '/domain/numatune/memory')).to.have.length(1);
      expect(values(out, '/domain/numatune/memory/@nodeset')).to.deep.equal([]);
    });
  });
});
