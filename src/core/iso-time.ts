// Date.prototype.toISOString without it: its first call in a process costs
// ~0.8 ms (V8 sets up its time zone data first, even to print UTC), and a
// filter call's whole budget over node's start-up is ~25 ms. The journal's
// times are UTC to the millisecond, as toISOString writes them.
const DAY_MS = 86_400_000;

const two = (n: number): string => (n < 10 ? `0${n}` : String(n));

/** `new Date(ms).toISOString()` for ms from 1970 to the end of 9999. */
export function isoTime(ms: number): string {
  const days = Math.floor(ms / DAY_MS);
  const inDay = ms - days * DAY_MS;
  // Count from 0000-03-01 in eras of 400 years (146097 days each): with years starting in March,
  // the leap day is the last day of a year, and a year's month lengths repeat every five months.
  const fromMarch0 = days + 719_468;
  const era = Math.floor(fromMarch0 / 146_097);
  const dayOfEra = fromMarch0 - era * 146_097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthFromMarch = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * monthFromMarch + 2) / 5) + 1;
  const month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9;
  const year = era * 400 + yearOfEra + (month <= 2 ? 1 : 0);
  const millis = inDay % 1000;
  return (
    `${String(year).padStart(4, '0')}-${two(month)}-${two(day)}T${two(Math.floor(inDay / 3_600_000))}:` +
    `${two(Math.floor(inDay / 60_000) % 60)}:${two(Math.floor(inDay / 1000) % 60)}.${millis < 100 ? (millis < 10 ? '00' : '0') : ''}${millis}Z`
  );
}
