// repin's configuration (/etc/libvirt/repin.json): validated from parsed JSON,
// with errors that name the key and the value. A missing file means defaults.
import { DEFAULT_JOURNAL_DIR, DEFAULT_SPOOL_DIR } from '../bundle/layout.js';
import { CpuSet, parseCpuset, printable } from './cpuset.js';
import { ConfigError } from './errors.js';
import { POLICIES, type Policy } from './plan/plan.js';
import type { PlanOptions } from './plan/make-plan.js';

export type OnError = 'keep' | 'fail';

export interface DomainOverride {
  readonly policy?: Policy;
  readonly allowedCpus?: CpuSet;
  readonly emulatorCpus?: CpuSet;
  readonly reservedCpus?: CpuSet;
  readonly shadow?: boolean;
}

export interface Config {
  readonly policy: Policy;
  readonly allowedCpus?: CpuSet;
  readonly emulatorCpus?: CpuSet;
  readonly reservedCpus: CpuSet;
  readonly onError: OnError;
  readonly shadow: boolean;
  readonly overcommit: boolean;
  readonly protectDedicated: boolean;
  /** Also plan domains whose metadata says Nova, oVirt or KubeVirt manages them. */
  readonly manageForeign: boolean;
  readonly journal: { readonly dir: string; readonly keep: number };
  readonly spoolDir: string;
  readonly domains: Readonly<Record<string, DomainOverride>>;
}

export const DEFAULT_CONFIG: Config = {
  policy: 'remap',
  reservedCpus: CpuSet.empty,
  onError: 'keep',
  shadow: false,
  overcommit: false,
  protectDedicated: true,
  manageForeign: false,
  journal: { dir: DEFAULT_JOURNAL_DIR, keep: 200 },
  spoolDir: DEFAULT_SPOOL_DIR,
  domains: {},
};

const TOP_KEYS = ['policy', 'allowedCpus', 'emulatorCpus', 'reservedCpus', 'onError', 'shadow', 'overcommit', 'protectDedicated', 'manageForeign', 'journal', 'spoolDir', 'domains'];
const OVERRIDE_KEYS = ['policy', 'allowedCpus', 'emulatorCpus', 'reservedCpus', 'shadow'];

const show = (value: unknown): string => printable(JSON.stringify(value) ?? String(value), 60);

function fail(key: string, value: unknown, want: string): never {
  throw new ConfigError(`config key ${key}: ${show(value)} is not valid; expected ${want}`);
}

function policyAt(key: string, value: unknown): Policy {
  if (typeof value === 'string' && (POLICIES as readonly string[]).includes(value)) return value as Policy;
  return fail(key, value, `one of ${POLICIES.join(', ')}`);
}

function cpusAt(key: string, value: unknown, allowEmpty: boolean): CpuSet {
  if (typeof value !== 'string') return fail(key, value, 'a cpuset string such as "2-63"');
  if (allowEmpty && value.trim() === '') return CpuSet.empty;
  try {
    return parseCpuset(value, key);
  } catch (error) {
    throw new ConfigError(`config key ${key}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

function boolAt(key: string, value: unknown): boolean {
  return typeof value === 'boolean' ? value : fail(key, value, 'true or false');
}

function objectAt(key: string, value: unknown, known: readonly string[]): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail(key, value, 'an object');
  const record = value as Record<string, unknown>;
  for (const k of Object.keys(record)) {
    if (!known.includes(k)) throw new ConfigError(`config key ${key ? `${key}.` : ''}${printable(k)} is unknown; known keys: ${known.join(', ')}`);
  }
  return record;
}

function overrideAt(key: string, value: unknown): DomainOverride {
  const o = objectAt(key, value, OVERRIDE_KEYS);
  return {
    ...(o.policy === undefined ? {} : { policy: policyAt(`${key}.policy`, o.policy) }),
    ...(o.allowedCpus === undefined ? {} : { allowedCpus: cpusAt(`${key}.allowedCpus`, o.allowedCpus, false) }),
    ...(o.emulatorCpus === undefined ? {} : { emulatorCpus: cpusAt(`${key}.emulatorCpus`, o.emulatorCpus, false) }),
    ...(o.reservedCpus === undefined ? {} : { reservedCpus: cpusAt(`${key}.reservedCpus`, o.reservedCpus, true) }),
    ...(o.shadow === undefined ? {} : { shadow: boolAt(`${key}.shadow`, o.shadow) }),
  };
}

/** Validate a parsed config file; every key optional. */
export function parseConfig(value: unknown): Config {
  const c = objectAt('', value, TOP_KEYS);
  const d = DEFAULT_CONFIG;
  const journal = c.journal === undefined ? {} : objectAt('journal', c.journal, ['dir', 'keep']);
  const dir = journal.dir ?? d.journal.dir;
  if (typeof dir !== 'string' || !dir.startsWith('/')) fail('journal.dir', dir, 'an absolute path');
  const keep = journal.keep ?? d.journal.keep;
  if (typeof keep !== 'number' || !Number.isInteger(keep) || keep < 0) fail('journal.keep', keep, 'a whole number ≥ 0');
  const spoolDir = c.spoolDir ?? d.spoolDir;
  if (typeof spoolDir !== 'string' || !spoolDir.startsWith('/')) fail('spoolDir', spoolDir, 'an absolute path');
  const onError = c.onError ?? d.onError;
  if (onError !== 'keep' && onError !== 'fail') fail('onError', onError, '"keep" or "fail"');
  const domains: Record<string, DomainOverride> = {};
  for (const [name, override] of Object.entries(c.domains === undefined ? {} : objectAt('domains', c.domains, Object.keys(c.domains as object)))) {
    domains[name] = overrideAt(`domains.${printable(name)}`, override);
  }
  return {
    policy: c.policy === undefined ? d.policy : policyAt('policy', c.policy),
    ...(c.allowedCpus === undefined ? {} : { allowedCpus: cpusAt('allowedCpus', c.allowedCpus, false) }),
    ...(c.emulatorCpus === undefined ? {} : { emulatorCpus: cpusAt('emulatorCpus', c.emulatorCpus, false) }),
    reservedCpus: c.reservedCpus === undefined ? d.reservedCpus : cpusAt('reservedCpus', c.reservedCpus, true),
    onError,
    shadow: c.shadow === undefined ? d.shadow : boolAt('shadow', c.shadow),
    overcommit: c.overcommit === undefined ? d.overcommit : boolAt('overcommit', c.overcommit),
    protectDedicated: c.protectDedicated === undefined ? d.protectDedicated : boolAt('protectDedicated', c.protectDedicated),
    manageForeign: c.manageForeign === undefined ? d.manageForeign : boolAt('manageForeign', c.manageForeign),
    journal: { dir: dir, keep: keep },
    spoolDir: spoolDir,
    domains,
  };
}

export interface Resolved {
  readonly options: PlanOptions;
  readonly shadow: boolean;
}

/**
 * Config for one domain. Precedence: an explicit policy (CLI), the config
 * file's override (by name, then uuid), the domain's own metadata, defaults.
 */
export function resolveForDomain(config: Config, domain: { name: string; uuid: string }, policy?: Policy, metadata: DomainOverride = {}): Resolved {
  const o: DomainOverride = { ...metadata, ...(config.domains[domain.name] ?? config.domains[domain.uuid] ?? {}) };
  const allowedCpus = o.allowedCpus ?? config.allowedCpus;
  const emulatorCpus = o.emulatorCpus ?? config.emulatorCpus;
  return {
    options: {
      policy: policy ?? o.policy ?? config.policy,
      ...(allowedCpus ? { allowedCpus } : {}),
      ...(emulatorCpus ? { emulatorCpus } : {}),
      reservedCpus: o.reservedCpus ?? config.reservedCpus,
      overcommit: config.overcommit,
      protectDedicated: config.protectDedicated,
    },
    shadow: o.shadow ?? config.shadow,
  };
}
