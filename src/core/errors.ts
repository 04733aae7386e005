// Every error repin raises on purpose, in one module. Each entry point turns
// them into one stderr line and an exit code in one small file (the CLI:
// src/cli/exit.ts; the hook: src/hook/exit.ts); anything else is an internal
// fault, and only the CLI shows its stack trace.

/** Base class: an error whose message is fit to show an operator as is. */
export class RepinError extends Error {
  override name = 'RepinError';
}

/** A command line repin cannot act on (missing or conflicting options). */
export class UsageError extends RepinError {
  override name = 'UsageError';
}

/** A cpuset or node list that libvirt (or the kernel) would not accept. */
export class CpusetSyntaxError extends RepinError {
  override name = 'CpusetSyntaxError';
}

/** A config file, override or option with a bad key or value. */
export class ConfigError extends RepinError {
  override name = 'ConfigError';
}

/** Domain XML that repin refuses to read (parser error, DOCTYPE, bad pins). */
export class DomainXmlError extends RepinError {
  override name = 'DomainXmlError';
}

/** A host description that cannot be read or makes no sense. */
export class HostError extends RepinError {
  override name = 'HostError';
}

/**
 * A file or directory repin will not use as root: a symlink, not a regular
 * file or directory, owned by someone else, or writable by others.
 */
export class UnsafePath extends RepinError {
  override name = 'UnsafePath';
}

/** `repin install` would overwrite a file that is not repin's. */
export class InstallConflict extends RepinError {
  override name = 'InstallConflict';
}

/** virsh failed, timed out or could not be run; the message names the command and libvirt's words. */
export class VirshError extends RepinError {
  override name = 'VirshError';
}

/** systemctl failed; the message names the command and what it said. */
export class SystemctlError extends RepinError {
  override name = 'SystemctlError';
}

/** A bug: a state the code should never reach. Shown with its stack trace. */
export class InternalError extends Error {
  override name = 'InternalError';
}

/** Carries an exit code out of a CLI command handler without printing anything more. */
export class ExitCode extends Error {
  override name = 'ExitCode';
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}
