#!/usr/bin/env bash
# Build (once) a cached Debian 12 root that boots under systemd-nspawn with
# real systemd, sshd, libvirtd, QEMU and Debian's nodejs 18.
# Usage: build-rootfs.sh DIR   (DIR is created atomically; an existing one is reused)
set -euo pipefail

dest=${1:?usage: build-rootfs.sh DIR}
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

echo "rootfs: debootstrap bookworm into $tmp (a few minutes, once)" >&2
debootstrap --variant=minbase \
  --include=systemd,systemd-sysv,dbus,openssh-server,python3,iproute2,ca-certificates \
  bookworm "$tmp" "$mirror" >"$tmp.log" 2>&1 || { tail -30 "$tmp.log" >&2; exit 1; }
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
  libvirt-daemon-system libvirt-clients qemu-system-x86 nodejs >"$tmp/var/tmp/apt.log" 2>&1 \
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
mv "$tmp" "$dest"
trap - EXIT
echo "rootfs: ready at $dest" >&2
