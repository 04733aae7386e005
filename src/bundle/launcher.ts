// The two files repin puts where others look for programs: libvirt's hook
// (`hooks/qemu` or `hooks/qemu.d/<name>`) and the `repin` command. Each is
// three lines: the node to run (libvirt runs hooks with a minimal PATH, so an
// absolute path), repin's signature with the build it runs, and a require of
// that build's file. An upgrade writes the new build's dir whole first, then
// renames a new launcher over the old one: a call runs one build or the other.
import { join } from 'node:path';
import { BUILD_FILES, BUILD_ID, SIGNATURE } from './layout.js';

export type LauncherKind = 'hook' | 'command';

export interface Launcher {
  readonly kind: LauncherKind;
  readonly node: string;
  readonly version: string;
  /** The installed build dir it runs, `<lib>/<build id>`. */
  readonly buildDir: string;
  readonly buildId: string;
}

const FILE: Record<LauncherKind, string> = { hook: BUILD_FILES.hook, command: BUILD_FILES.cli };

export function launcherText(l: Launcher): string {
  return `#!${l.node}\n${SIGNATURE}${l.version} ${l.kind}, build ${l.buildId}: runs ${l.buildDir}\nrequire(${JSON.stringify(join(l.buildDir, FILE[l.kind]))});\n`;
}

const SHAPE = /^#!(\/\S*)\n\/\/ repin (\S+) (hook|command), build ([0-9a-f]{16}): runs (\/.*)\nrequire\((".*")\);\n$/;

/** What a launcher written by launcherText runs; undefined for any other text (an older repin's hook included). */
export function parseLauncher(text: string): Launcher | undefined {
  const m = SHAPE.exec(text);
  if (!m) return undefined;
  const [, node = '', version = '', kind = '', buildId = '', buildDir = '', target = ''] = m;
  if (!BUILD_ID.test(buildId) || (kind !== 'hook' && kind !== 'command')) return undefined;
  const launcher: Launcher = { kind, node, version, buildDir, buildId };
  return launcherText(launcher) === text && JSON.parse(target) === join(buildDir, FILE[kind]) ? launcher : undefined;
}

/** Whether a file's text is repin's (any version): its second line carries the signature. */
export function isSigned(text: string): boolean {
  const firstBreak = text.indexOf('\n');
  return firstBreak >= 0 && text.startsWith(SIGNATURE, firstBreak + 1);
}
