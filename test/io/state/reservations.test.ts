// Reservation expiry against a wall clock that stepped back.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadReservations, RESERVATION_TTL_MS, saveReservations } from '../../../src/io/state/reservations.js';

describe('reservations', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'repin-resv-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const now = 1_800_000_000_000;
  const entry = (name: string, expires: number) => ({ uuid: `${name}-uuid`, name, cpus: '2', expires });
  const cases: [string, number, boolean][] = [
    ['just made', now + RESERVATION_TTL_MS, true],
    ['half-way', now + RESERVATION_TTL_MS / 2, true],
    ['expired', now, false],
    ['made before the clock stepped back a minute', now + RESERVATION_TTL_MS + 60_000, false],
    ['made before the clock stepped back an hour', now + RESERVATION_TTL_MS + 3_600_000, false],
  ];
  for (const [what, expires, kept] of cases) {
    it(`${what}: ${kept ? 'kept' : 'expired'}`, () => {
      saveReservations(dir, [entry('vm', expires)]);
      expect(loadReservations(dir, now).map((r) => r.name)).to.deep.equal(kept ? ['vm'] : []);
    });
  }
});
