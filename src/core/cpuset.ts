// CPU and NUMA node id sets, and the two text forms they come in: libvirt's
// cpuset syntax (virBitmapParse in src/util/virbitmap.c) and the kernel's
// sysfs list format (lib/bitmap.c, bitmap_parselist).
import { CpusetSyntaxError } from './errors.js';

/** libvirt sizes domain cpumasks at VIR_DOMAIN_CPUMASK_LEN = 16384 bits. */
export const MAX_CPU_ID = 16383;

/** An immutable set of non-negative ids, kept sorted. */
export class CpuSet {
  private lookup: Set<number> | undefined;

  private constructor(readonly ids: readonly number[]) {}

  static readonly empty = new CpuSet([]);

  /** From any ids; sorts and removes duplicates. */
  static of(ids: Iterable<number>): CpuSet {
    const list = Array.isArray(ids) ? (ids as number[]).slice() : [...ids];
    // Most lists arrive sorted (sysfs, other sets' ids): one pass instead of a Set and a sort.
    let ascending = true;
    for (let i = 1; i < list.length && ascending; i++) ascending = (list[i] as number) > (list[i - 1] as number);
    return new CpuSet(ascending ? list : [...new Set(list)].sort((a, b) => a - b));
  }

  /** A single CPU: a dedicated pin, the most common set. */
  static one(id: number): CpuSet {
    return new CpuSet([id]);
  }

  static range(first: number, last: number): CpuSet {
    const ids: number[] = [];
    for (let i = first; i <= last; i++) ids.push(i);
    return new CpuSet(ids);
  }

  get size(): number {
    return this.ids.length;
  }

  get isEmpty(): boolean {
    return this.ids.length === 0;
  }

  has(id: number): boolean {
    this.lookup ??= new Set(this.ids);
    return this.lookup.has(id);
  }

  intersect(other: CpuSet): CpuSet {
    return new CpuSet(this.ids.filter((id) => other.has(id)));
  }

  minus(other: CpuSet): CpuSet {
    return new CpuSet(this.ids.filter((id) => !other.has(id)));
  }

  union(other: CpuSet): CpuSet {
    return CpuSet.of([...this.ids, ...other.ids]);
  }

  isSubsetOf(other: CpuSet): boolean {
    return this.ids.every((id) => other.has(id));
  }

  equals(other: CpuSet): boolean {
    if (this.ids.length !== other.ids.length) return false;
    for (let i = 0; i < this.ids.length; i++) if (this.ids[i] !== other.ids[i]) return false;
    return true;
  }

  /** Canonical libvirt/kernel form: `0-3,5`; the empty set is ``. */
  toString(): string {
    return formatIds(this.ids);
  }

  toJSON(): string {
    return this.toString();
  }
}

function formatIds(ids: readonly number[]): string {
  let text = '';
  let i = 0;
  while (i < ids.length) {
    const first = ids[i] as number;
    let last = first;
    while (i + 1 < ids.length && ids[i + 1] === last + 1) {
      last += 1;
      i += 1;
    }
    const part = first === last ? `${first}` : `${first}-${last}`;
    text = text === '' ? part : `${text},${part}`;
    i += 1;
  }
  return text;
}

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isSpace = (c: string | undefined): boolean =>
  c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\v' || c === '\f';

/**
 * Parse libvirt's cpuset syntax the way virBitmapParse does: comma-separated
 * `N`, `N-M` (M >= N) and `^N` tokens applied left to right, blanks allowed
 * around tokens and around `-`, a trailing comma tolerated, ids below 16384.
 * The result may be empty (`0,^0`); callers decide whether that is valid.
 */
export function parseCpuset(text: string, what = 'cpuset'): CpuSet {
  // The common case, one CPU (a dedicated pin): no tokenizer.
  if (/^\d{1,5}$/.test(text) && Number(text) <= MAX_CPU_ID) return CpuSet.one(Number(text));
  const fail = (detail: string): never => {
    throw new CpusetSyntaxError(`invalid ${what} '${printable(text)}': ${detail}`);
  };
  const chosen = new Set<number>();
  let pos = 0;
  const skipSpaces = (): void => {
    while (isSpace(text[pos])) pos++;
  };
  const readNumber = (allowPlus: boolean): number => {
    const start = pos;
    if (allowPlus && text[pos] === '+') pos++;
    if (!isDigit(text[pos])) fail(`expected a number at '${printable(text.slice(start, start + 8))}'`);
    while (isDigit(text[pos])) pos++;
    const value = Number(text.slice(start, pos));
    if (value > MAX_CPU_ID) fail(`id ${value} is above ${MAX_CPU_ID}`);
    return value;
  };

  skipSpaces();
  if (pos === text.length) fail('it is empty');
  while (pos < text.length) {
    const tokenStart = pos;
    const negate = text[pos] === '^';
    if (negate) pos++;
    const first = readNumber(false);
    skipSpaces();
    if (text[pos] === '-') {
      if (negate) fail(`'^' applies to one id, not a range, in '${printable(text.slice(tokenStart, pos + 4))}'`);
      pos++;
      skipSpaces();
      const last = readNumber(true);
      if (last < first) fail(`range ${first}-${last} ends before it starts`);
      for (let id = first; id <= last; id++) chosen.add(id);
      skipSpaces();
    } else if (negate) {
      chosen.delete(first);
    } else {
      chosen.add(first);
    }
    if (text[pos] === ',') {
      pos++;
      skipSpaces();
    } else if (pos < text.length) {
      fail(`unexpected '${printable(text[pos] ?? '')}' after '${printable(text.slice(tokenStart, pos))}'`);
    }
  }
  return CpuSet.of(chosen);
}

/**
 * Parse the kernel's list format (`/sys/devices/system/cpu/online`,
 * `Cpus_allowed_list`, `cpuset.cpus.effective`): `N` and `N-M` separated by
 * commas; an empty or blank file is the empty set.
 */
export function parseSysfsList(text: string, what = 'CPU list'): CpuSet {
  const scanned = scanSysfsList(text);
  if (scanned) return CpuSet.of(scanned);
  const trimmed = text.trim();
  if (trimmed === '') return CpuSet.empty;
  const ids: number[] = [];
  for (const token of trimmed.split(',')) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(token.trim());
    if (!match) throw new CpusetSyntaxError(`invalid ${what} '${printable(trimmed)}': bad token '${printable(token)}'`);
    const first = Number(match[1]);
    const last = match[2] === undefined ? first : Number(match[2]);
    if (last < first || last > MAX_CPU_ID) {
      throw new CpusetSyntaxError(`invalid ${what} '${printable(trimmed)}': bad range '${token}'`);
    }
    for (let id = first; id <= last; id++) ids.push(id);
  }
  return CpuSet.of(ids);
}

/**
 * The well-formed case (`0-3,8\n`) digit by digit: no substrings, token arrays
 * or matches for the hundreds of small sysfs files a host read parses.
 * Undefined for anything else, which the tokenizer then accepts or explains.
 */
function scanSysfsList(text: string): number[] | undefined {
  const end = text.endsWith('\n') ? text.length - 1 : text.length;
  if (end === 0) return undefined;
  const ids: number[] = [];
  let pos = 0;
  const number = (): number => {
    const start = pos;
    let value = 0;
    for (let c = text.charCodeAt(pos); c >= 48 && c <= 57; c = text.charCodeAt(++pos)) value = value * 10 + c - 48;
    return pos === start ? -1 : value;
  };
  for (;;) {
    const first = number();
    let last = first;
    if (text[pos] === '-') {
      pos++;
      last = number();
    }
    if (first < 0 || last < first || last > MAX_CPU_ID) return undefined;
    for (let id = first; id <= last; id++) ids.push(id);
    if (pos === end) return ids;
    if (text[pos] !== ',') return undefined;
    pos++;
  }
}

/** Quote untrusted text for an error message: bounded, no control characters. */
export function printable(text: string, max = 40): string {
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}
