#!/usr/bin/env bash
# Build (once) a cached Debian root that boots under systemd-nspawn with real
# systemd, sshd, libvirtd, QEMU and Debian's own nodejs (18 on bookworm, 20 on trixie).
# Usage: build-rootfs.sh DIR [SUITE]   (SUITE: bookworm, the default, or trixie;
# DIR is created atomically; an existing one is reused)
set -euo pipefail

dest=${1:?usage: build-rootfs.sh DIR [SUITE]}
suite=${2:-bookworm}
mirror=${REPIN_TEST_MIRROR:-http://deb.debian.org/debian}
stamp="$dest/.repin-rootfs-v1"
[[ -e $stamp ]] && exit 0

tmp="$dest.tmp.$$"
cleanup() {
  # Unmount whatever is still mounted under the half-built root, then drop it.
  for m in dev/pts dev proc sys; do mountpoint -q "$tmp/$m" 2>/dev/null && umount -l "$tmp/$m" || true; done
  rm -rf --one-file-system "$tmp"
}
trap cleanup EXIT
mkdir -p "$(dirname "$dest")"

base=systemd,systemd-sysv,dbus,openssh-server,python3,iproute2,ca-certificates
extra=()
case $suite in
bookworm) ;;
trixie)
  # On trixie debootstrap's resolver leaves polkitd (pulled in by libvirt) unconfigured
  # without libpam-systemd: bootstrap systemd alone, let apt-get resolve the rest.
  base=systemd,systemd-sysv,dbus
  extra=(libpam-systemd openssh-server python3 iproute2 ca-certificates libvirt-daemon-driver-qemu) ;;
*) echo "build-rootfs.sh: unknown suite $suite (bookworm or trixie)" >&2; exit 2 ;;
esac
echo "rootfs: debootstrap $suite into $tmp (a few minutes, once)" >&2
debootstrap --variant=minbase --include="$base" "$suite" "$tmp" "$mirror" >"$tmp.log" 2>&1 ||
  { tail -30 "$tmp.log" >&2; exit 1; }
rm -f "$tmp.log"

# libvirt-daemon-system's maintainer scripts start services: fail inside
# debootstrap's --include, so install it in a chroot with services blocked.
mount -t proc proc "$tmp/proc"
mount --bind /dev "$tmp/dev"
mount --bind /dev/pts "$tmp/dev/pts"
printf '#!/bin/sh\nexit 101\n' >"$tmp/usr/sbin/policy-rc.d"
chmod 755 "$tmp/usr/sbin/policy-rc.d"
chroot "$tmp" /usr/bin/env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
chroot "$tmp" /usr/bin/env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
  "${extra[@]}" libvirt-daemon-system libvirt-clients qemu-system-x86 nodejs >"$tmp/var/tmp/apt.log" 2>&1 \
  || { tail -30 "$tmp/var/tmp/apt.log" >&2; exit 1; }
chroot "$tmp" apt-get clean
rm -f "$tmp/usr/sbin/policy-rc.d" "$tmp/var/tmp/apt.log"
rm -rf "$tmp/var/lib/apt/lists/"*
umount "$tmp/dev/pts" "$tmp/dev" "$tmp/proc"

# Boot faster and quieter: no getty on a console nobody reads, no timers.
chroot "$tmp" systemctl mask -q console-getty.service getty@tty1.service \
  systemd-timesyncd.service apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer \
  man-db.timer dpkg-db-backup.timer 2>/dev/null || true
# ssh host keys are generated per copy at first boot (see run.sh); drop the build's.
rm -f "$tmp"/etc/ssh/ssh_host_*
echo "root:*" | chroot "$tmp" chpasswd -e
touch "$tmp/.repin-rootfs-v1"
# -T: a root another run finished meanwhile is kept (and ours dropped), not nested in.
mv -T "$tmp" "$dest" 2>/dev/null || { [[ -e $stamp ]] && exit 0; echo "build-rootfs.sh: cannot move $tmp to $dest" >&2; exit 1; }
trap - EXIT
echo "rootfs: ready at $dest" >&2
