#!/usr/bin/env bash
# System test of the Ansible role and playbooks (npm run test:ansible).
# Boots throw-away Debian 12 hypervisors (real systemd, sshd, libvirtd, nodejs
# 18) with systemd-nspawn, reaches them over ssh like any inventory, and walks
# through lint -> check mode -> interrupted install -> install -> idempotence
# (and `repin install` by hand changing nothing) -> config change -> foreign hook
# and command -> renamed drop-in -> audit -> uninstall (and a stale drop-in) ->
# takeover of a `repin install` host, and repin_restart_daemon: false. Prints
# PASS/FAIL per step and "N passed, M failed". Needs root; installs its tools
# from Debian if missing.
# Env: REPIN_SCRIPT (default dist/repin: its build dir is deployed), REPIN_TEST_CACHE (default
# /var/cache/repin-test), REPIN_TEST_KEEP=1 keeps the work dir on failure.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${REPIN_TEST_CACHE:-/var/cache/repin-test}
rootfs=$cache/debian12-ansible
script=${REPIN_SCRIPT:-$repo/dist/repin}
started=$SECONDS
passed=0 failed=0

log() { printf '%s\n' "$*" >&2; }
die() { log "run.sh: $*"; exit 2; }

[[ $(id -u) == 0 ]] || die "must run as root (debootstrap, mounts, systemd-nspawn)"
[[ -f $script ]] || die "$script not found: run npm run build"

# --- tools ------------------------------------------------------------------
need=()
for pair in ansible-playbook:ansible ansible-lint:ansible-lint debootstrap:debootstrap \
  systemd-nspawn:systemd-container ssh:openssh-client; do
  command -v "${pair%%:*}" >/dev/null || need+=("${pair#*:}")
done
if ((${#need[@]})); then
  log "installing ${need[*]} from Debian"
  apt_get() { DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 -q "$@"; }
  apt_get install -y --no-install-recommends "${need[@]}" >/dev/null 2>&1 ||
    { apt_get update >/dev/null && apt_get install -y --no-install-recommends "${need[@]}" >/dev/null; } ||
    die "could not install ${need[*]}"
fi

bash "$here/build-rootfs.sh" "$rootfs" || die "could not build the Debian 12 root"

# --- containers -------------------------------------------------------------
work=$(mktemp -d /var/tmp/repin-ansible-test.XXXXXX)
declare -A port pid cgroup
hosts=(hv-a hv-b)

stop_container() {
  local name=$1 p=${pid[$1]:-} i init
  if [[ -n $p ]] && kill -0 "$p" 2>/dev/null; then
    init=$(cat "/proc/$p/task/$p/children" 2>/dev/null)
    kill -TERM "$p" 2>/dev/null # nspawn asks the container's systemd to power off
    for ((i = 0; i < 60; i++)); do kill -0 "$p" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$p" 2>/dev/null; then
      # Killing the container's init ends its whole PID namespace.
      for c in $init; do kill -KILL "$c" 2>/dev/null; done
      kill -KILL "$p" 2>/dev/null
      sleep 1
    fi
  fi
  mountpoint -q "$work/$name/root" && { umount "$work/$name/root" || umount -l "$work/$name/root"; }
  [[ -n ${cgroup[$name]:-} ]] && for ((i = 0; i < 50; i++)); do rmdir "${cgroup[$name]}" 2>/dev/null && break; sleep 0.1; done
  return 0
}

# cpuset_cgroup NAME CPUS: a cpuset cgroup holding CPUS, for one container; sets
# cgroup[NAME], and procs to the file a pid is written to to join it.
cpuset_cgroup() {
  local name=$1 cpus=$2 dir stale owner
  # A run killed with SIGKILL cannot clean up: drop its empty cgroups.
  for stale in /sys/fs/cgroup/cpuset/repin-ansible-* /sys/fs/cgroup/repin-ansible-*; do
    owner=${stale##*/repin-ansible-} owner=${owner%%-*}
    [[ -d $stale ]] && ! kill -0 "$owner" 2>/dev/null && rmdir "$stale" 2>/dev/null
  done
  if [[ -f /sys/fs/cgroup/cpuset/cpuset.cpus ]]; then
    dir=/sys/fs/cgroup/cpuset/repin-ansible-$$-$name
    mkdir "$dir" && cat /sys/fs/cgroup/cpuset/cpuset.mems >"$dir/cpuset.mems" && echo "$cpus" >"$dir/cpuset.cpus" || return 1
    cgroup[$name]=$dir procs=$dir/tasks
  elif [[ -f /sys/fs/cgroup/cgroup.controllers ]]; then
    grep -qw cpuset /sys/fs/cgroup/cgroup.subtree_control || echo +cpuset >/sys/fs/cgroup/cgroup.subtree_control
    dir=/sys/fs/cgroup/repin-ansible-$$-$name
    mkdir "$dir" && echo "$cpus" >"$dir/cpuset.cpus" || return 1
    cgroup[$name]=$dir procs=$dir/cgroup.procs
  else
    return 1
  fi
}

cleanup() {
  local rc=$?
  for h in "${hosts[@]}"; do stop_container "$h"; done
  if [[ ${REPIN_TEST_KEEP:-} == 1 && $failed -gt 0 ]]; then
    log "kept $work (logs in $work/logs)"
  else
    rm -rf --one-file-system "$work"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

ssh-keygen -q -t ed25519 -N '' -C repin-test -f "$work/id"
# Deploy a snapshot: a rebuild of dist/ during the run must not change it.
mkdir -p "$work/build" && cp -p "$(dirname "$script")"/* "$work/build/"
build_id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["buildId"])' "$work/build/build.json")
version=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["version"])' "$work/build/build.json")
build_dir=/usr/local/lib/repin/$build_id
# The launcher `repin install` writes for KIND (hook, command) with /usr/bin/node (src/bundle/launcher.ts).
launcher() { printf '#!/usr/bin/node\n// repin %s %s, build %s: runs %s\nrequire("%s/%s");\n' "$version" "$1" "$build_id" "$build_dir" "$build_dir" "$2"; }
launcher hook hook.js >"$work/hook-launcher"
launcher command repin >"$work/command-launcher"
mkdir -p "$work/logs"

# boot NAME CPUS: the container in a cpuset cgroup of CPUS, which is what bounds
# its guests (libvirt resets a guest's affinity, so the daemon's would not).
boot() {
  local name=$1 cpus=$2 root=$work/$1/root procs
  mkdir -p "$work/$name"/{upper,work,root}
  mount -t overlay overlay -o "lowerdir=$rootfs,upperdir=$work/$name/upper,workdir=$work/$name/work" "$root" ||
    die "overlay mount failed"
  port[$name]=$(free_port)
  echo "$name" >"$root/etc/hostname"
  ssh-keygen -A -f "$root" >/dev/null
  install -d -m 700 "$root/root/.ssh"
  install -m 600 "$work/id.pub" "$root/root/.ssh/authorized_keys"
  printf 'Port %s\nListenAddress 127.0.0.1\nPermitRootLogin prohibit-password\nPasswordAuthentication no\nUsePAM no\nUseDNS no\n' \
    "${port[$name]}" >"$root/etc/ssh/sshd_config.d/repin-test.conf"
  # A hypervisor's libvirtd runs for good; Debian's idles out after 120 s.
  echo 'LIBVIRTD_ARGS=""' >>"$root/etc/default/libvirtd"
  cpuset_cgroup "$name" "$cpus" || die "no cpuset cgroup for $name"
  (
    echo "$BASHPID" >"$procs"
    exec systemd-nspawn --boot --register=no --keep-unit --quiet -M "$name" -D "$root" </dev/null >"$work/logs/console-$name.log" 2>&1
  ) &
  pid[$name]=$!
}

on() { local h=$1; shift; ssh -q -p "${port[$h]}" -i "$work/id" -o BatchMode=yes -o StrictHostKeyChecking=no \
  -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o ConnectTimeout=5 root@127.0.0.1 "$@"; }

# hv-a has every CPU of this machine; hv-b only CPU 0 (its cgroup's cpuset, which
# repin reads where the guests' machine partition would be: the container's root).
boot hv-a "0-$(($(nproc) - 1))"
boot hv-b 0
for h in "${hosts[@]}"; do
  for ((i = 0; i < 120; i++)); do
    on "$h" 'systemctl is-active -q libvirtd' 2>/dev/null && break
    kill -0 "${pid[$h]}" 2>/dev/null || { tail -20 "$work/logs/console-$h.log" >&2; die "$h did not boot"; }
    sleep 1
  done
  ((i < 120)) || die "$h: no ssh/libvirtd after 120 s"
done
log "containers up after $((SECONDS - started)) s (hv-a :${port[hv-a]}, hv-b :${port[hv-b]})"

cat >"$work/inventory.yml" <<EOF
all:
  children:
    hypervisors:
      hosts:
        hv-a: {ansible_host: 127.0.0.1, ansible_port: ${port[hv-a]}}
        hv-b:
          ansible_host: 127.0.0.1
          ansible_port: ${port[hv-b]}
          repin_domains: {vm-strict: {policy: strict}}
          # On nspawn's tmpfs, not /etc's filesystem: Ansible's copy then puts a
          # temp file next to its destination (atomic_move), which in qemu.d/ libvirt would run.
          ansible_remote_tmp: /tmp/.ansible-remote
      vars:
        ansible_user: root
        ansible_ssh_private_key_file: $work/id
        ansible_ssh_common_args: -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR
        repin_script_src: $work/build/repin
EOF

# --- helpers ----------------------------------------------------------------
export ANSIBLE_CONFIG=$repo/ansible/ansible.cfg ANSIBLE_NOCOLOR=1 ANSIBLE_ROLES_PATH=$repo/ansible/roles
step_log=
current=
step() { current=$1; step_log=$work/logs/$(printf '%02d' $((passed + failed + 1)))-${1// /-}.log; : >"$step_log"; }
pass() { passed=$((passed + 1)); echo "PASS $current"; }
fail() {
  failed=$((failed + 1)); echo "FAIL $current: $*"
  [[ -s $step_log ]] && { echo "---- last lines of $(basename "$step_log")"; tail -25 "$step_log"; echo "----"; }
}
play() { ansible-playbook -i "$work/inventory.yml" "$@" >>"$step_log" 2>&1; }
# play_dying_after TASK ARGS...: the same, but ansible-playbook is killed (SIGKILL,
# as a lost controller) right after TASK succeeded on a host.
play_dying_after() {
  # In a subshell whose "Killed" notice goes to the step's log.
  (REPIN_TEST_DIE_AFTER=$1 ANSIBLE_CALLBACK_PLUGINS=$here/callback_plugins play "${@:2}"; exit $?) 2>>"$step_log"
}
# Line of the first "TASK [repin : NAME" header in the step's log (0: none).
task_line() { grep -n -m1 -F "TASK [repin : $1" "$step_log" | cut -d: -f1 || echo 0; }
# removed_items TASK HOST: the items of a loop task named TASK that HOST reported changed, one a line.
removed_items() {
  awk -v t="TASK [repin : $1]" -v h="changed: [$2] => (item=" 'index($0, t) == 1 { on = 1; next } /^TASK / { on = 0 }
    on && index($0, h) == 1 { s = substr($0, length(h) + 1); sub(/\)$/, "", s); print s }' "$step_log"
}
# changed=N from the recap of the last play in the step's log
changed() { grep -E "^$1 +: ok=" "$step_log" | tail -1 | sed -E 's/.*changed=([0-9]+).*/\1/'; }
daemon_pid() { on "$1" systemctl show -p MainPID --value libvirtd; }
# How many reloads systemd has logged for libvirtd ("Reloaded ..." per `systemctl reload`).
reloads() { on "$1" "journalctl -q -u libvirtd.service -o cat | grep -c '^Reloaded' || true"; }
# Everything a run may write: checked before and after check mode.
fs_state() {
  on "$1" 'find /etc /usr/local /var/lib/repin /var/log/libvirt -xdev -printf "%p %y %m %s %T@\n" 2>/dev/null | sort | sha256sum'
}
# What identifies a file's bytes and metadata: inode, mode, owner, size, mtime.
file_id() { on "$1" "stat -c '%i %a %u %s %Y' '$2'"; }
# libvirt_hook HOST HOOK ARGS...: the hook as libvirt runs it (its environment, argv; XML on stdin).
libvirt_hook() { on "$1" "env -i LC_ALL=C PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root $2 ${*:3}"; }
# journaled HOST DOMAIN: the domain's last line in the host's journal.
journaled() { on "$1" "grep -F '\"domain\":\"$2\"' /var/log/libvirt/repin/journal.jsonl | tail -1"; }
# journal_lines HOST DOMAIN: how many lines the host's journal holds for the domain.
journal_lines() { on "$1" "grep -F '\"domain\":\"$2\"' /var/log/libvirt/repin/journal.jsonl 2>/dev/null | wc -l"; }
# repin_dropins HOST: the regular files of qemu.d/ (not links) whose second line is repin's, one name a line.
repin_dropins() {
  on "$1" 'cd /etc/libvirt/hooks/qemu.d 2>/dev/null || exit 0; for f in * .[!.]*; do
    [[ -f $f && ! -L $f && $(sed -n 2p -- "$f") == "// repin "* ]] && echo "$f"; done; true'
}
domain_xml() { # name cpuset
  printf '%s' "<domain type='qemu'><name>$1</name><memory unit='MiB'>64</memory><vcpu placement='static'>1</vcpu><cputune><vcpupin vcpu='0' cpuset='$2'/></cputune><os><type arch='x86_64'>hvm</type></os><devices><emulator>/usr/bin/qemu-system-x86_64</emulator></devices></domain>"
}
check() { "$@" >>"$step_log" 2>&1; }

# --- steps ------------------------------------------------------------------
step "ansible-lint production profile"
if (cd "$repo/ansible" && ansible-lint --offline --profile production --nocolor) >>"$step_log" 2>&1; then pass; else fail "lint findings"; fi

step "check mode on fresh hosts writes nothing"
before_a=$(fs_state hv-a) before_b=$(fs_state hv-b) pid_a=$(daemon_pid hv-a)
if ! play "$repo/ansible/site.yml" --check --diff; then fail "check-mode run failed"
elif [[ $(fs_state hv-a) != "$before_a" || $(fs_state hv-b) != "$before_b" ]]; then fail "files changed in check mode"
elif [[ $(daemon_pid hv-a) != "$pid_a" ]]; then fail "libvirtd restarted in check mode"
elif ! grep -q '"policy": "remap"' "$step_log"; then fail "--diff does not show the config"
elif [[ $(changed hv-a) == 0 ]]; then fail "check mode reports no changes on a fresh host"
else pass; fi

step "run dying right after the hook goes live leaves the reload pending"
pid_a=$(daemon_pid hv-a)
play_dying_after "Install (repin install)" "$repo/ansible/site.yml" -l hv-a
if ! grep -q 'die_after: killing' "$step_log"; then fail "the run was not killed after placing the hook"
elif ! on hv-a 'sed -n 2p /etc/libvirt/hooks/qemu | grep -q "^// repin "'; then fail "the hook is not in place"
elif ! on hv-a test -f /var/lib/repin/.restart-pending; then fail "no reload marker although the first hook is live"
elif [[ $(daemon_pid hv-a) != "$pid_a" ]]; then fail "libvirtd restarted although handlers never ran"
else pass; fi

step "install reloads libvirtd once (same process) and puts the hook in place"
reloads_before=$(reloads hv-a)
if ! play "$repo/ansible/site.yml" -l hv-a; then fail "site.yml failed"
elif [[ $(daemon_pid hv-a) != "$pid_a" ]]; then fail "libvirtd was restarted (a reload is enough, and keeps guests and migrations)"
elif (($(reloads hv-a) != reloads_before + 1)); then fail "libvirtd was not reloaded exactly once ($reloads_before before, $(reloads hv-a) after)"
elif ! grep -q 'Try the installed hook as libvirt would call it' "$step_log"; then fail "the hook was not tried before the reload"
elif ! grep -q 'Resume the pending daemon reload' "$step_log"; then fail "the reload left pending was not resumed"
elif on hv-a 'ls -A /etc/libvirt/hooks | grep -vx -e qemu -e qemu.d'; then fail "files other than the hook left in /etc/libvirt/hooks"
elif on hv-a test -e /var/lib/repin/.restart-pending; then fail "reload marker left behind"
elif ! on hv-a 'head -c 64 /etc/libvirt/hooks/qemu' | head -2 | grep -q '^// repin '; then fail "no repin hook at /etc/libvirt/hooks/qemu"
elif [[ $(on hv-a 'head -1 /etc/libvirt/hooks/qemu') != '#!/usr/bin/node' ]]; then fail "hook shebang is not #!/usr/bin/node"
elif [[ $(on hv-a cat /etc/libvirt/hooks/qemu) != "$(cat "$work/hook-launcher")" ]]; then fail "the hook is not the launcher of build $build_id"
elif [[ $(on hv-a cat /usr/local/bin/repin) != "$(cat "$work/command-launcher")" ]]; then fail "/usr/local/bin/repin is not the command launcher of build $build_id"
elif ! on hv-a 'systemctl is-enabled -q repin-reconcile.path && systemctl is-active -q repin-reconcile.path'; then fail "repin-reconcile.path not enabled and active"
elif ! on hv-a 'python3 -c "import json; c=json.load(open(\"/etc/libvirt/repin.json\")); assert c[\"policy\"] == \"remap\", c"' >>"$step_log" 2>&1; then fail "config not written"
else pass; fi

step "the build is in place whole, and the only one"
on hv-a "ls -la /usr/local/lib/repin $build_dir" >>"$step_log" 2>&1
if [[ $(on hv-a ls -A /usr/local/lib/repin) != "$build_id" ]]; then fail "/usr/local/lib/repin does not hold exactly $build_id"
elif ! on hv-a "cd $build_dir && sha256sum repin hook.js hook-run.js xmldom.js package.json build.json" | (cd "$work/build" && sha256sum -c --quiet) >>"$step_log" 2>&1; then
  fail "$build_dir differs from the build deployed"
else pass; fi

step "repin host works on the target"
if on hv-a '/usr/local/bin/repin host --json' >"$work/hv-a.json" 2>>"$step_log" &&
  python3 -c 'import json,sys; p=json.load(open(sys.argv[1])); assert p["usable"], p' "$work/hv-a.json" >>"$step_log" 2>&1; then pass
else cat "$work/hv-a.json" >>"$step_log"; fail "repin host --json gave no usable profile"; fi

step "hook answers migrate begin on the target"
# Pinned to CPU 63, absent here: the filter must print a rewritten definition.
out=$(domain_xml vm-moving 63 | on hv-a '/etc/libvirt/hooks/qemu vm-moving migrate begin -' 2>>"$step_log"); rc=$?
fits=$(domain_xml vm-fits 0 | on hv-a '/etc/libvirt/hooks/qemu vm-fits migrate begin -' 2>>"$step_log"); rc2=$?
other=$(domain_xml vm-fits 63 | on hv-a '/etc/libvirt/hooks/qemu vm-fits started begin -' 2>>"$step_log"); rc3=$?
printf 'rewrite rc=%s out=%s\nfits rc=%s out=%s\nstarted rc=%s out=%s\n' "$rc" "$out" "$rc2" "$fits" "$rc3" "$other" >>"$step_log"
if ((rc != 0)); then fail "migrate begin exited $rc"
elif ! grep -q "<vcpupin" <<<"$out" || grep -q "cpuset=.63" <<<"$out"; then fail "no rewritten XML for a guest pinned to CPU 63"
elif ((rc2 != 0)) || [[ -n ${fits//[[:space:]]/} ]]; then fail "a fitting guest did not give empty output (rc=$rc2)"
elif ((rc3 != 0)) || [[ -n $other ]]; then fail "started begin is not a silent no-op (rc=$rc3)"
else pass; fi

step "a hook call as libvirt makes it is journaled"
out=$(domain_xml vm-called 63 | libvirt_hook hv-a /etc/libvirt/hooks/qemu vm-called migrate begin - 2>>"$step_log"); rc=$?
line=$(journaled hv-a vm-called)
printf 'rc=%s\njournal: %s\n' "$rc" "$line" >>"$step_log"
if ((rc != 0)); then fail "migrate begin exited $rc"
elif ! grep -q "<vcpupin" <<<"$out"; then fail "no rewritten XML"
elif [[ $line != *'"outcome":"rewritten"'* ]]; then fail "the journal line does not say rewritten: $line"
else pass; fi

step "second run changed=0 and no restart"
pid_a=$(daemon_pid hv-a) hook_before=$(file_id hv-a /etc/libvirt/hooks/qemu)
if ! play "$repo/ansible/site.yml" -l hv-a; then fail "site.yml failed"
elif [[ $(changed hv-a) != 0 ]]; then fail "changed=$(changed hv-a)"
elif [[ $(daemon_pid hv-a) != "$pid_a" ]]; then fail "libvirtd restarted"
elif [[ $(file_id hv-a /etc/libvirt/hooks/qemu) != "$hook_before" ]]; then fail "the hook was written again ($hook_before -> $(file_id hv-a /etc/libvirt/hooks/qemu))"
else pass; fi

step "check mode on a converged host changed=0"
if ! play "$repo/ansible/site.yml" -l hv-a --check --diff; then fail "check-mode run failed"
elif [[ $(changed hv-a) != 0 ]]; then fail "changed=$(changed hv-a)"
else pass; fi

step "repin install by hand on the role-deployed host changes nothing (one source of truth)"
ids_before=$(on hv-a 'stat -c "%n %i %Y" /etc/libvirt/hooks/qemu /usr/local/bin/repin /etc/systemd/system/repin-reconcile.path /etc/systemd/system/repin-reconcile.service')
out=$(on hv-a '/usr/local/bin/repin install --json' 2>>"$step_log"); rc=$?
printf 'rc=%s\n%s\n' "$rc" "$out" >>"$step_log"
if ((rc != 0)); then fail "repin install exited $rc"
elif [[ $out != *'"changed":false'* ]]; then fail "repin install would change a role-deployed host: $out"
elif [[ $(on hv-a 'stat -c "%n %i %Y" /etc/libvirt/hooks/qemu /usr/local/bin/repin /etc/systemd/system/repin-reconcile.path /etc/systemd/system/repin-reconcile.service') != "$ids_before" ]]; then
  fail "files rewritten"
else pass; fi

step "upgrade: the new hook goes live before the new config, no restart"
# An older hook (any other bytes) and a config change in one run.
on hv-a 'echo "// older" >>/etc/libvirt/hooks/qemu'
if ! play "$repo/ansible/site.yml" -l hv-a -e '{"repin_journal_keep": 50, "repin_on_error": "fail"}'; then fail "site.yml failed"
elif [[ $(changed hv-a) == 0 ]]; then fail "config change reported changed=0"
elif [[ $(daemon_pid hv-a) != "$pid_a" ]]; then fail "libvirtd restarted on a config change"
elif ! on hv-a 'grep -q "\"keep\": 50" /etc/libvirt/repin.json'; then fail "config not updated"
elif [[ $(on hv-a cat /etc/libvirt/hooks/qemu) != "$(cat "$work/hook-launcher")" ]]; then fail "hook not updated"
elif (($(task_line 'Install (repin install)') == 0 || $(task_line 'Install (repin install)') > $(task_line 'Write the configuration'))); then
  fail "the config was written before the new hook was in place"
else pass; fi

step "upgrade over a live config the new repin rejects: config first"
on hv-a 'echo "// older" >>/etc/libvirt/hooks/qemu && echo "{\"policy\": \"remap\", \"notAKey\": 1}" >/etc/libvirt/repin.json'
if ! play "$repo/ansible/site.yml" -l hv-a; then fail "site.yml failed"
elif ! on hv-a '/usr/local/bin/repin config check /etc/libvirt/repin.json' >>"$step_log" 2>&1; then fail "config not replaced"
elif [[ $(on hv-a cat /etc/libvirt/hooks/qemu) != "$(cat "$work/hook-launcher")" ]]; then fail "hook not updated"
elif (($(task_line 'Write the configuration') == 0 || $(task_line 'Write the configuration') > $(task_line 'Install (repin install)'))); then
  fail "the new hook went live while the config was one it rejects"
elif ! grep -q 'The new repin rejects' "$step_log" || ! grep -q 'notAKey' "$step_log"; then
  fail "the run did not say why the live config was rejected"
else pass; fi

step "invalid config is rejected by repin config check"
sum=$(on hv-a sha256sum /etc/libvirt/repin.json)
if play "$repo/ansible/site.yml" -l hv-a -e repin_allowed_cpus=banana; then fail "a bad cpuset was accepted"
elif [[ $(on hv-a sha256sum /etc/libvirt/repin.json) != "$sum" ]]; then fail "the live config changed"
elif ! grep -q 'allowedCpus' "$step_log"; then fail "the failure does not name allowedCpus"
else pass; fi

step "foreign hook: main fails clearly and leaves it alone"
on hv-b 'mkdir -p /etc/libvirt/hooks && printf "#!/bin/sh\n# site hook, not repin\nexit 0\n" >/etc/libvirt/hooks/qemu &&
  chmod 755 /etc/libvirt/hooks/qemu && systemctl restart libvirtd'
foreign=$(on hv-b sha256sum /etc/libvirt/hooks/qemu) pid_b=$(daemon_pid hv-b)
if play "$repo/ansible/site.yml" -l hv-b -e repin_hook_mode=main; then fail "mode main succeeded over a foreign hook"
elif ! grep -q "is not repin's" "$step_log"; then fail "no clear message about the foreign hook"
elif [[ $(on hv-b sha256sum /etc/libvirt/hooks/qemu) != "$foreign" ]]; then fail "foreign hook modified"
else pass; fi

step "foreign command in PATH: fails clearly and leaves it alone"
on hv-b 'printf "#!/bin/sh\necho a site tool\n" >/usr/local/bin/repin && chmod 755 /usr/local/bin/repin'
if play "$repo/ansible/site.yml" -l hv-b -e repin_hook_mode=auto; then fail "site.yml replaced a foreign /usr/local/bin/repin"
elif ! grep -q "/usr/local/bin/repin exists and is not repin's" "$step_log"; then fail "no clear message about the foreign command"
elif [[ $(on hv-b cat /usr/local/bin/repin) != *'a site tool'* ]]; then fail "foreign command modified"
elif on hv-b 'test -e /etc/libvirt/hooks/qemu.d'; then fail "hooks written although the run was refused"
else pass; fi
on hv-b rm -f /usr/local/bin/repin

step "foreign file at the drop-in's name: dropin fails clearly and leaves it alone"
on hv-b 'mkdir -p /etc/libvirt/hooks/qemu.d && printf "#!/bin/sh\n# another tool, not repin\nexit 0\n" >/etc/libvirt/hooks/qemu.d/50-repin &&
  chmod 755 /etc/libvirt/hooks/qemu.d/50-repin'
planted=$(on hv-b sha256sum /etc/libvirt/hooks/qemu.d/50-repin)
if play "$repo/ansible/site.yml" -l hv-b -e repin_hook_mode=dropin; then fail "mode dropin replaced a foreign qemu.d/50-repin"
elif ! grep -q "qemu.d/50-repin exists and is not repin's" "$step_log"; then fail "no clear message about the foreign drop-in"
elif [[ $(on hv-b sha256sum /etc/libvirt/hooks/qemu.d/50-repin) != "$planted" ]]; then fail "the foreign drop-in was modified"
elif [[ $(on hv-b ls -A /etc/libvirt/hooks/qemu.d) != 50-repin ]]; then fail "the refused run wrote into qemu.d"
else pass; fi
on hv-b 'rm -f /etc/libvirt/hooks/qemu.d/50-repin && rmdir /etc/libvirt/hooks/qemu.d'

step "foreign hook: auto installs a drop-in, only ever the finished hook in qemu.d"
# Every entry event in qemu.d/ over a run killed after staging the hook and a full run.
on hv-b 'mkdir -p /etc/libvirt/hooks/qemu.d && cat >/root/watch-dir.py' <"$here/watch-dir.py"
on hv-b 'nohup python3 /root/watch-dir.py /etc/libvirt/hooks/qemu.d </dev/null >/root/qemu.d.events 2>&1 & echo $! >/root/watch.pid'
for ((i = 0; i < 50; i++)); do on hv-b 'grep -q ready /root/qemu.d.events' && break; sleep 0.1; done
play_dying_after "Plan the install (repin install --dry-run)" "$repo/ansible/site.yml" -l hv-b -e repin_hook_mode=auto
left=$(on hv-b 'ls -A /etc/libvirt/hooks/qemu.d; find /etc/libvirt/hooks -maxdepth 1 -type f -perm /111 ! -name qemu')
play "$repo/ansible/site.yml" -l hv-b -e repin_hook_mode=auto; rc=$?
on hv-b 'kill $(cat /root/watch.pid)'
events=$(on hv-b 'grep -v ^ready /root/qemu.d.events')
printf 'left after the killed run: %s\nqemu.d events:\n%s\n' "$left" "$events" >>"$step_log"
if [[ $(on hv-b 'stat -c %d /tmp/.ansible-remote /etc/libvirt/hooks' | uniq | wc -l) != 2 ]]; then fail "test setup: hv-b's remote tmp is on /etc's filesystem"
elif ! grep -q 'die_after: killing' "$step_log"; then fail "the first run was not killed after planning the install"
elif [[ -n $left ]]; then fail "the killed run left files in qemu.d or an executable one in hooks: $left"
elif ((rc != 0)); then fail "site.yml failed"
elif [[ $(on hv-b sha256sum /etc/libvirt/hooks/qemu) != "$foreign" ]]; then fail "foreign hook modified"
elif ! on hv-b 'sed -n 2p /etc/libvirt/hooks/qemu.d/50-repin | grep -q "^// repin "'; then fail "no repin drop-in"
elif [[ $(on hv-b ls -A /etc/libvirt/hooks/qemu.d) != 50-repin ]]; then fail "qemu.d holds more than the hook"
elif [[ $events != 'MOVED_TO 50-repin' ]]; then fail "qemu.d saw more than the finished hook renamed in: $(tr '\n' ' ' <<<"$events")"
elif [[ $(daemon_pid hv-b) != "$pid_b" ]]; then fail "libvirtd restarted although a qemu hook existed"
else pass; fi

step "a drop-in renamed (50-repin -> 70-repin): check mode writes nothing and shows the old one going"
# A foreign filter that logs its calls, and a link to a (not executable) repin copy elsewhere: neither is the role's.
on hv-b 'cat >/root/qemu-hooks.sh' <"$here/qemu-hooks.sh"
on hv-b 'printf "#!/bin/sh\n# site hook, not repin\necho \"\$*\" >>/root/site-hook.calls\n" >/etc/libvirt/hooks/qemu.d/60-site &&
  chmod 755 /etc/libvirt/hooks/qemu.d/60-site && install -m 644 /etc/libvirt/hooks/qemu.d/50-repin /root/repin-elsewhere &&
  ln -s /root/repin-elsewhere /etc/libvirt/hooks/qemu.d/55-linked && rm -f /root/site-hook.calls'
site_b=$(file_id hv-b /etc/libvirt/hooks/qemu.d/60-site) site_sum=$(on hv-b sha256sum /etc/libvirt/hooks/qemu.d/60-site)
before_b=$(fs_state hv-b)
if ! play "$repo/ansible/site.yml" -l hv-b -e repin_hook_mode=auto -e repin_hook_dropin_name=70-repin --check --diff; then fail "check-mode run failed"
elif [[ $(fs_state hv-b) != "$before_b" ]]; then fail "files changed in check mode"
elif [[ $(grep -o 'removed old hook [^;"]*' "$step_log" | sort -u) != 'removed old hook /etc/libvirt/hooks/qemu.d/50-repin' ]]; then
  fail "check mode shows '$(grep -o 'removed old hook [^;"]*' "$step_log" | sort -u | tr '\n' ' ')' going, not 50-repin alone"
else pass; fi

step "a drop-in renamed (50-repin -> 70-repin): the old one goes, a foreign hook and a link in qemu.d stay"
before=$(repin_dropins hv-b) pid_b=$(daemon_pid hv-b) lines_before=$(journal_lines hv-b vm-dropin)
play "$repo/ansible/site.yml" -l hv-b -e repin_hook_mode=auto -e repin_hook_dropin_name=70-repin; rc=$?
calls=()
for i in 1 2; do
  out=$(domain_xml vm-dropin 63 | on hv-b 'env -i LC_ALL=C PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root bash /root/qemu-hooks.sh vm-dropin migrate begin -' 2>>"$step_log")
  calls+=("rc=$? $(grep -c '<vcpupin' <<<"$out") rewritten, pinned to 63: $(grep -c "cpuset=.63" <<<"$out")")
done
lines=$(($(journal_lines hv-b vm-dropin) - lines_before))
on hv-b 'grep -F vm-dropin /var/log/libvirt/repin/journal.jsonl | tail -4' >>"$step_log"
printf 'repin drop-ins before: %s\nafter: %s\ncalls: %s\njournal lines for 2 calls: %s\n' "$(tr '\n' ' ' <<<"$before")" \
  "$(repin_dropins hv-b | tr '\n' ' ')" "${calls[*]}" "$lines" >>"$step_log"
if [[ $before != 50-repin ]]; then fail "test setup: hv-b's repin drop-ins are '$before', not 50-repin"
elif ((rc != 0)); then fail "site.yml failed"
elif [[ $(repin_dropins hv-b) != 70-repin ]]; then fail "repin's hooks in qemu.d are $(repin_dropins hv-b | tr '\n' ' '), not just 70-repin"
elif [[ $(file_id hv-b /etc/libvirt/hooks/qemu.d/60-site) != "$site_b" || $(on hv-b sha256sum /etc/libvirt/hooks/qemu.d/60-site) != "$site_sum" ]]; then
  fail "the foreign qemu.d hook was touched"
elif [[ $(on hv-b readlink /etc/libvirt/hooks/qemu.d/55-linked) != /root/repin-elsewhere ]]; then fail "the link to a repin copy elsewhere was removed"
elif [[ $(on hv-b sha256sum /etc/libvirt/hooks/qemu) != "$foreign" ]]; then fail "foreign main hook modified"
elif [[ ${calls[*]} != 'rc=0 1 rewritten, pinned to 63: 0 rc=0 1 rewritten, pinned to 63: 0' ]]; then fail "the hook calls did not each exit 0 with a rewritten XML: ${calls[*]}"
elif [[ $(on hv-b 'wc -l </root/site-hook.calls') != 2 ]]; then fail "the foreign hook was not run once per call"
elif [[ $lines != 2 ]]; then fail "$lines journal lines for 2 hook calls (one repin hook per call gives 2)"
elif [[ $(daemon_pid hv-b) != "$pid_b" ]]; then fail "libvirtd restarted"
else pass; fi

step "a drop-in renamed: second run changed=0"
if ! play "$repo/ansible/site.yml" -l hv-b -e repin_hook_mode=auto -e repin_hook_dropin_name=70-repin; then fail "site.yml failed"
elif [[ $(changed hv-b) != 0 ]]; then fail "changed=$(changed hv-b)"
elif [[ $(repin_dropins hv-b) != 70-repin ]]; then fail "repin's hooks in qemu.d are $(repin_dropins hv-b | tr '\n' ' ')"
else pass; fi

step "audit report across two hosts with different CPU counts"
ncpu=$(nproc)
for vm in "vm-spread:$((ncpu - 1))" "vm-small:0" "vm-strict:$((ncpu - 1))"; do
  domain_xml "${vm%%:*}" "${vm#*:}" | on hv-a 'cat >/tmp/d.xml && virsh -q define /tmp/d.xml' >>"$step_log" 2>&1
done
domain_xml vm-b 0 | on hv-b 'cat >/tmp/d.xml && virsh -q define /tmp/d.xml' >>"$step_log" 2>&1
report=$work/report
if ((ncpu < 2)); then fail "needs at least 2 CPUs to give the hosts different CPU counts"
elif ! play "$repo/ansible/audit.yml" -e "repin_audit_dir=$report"; then fail "audit.yml failed"
elif [[ ! -s $report/audit-report.md || ! -s $report/audit-report.json ]]; then fail "report files missing"
elif ! python3 - "$report/audit-report.json" >>"$step_log" 2>&1 <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
got = {(e["vm"], e["target"]): e["verdict"] for e in r["results"]}
want = {("vm-spread", "hv-b"): "rewrite", ("vm-small", "hv-b"): "fits",
        ("vm-strict", "hv-b"): "refused", ("vm-b", "hv-a"): "fits"}
assert got == want, got
EOF
then cat "$report/audit-report.md" >>"$step_log"; fail "unexpected verdicts in audit-report.json"
elif ! grep -q 'would rewrite (' "$report/audit-report.md"; then cat "$report/audit-report.md" >>"$step_log"; fail "no 'would rewrite' in the Markdown table"
else pass; fi
[[ -s $report/audit-report.md ]] && { echo "---- audit-report.md"; cat "$report/audit-report.md"; echo "----"; }

step "audit plans a running guest's live XML and a shut-off guest's saved one (fake virsh)"
if ! (cd "$repo" && npx mocha --no-config --node-option import=tsx --timeout 300000 --reporter dot \
  test/ansible/audit-playbook.test.ts) >>"$step_log" 2>&1; then fail "audit-playbook.test.ts failed"
else pass; fi

step "uninstall removes only repin's files"
play "$repo/ansible/uninstall.yml"; rc=$?
if ((rc != 0)); then fail "uninstall.yml failed"
elif on hv-a 'test -e /etc/libvirt/hooks/qemu || test -e /usr/local/lib/repin || test -e /usr/local/bin/repin ||
  test -e /etc/libvirt/repin.json || test -e /etc/systemd/system/repin-reconcile.path || test -e /var/lib/repin'; then fail "repin files left on hv-a"
elif [[ -n $(repin_dropins hv-b) ]]; then fail "repin's drop-ins left on hv-b (repin_hook_dropin_name is 50-repin): $(repin_dropins hv-b | tr '\n' ' ')"
elif [[ $(on hv-b sha256sum /etc/libvirt/hooks/qemu) != "$foreign" ]]; then fail "foreign hook touched by uninstall"
else pass; fi

step "uninstall again changed=0"
if ! play "$repo/ansible/uninstall.yml"; then fail "uninstall.yml failed"
elif [[ $(changed hv-a) != 0 || $(changed hv-b) != 0 ]]; then fail "changed=$(changed hv-a)/$(changed hv-b)"
else pass; fi

step "uninstall removes a stale repin drop-in under another name, not a foreign hook or a link"
# What a run before a repin_hook_dropin_name change left, next to hv-b's foreign hook and link from above.
on hv-b 'install -m 755 /root/repin-elsewhere /etc/libvirt/hooks/qemu.d/40-repin-old'
site_b=$(file_id hv-b /etc/libvirt/hooks/qemu.d/60-site) before=$(repin_dropins hv-b)
play "$repo/ansible/uninstall.yml" -l hv-b; rc=$?
if [[ $before != 40-repin-old ]]; then fail "test setup: hv-b's repin drop-ins are '$before', not 40-repin-old"
elif ((rc != 0)); then fail "uninstall.yml failed"
elif [[ -n $(repin_dropins hv-b) ]]; then fail "repin's drop-ins left: $(repin_dropins hv-b | tr '\n' ' ')"
elif [[ $(removed_items "Remove repin's qemu.d hooks" hv-b) != /etc/libvirt/hooks/qemu.d/40-repin-old ]]; then
  fail "the removal reported '$(removed_items "Remove repin's qemu.d hooks" hv-b | tr '\n' ' ')', not 40-repin-old alone"
elif [[ $(file_id hv-b /etc/libvirt/hooks/qemu.d/60-site) != "$site_b" || $(on hv-b sha256sum /etc/libvirt/hooks/qemu.d/60-site) != "$site_sum" ]]; then
  fail "the foreign qemu.d hook was touched"
elif [[ $(on hv-b readlink /etc/libvirt/hooks/qemu.d/55-linked) != /root/repin-elsewhere ]]; then fail "the link to a repin copy elsewhere was removed"
elif [[ $(on hv-b sha256sum /etc/libvirt/hooks/qemu) != "$foreign" ]]; then fail "foreign main hook touched"
elif ! play "$repo/ansible/uninstall.yml" -l hv-b; then fail "the second uninstall.yml failed"
elif [[ $(changed hv-b) != 0 ]]; then fail "second uninstall changed=$(changed hv-b)"
else pass; fi
# The next step wants hv-b without any qemu hook.
on hv-b 'rm -f /etc/libvirt/hooks/qemu.d/60-site /etc/libvirt/hooks/qemu.d/55-linked /root/repin-elsewhere'

step "a host set up by repin install is taken over; repin_restart_daemon=false hands the reload over"
# hv-a: what `repin install` run from a copied build leaves (build, hook, command, config, units).
# hv-b: no qemu hook at all, so repin's is the first and a reload is due.
on hv-a 'mkdir -p /root/build' && for f in "$work"/build/*; do on hv-a "cat >/root/build/${f##*/}" <"$f"; done
on hv-a 'node /root/build/repin install --node /usr/bin/node' >>"$step_log" 2>&1
on hv-b 'rm -f /etc/libvirt/hooks/qemu && systemctl restart libvirtd'
pid_b=$(daemon_pid hv-b) reloads_b=$(reloads hv-b)
if [[ $(on hv-a cat /usr/local/bin/repin) != "$(cat "$work/command-launcher")" ]]; then fail "test setup: repin install left no command launcher at /usr/local/bin/repin"
elif ! play "$repo/ansible/site.yml" -e repin_restart_daemon=false; then fail "site.yml failed"
elif [[ $(on hv-a cat /usr/local/bin/repin) != "$(cat "$work/command-launcher")" ]]; then fail "/usr/local/bin/repin is not the command launcher any more"
elif [[ $(daemon_pid hv-b) != "$pid_b" || $(reloads hv-b) != "$reloads_b" ]]; then fail "libvirtd reloaded or restarted although repin_restart_daemon=false"
elif ! grep -q 'systemctl reload libvirtd. yourself' "$step_log"; then fail "no message handing the reload over"
elif on hv-b test -e /var/lib/repin/.restart-pending; then fail "reload marker left behind"
else pass; fi

step "repin_restart_daemon=false: second run changed=0"
if ! play "$repo/ansible/site.yml" -e repin_restart_daemon=false; then fail "site.yml failed"
elif [[ $(changed hv-a) != 0 || $(changed hv-b) != 0 ]]; then fail "changed=$(changed hv-a)/$(changed hv-b)"
elif grep -q 'yourself' "$step_log"; then fail "the reload message repeated"
else pass; fi

log "finished in $((SECONDS - started)) s"
echo "$passed passed, $failed failed"
((failed == 0))
