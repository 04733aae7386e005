// `repin install` and `repin uninstall` on one host, and the Ansible role
// through them: a build copied whole into `<lib>/<build id>/`, then the
// launchers (libvirt's hook, the `repin` command) renamed into place to run
// it, the reconcile units and a default config. Every step is planned first
// (nothing is written when anything is in the way or in a dry run), kept when
// its file already holds what it would write, and never touches a file that
// is not repin's. libvirt discovers hooks only at daemon start or SIGHUP
// (virHookInitialize), so the report says when a reload is needed.
import { copyFileSync, lstatSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { BUILD_FILES, BUILD_ID, CODE_CACHE_FILE, DROPIN_NAME } from '../../bundle/layout.js';
import { isSigned, launcherText, parseLauncher, type LauncherKind } from '../../bundle/launcher.js';
import { checkBuild, readBuild, type Manifest } from '../../bundle/manifest.js';
import { DEFAULT_CONFIG } from '../../core/config.js';
import { ConfigError, InstallConflict } from '../../core/errors.js';
import { reconcileUnits, UNIT_MARKER, type UnitPlaces } from '../../core/reconcile/units.js';
import { replaceFile, syncPath } from '../fs/atomic-file.js';
import { cacheIsCurrent, makeCodeCache } from './code-cache.js';

export type HookMode = 'main' | 'dropin' | 'auto';

export interface InstallOptions {
  /** The build to install from: `dist/`, an upload dir, or an installed build dir. */
  readonly buildDir: string;
  readonly hooksDir: string;
  readonly libDir: string;
  /** Where the `repin` command launcher goes; none when undefined. */
  readonly binDir?: string;
  readonly mode: HookMode;
  readonly dropinName: string;
  /** Absolute node path the launchers run. */
  readonly node: string;
  /** The config to create with the defaults when nothing is there. */
  readonly configPath: string;
  /** The reconcile units and where they go; none when undefined. */
  readonly units?: { readonly dir: string; readonly places: UnitPlaces };
  /** Plan and report, write nothing. */
  readonly dryRun?: boolean;
  /** Make the hook's code cache (default true). */
  readonly codeCache?: boolean;
}

export type Action = 'kept' | 'installed' | 'updated' | 'removed';

export interface Step {
  readonly path: string;
  readonly action: Action;
  /** Whose it is, for the report: `build`, `hook`, `command`, `config`, `unit`, `old hook`, `old build`. */
  readonly what: string;
}

export interface InstallReport {
  readonly buildId: string;
  readonly hookPath: string;
  readonly steps: readonly Step[];
  /** Some step wrote or removed something (or would, in a dry run). */
  readonly changed: boolean;
  /** No qemu hook existed before: libvirt must reload to call this one. */
  readonly reloadNeeded: boolean;
  /** What went wrong without failing the install (no code cache). */
  readonly notes: readonly string[];
}

type Occupant = 'absent' | 'ours' | 'foreign';

const readIfFile = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};

/**
 * What is at `path`, not following a link there: nothing, repin's (a regular
 * file, or a link to one, that `isOurs` accepts), or someone else's.
 */
function occupant(path: string, isOurs: (text: string) => boolean): Occupant {
  let entry;
  try {
    entry = lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    throw error;
  }
  if (!entry.isFile() && !entry.isSymbolicLink()) return 'foreign';
  const text = readIfFile(path);
  return text !== undefined && isOurs(text) ? 'ours' : 'foreign';
}

/** Whether libvirt would run `path` as a hook: virFileIsExecutable (stat, regular, any x bit). */
function isExecutableFile(path: string): boolean {
  try {
    const stat = statSync(path);
    return stat.isFile() && (stat.mode & 0o111) !== 0;
  } catch {
    return false;
  }
}

const dropinDir = (hooksDir: string): string => join(hooksDir, 'qemu.d');

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

/** A qemu hook libvirt has registered: hooks/qemu or any entry of qemu.d/ it would run (virHookCheck). */
function hookExists(hooksDir: string): boolean {
  return [join(hooksDir, 'qemu'), ...listDir(dropinDir(hooksDir)).map((name) => join(dropinDir(hooksDir), name))].some(isExecutableFile);
}

/** repin's hooks in this hooks dir, under any name: the main one and regular signed files of qemu.d/ (never a link there). */
function repinHooks(hooksDir: string): string[] {
  const main = join(hooksDir, 'qemu');
  const dropins = listDir(dropinDir(hooksDir))
    .map((name) => join(dropinDir(hooksDir), name))
    .filter((path) => {
      try {
        return lstatSync(path).isFile() && isSigned(readIfFile(path) ?? '');
      } catch {
        return false;
      }
    });
  return [...(occupant(main, isSigned) === 'ours' ? [main] : []), ...dropins];
}

function checkDropinName(name: string): void {
  if (name === '' || name === '.' || name === '..' || name.includes('/')) throw new ConfigError(`--dropin-name '${name}' is not a plain file name in qemu.d/`);
}

/** Where the hook goes: `main` hooks/qemu, `dropin` qemu.d/<name>, `auto` the main one unless someone else's is there. */
function targetFor(hooksDir: string, mode: HookMode, dropinName = DROPIN_NAME): string {
  checkDropinName(dropinName);
  const main = join(hooksDir, 'qemu');
  const dropin = join(dropinDir(hooksDir), dropinName);
  if (mode === 'main') return main;
  if (mode === 'dropin') return dropin;
  return occupant(main, isSigned) === 'foreign' ? dropin : main;
}

/** The build dirs the launchers at these paths run now. */
function buildsInUse(paths: readonly string[]): Set<string> {
  const ids = new Set<string>();
  for (const path of paths) {
    const launcher = parseLauncher(readIfFile(path) ?? '');
    if (launcher) ids.add(launcher.buildId);
  }
  return ids;
}

const sameDir = (a: string, b: string): boolean => {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return false;
  }
};

/** Copy the build into `<lib>/<id>`: whole into a temp dir first, then one rename; a damaged copy there is replaced. */
function copyBuild(from: string, manifest: Manifest, libDir: string): void {
  mkdirSync(libDir, { recursive: true, mode: 0o755 });
  const target = join(libDir, manifest.buildId);
  const temp = join(libDir, `.${manifest.buildId}.new`);
  rmSync(temp, { recursive: true, force: true });
  mkdirSync(temp, { mode: 0o755 });
  for (const name of [...Object.keys(manifest.files), BUILD_FILES.manifest]) {
    copyFileSync(join(from, name), join(temp, name));
    syncPath(join(temp, name));
  }
  const copied = checkBuild(temp);
  if (typeof copied === 'string') throw new ConfigError(`copying the build failed: ${copied}`);
  rmSync(target, { recursive: true, force: true });
  renameSync(temp, target);
  syncPath(libDir);
}

interface Planned extends Step {
  readonly apply?: () => void;
}

/** One file repin owns: kept when it holds `text`, else written; someone else's is refused before anything is written. */
function fileStep(path: string, text: string, mode: number, what: string, isOurs: (text: string) => boolean, tempDir?: string): Planned {
  const found = occupant(path, isOurs);
  if (found === 'foreign') throw new InstallConflict(`${path} exists and is not repin's; refusing to overwrite it`);
  if (found === 'ours' && lstatSync(path).isFile() && readIfFile(path) === text && (statSync(path).mode & 0o7777) === mode) return { path, action: 'kept', what };
  return { path, action: found === 'absent' ? 'installed' : 'updated', what, apply: () => replaceFile(path, text, mode, tempDir) };
}

const launcherStep = (path: string, kind: LauncherKind, o: InstallOptions, m: Manifest, tempDir?: string): Planned =>
  fileStep(path, launcherText({ kind, node: o.node, version: m.version, buildDir: join(o.libDir, m.buildId), buildId: m.buildId }), 0o755, kind, isSigned, tempDir);

const isRepinUnit = (text: string): boolean => text.startsWith(UNIT_MARKER);

/** Builds in `libDir` that no launcher runs any more, and what an interrupted copy or an older layout left there. */
function staleBuilds(libDir: string, keep: ReadonlySet<string>): Planned[] {
  return listDir(libDir).flatMap((name): Planned[] => {
    const path = join(libDir, name);
    const id = name.replace(/^\.(.*)\.new$/, '$1');
    const isBuild = BUILD_ID.test(id) && (id !== name || !keep.has(id));
    // An older repin kept one script here (`<lib>/repin`): signed, and no launcher runs it.
    const isOldScript = name === BUILD_FILES.cli && occupant(path, isSigned) === 'ours' && lstatSync(path).isFile();
    if (!isBuild && !isOldScript) return [];
    return [{ path, action: 'removed', what: 'old build', apply: () => rmSync(path, { recursive: true, force: true }) }];
  });
}

/** Plan the install, then (unless a dry run) carry it out in order: the build, the hook, the rest. */
export function install(o: InstallOptions): InstallReport {
  const manifest = readBuild(o.buildDir);
  const hookPath = targetFor(o.hooksDir, o.mode, o.dropinName);
  const binPath = o.binDir === undefined ? undefined : join(o.binDir, BUILD_FILES.cli);
  const buildDir = join(o.libDir, manifest.buildId);
  const hadHook = hookExists(o.hooksDir);
  const oldHooks = repinHooks(o.hooksDir);
  const inUse = buildsInUse([...oldHooks, ...(binPath ? [binPath] : [])]);

  const installed = checkBuild(buildDir);
  const buildKept = sameDir(o.buildDir, buildDir) || (typeof installed !== 'string' && installed.buildId === manifest.buildId);
  const notes: string[] = [];
  const cachePath = join(buildDir, CODE_CACHE_FILE);
  const steps: Planned[] = [
    buildKept
      ? { path: buildDir, action: 'kept', what: 'build' }
      : { path: buildDir, action: typeof installed === 'string' && !pathExists(buildDir) ? 'installed' : 'updated', what: 'build', apply: () => copyBuild(o.buildDir, manifest, o.libDir) },
    // Made before the hook points at the build, by the node the hook runs; a failure is said, never fatal.
    ...(o.codeCache === false
      ? []
      : [
          buildKept && cacheIsCurrent(buildDir, o.node)
            ? { path: cachePath, action: 'kept' as const, what: 'code cache' }
            : {
                path: cachePath,
                action: buildKept && pathExists(cachePath) ? ('updated' as const) : ('installed' as const),
                what: 'code cache',
                apply: () => {
                  const failed = makeCodeCache(buildDir, o.node);
                  if (failed !== undefined) notes.push(`no code cache for ${buildDir} (the hook works without one, slower): ${failed}`);
                },
              },
        ]),
    // The temp sits in hooks/ itself: libvirt runs only hooks/qemu by that name, but anything executable in qemu.d/.
    launcherStep(hookPath, 'hook', o, manifest, o.hooksDir),
    // Only once the new hook is live: a second repin hook would filter every migration again.
    ...oldHooks.filter((path) => path !== hookPath).map((path): Planned => ({ path, action: 'removed', what: 'old hook', apply: () => unlinkSync(path) })),
    ...(binPath ? [launcherStep(binPath, 'command', o, manifest)] : []),
  ];
  // Anything at the config's path, a dangling link included, is a config: never replaced.
  if (occupant(o.configPath, () => true) === 'absent') {
    const defaults = { policy: DEFAULT_CONFIG.policy, onError: DEFAULT_CONFIG.onError, shadow: false, journal: DEFAULT_CONFIG.journal };
    steps.push(fileStep(o.configPath, `${JSON.stringify(defaults, null, 2)}\n`, 0o644, 'config', () => false));
  }
  if (o.units) {
    for (const [name, text] of Object.entries(reconcileUnits(o.units.places))) steps.push(fileStep(join(o.units.dir, name), text, 0o644, 'unit', isRepinUnit));
  }
  // Old builds go when a new one goes live, except the one the hook ran until now: a call that read
  // the old launcher may still be loading it. (So at most two: this one and the one before.)
  const hookStep = steps.find((step) => step.what === 'hook');
  if (hookStep?.action !== 'kept') steps.push(...staleBuilds(o.libDir, new Set([manifest.buildId, ...inUse])));

  if (!o.dryRun) for (const step of steps) step.apply?.();
  const report = steps.map(({ path, action, what }) => ({ path, action, what }));
  return { buildId: manifest.buildId, hookPath, steps: report, changed: report.some((s) => s.action !== 'kept'), reloadNeeded: !hadHook, notes };
}

function pathExists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

export interface UninstallOptions {
  readonly hooksDir: string;
  readonly libDir: string;
  readonly binDir?: string;
  readonly unitsDir?: string;
  /** Also the command launcher and every build in `libDir` (and the dir once empty). */
  readonly purge: boolean;
  readonly dryRun?: boolean;
}

/** Remove repin's hooks (under any name), units and, with purge, the command and builds; never anyone else's file. */
export function uninstall(o: UninstallOptions): Step[] {
  const steps: Planned[] = repinHooks(o.hooksDir).map((path) => ({ path, action: 'removed', what: 'hook', apply: () => unlinkSync(path) }));
  if (o.unitsDir !== undefined) {
    for (const name of Object.keys(reconcileUnits())) {
      const path = join(o.unitsDir, name);
      if (occupant(path, isRepinUnit) === 'ours') steps.push({ path, action: 'removed', what: 'unit', apply: () => unlinkSync(path) });
    }
  }
  if (o.purge) {
    const binPath = o.binDir === undefined ? undefined : join(o.binDir, BUILD_FILES.cli);
    if (binPath !== undefined && occupant(binPath, isSigned) === 'ours') steps.push({ path: binPath, action: 'removed', what: 'command', apply: () => unlinkSync(binPath) });
    const builds = staleBuilds(o.libDir, new Set());
    steps.push(...builds);
    // The dir too, when nothing but repin's builds was in it.
    if (pathExists(o.libDir) && listDir(o.libDir).length === builds.length) steps.push({ path: o.libDir, action: 'removed', what: 'lib dir', apply: () => rmSync(o.libDir, { recursive: true, force: true }) });
  }
  if (!o.dryRun) for (const step of steps) step.apply?.();
  return steps.map(({ path, action, what }) => ({ path, action, what }));
}

/** One line a step: `installed hook /etc/libvirt/hooks/qemu`. */
export function describeStep(step: Step, dryRun = false): string {
  const verb = dryRun && step.action !== 'kept' ? `would be ${step.action}` : step.action;
  return `${verb} ${step.what} ${step.path}`;
}

/** systemd is the running init (sd_booted(3) checks the same directory). */
export function systemdRuns(root = '/'): boolean {
  return pathExists(join(root, 'run/systemd/system'));
}
