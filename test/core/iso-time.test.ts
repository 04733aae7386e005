// isoTime against the Date it stands in for.
import { expect } from 'chai';
import fc from 'fast-check';
import { isoTime } from '../../src/core/iso-time.js';

describe('isoTime', () => {
  it('writes what toISOString writes, for any millisecond from 1970 to 9999', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 253_402_300_799_999 }), (ms) => isoTime(ms) === new Date(ms).toISOString()),
      { numRuns: 20_000 },
    );
  });

  it('gets the edges of days, months, leap days and centuries right', () => {
    for (const text of ['1970-01-01T00:00:00.000Z', '2000-02-29T23:59:59.999Z', '2100-03-01T00:00:00.000Z', '2026-12-31T23:59:59.009Z', '2024-02-29T12:00:00.090Z', '9999-12-31T23:59:59.999Z']) {
      expect(isoTime(Date.parse(text))).to.equal(text);
    }
  });
});
