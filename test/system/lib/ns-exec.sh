#!/bin/bash
# Run inside a fresh private mount namespace (see host_start): give this
# "host" its own libvirt and repin directories and passwd/group, optionally join a
# cpuset cgroup, then become COMMAND (libvirtd), keeping this PID.
# usage: ns-exec.sh HOST_ROOT CGROUP_PROCS_FILE|- COMMAND...
set -euo pipefail
root=$1 cgroup_procs=$2
shift 2
if [[ $cgroup_procs != - ]]; then echo $$ >"$cgroup_procs"; fi
mount --bind "$root/etc" /etc/libvirt
mount --bind "$root/run" /run/libvirt
mount --bind "$root/lib" /var/lib/libvirt
mount --bind "$root/log" /var/log/libvirt
mount --bind "$root/cache" /var/cache/libvirt
mount --bind "$root/repin-run" /run/repin
mount --bind "$root/repin-lib" /var/lib/repin
mount --bind "$root/passwd" /etc/passwd
mount --bind "$root/group" /etc/group
exec "$@"
