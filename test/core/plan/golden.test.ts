// Golden cases: test/fixtures/golden/<case>/{domain.xml,host.json,config.json?,expected.xml|expected-refusal.txt}.
// Set UPDATE_GOLDEN=1 to write the expected files from the current output (then review the diff).
import { expect } from 'chai';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../../../src/core/config.js';
import { filterDomainXml } from '../../../src/core/plan/filter-xml.js';
import { hostFromProfile } from '../../../src/core/host/host-json.js';
import { canonicalXml } from '../../support/xml-compare.js';

const root = 'test/fixtures/golden';
const update = process.env.UPDATE_GOLDEN === '1';

describe('golden fixtures: each policy and element family', () => {
  for (const name of readdirSync(root).sort()) {
    const dir = join(root, name);
    it(name, () => {
      const xml = readFileSync(join(dir, 'domain.xml'), 'utf8');
      const host = hostFromProfile(JSON.parse(readFileSync(join(dir, 'host.json'), 'utf8')), 'host.json');
      const configFile = join(dir, 'config.json');
      const config = parseConfig(existsSync(configFile) ? JSON.parse(readFileSync(configFile, 'utf8')) : {});
      const result = filterDomainXml(xml, host, config);
      const refusalFile = join(dir, 'expected-refusal.txt');
      const expectedFile = join(dir, 'expected.xml');
      if (update) {
        if (result.plan.outcome === 'refused') writeFileSync(refusalFile, `${result.plan.refusal}\n`);
        else writeFileSync(expectedFile, result.output ?? xml);
      }
      if (existsSync(refusalFile)) {
        expect(result.plan.outcome).to.equal('refused');
        expect(`${result.plan.refusal}\n`).to.equal(readFileSync(refusalFile, 'utf8'));
        return;
      }
      const expected = readFileSync(expectedFile, 'utf8');
      if (canonicalXml(expected) === canonicalXml(xml)) {
        expect(result.plan.outcome, 'no-change case').to.equal('unchanged');
        expect(result.output).to.equal(undefined);
        return;
      }
      expect(result.output, 'rewritten XML').to.be.a('string');
      expect(canonicalXml(result.output ?? '')).to.equal(canonicalXml(expected));
    });
  }
});
