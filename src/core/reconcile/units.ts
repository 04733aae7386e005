// The systemd units that run `repin reconcile --pending` whenever the hook
// leaves a request: the same text as hooks/systemd/ (shipped to read, or to
// install by hand; a test keeps the two identical), rendered for where the
// CLI and the spool live. `repin install` writes them, for the Ansible role too. Pure.

import { DEFAULT_JOURNAL_DIR, DEFAULT_SPOOL_DIR, SYSTEM_BIN_DIR } from '../../bundle/layout.js';

export interface UnitPlaces {
  /** The repin CLI the service runs. */
  readonly binPath: string;
  /** The spool the path unit watches (config spoolDir); its lock file sits beside it. */
  readonly spoolDir: string;
  /** Where reconcile journals (config journal.dir). */
  readonly journalDir: string;
}

export const UNIT_MARKER = '# Installed by repin';
export const PATH_UNIT = 'repin-reconcile.path';
export const SERVICE_UNIT = 'repin-reconcile.service';
export const DEFAULT_PLACES: UnitPlaces = { binPath: `${SYSTEM_BIN_DIR}/repin`, spoolDir: DEFAULT_SPOOL_DIR, journalDir: DEFAULT_JOURNAL_DIR };

/** The spool's parent: the spool, its lock (`<spool>.lock`) and the requests' temp files live there. */
const parentOf = (path: string): string => path.replace(/\/+$/, '').replace(/\/[^/]*$/, '') || '/';

const pathUnit = (p: UnitPlaces): string => `${UNIT_MARKER} (repin install). Starts repin-reconcile.service while the
# hook has left reconcile requests in the spool: libvirt's hook rewrites only
# a migrated guest's live XML, the saved definition needs fixing afterwards.
[Unit]
Description=repin: watch for migrated domains whose saved definition needs fitting

[Path]
DirectoryNotEmpty=${p.spoolDir}
MakeDirectory=yes
DirectoryMode=0700
Unit=repin-reconcile.service

[Install]
WantedBy=paths.target
`;

const serviceUnit = (p: UnitPlaces): string => `${UNIT_MARKER} (repin install). Started by repin-reconcile.path; safe to
# run by hand: repin reconcile takes a lock, waits for the migrated domain to
# become persistent here, redefines its saved XML and empties the spool.
[Unit]
Description=repin: fit migrated domains' saved definitions to this host
After=libvirtd.service virtqemud.service
ConditionDirectoryNotEmpty=${p.spoolDir}

[Service]
Type=oneshot
ExecStart=${p.binPath} reconcile --pending
# Waits up to --wait (10m) for a long live migration to finish.
TimeoutStartSec=30min
UMask=0077
StateDirectory=repin
StateDirectoryMode=0700
LogsDirectory=libvirt/repin
LogsDirectoryMode=0700
# Hardening that still lets virsh reach libvirt's UNIX socket in /run.
NoNewPrivileges=yes
ProtectSystem=strict
ReadWritePaths=${parentOf(p.spoolDir)} ${p.journalDir}
ProtectHome=read-only
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictAddressFamilies=AF_UNIX
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
SystemCallArchitectures=native
CapabilityBoundingSet=
`;

/** Unit file name → text. */
export function reconcileUnits(places: UnitPlaces = DEFAULT_PLACES): Record<string, string> {
  return { [PATH_UNIT]: pathUnit(places), [SERVICE_UNIT]: serviceUnit(places) };
}
