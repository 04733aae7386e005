# Helpers for the host-fit cases (hugepages, realtime vCPUs): sourced by the
# case files that use them. Both "hosts" share this machine's huge pages, so
# a guest running on the source holds pages the destination cannot have.

# fit_insert FILE ANCHOR_REGEX TEXT: insert TEXT (one line) before the first
# line of FILE matching ANCHOR_REGEX.
fit_insert() {
  local file=$1 anchor=$2 text=$3
  awk -v re="$anchor" -v text="$text" '!done && $0 ~ re { print text; done = 1 } { print }' "$file" >"$file.new" && mv "$file.new" "$file"
}

# fit_hugepages_free: free 2 MiB pages on node 0, as the destination's hook reads them.
fit_hugepages_free() { cat /sys/devices/system/node/node0/hugepages/hugepages-2048kB/free_hugepages; }

# fit_hugepages_reserve N: this machine's 2 MiB page pool becomes N pages
# (the first call remembers the value to restore); fails if the kernel
# could not reserve them.
fit_hugepages_reserve() {
  local want=$1 got
  [[ -s $T/fit-nr-hugepages.orig ]] || cat /proc/sys/vm/nr_hugepages >"$T/fit-nr-hugepages.orig"
  echo "$want" >/proc/sys/vm/nr_hugepages
  got=$(cat /proc/sys/vm/nr_hugepages)
  ((got == want)) || fail "asked the kernel for $want huge pages, it reserved $got"
}

# fit_hugepages_restore: the pool as it was before the case.
fit_hugepages_restore() {
  [[ -s $T/fit-nr-hugepages.orig ]] || return 0
  cat "$T/fit-nr-hugepages.orig" >/proc/sys/vm/nr_hugepages || true
  rm -f "$T/fit-nr-hugepages.orig"
}

# fit_hugetlbfs_mount: libvirt backs guest RAM with huge pages through a
# hugetlbfs mount it looks for when the daemon starts, so mount one (unless
# the machine has one) and restart both hosts, whose private mount
# namespaces copy ours at start. Guests are gone after the restart.
fit_hugetlbfs_mount() {
  if ! grep -q ' hugetlbfs ' /proc/mounts; then
    mkdir -p "$T/hugetlbfs"
    mount -t hugetlbfs -o pagesize=2M repin-systest "$T/hugetlbfs" || fail "could not mount hugetlbfs on $T/hugetlbfs"
    echo "$T/hugetlbfs" >"$T/fit-hugetlbfs.mounted"
  fi
  host_reboot src
  host_reboot dst "$CGROUP_PROCS"
}

# fit_hugetlbfs_unmount: undo fit_hugetlbfs_mount in our namespace (the
# hosts' copies go when they stop).
fit_hugetlbfs_unmount() {
  [[ -s $T/fit-hugetlbfs.mounted ]] || return 0
  umount "$(cat "$T/fit-hugetlbfs.mounted")" || true
  rm -f "$T/fit-hugetlbfs.mounted"
}

# fit_hugepage_cleanup NAME: the guest gone from both hosts (its pages freed),
# then the page pool and the mount as they were. Never fails: it runs from an
# EXIT trap, where a failure would hide the case's own result.
fit_hugepage_cleanup() {
  vsh src destroy "$1" >/dev/null 2>&1 || true
  vsh dst destroy "$1" >/dev/null 2>&1 || true
  fit_hugepages_restore || true
  fit_hugetlbfs_unmount || true
}
