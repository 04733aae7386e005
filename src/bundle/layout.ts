// Where repin lives on a hypervisor, and what a build holds: every path and
// name the build, `repin install`, the hook and the Ansible role share. The
// role itself runs `repin install`, so it names none of these but the upload
// dir it copies the build to.

/** libvirt's hooks dir (virHookInitialize: SYSCONFDIR "/libvirt/hooks"). */
export const SYSTEM_HOOKS_DIR = '/etc/libvirt/hooks';
/** Each build in a dir of its own, named by its id: `<lib>/<build id>/`. */
export const SYSTEM_LIB_DIR = '/usr/local/lib/repin';
/** Where the `repin` command goes. */
export const SYSTEM_BIN_DIR = '/usr/local/bin';
export const SYSTEM_UNITS_DIR = '/etc/systemd/system';
/** The config file (`REPIN_CONFIG` overrides it). */
export const SYSTEM_CONFIG_PATH = '/etc/libvirt/repin.json';
/** Default `journal.dir` and `spoolDir` (both configurable), and the hook's run dir (reservations, the host lock). */
export const DEFAULT_JOURNAL_DIR = '/var/log/libvirt/repin';
export const DEFAULT_SPOOL_DIR = '/var/lib/repin/pending';
export const DEFAULT_RUN_DIR = '/run/repin';
/** The drop-in's default name in `qemu.d/`: libvirt runs them in name order after `qemu`. */
export const DROPIN_NAME = '50-repin';

/**
 * Every executable file repin writes (the hook and the command, both
 * launchers) starts its second line with this: how install, uninstall and
 * the role tell repin's files from anyone else's.
 */
export const SIGNATURE = '// repin ';

/** The files of one build, in `dist/` and in `<lib>/<build id>/`. */
export const BUILD_FILES = {
  /** The whole CLI, one CommonJS bundle (xmldom, yargs and execa inlined). */
  cli: 'repin',
  /** The hook: every call but a filter or a release ends here. */
  hook: 'hook.js',
  /** Filter and release calls; requires `xmldom` only for XML outside the plain reader's subset. */
  hookRun: 'hook-run.js',
  xmldom: 'xmldom.js',
  /** `{ "type": "commonjs" }`: the bundles are CommonJS wherever they are copied. */
  packageJson: 'package.json',
  /** The build's id, version and each file's sha256 (see manifest.ts). */
  manifest: 'build.json',
} as const;

/**
 * V8's compiled code for `hook-run.js`, made by `repin install` on the host
 * with the node the hook runs (src/io/install/code-cache.ts), beside the
 * build's files but not one of them: node-specific, so not in the manifest.
 */
export const CODE_CACHE_FILE = 'hook-run.v8';

/** A build id: the first 16 hex digits of the sha256 of the build's files. */
export const BUILD_ID = /^[0-9a-f]{16}$/;
