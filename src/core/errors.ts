// Every error repin raises on purpose. The CLI and the hook map these to one
// stderr line and an exit code in one place (src/cli/exit.ts); anything else
// is an internal fault and keeps its stack trace.

/** Base class: an error whose message is fit to show an operator as is. */
export class RepinError extends Error {
  override name = 'RepinError';
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

/** The policy says no: the domain does not fit and may not be changed. */
export class PlanRefused extends RepinError {
  override name = 'PlanRefused';
}

/** A bug or an environment fault; shown with its stack trace. */
export class InternalError extends Error {
  override name = 'InternalError';
}

/** A file at a place repin installs to that is not repin's: never overwritten. */
export class InstallConflict extends RepinError {
  override name = 'InstallConflict';
}

/** systemctl failed: the message names the command and what it said. */
export class SystemctlError extends RepinError {
  override name = 'SystemctlError';
}
