import { expect } from 'chai';
import fc from 'fast-check';
import { CpuSet, parseCpuset, parseSysfsList } from '../../src/core/cpuset.js';
import { CpusetSyntaxError } from '../../src/core/errors.js';

describe('cpuset: libvirt syntax (virBitmapParse)', () => {
  const valid: [string, string][] = [
    ['0', '0'],
    ['0-3', '0-3'],
    ['0-3,5', '0-3,5'],
    ['5,0-3', '0-3,5'],
    ['0-3,^2', '0-1,3'],
    ['^2,0-3', '0-3'], // exclusions apply left to right: ^2 before 2 was added removes nothing
    ['0-7,^2,^5', '0-1,3-4,6-7'],
    ['0-3,^2,2', '0-3'],
    [' 0 - 3 , 5 ', '0-3,5'],
    ['1,1,1', '1'],
    ['0,', '0'], // libvirt tolerates a trailing comma
    ['3-3', '3'],
    ['0-+3', '0-3'], // strtol accepts a sign after '-', so libvirt does too
    ['16383', '16383'],
    ['0,^0', ''],
  ];
  for (const [input, want] of valid) {
    it(`parses '${input}' as '${want}'`, () => expect(parseCpuset(input).toString()).to.equal(want));
  }

  const invalid: [string, RegExp][] = [
    ['', /empty/],
    ['   ', /empty/],
    ['-1', /expected a number/],
    ['3-1', /ends before it starts/],
    ['^', /expected a number/],
    ['0-', /expected a number/],
    ['99999', /above 16383/],
    ['16384', /above 16383/],
    ['0,,1', /expected a number/],
    ['a', /expected a number/],
    ['1a', /unexpected 'a'/],
    ['٣', /expected a number/], // Arabic-Indic digit three: not ASCII
    ['^1-3', /applies to one id/],
    ['1;2', /unexpected ';'/],
    ['0x10', /unexpected 'x'/],
  ];
  for (const [input, why] of invalid) {
    it(`rejects '${input}' (${why.source})`, () => {
      expect(() => parseCpuset(input)).to.throw(CpusetSyntaxError, why);
    });
  }

  it('names the bad input in the error', () => {
    expect(() => parseCpuset('0-3,x', 'vcpupin cpuset')).to.throw(/invalid vcpupin cpuset '0-3,x'/);
  });

  it('round-trips: parse(format(x)) == x for any set of ids', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 16383 }), { maxLength: 200 }), (ids) => {
        const set = CpuSet.of(ids);
        const text = set.toString();
        if (set.isEmpty) return text === '';
        return parseCpuset(text).equals(set) && parseSysfsList(text).equals(set);
      }),
    );
  });
});

describe('cpuset: kernel list format', () => {
  const cases: [string, string][] = [
    ['0-3\n', '0-3'],
    ['\n', ''],
    ['', ''],
    ['0,2,4-5', '0,2,4-5'],
  ];
  for (const [input, want] of cases) {
    it(`parses ${JSON.stringify(input)}`, () => expect(parseSysfsList(input).toString()).to.equal(want));
  }
  for (const bad of ['0-', 'x', '3-1', '^1']) {
    it(`rejects '${bad}'`, () => expect(() => parseSysfsList(bad)).to.throw(CpusetSyntaxError));
  }
});

describe('CpuSet operations', () => {
  it('intersects, subtracts, unites and compares', () => {
    const a = parseCpuset('0-7');
    const b = parseCpuset('4-11');
    expect(a.intersect(b).toString()).to.equal('4-7');
    expect(a.minus(b).toString()).to.equal('0-3');
    expect(a.union(b).toString()).to.equal('0-11');
    expect(parseCpuset('5-6').isSubsetOf(a)).to.equal(true);
    expect(b.isSubsetOf(a)).to.equal(false);
  });
});
