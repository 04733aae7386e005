// Every host-side element family is read and rewritten by every changing
// policy — the checklist that keeps an iothreadpin from being forgotten.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { parseConfig } from '../../../src/core/config.js';
import { parseCpuset } from '../../../src/core/cpuset.js';
import { readDomainPins, type PinKind } from '../../../src/core/domain/pins.js';
import { filterDomainXml } from '../../../src/core/plan/filter-xml.js';
import { flatHost } from '../../../src/core/host/host.js';
import { parseDomainXml } from '../../../src/core/xml/xmldom.js';
import { xpathValues } from '../../support/xpath.js';

const ALL_FAMILIES: PinKind[] = ['vcpu', 'vcpupin', 'emulatorpin', 'iothreadpin', 'numatune', 'memnode', 'memdev'];

const everyFamily = `<domain type='kvm'>
  <name>all-families</name>
  <uuid>22222222-3333-4444-8555-666666666666</uuid>
  <vcpu placement='static' cpuset='40-41'>2</vcpu>
  <iothreads>1</iothreads>
  <cputune>
    <vcpupin vcpu='0' cpuset='40'/>
    <vcpupin vcpu='1' cpuset='41'/>
    <emulatorpin cpuset='42'/>
    <iothreadpin iothread='1' cpuset='43'/>
    <vcpusched vcpus='0-1' scheduler='fifo' priority='1'/>
  </cputune>
  <numatune>
    <memory mode='strict' nodeset='5'/>
    <memnode cellid='0' mode='strict' nodeset='5'/>
  </numatune>
  <cpu><numa><cell id='0' cpus='0-1' memory='1048576' unit='KiB'/></numa></cpu>
  <devices>
    <memory model='dimm'><source><nodemask>5</nodemask></source><target><size unit='KiB'>524288</size><node>0</node></target></memory>
  </devices>
</domain>`;

describe('element families: every host-side placement is rewritten', () => {
  const host = flatHost(parseCpuset('0-7'));
  const config = parseConfig({});

  it('the fixture really has every family', () => {
    const pins = readDomainPins(parseDomainXml(everyFamily));
    const kinds = new Set([...pins.cpuPins.map((p) => p.kind), ...pins.nodePins.map((p) => p.kind)]);
    expect([...kinds].sort()).to.deep.equal([...ALL_FAMILIES].sort());
  });

  // intersect and unpin release the realtime vCPUs' pins here and refuse (realtime-fit.test.ts): the families are checked without the realtime marking.
  const nonRealtime = everyFamily.replace("scheduler='fifo' priority='1'", "scheduler='batch'");
  for (const policy of ['remap', 'intersect', 'unpin'] as const) {
    it(`${policy} changes every family, and the output fits`, () => {
      const result = filterDomainXml(policy === 'remap' ? everyFamily : nonRealtime, host, config, policy);
      const changed = new Set(result.plan.changes.map((c) => c.element));
      expect([...changed].sort()).to.deep.equal([...ALL_FAMILIES].sort());
      const strict = filterDomainXml(result.output ?? '', host, config, 'strict');
      expect(strict.plan.outcome, strict.plan.refusal).to.equal('unchanged');
    });
  }

  it('strict names every family in its refusal', () => {
    const { plan } = filterDomainXml(everyFamily, host, config, 'strict');
    for (const label of ['vcpu cpuset=40-41', 'vcpupin vcpu=0', 'vcpupin vcpu=1', 'emulatorpin', 'iothreadpin iothread=1', 'numatune memory', 'memnode cellid=0', 'memory device #0']) {
      expect(plan.refusal).to.include(label);
    }
  });

  it('remap output, read back with XPath: every host-side value is a CPU or node of this host', () => {
    const { output = '' } = filterDomainXml(everyFamily, host, config, 'remap');
    const cpus = [
      ...xpathValues(output, '/domain/vcpu/@cpuset'),
      ...xpathValues(output, '/domain/cputune/*[self::vcpupin or self::emulatorpin or self::iothreadpin]/@cpuset'),
    ];
    expect(cpus).to.have.length(5);
    for (const set of cpus) expect(parseCpuset(set).isSubsetOf(parseCpuset('0-7')), set).to.equal(true);
    const nodes = [...xpathValues(output, '/domain/numatune/*/@nodeset'), ...xpathValues(output, '/domain/devices/memory/source/nodemask')];
    expect(nodes).to.deep.equal(['0', '0', '0']);
    expect(xpathValues(output, 'count(/domain/cputune/vcpupin)')).to.deep.equal(['2']);
  });

  it('guest-side ids are never touched (vcpusched vcpus, cell cpus, memnode cellid)', () => {
    const { output } = filterDomainXml(everyFamily, host, config, 'remap');
    // Untouched elements are their input bytes; a changed one keeps its other attributes as written.
    expect(output).to.include(`<vcpusched vcpus='0-1' scheduler='fifo' priority='1'/>`);
    expect(output).to.include(`<cell id='0' cpus='0-1' memory='1048576' unit='KiB'/>`);
    expect(output).to.include(`<memnode cellid='0' mode='strict' nodeset='0'/>`);
  });

  it('placement=auto is left to numad', () => {
    const xml = readFileSync('examples/shared-pool.xml', 'utf8').replace("placement='static' cpuset='16-31'", "placement='auto' cpuset='16-31'");
    expect(filterDomainXml(xml, host, config, 'remap').plan.outcome).to.equal('unchanged');
  });
});
