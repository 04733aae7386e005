# Throw-away hypervisors for the fleet lab (sourced by run.sh): each a
# systemd-nspawn container booted from a cached Debian root through an overlay,
# in a cpuset cgroup of its own, reached over ssh on 127.0.0.1. Everything a host
# listens on is on loopback: sshd, libvirtd's TCP socket, QEMU's migration ports.
# Needs: $work (work dir), $fleet_prefix (names of cgroups: repin-fleet-<pid>-),
# log/die from run.sh.

declare -A port lv_port mig_min mig_max pid cgroup rootfs_of cpus_of host_uuid
hosts=()

# stop_host NAME: power the container off (SIGTERM to nspawn asks its systemd),
# kill it if it does not go in 30 s, unmount its overlay, drop its cgroup.
stop_host() {
  local name=$1 p=${pid[$1]:-} i c init
  if [[ -n $p ]] && kill -0 "$p" 2>/dev/null; then
    # Guests first: libvirt 11.3's daemon was seen to segfault (qemu-event thread) when
    # powered off with guests still running.
    timeout 20 ssh -q -p "${port[$name]}" -i "$work/id" -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
      -o LogLevel=ERROR -o ConnectTimeout=3 root@127.0.0.1 'for g in $(virsh -q list --name); do virsh -q destroy "$g"; done' >/dev/null 2>&1
    init=$(cat "/proc/$p/task/$p/children" 2>/dev/null)
    kill -TERM "$p" 2>/dev/null
    for ((i = 0; i < 60; i++)); do kill -0 "$p" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$p" 2>/dev/null; then
      # Killing the container's init ends its whole PID namespace (QEMU included).
      for c in $init; do kill -KILL "$c" 2>/dev/null; done
      kill -KILL "$p" 2>/dev/null
      for ((i = 0; i < 20; i++)); do kill -0 "$p" 2>/dev/null || break; sleep 0.25; done
    fi
  fi
  if mountpoint -q "$work/$name/root" 2>/dev/null; then umount "$work/$name/root" 2>/dev/null || umount -l "$work/$name/root"; fi
  if [[ -n ${cgroup[$name]:-} ]]; then
    for ((i = 0; i < 50; i++)); do [[ -d ${cgroup[$name]} ]] || break; rmdir "${cgroup[$name]}" 2>/dev/null && break; sleep 0.1; done
  fi
  return 0
}

# Cgroups left by a run killed with SIGKILL (whose pid is gone) are removed first.
drop_stale_cgroups() {
  local stale owner
  for stale in /sys/fs/cgroup/cpuset/repin-fleet-* /sys/fs/cgroup/repin-fleet-*; do
    [[ -d $stale ]] || continue
    owner=${stale##*/repin-fleet-} owner=${owner%%-*}
    kill -0 "$owner" 2>/dev/null || rmdir "$stale" 2>/dev/null || true
  done
}

# cpuset_cgroup NAME CPUS: a cpuset cgroup holding CPUS for one container; sets
# cgroup[NAME] and procs (the file a pid is written to, to join it). As in
# test/ansible/run.sh: it is what bounds the container's guests, since libvirt
# resets a guest's affinity and would ignore the daemon's.
cpuset_cgroup() {
  local name=$1 cpus=$2 dir
  if [[ -f /sys/fs/cgroup/cpuset/cpuset.cpus ]]; then
    dir=/sys/fs/cgroup/cpuset/$fleet_prefix$name
    mkdir "$dir" && cat /sys/fs/cgroup/cpuset/cpuset.mems >"$dir/cpuset.mems" && echo "$cpus" >"$dir/cpuset.cpus" || return 1
    cgroup[$name]=$dir procs=$dir/tasks
  elif [[ -f /sys/fs/cgroup/cgroup.controllers ]]; then
    grep -qw cpuset /sys/fs/cgroup/cgroup.subtree_control || echo +cpuset >/sys/fs/cgroup/cgroup.subtree_control
    dir=/sys/fs/cgroup/$fleet_prefix$name
    mkdir "$dir" && echo "$cpus" >"$dir/cpuset.cpus" || return 1
    cgroup[$name]=$dir procs=$dir/cgroup.procs
  else
    return 1
  fi
}

port_free() { ! ss -Htln "sport = :$1" 2>/dev/null | grep -q .; }

# configure_root NAME: what makes a copy of the cached root one hypervisor of
# the lab (written into its overlay before it boots).
configure_root() {
  local name=$1 root=$work/$1/root
  echo "$name" >"$root/etc/hostname"
  printf '127.0.1.1 %s\n' "$name" >>"$root/etc/hosts"
  ssh-keygen -A -f "$root" >/dev/null
  install -d -m 700 "$root/root/.ssh"
  install -m 600 "$work/id.pub" "$root/root/.ssh/authorized_keys"
  printf 'Port %s\nListenAddress 127.0.0.1\nPermitRootLogin prohibit-password\nPasswordAuthentication no\nUsePAM no\nUseDNS no\n' \
    "${port[$name]}" >"$root/etc/ssh/sshd_config.d/repin-fleet.conf"
  # A hypervisor's libvirtd runs for good; Debian's idles out after 120 s.
  echo 'LIBVIRTD_ARGS=""' >>"$root/etc/default/libvirtd"
  # Each host its own identity: libvirt refuses a migration to a host with the source's UUID.
  cat >>"$root/etc/libvirt/libvirtd.conf" <<EOF
host_uuid = "${host_uuid[$name]}"
auth_tcp = "none"
EOF
  # libvirtd's TCP listener, socket-activated as Debian ships it, on loopback only.
  install -d "$root/etc/systemd/system/libvirtd-tcp.socket.d" "$root/etc/systemd/system/sockets.target.wants"
  printf '[Socket]\nListenStream=\nListenStream=127.0.0.1:%s\n' "${lv_port[$name]}" >"$root/etc/systemd/system/libvirtd-tcp.socket.d/repin-fleet.conf"
  ln -sf /lib/systemd/system/libvirtd-tcp.socket "$root/etc/systemd/system/sockets.target.wants/libvirtd-tcp.socket"
  # libvirtd takes only the sockets listening when it starts (Debian 12's units do not order them).
  install -d "$root/etc/systemd/system/libvirtd.service.d"
  printf '[Unit]\nWants=libvirtd-tcp.socket\nAfter=libvirtd-tcp.socket\n' >"$root/etc/systemd/system/libvirtd.service.d/repin-fleet.conf"
  # This machine's cgroup v1 hierarchies are read-only inside a container ("Failed to
  # create v1 controller cpu for group"): libvirt manages no cgroups, and pins with
  # sched_setaffinity inside the container's cpuset. No security driver in a container.
  # QEMU's incoming migration listens on this host's own port range; each migration says
  # 127.0.0.1 (--listen-address, --migrateuri): libvirt refuses a local migration_address/host.
  cat >>"$root/etc/libvirt/qemu.conf" <<EOF
cgroup_controllers = [ ]
security_driver = "none"
migration_port_min = ${mig_min[$name]}
migration_port_max = ${mig_max[$name]}
EOF
  # The journal on disk, in the overlay a failed run keeps (REPIN_TEST_KEEP=1).
  install -d "$root/etc/systemd/journald.conf.d"
  printf '[Journal]\nStorage=persistent\n' >"$root/etc/systemd/journald.conf.d/repin-fleet.conf"
  # Guests without an OS ignore ACPI shutdown: libvirt-guests would hold the container's poweroff.
  ln -sf /dev/null "$root/etc/systemd/system/libvirt-guests.service"
}

# boot NAME ROOTFS CPUS INDEX: mount, configure and start one hypervisor.
boot() {
  local name=$1 root=$work/$1/root procs p
  rootfs_of[$name]=$2 cpus_of[$name]=$3
  port[$name]=$((port_base + $4)) lv_port[$name]=$((port_base + 10 + $4))
  mig_min[$name]=$((port_base + 20 + 10 * $4)) mig_max[$name]=$((port_base + 29 + 10 * $4))
  host_uuid[$name]=$(cat /proc/sys/kernel/random/uuid)
  for p in "${port[$name]}" "${lv_port[$name]}" "${mig_min[$name]}" "${mig_max[$name]}"; do
    port_free "$p" || die "port $p on 127.0.0.1 is taken (set REPIN_FLEET_PORT_BASE to move the lab's ports)"
  done
  hosts+=("$name")
  mkdir -p "$work/$name"/{upper,work,root}
  mount -t overlay overlay -o "lowerdir=$2,upperdir=$work/$name/upper,workdir=$work/$name/work" "$root" || die "overlay mount for $name failed"
  configure_root "$name"
  cpuset_cgroup "$name" "$3" || die "no cpuset cgroup for $name"
  (
    echo "$BASHPID" >"$procs"
    exec systemd-nspawn --boot --register=no --keep-unit --quiet -M "$name" -D "$root" </dev/null >"$work/logs/console-$name.log" 2>&1
  ) &
  pid[$name]=$!
}

# on HOST COMMAND...: run COMMAND on HOST over ssh (as root).
on() {
  local h=$1
  shift
  ssh -q -p "${port[$h]}" -i "$work/id" -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
    -o LogLevel=ERROR -o ConnectTimeout=5 -o ServerAliveInterval=10 root@127.0.0.1 "$@"
}

# The libvirt URI of HOST's TCP listener, as another host (or the controller) reaches it.
uri() { echo "qemu+tcp://127.0.0.1:${lv_port[$1]}/system"; }

# wait_hosts: every host answers ssh, runs libvirtd, and serves its TCP listener.
wait_hosts() {
  local h i
  for h in "${hosts[@]}"; do
    for ((i = 0; i < 180; i++)); do
      on "$h" "systemctl is-active -q libvirtd && virsh -q -c $(uri "$h") uri >/dev/null" 2>/dev/null && break
      kill -0 "${pid[$h]}" 2>/dev/null || { tail -30 "$work/logs/console-$h.log" >&2; die "$h did not boot"; }
      sleep 1
    done
    ((i < 180)) || { tail -30 "$work/logs/console-$h.log" >&2; die "$h: no ssh, libvirtd or TCP listener after 180 s"; }
  done
}

# versions HOST: what the host runs, for the report.
versions() {
  on "$1" '. /etc/os-release; printf "%s, libvirt %s, QEMU %s, systemd %s, node %s" "$PRETTY_NAME" \
    "$(libvirtd --version | awk "{print \$NF}")" "$(qemu-system-x86_64 --version | sed -n "1s/.*version \([^ ]*\).*/\1/p")" \
    "$(systemctl --version | sed -n "1s/^systemd \([0-9]*\).*/\1/p")" "$( (node --version || echo none) 2>/dev/null)"'
}
