# Two libvirtd "hosts" on one machine: each a libvirtd in its own private
# mount namespace with its own /etc/libvirt, /run/libvirt, /var/lib/libvirt,
# /var/log/libvirt, /var/cache/libvirt (directories under $T/<host>), and
# its own host_uuid (libvirt's same-host check compares only that).
# The destination's libvirtd runs in a cpuset cgroup with fewer CPUs.
# repin's own host directories (/run/repin: planning lock and CPU
# reservations; /var/lib/repin: default reconcile spool) are private per host
# too, so neither host nor the machine sees the other's.
#
# Globals: T (temp root), SYS (test/system), CGROUP_DIR, CGROUP_PROCS.

MOUNT_POINTS=(/etc/libvirt /run/libvirt /var/lib/libvirt /var/log/libvirt /var/cache/libvirt /run/repin /var/lib/repin)
CREATED_MOUNT_POINTS=()

host_root() { printf '%s/%s' "$T" "$1"; }
host_sock() { printf '%s/run/libvirt-sock' "$(host_root "$1")"; }
host_uri() { printf 'qemu:///system?socket=%s' "$(host_sock "$1")"; }
host_tcp_uri() { printf 'qemu+tcp://127.0.0.1:%s/system' "$(cat "$(host_root "$1")/tcp-port")"; }
host_pid() { cat "$(host_root "$1")/libvirtd.pid.outer" 2>/dev/null; }

# vsh HOST ARGS...: virsh against one host, bounded.
vsh() {
  local host=$1
  shift
  timeout --kill-after=10 "${VIRSH_TIMEOUT:-60}" virsh -q -c "$(host_uri "$host")" "$@"
}

# The mount points must exist on the real file system; create missing ones
# and remember them so cleanup can remove them again.
ensure_mount_points() {
  local d
  for d in "${MOUNT_POINTS[@]}"; do
    if [[ ! -d $d ]]; then
      mkdir -p "$d"
      CREATED_MOUNT_POINTS+=("$d")
    fi
  done
}

remove_created_mount_points() {
  local d
  # Another run of this test still going may have its hosts' bind mounts on
  # them (rmdir would detach those): leave the empty directories to it.
  other_run_alive && return 0
  for d in "${CREATED_MOUNT_POINTS[@]}"; do
    rmdir "$d" 2>/dev/null || true
  done
}

# other_run_alive: another harness's cgroup exists and its shell still runs.
other_run_alive() {
  local g
  for g in /sys/fs/cgroup/cpuset/repin-systest-* /sys/fs/cgroup/repin-systest-*; do
    [[ -d $g && ${g##*-} != "$$" ]] && kill -0 "${g##*-}" 2>/dev/null && return 0
  done
  return 1
}

# host_prepare HOST UUID: directories and configuration files.
host_prepare() {
  local host=$1 uuid=$2 r port
  r=$(host_root "$host")
  mkdir -p "$r"/{etc/hooks,run,lib,log,cache,repin-run,repin-lib}
  port=$(free_port)
  echo "$port" >"$r/tcp-port"
  cat >"$r/etc/libvirtd.conf" <<CONF
host_uuid = "$uuid"
listen_tls = 0
listen_tcp = 1
listen_addr = "127.0.0.1"
tcp_port = "$port"
auth_tcp = "none"
auth_unix_rw = "none"
auth_unix_ro = "none"
log_level = 3
log_filters = "1:util.hook"
log_outputs = "1:file:/var/log/libvirt/libvirtd.log"
CONF
  # cgroup_controllers=[ ]: otherwise libvirt moves QEMU into a shared root
  # machine cgroup, escaping the destination's cpuset.
  cat >"$r/etc/qemu.conf" <<CONF
user = "root"
group = "root"
stdio_handler = "file"
security_driver = "none"
remember_owner = 0
cgroup_controllers = [ ]
CONF
  # Debian's libvirtd wants a libvirt-qemu user to exist.
  cp /etc/passwd "$r/passwd"
  cp /etc/group "$r/group"
  grep -q '^libvirt-qemu:' "$r/passwd" ||
    echo 'libvirt-qemu:x:64055:64055:Libvirt Qemu,,,:/var/lib/libvirt:/usr/sbin/nologin' >>"$r/passwd"
  grep -q '^libvirt-qemu:' "$r/group" || echo 'libvirt-qemu:x:64055:' >>"$r/group"
  grep -q '^kvm:' "$r/group" || echo 'kvm:x:64056:' >>"$r/group"
}

# cgroup_create CPUS: a cpuset cgroup holding CPUS; sets CGROUP_DIR/CGROUP_PROCS.
# shellcheck disable=SC2034 # CGROUP_PROCS: used by run.sh
cgroup_create() {
  local cpus=$1 name="repin-systest-$$" stale
  # A run killed with SIGKILL cannot clean up: drop its empty cgroup.
  for stale in /sys/fs/cgroup/cpuset/repin-systest-* /sys/fs/cgroup/repin-systest-*; do
    [[ -d $stale ]] && ! kill -0 "${stale##*-}" 2>/dev/null && rmdir "$stale" 2>/dev/null
  done
  if [[ -d /sys/fs/cgroup/cpuset && -f /sys/fs/cgroup/cpuset/cpuset.cpus ]]; then
    CGROUP_DIR=/sys/fs/cgroup/cpuset/$name
    mkdir "$CGROUP_DIR"
    cat /sys/fs/cgroup/cpuset/cpuset.mems >"$CGROUP_DIR/cpuset.mems"
    echo "$cpus" >"$CGROUP_DIR/cpuset.cpus"
    CGROUP_PROCS=$CGROUP_DIR/tasks
  elif [[ -f /sys/fs/cgroup/cgroup.controllers ]]; then
    grep -qw cpuset /sys/fs/cgroup/cgroup.subtree_control ||
      echo +cpuset >/sys/fs/cgroup/cgroup.subtree_control
    CGROUP_DIR=/sys/fs/cgroup/$name
    mkdir "$CGROUP_DIR"
    echo "$cpus" >"$CGROUP_DIR/cpuset.cpus"
    CGROUP_PROCS=$CGROUP_DIR/cgroup.procs
  else
    echo "no cpuset cgroup controller found" >&2
    return 1
  fi
}

cgroup_remove() {
  local i
  [[ -n ${CGROUP_DIR:-} && -d $CGROUP_DIR ]] || return 0
  for ((i = 0; i < 50; i++)); do
    rmdir "$CGROUP_DIR" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "warning: could not remove cgroup $CGROUP_DIR" >&2
}

# host_start HOST [CGROUP_PROCS_FILE]: start libvirtd --listen in a new
# mount namespace; wait (bounded) until it answers.
host_start() {
  local host=$1 procs=${2:--} r pid
  r=$(host_root "$host")
  # A daemon's environment, as under an init system: hooks get this PATH.
  (cd / && exec env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
    unshare --mount --propagation private -- \
    bash "$SYS/lib/ns-exec.sh" "$r" "$procs" \
    libvirtd --listen --pid-file=/run/libvirt/libvirtd.pid) \
    </dev/null >"$r/libvirtd.stdout" 2>&1 &
  pid=$!
  echo "$pid" >"$r/libvirtd.pid.outer"
  echo "$procs" >"$r/cgroup-procs"
  # The namespace identifies everything this host started (QEMU daemonizes);
  # record it once unshare has left ours.
  wait_until 10 host_left_our_namespace "$pid" || true
  host_left_our_namespace "$pid" && readlink "/proc/$pid/ns/mnt" >"$r/mntns"
  local start=$SECONDS
  until VIRSH_TIMEOUT=5 vsh "$host" version >/dev/null 2>&1; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "libvirtd for $host exited: $(tail -n 3 "$r/libvirtd.stdout")" >&2
      return 1
    fi
    if ((SECONDS - start > 60)); then
      echo "libvirtd for $host did not answer within 60 s" >&2
      return 1
    fi
    sleep 0.3
  done
  [[ -s $r/mntns ]] || { echo "libvirtd for $host is not in its own mount namespace" >&2; return 1; }
}

host_left_our_namespace() {
  local ns
  ns=$(readlink "/proc/$1/ns/mnt" 2>/dev/null) || return 1
  [[ $ns != "$(readlink /proc/$$/ns/mnt)" ]]
}

# host_exec HOST COMMAND...: run COMMAND as on that host: in its mount
# namespace (its /etc/libvirt, /run/libvirt, ...) and its cpuset cgroup,
# e.g. `host_exec dst node /etc/libvirt/hooks/qemu ...` or a repin CLI call.
host_exec() {
  local r pid
  r=$(host_root "$1")
  pid=$(host_pid "$1")
  shift
  # shellcheck disable=SC2016 # expanded by the inner bash
  timeout --kill-after=10 "${EXEC_TIMEOUT:-60}" nsenter --target "$pid" --mount -- \
    bash -c 'if [[ $1 != - ]]; then echo $$ >"$1"; fi; shift; exec "$@"' host-exec "$(cat "$r/cgroup-procs")" "$@"
}

# host_pids HOST: every process in this host's mount namespace.
host_pids() {
  local ns p
  ns=$(cat "$(host_root "$1")/mntns" 2>/dev/null) || return 0
  # Never our own namespace: that would name every process on the machine.
  [[ -n $ns && $ns != "$(readlink /proc/$$/ns/mnt)" ]] || return 0
  for p in /proc/[0-9]*; do
    [[ "$(readlink "$p/ns/mnt" 2>/dev/null)" == "$ns" ]] && echo "${p#/proc/}"
  done
  return 0
}

# host_stop HOST: destroy its guests, stop libvirtd by PID, then end any
# process left in its namespace (daemonized QEMUs, hooks).
host_stop() {
  local host=$1 pid dom p i left
  pid=$(host_pid "$host") || return 0
  if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
    for dom in $(VIRSH_TIMEOUT=10 vsh "$host" list --name 2>/dev/null); do
      VIRSH_TIMEOUT=15 vsh "$host" destroy "$dom" >/dev/null 2>&1 || true
    done
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  for ((i = 0; i < 3; i++)); do
    left=$(host_pids "$host")
    [[ -n $left ]] || break
    for p in $left; do kill -KILL "$p" 2>/dev/null || true; done
    sleep 0.3
  done
  wait "$pid" 2>/dev/null || true
}

# host_reboot HOST [CGROUP_PROCS_FILE]: the host comes back, e.g. with other
# CPUs (another cgroup): libvirtd stopped and started again, running guests
# gone, and repin's /run/repin (planning lock, CPU reservations) empty as
# /run is after a reboot. Definitions, the hook and the journal stay. libvirt
# finds hooks only at start, so the hook must be in place already.
host_reboot() {
  local host=$1 procs=${2:--} r
  r=$(host_root "$host")
  host_stop "$host"
  find "$r/repin-run" -mindepth 1 -delete
  host_start "$host" "$procs"
}

# host_reset HOST: remove every guest (between cases).
host_reset() {
  local host=$1 dom
  for dom in $(vsh "$host" list --all --name 2>/dev/null); do
    vsh "$host" destroy "$dom" >/dev/null 2>&1 || true
    vsh "$host" undefine "$dom" >/dev/null 2>&1 || true
  done
}
