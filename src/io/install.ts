// Put the bundle in place as libvirt's QEMU hook, or take it away, without
// ever touching a hook that is not repin's. libvirt discovers hooks only at
// daemon start (or SIGHUP), so say when a reload is needed.
import { existsSync, lstatSync, readdirSync, readFileSync, realpathSync, statSync, unlinkSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { DEFAULT_CONFIG } from '../core/config.js';
import { ConfigError, SystemctlError } from '../core/errors.js';
import { PATH_UNIT, reconcileUnits, UNIT_MARKER, type UnitPlaces } from '../core/reconcile-units.js';
import { replaceFile } from './atomic-file.js';

export type HookMode = 'main' | 'dropin' | 'auto';
export const DROPIN_NAME = '50-repin';

export interface InstallOptions {
  readonly script: string;
  readonly hooksDir: string;
  readonly mode: HookMode;
  readonly node: string;
  readonly configPath: string;
}

export interface InstallResult {
  readonly hookPath: string;
  readonly replaced: boolean;
  readonly configWritten: boolean;
  readonly reloadNeeded: boolean;
  readonly messages: string[];
}

/** A repin bundle says so on its second line (see scripts/build.mjs). */
export function isRepinScript(path: string): boolean {
  try {
    const head = readFileSync(path, 'utf8').slice(0, 400).split('\n');
    return head[1]?.startsWith('// repin ') === true;
  } catch {
    return false;
  }
}

/**
 * Where the CLI's payload starts in a built bundle. It is the bundle's last
 * section (scripts/build.mjs), so a hook copy ends just before it; the
 * Ansible role cuts at the same line (ansible/roles/repin/vars/main.yml).
 */
export const CLI_PAYLOAD_MARK = '// ---- repin payload cli:';
/** Where the hook's payload starts; its line ends with the build's id (`---- build <16 hex>`). */
export const HOOK_PAYLOAD_MARK = '// ---- repin payload hook:';

/** The bundle with its shebang set to an absolute node. */
export function scriptWithShebang(script: string, node: string): string {
  if (!node.startsWith('/')) throw new ConfigError(`--node must be an absolute path (libvirt runs hooks with a minimal PATH), got ${node}`);
  const text = readFileSync(script, 'utf8');
  const lines = text.split('\n');
  if (!lines[1]?.startsWith('// repin ')) throw new ConfigError(`${script} is not a built repin bundle (run npm run build)`);
  return [`#!${node}`, ...lines.slice(1)].join('\n');
}

/**
 * The bundle as libvirt's hook: shebang set, and without the CLI's payload.
 * A hook call never loads the CLI, but node reads and V8 scans the whole file
 * on every call, pass-through ones included: ~160 KiB of comments, ~2.5 ms.
 */
export function hookScript(script: string, node: string): string {
  const text = scriptWithShebang(script, node);
  const cli = text.indexOf(`\n${CLI_PAYLOAD_MARK}`);
  return cli < 0 ? text : text.slice(0, cli + 1);
}

/** What is at `path` (not following a symlink there): nothing, a file or link to a file `isOurs` accepts, or someone else's. */
function occupant(path: string, isOurs: (path: string) => boolean): 'absent' | 'ours' | 'foreign' {
  let entry: Stats;
  try {
    entry = lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    throw error;
  }
  // A symlink to repin's own file is repin's: rename replaces the link, never its target.
  // A dangling link, a directory or a device is not, whatever existsSync says.
  if (!entry.isFile() && !entry.isSymbolicLink()) return 'foreign';
  return isOurs(path) ? 'ours' : 'foreign';
}

/** Whether libvirt would run `path`: virFileIsExecutable (stat, S_ISREG, any x bit). */
function isExecutableFile(path: string): boolean {
  try {
    const stat = statSync(path);
    return stat.isFile() && (stat.mode & 0o111) !== 0;
  } catch {
    return false;
  }
}

/** A qemu hook libvirt has registered: hooks/qemu or any entry of qemu.d/ it would run (virHookCheck). */
function hookExists(hooksDir: string): boolean {
  const dropins = join(hooksDir, 'qemu.d');
  let names: string[] = [];
  try {
    names = readdirSync(dropins);
  } catch {
    // no qemu.d
  }
  return [join(hooksDir, 'qemu'), ...names.map((name) => join(dropins, name))].some(isExecutableFile);
}

export function targetFor(hooksDir: string, mode: HookMode): string {
  const main = join(hooksDir, 'qemu');
  if (mode === 'main') return main;
  if (mode === 'dropin') return join(hooksDir, 'qemu.d', DROPIN_NAME);
  return occupant(main, isRepinScript) === 'foreign' ? join(hooksDir, 'qemu.d', DROPIN_NAME) : main;
}

export function install(options: InstallOptions): InstallResult {
  const messages: string[] = [];
  const hookPath = targetFor(options.hooksDir, options.mode);
  const found = occupant(hookPath, isRepinScript);
  if (found === 'foreign') {
    throw new ConfigError(`${hookPath} exists and is not repin's; refusing to overwrite it (use --mode dropin or --mode auto)`);
  }
  const hadHook = hookExists(options.hooksDir);
  const replaced = found === 'ours';
  // The temp sits in hooks/ itself: libvirt runs only hooks/qemu by that name, but anything executable in qemu.d/.
  replaceFile(hookPath, hookScript(options.script, options.node), 0o755, options.hooksDir);
  messages.push(`${replaced ? 'updated' : 'installed'} ${hookPath} (node ${options.node})`);
  let configWritten = false;
  // Anything at the path, a dangling symlink included, is an existing config.
  if (occupant(options.configPath, () => false) === 'absent') {
    const defaults = { policy: DEFAULT_CONFIG.policy, onError: DEFAULT_CONFIG.onError, shadow: false, journal: DEFAULT_CONFIG.journal };
    replaceFile(options.configPath, `${JSON.stringify(defaults, null, 2)}\n`, 0o644);
    configWritten = true;
    messages.push(`wrote default config ${options.configPath}`);
  } else {
    messages.push(`kept existing config ${options.configPath}`);
  }
  const reloadNeeded = !hadHook;
  messages.push(
    reloadNeeded
      ? 'libvirt discovers hooks only at start: reload the daemon now (systemctl reload libvirtd, or virtqemud on modular hosts)'
      : 'no restart needed: a qemu hook already existed, libvirt re-reads it on every call',
  );
  return { hookPath, replaced, configWritten, reloadNeeded, messages };
}

/** The places repin installs its hook that hold one now. */
export function installedHooks(hooksDir: string): string[] {
  return [join(hooksDir, 'qemu'), join(hooksDir, 'qemu.d', DROPIN_NAME)].filter(isRepinScript);
}

export function uninstall(hooksDir: string): string[] {
  const messages: string[] = [];
  for (const path of [join(hooksDir, 'qemu'), join(hooksDir, 'qemu.d', DROPIN_NAME)]) {
    if (!existsSync(path)) continue;
    if (!isRepinScript(path)) {
      messages.push(`left ${path} alone: it is not repin's`);
      continue;
    }
    unlinkSync(path);
    messages.push(`removed ${path}`);
  }
  if (messages.length === 0) messages.push(`no repin hook in ${hooksDir}`);
  return messages;
}

/** systemd is the running init (sd_booted(3) checks the same directory). */
export function systemdRuns(root = '/'): boolean {
  return existsSync(join(root, 'run/systemd/system'));
}

const sameFile = (a: string, b: string): boolean => {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return false;
  }
};

/** Throw unless `script` carries the CLI (the hook copy does not): call before writing anything. */
export function checkHasCli(script: string, text = readFileSync(script, 'utf8')): void {
  if (!text.includes(`\n${CLI_PAYLOAD_MARK}`)) throw new ConfigError(`${script} is a hook copy of repin, without the CLI; install from the built bundle (dist/repin)`);
}

/** The CLI copy the reconcile service runs (ExecStart), unless `script` already is that file. */
export function installCli(script: string, node: string, binPath: string): string {
  if (sameFile(script, binPath)) return `kept ${binPath}: it is the repin running now`;
  const found = occupant(binPath, isRepinScript);
  if (found === 'foreign') throw new ConfigError(`${binPath} exists and is not repin's; refusing to overwrite it (use --bin-dir)`);
  const text = scriptWithShebang(script, node);
  checkHasCli(script, text);
  replaceFile(binPath, text, 0o755);
  return `${found === 'ours' ? 'updated' : 'installed'} ${binPath}`;
}

const isRepinUnit = (path: string): boolean => {
  try {
    return readFileSync(path, 'utf8').startsWith(UNIT_MARKER);
  } catch {
    return false;
  }
};

/** Throw before anything is written when a unit of repin's name is someone else's. */
export function checkUnits(unitsDir: string): void {
  for (const name of Object.keys(reconcileUnits())) {
    const path = join(unitsDir, name);
    if (occupant(path, isRepinUnit) === 'foreign') throw new ConfigError(`${path} exists and is not repin's; refusing to overwrite it`);
  }
}

/** Write repin-reconcile.path and .service into `unitsDir`, never over a unit that is not repin's. */
export function installUnits(unitsDir: string, places: UnitPlaces): string[] {
  checkUnits(unitsDir);
  return Object.entries(reconcileUnits(places)).map(([name, text]) => {
    const path = join(unitsDir, name);
    const replaced = occupant(path, isRepinUnit) === 'ours';
    replaceFile(path, text, 0o644);
    return `${replaced ? 'updated' : 'installed'} ${path}`;
  });
}

/** Remove repin's units from `unitsDir`; returns the removed paths. */
export function uninstallUnits(unitsDir: string): { removed: string[]; messages: string[] } {
  const removed: string[] = [];
  const messages: string[] = [];
  for (const name of Object.keys(reconcileUnits())) {
    const path = join(unitsDir, name);
    if (!existsSync(path)) continue;
    if (!isRepinUnit(path)) {
      messages.push(`left ${path} alone: it is not repin's`);
      continue;
    }
    unlinkSync(path);
    removed.push(path);
    messages.push(`removed ${path}`);
  }
  return { removed, messages };
}

export async function systemctl(args: readonly string[], env: Readonly<Record<string, string | undefined>>): Promise<string> {
  const result = await execa('systemctl', args, { env, extendEnv: false, reject: false, timeout: 60_000, stdin: 'ignore' });
  if (result.failed) {
    const said = (result.stderr || result.stdout || (result as { shortMessage?: string }).shortMessage || '').trim().replace(/\s+/g, ' ');
    throw new SystemctlError(`systemctl ${args.join(' ')} failed: ${said}`);
  }
  return `ran systemctl ${args.join(' ')}`;
}

export const ENABLE_ARGS = ['enable', '--now', PATH_UNIT] as const;
export const DISABLE_ARGS = ['disable', '--now', PATH_UNIT] as const;
