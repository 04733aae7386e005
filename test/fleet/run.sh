#!/usr/bin/env bash
# The fleet lab (npm run test:fleet): repin rolled out with its own Ansible to
# three throw-away hypervisors, then real guests migrated between them, as an
# operator lives it. Hosts are systemd-nspawn containers (real systemd, sshd,
# libvirtd, QEMU and the distribution's own nodejs) reached over ssh:
#   hv-a  Debian 12, every CPU of this machine
#   hv-b  Debian 12, CPU 0 only (its cgroup's cpuset)
#   hv-c  Debian 13, the last CPU only
# Everything listens on 127.0.0.1 (ports from REPIN_FLEET_PORT_BASE, 22400).
# Steps: check mode -> deploy (twice) -> audit -> every cell of the audit's
# matrix migrated for real (and back) -> reconcile dropping a request for a
# guest libvirt no longer knows within its grace -> --persistent migration and
# the reconcile unit -> round trips across versions -> replay -> `repin install`
# on a role-deployed host -> uninstall. Each prints PASS/FAIL, then the hook's
# share of each migration's wall time, then "N passed, M failed".
# Needs root; installs its tools from Debian; caches the two roots in
# REPIN_TEST_CACHE (/var/cache/repin-test). REPIN_SCRIPT (dist/repin): its build
# dir is what is deployed; REPIN_TEST_KEEP=1 keeps the work dir after a failure.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${REPIN_TEST_CACHE:-/var/cache/repin-test}
script=${REPIN_SCRIPT:-$repo/dist/repin}
port_base=${REPIN_FLEET_PORT_BASE:-22400}
started=$SECONDS
passed=0 failed=0

log() { printf '%s\n' "$*" >&2; }
die() { log "test/fleet/run.sh: $*"; exit 2; }

[[ $(id -u) == 0 ]] || die "must run as root (debootstrap, mounts, cgroups, systemd-nspawn)"
[[ -f $script ]] || die "$script not found: run npm run build"
(($(nproc) >= 2)) || die "needs at least 2 CPUs to give the hosts different CPU sets"

# --- tools and roots ---------------------------------------------------------
need=()
for pair in ansible-playbook:ansible debootstrap:debootstrap systemd-nspawn:systemd-container ssh:openssh-client \
  ss:iproute2 python3:python3; do
  command -v "${pair%%:*}" >/dev/null || need+=("${pair#*:}")
done
if ((${#need[@]})); then
  log "installing ${need[*]} from Debian"
  apt_get() { DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 -q "$@"; }
  apt_get install -y --no-install-recommends "${need[@]}" >/dev/null 2>&1 ||
    { apt_get update >/dev/null && apt_get install -y --no-install-recommends "${need[@]}" >/dev/null; } ||
    die "could not install ${need[*]}"
fi
# Both at once (a few minutes, once; mostly waiting on the mirror), each waited for.
bash "$repo/test/ansible/build-rootfs.sh" "$cache/debian12-ansible" bookworm & build12=$!
bash "$repo/test/ansible/build-rootfs.sh" "$cache/debian13" trixie & build13=$!
wait "$build12"; rc12=$?
wait "$build13"; rc13=$?
((rc12 == 0)) || die "could not build the Debian 12 root"
((rc13 == 0)) || die "could not build the Debian 13 root"
log "roots ready after $((SECONDS - started)) s"

# --- hosts -------------------------------------------------------------------
work=$(mktemp -d /var/tmp/repin-fleet.XXXXXX)
fleet_prefix=repin-fleet-$$-
mkdir -p "$work/logs"
step_log=$work/logs/00-setup.log
source "$here/hosts.sh"
source "$here/guests.sh"

cleanup() {
  local rc=$? h
  for h in "${hosts[@]}"; do stop_host "$h"; done
  if [[ ${REPIN_TEST_KEEP:-} == 1 && $failed -gt 0 ]]; then
    log "kept $work (logs in $work/logs)"
  else
    rm -rf --one-file-system "$work"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

drop_stale_cgroups
ssh-keygen -q -t ed25519 -N '' -C repin-fleet -f "$work/id"
# Deploy a snapshot: a rebuild of dist/ during the run must not change it.
mkdir -p "$work/build" && cp -p "$(dirname "$script")"/* "$work/build/"

last_cpu=$(($(nproc) - 1))
boot hv-a "$cache/debian12-ansible" "0-$last_cpu" 0
boot hv-b "$cache/debian12-ansible" 0 1
boot hv-c "$cache/debian13" "$last_cpu" 2
wait_hosts
log "hosts up after $((SECONDS - started)) s"
for h in "${hosts[@]}"; do log "  $h (cpus ${cpus_of[$h]}, ssh :${port[$h]}, $(uri "$h")): $(versions "$h")"; done

cat >"$work/inventory.yml" <<EOF
all:
  children:
    hypervisors:
      hosts:
        hv-a: {ansible_port: ${port[hv-a]}}
        hv-b:
          ansible_port: ${port[hv-b]}
          repin_domains: {vm-strict: {policy: strict}}
        hv-c: {ansible_port: ${port[hv-c]}}
      vars:
        ansible_host: 127.0.0.1
        ansible_user: root
        ansible_ssh_private_key_file: $work/id
        ansible_ssh_common_args: -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR
        ansible_python_interpreter: /usr/bin/python3
        repin_script_src: $work/build/repin
EOF

# --- step helpers ------------------------------------------------------------
export ANSIBLE_CONFIG=$repo/ansible/ansible.cfg ANSIBLE_NOCOLOR=1 ANSIBLE_ROLES_PATH=$repo/ansible/roles
current= involved=() step_started=0
# step NAME [HOSTS...]: start a step; a failure shows the logs of HOSTS (default all).
step() {
  current=$1
  involved=("${@:2}")
  ((${#involved[@]})) || involved=("${hosts[@]}")
  step_log=$work/logs/$(printf '%02d' $((passed + failed + 1)))-${1//[^A-Za-z0-9]/-}.log
  : >"$step_log"
  step_started=$SECONDS
  log "... $current"
}
pass() { passed=$((passed + 1)); echo "PASS $current ($((SECONDS - step_started)) s)"; }
fail() {
  failed=$((failed + 1))
  echo "FAIL $current ($((SECONDS - step_started)) s): $*"
  [[ -s $step_log ]] && { echo "---- last lines of $(basename "$step_log")"; tail -n 30 "$step_log"; echo "----"; }
  diagnose "${involved[@]}"
}
# diagnose HOSTS...: what libvirt, QEMU and the hook said lately on each host.
diagnose() {
  local h
  for h in "$@"; do
    echo "---- $h: libvirtd journal"
    on "$h" 'journalctl -q -u libvirtd -n 15 --no-pager -o short-monotonic' 2>&1 | tail -n 15
    echo "---- $h: QEMU logs"
    on "$h" 'for f in $(ls -t /var/log/libvirt/qemu/*.log 2>/dev/null | head -3); do echo "$f:"; grep -v "^-\|^[A-Z_]*=\|^/usr" "$f" | tail -n 8; done' 2>&1
    echo "---- $h: hook journal"
    on "$h" 'tail -n 6 /var/log/libvirt/repin/journal.jsonl 2>/dev/null | cut -c1-400; journalctl -q -u repin-reconcile.service -n 8 --no-pager' 2>&1
  done
  echo "----"
}
play() { ansible-playbook -i "$work/inventory.yml" "$@" >>"$step_log" 2>&1; }
# changed HOST: changed=N of HOST in the last play recap of the step's log.
changed() { grep -E "^$1 +: ok=" "$step_log" | tail -1 | sed -E 's/.*changed=([0-9]+).*/\1/'; }
# What a run may write: compared before and after check mode.
fs_state() {
  on "$1" 'find /etc /usr/local /var/lib/repin /var/log/libvirt /var/cache/repin -xdev -printf "%p %y %m %s %T@\n" 2>/dev/null | sort | sha256sum'
}
# What repin's rollout owns and uninstall must give back: names, types, modes, contents.
repin_places() {
  on "$1" 'find /etc/libvirt/hooks /etc/libvirt/repin.json /etc/systemd/system /usr/local /var/lib/repin /var/cache/repin \
    /var/log/libvirt/repin -xdev \( -type f -printf "%p f %m " -exec sh -c "sha256sum <\"\$1\" | cut -c1-16" _ {} \; \) \
    -o \( ! -type f -printf "%p %y %m %l\n" \) 2>/dev/null | sort'
}
daemon_pid() { on "$1" systemctl show -p MainPID --value libvirtd; }

# --- 1 ---------------------------------------------------------------------------
step "1 check mode on fresh hosts (no python3-apt, no node on hv-b) writes nothing"
# A fresh minimal Debian: hv-b without node (the role would install it), none with python3-apt.
on hv-b 'DEBIAN_FRONTEND=noninteractive apt-get remove -y -q nodejs' >>"$step_log" 2>&1
declare -A before_fs before_pid before_places
for h in "${hosts[@]}"; do
  before_fs[$h]=$(fs_state "$h") before_pid[$h]=$(daemon_pid "$h") before_places[$h]=$(repin_places "$h")
done
apt_py=$(for h in "${hosts[@]}"; do on "$h" "dpkg-query -W -f '\${Status}' python3-apt 2>/dev/null | grep -q ' installed' && echo $h"; done)
play "$repo/ansible/site.yml" --check --diff; rc=$?
moved=$(for h in "${hosts[@]}"; do [[ $(fs_state "$h") == "${before_fs[$h]}" ]] || echo "$h"; done)
if [[ -n $apt_py ]]; then fail "test setup: python3-apt is installed on $apt_py"
elif on hv-b 'test -e /usr/bin/node'; then fail "test setup: hv-b still has node"
elif ((rc != 0)); then fail "site.yml --check --diff failed"
elif [[ -n $moved ]]; then fail "files changed in check mode on $(echo $moved)"
elif [[ $(for h in "${hosts[@]}"; do daemon_pid "$h"; done) != "$(for h in "${hosts[@]}"; do echo "${before_pid[$h]}"; done)" ]]; then
  fail "libvirtd restarted in check mode"
elif [[ $(changed hv-b) == 0 || -z $(changed hv-b) ]]; then fail "check mode reports no changes on a fresh host"
else pass; fi

# --- 2 ---------------------------------------------------------------------------
step "2 site.yml deploys all three hosts, and a second run changes nothing"
play "$repo/ansible/site.yml"; rc1=$?
# The rollout above went host by host (repin_serial's default); the idempotence check may go at once.
play "$repo/ansible/site.yml" -e repin_serial=100%; rc2=$?
if ((rc1 != 0)); then fail "site.yml failed"
elif ((rc2 != 0)); then fail "the second site.yml failed"
elif [[ "$(changed hv-a) $(changed hv-b) $(changed hv-c)" != "0 0 0" ]]; then
  fail "second run: changed=$(changed hv-a)/$(changed hv-b)/$(changed hv-c) on hv-a/hv-b/hv-c"
elif [[ -n $(for h in "${hosts[@]}"; do on "$h" 'test -x /usr/local/bin/repin && test -e /etc/libvirt/repin.json' || echo "$h"; done) ]]; then
  fail "repin or its config missing on a host"
elif ! on hv-b 'test -x /usr/bin/node'; then fail "the role did not install node on hv-b"
else pass; fi
for h in "${hosts[@]}"; do log "  $h now: $(versions "$h")"; done

# --- 3 ---------------------------------------------------------------------------
step "3 guests defined; audit.yml against the real daemons writes its matrix"
# Pins that fit some hosts and not others (hv-a: 0-$last_cpu, hv-b: 0, hv-c: $last_cpu).
define_guest vm-zero hv-b '' 0 0 0 0
define_guest vm-one hv-c '' "$last_cpu" "$last_cpu" "$last_cpu" "$last_cpu"
define_guest vm-spread hv-a "0-$last_cpu" 0 "$last_cpu" "0-$last_cpu" "0-$last_cpu"
define_guest vm-strict hv-a '' "$last_cpu" "$last_cpu" "$last_cpu" "$last_cpu" # strict on hv-b (inventory)
for g in "${guests[@]}"; do pins_of[$g]=$(live_pins "${home[$g]}" "$g" --inactive); done
report=$work/audit
play "$repo/ansible/audit.yml" -e "repin_audit_dir=$report"; rc=$?
[[ -s $report/audit-report.md ]] && cat "$report/audit-report.md" >>"$step_log"
# predicted[guest:target] = fits | rewrite | refused | ... from the report's JSON.
declare -A predicted
if [[ -s $report/audit-report.json ]]; then
  while read -r key verdict; do predicted[$key]=$verdict; done < <(python3 -c '
import json, sys
for e in json.load(open(sys.argv[1]))["results"]:
    print("%s:%s:%s %s" % (e["vm"], e["source"], e["target"], e["verdict"]))' "$report/audit-report.json")
fi
cells=$(printf '%s\n' "${!predicted[@]}" | sort)
want_cells=$(for g in "${guests[@]}"; do for h in "${hosts[@]}"; do [[ $h != "${home[$g]}" ]] && echo "$g:${home[$g]}:$h"; done; done | sort)
if [[ -n $(for g in "${guests[@]}"; do [[ ${pins_of[$g]} == '{'* ]] || echo "$g"; done) ]]; then fail "a guest could not be defined"
elif ((rc != 0)); then fail "audit.yml failed"
elif [[ $cells != "$want_cells" ]]; then fail "the matrix has cells $(echo $cells), not $(echo $want_cells)"
elif [[ -z $(printf '%s\n' "${predicted[@]}" | grep -x fits) || -z $(printf '%s\n' "${predicted[@]}" | grep -x rewrite) ||
  -z $(printf '%s\n' "${predicted[@]}" | grep -x refused) ]]; then
  fail "the matrix lacks a fits, rewrite or refused cell: $(for c in $cells; do printf '%s=%s ' "$c" "${predicted[$c]}"; done)"
else pass; fi
[[ -s $report/audit-report.md ]] && { echo "---- audit-report.md"; cat "$report/audit-report.md"; echo "----"; }

# --- 4 ---------------------------------------------------------------------------
step "4 every cell of the matrix migrated for real (and back): observed = predicted"
declare -A observed note_of arrived entry_of
limits=()
# try_shadow SRC DST GUEST ERROR: is the failure libvirt's? The same migration with the
# target's repin in shadow mode (through the role); prints the error it gives.
try_shadow() {
  local err
  play "$repo/ansible/site.yml" -l "$2" -e repin_shadow=true || { echo "(could not switch $2 to shadow mode)"; return; }
  migrate "$1" "$2" "$3"
  err=$mig_err
  ((mig_rc == 0)) && { migrate "$2" "$1" "$3"; err=; }
  play "$repo/ansible/site.yml" -l "$2" >/dev/null
  echo "$err"
}
for key in $cells; do
  IFS=: read -r g src dst <<<"$key"
  on "$src" "virsh -q start $g" >>"$step_log" 2>&1
  before=$(live_pins "$src" "$g")
  src_pid=$(qemu_threads "$src" "$g" | head -1)
  migrate "$src" "$dst" "$g"
  label="$g $src->$dst"
  if ((mig_rc != 0)); then
    hook=$(last_hook "$dst" "$g" migrate)
    if [[ $mig_err == *"repin: $g:"* && $(field "$hook" outcome) == refused ]]; then
      if [[ $(state "$src" "$g") != running || $(qemu_threads "$src" "$g" | head -1) != "$src_pid" ]]; then
        observed[$key]="refused, but the guest is not running on $src as before"
      else
        observed[$key]=refused note_of[$key]="virsh: ${mig_err//$'\n'/ }"
      fi
    else
      shadow_err=$(try_shadow "$src" "$dst" "$g")
      # Conclusive only for an error that is not about pins (shadow mode passes pins that do not fit).
      if [[ -n $shadow_err && ${shadow_err//[0-9]/} == "${mig_err//[0-9]/}" && $mig_err != *'CPU affinity'* ]]; then
        observed[$key]="platform limit" note_of[$key]=$mig_err
        limits+=("$label: $mig_err")
      else
        observed[$key]="failed: ${mig_err//$'\n'/ }"
      fi
    fi
  else
    timing "$label" "$dst" "$g"
    after=$(live_pins "$dst" "$g")
    arrived[$key]=$after entry_of[$key]=$(last_hook "$dst" "$g" migrate)
    outcome=$(field "${entry_of[$key]}" outcome)
    problems=$(threads_fit "$dst" "$g" "$after")
    if [[ -n $problems ]]; then observed[$key]="threads: ${problems//$'\n'/; }"
    elif [[ $outcome == unchanged && $after == "$before" ]]; then observed[$key]=fits
    elif [[ $outcome == rewritten && $after != "$before" ]]; then observed[$key]=rewrite note_of[$key]="$before -> $after"
    else observed[$key]="hook outcome '$outcome', pins $before -> $after"; fi
    # And back: the guest returns to its home, where its own pins fit.
    migrate "$dst" "$src" "$g"
    if ((mig_rc != 0)); then observed[$key]+=" (back: failed: ${mig_err//$'\n'/ })"
    else
      timing "$g $dst->$src (back)" "$src" "$g"
      back=$(live_pins "$src" "$g")
      [[ $back == "${pins_of[$g]}" ]] || observed[$key]+=" (back: pins $back, not ${pins_of[$g]})"
    fi
  fi
  on "$src" "virsh -q destroy $g" >>"$step_log" 2>&1
  printf '%s predicted=%s observed=%s %s\n' "$key" "${predicted[$key]}" "${observed[$key]}" "${note_of[$key]:-}" >>"$step_log"
done
matrix=$(
  printf '%-11s %-6s %-6s %-9s %-9s %s\n' guest from to predicted observed ""
  for key in $cells; do
    IFS=: read -r g src dst <<<"$key"
    v=$(versions "$src" | cut -d, -f1 | sed 's/.*Linux \([0-9]*\).*/D\1/')-$(versions "$dst" | cut -d, -f1 | sed 's/.*Linux \([0-9]*\).*/D\1/')
    mark=ok
    [[ ${observed[$key]} == "${predicted[$key]}" ]] || mark=DIFFERS
    [[ ${observed[$key]} == "platform limit" ]] && mark="platform limit (not repin's)"
    printf '%-11s %-6s %-6s %-9s %-9s %s (%s)\n' "$g" "$src" "$dst" "${predicted[$key]}" "${observed[$key]}" "$mark" "$v"
  done
)
echo "$matrix" >>"$step_log"
differs=$(grep -c 'DIFFERS' <<<"$matrix")
crossed=$(grep -cE '\((D12-D13|D13-D12)\)$' <<<"$matrix")
if ((differs > 0)); then fail "$differs cell(s) differ from the audit's prediction"
elif [[ $(grep -c 'D12-D13' <<<"$matrix") == 0 || $(grep -c 'D13-D12' <<<"$matrix") == 0 ]]; then fail "no Debian 12 -> 13 or 13 -> 12 cell"
else pass; fi
echo "---- predicted vs. observed"; echo "$matrix"; echo "----"
((${#limits[@]})) && { echo "---- platform limits (the same migration fails with repin in shadow mode)"; printf '%s\n' "${limits[@]}"; echo "----"; }

# --- 4b --------------------------------------------------------------------------
step "4b reconcile --pending ends within its grace when libvirt no longer knows the guest" hv-b hv-c
# A transient arrival destroyed before reconcile ran (its path unit stopped meanwhile):
# the request names a guest hv-c does not know; the service must not wait out --wait (10 min).
# Before step 5: hv-c runs no other guest that would hold its one CPU.
on hv-c 'systemctl stop repin-reconcile.path' >>"$step_log" 2>&1
on hv-b "virsh -q start vm-zero" >>"$step_log" 2>&1
migrate hv-b hv-c vm-zero
request_ms=$(now_ms)
((mig_rc == 0)) && timing "vm-zero hv-b->hv-c (4b)" hv-c vm-zero
on hv-c 'virsh -q destroy vm-zero' >>"$step_log" 2>&1
gone=$(state hv-c vm-zero)
on hv-c 'ls /var/lib/repin/pending; systemctl start repin-reconcile.path' >>"$step_log" 2>&1
for ((i = 0; i < 90; i++)); do
  on hv-c 'test -z "$(ls -A /var/lib/repin/pending)" && ! systemctl -q is-active repin-reconcile.service' && break
  sleep 1
done
took=$((($(now_ms) - request_ms) / 1000))
on hv-c 'journalctl -q -u repin-reconcile.service -o cat -n 6 --no-pager' >>"$step_log" 2>&1
entry=$(last_hook hv-c vm-zero reconcile)
echo "$entry" >>"$step_log"
if ((mig_rc != 0)); then fail "the migration hv-b -> hv-c failed: $mig_err"
elif [[ -n $gone ]]; then fail "test setup: hv-c still knows vm-zero ($gone)"
elif ((i >= 90)); then fail "the request was still pending, or the service running, $took s after the migration"
elif [[ $(field "$entry" outcome) != expired || $entry != *'libvirt does not know it'* ]]; then fail "no 'expired ... libvirt does not know it' entry: $entry"
else pass; echo "  the service ended $took s after the hook's request"; fi
on hv-b "virsh -q destroy vm-zero" >>"$step_log" 2>&1

# --- 5 ---------------------------------------------------------------------------
# persist_and_reconcile GUEST SRC DST: --persistent --undefinesource, then the reconcile path
# unit (no command from us) fits the saved definition within a minute; a cold boot works there.
persist_and_reconcile() {
  local g=$1 src=$2 dst=$3 i saved bad t0
  on "$src" "virsh -q start $g" >>"$step_log" 2>&1
  migrate "$src" "$dst" "$g" --persistent --undefinesource
  ((mig_rc == 0)) || { problems+="$g $src->$dst --persistent failed: $mig_err; "; return; }
  timing "$g $src->$dst (--persistent)" "$dst" "$g"
  t0=$SECONDS
  for ((i = 0; i < 60; i++)); do
    saved=$(live_pins "$dst" "$g" --inactive)
    [[ -n $saved && -z $(python3 "$here/pins.py" within "$saved" "${cpus_of[$dst]}") ]] && break
    sleep 1
  done
  printf '%s: saved pins on %s after %s s: %s\n' "$g" "$dst" $((SECONDS - t0)) "$saved" >>"$step_log"
  on "$dst" "journalctl -q -u repin-reconcile.service -o cat --no-pager | tail -n 12; repin journal --domain $g --limit 5" >>"$step_log" 2>&1
  if ((i >= 60)); then problems+="$g: the saved definition on $dst still does not fit after 60 s: $(python3 "$here/pins.py" within "$saved" "${cpus_of[$dst]}" | tr '\n' ' '); "; return; fi
  if [[ $(field "$(last_hook "$dst" "$g" reconcile)" outcome) != rewritten ]]; then problems+="$g: no 'rewritten' reconcile entry in $dst's journal; "; return; fi
  if [[ -n $(state "$src" "$g") ]]; then problems+="$g: still defined on $src after --undefinesource; "; return; fi
  on "$dst" "virsh -q destroy $g && virsh -q start $g" >>"$step_log" 2>&1 || { problems+="$g: destroy + start on $dst failed; "; return; }
  bad=$(threads_fit "$dst" "$g" "$(live_pins "$dst" "$g")")
  [[ -z $bad ]] || { problems+="$g after a cold boot on $dst: $bad; "; return; }
  [[ $(state "$dst" "$g") == running ]] || { problems+="$g is not running on $dst after the cold boot; "; return; }
}
step "5 --persistent --undefinesource: the role's reconcile unit fits the saved definition, a cold boot works" hv-a hv-b hv-c
problems=
persist_and_reconcile vm-spread hv-a hv-c
persist_and_reconcile vm-one hv-c hv-b
if [[ -n $problems ]]; then fail "$problems"; else pass; fi

# --- 6 ---------------------------------------------------------------------------
# round_trip GUEST HOME: the guest, now away from HOME (step 5), comes back with
# --persistent --undefinesource; its live pins and (after reconcile) saved pins are the originals.
round_trip() {
  local g=$1 back=$2 away i live saved
  away=$(for h in "${hosts[@]}"; do [[ -n $(state "$h" "$g") ]] && echo "$h"; done)
  [[ $away == "$back" || -z $away ]] && { problems+="$g: not away from $back (on '$away'); "; return; }
  migrate "$away" "$back" "$g" --persistent --undefinesource
  ((mig_rc == 0)) || { problems+="$g $away->$back failed: $mig_err; "; return; }
  timing "$g $away->$back (home)" "$back" "$g"
  live=$(live_pins "$back" "$g")
  for ((i = 0; i < 60; i++)); do saved=$(live_pins "$back" "$g" --inactive); [[ $saved == "${pins_of[$g]}" ]] && break; sleep 1; done
  printf '%s home on %s: original %s, live %s, saved %s\n' "$g" "$back" "${pins_of[$g]}" "$live" "$saved" >>"$step_log"
  [[ $live == "${pins_of[$g]}" ]] || { problems+="$g on $back: live pins $live, not the original ${pins_of[$g]}; "; return; }
  [[ $saved == "${pins_of[$g]}" ]] || { problems+="$g on $back: saved pins $saved, not the original ${pins_of[$g]}; "; return; }
  on "$back" "virsh -q destroy $g" >>"$step_log" 2>&1
}
step "6 A -> B -> A across versions restores the original placement exactly" hv-a hv-b hv-c
problems=
round_trip vm-spread hv-a
round_trip vm-one hv-c
if [[ -n $problems ]]; then fail "$problems"; else pass; fi

# --- 7 ---------------------------------------------------------------------------
step "7 repin replay of the target's capture shows the plan and output the hook produced"
# Every rewrite cell of step 4: the journal entry the target wrote on arrival, its capture replayed
# there. As then, no other guest runs (replay plans around the host's running guests, as the hook did).
for h in "${hosts[@]}"; do on "$h" 'for g in $(virsh -q list --name); do virsh -q destroy "$g"; done' >>"$step_log" 2>&1; done
problems=
replayed=0
for key in $cells; do
  [[ ${observed[$key]} == rewrite ]] || continue
  IFS=: read -r g src dst <<<"$key"
  entry=${entry_of[$key]}
  capture=$(field "$entry" capture)
  [[ -n $capture ]] || { problems+="$key: no capture in the journal entry; "; continue; }
  replay=$(on "$dst" "repin replay --json $capture" 2>>"$step_log")
  echo "$replay" >>"$step_log"
  got_changes=$(field "$replay" changes) want_changes=$(field "$entry" changes)
  got_pins=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["output"] or "")' "$replay" 2>/dev/null | python3 "$here/pins.py" pins 2>/dev/null)
  if [[ $got_changes != "$want_changes" ]]; then problems+="$key: replay's changes $got_changes, the hook's $want_changes; "
  elif [[ $got_pins != "${arrived[$key]}" ]]; then problems+="$key: replay's output pins $got_pins, the guest arrived with ${arrived[$key]}; "
  else replayed=$((replayed + 1)); fi
done
if [[ -n $problems ]]; then fail "$problems"
elif ((replayed == 0)); then fail "no rewrite cell to replay"
else pass; fi

# --- 8 ---------------------------------------------------------------------------
step "8 repin install by hand on a role-deployed host has nothing to do" hv-a hv-c
problems=
for h in hv-a hv-c; do
  snapshot=$(repin_places "$h")
  out=$(on "$h" 'repin install' 2>&1); rc=$?
  printf '%s: repin install exit %s\n%s\n' "$h" "$rc" "$out" >>"$step_log"
  diffs=$(diff <(echo "$snapshot") <(repin_places "$h") | grep '^[<>]' | head -5)
  if ((rc != 0)); then problems+="$h: repin install exited $rc ($(tail -1 <<<"$out")); "
  elif [[ -n $diffs ]]; then problems+="$h: repin install changed what the role wrote: $(tr '\n' ' ' <<<"$diffs"); "; fi
  # Put the role's files back (whatever repin install did) for the last step.
  play "$repo/ansible/site.yml" -l "$h"
done
if [[ -n $problems ]]; then fail "$problems"; else pass; fi

# --- 9 ---------------------------------------------------------------------------
step "9 uninstall.yml leaves each host as before step 2, libvirt still running the guests"
for g in "${guests[@]}"; do on "${home[$g]}" "virsh -q start $g" >>"$step_log" 2>&1; done
declare -A qpid_before
for g in "${guests[@]}"; do qpid_before[$g]=$(qemu_threads "${home[$g]}" "$g" | head -1); done
pids_before=$(for h in "${hosts[@]}"; do daemon_pid "$h"; done)
play "$repo/ansible/uninstall.yml"; rc=$?
problems=
for h in "${hosts[@]}"; do
  d=$(diff <(echo "${before_places[$h]}") <(repin_places "$h") | grep '^[<>]' | head -6)
  [[ -z $d ]] || { problems+="$h differs from before step 2: $(tr '\n' ' ' <<<"$d"); "; printf '%s:\n%s\n' "$h" "$d" >>"$step_log"; }
done
for g in "${guests[@]}"; do
  [[ $(state "${home[$g]}" "$g") == running && $(qemu_threads "${home[$g]}" "$g" | head -1) == "${qpid_before[$g]}" ]] ||
    problems+="$g no longer runs (same QEMU) on ${home[$g]}; "
done
if ((rc != 0)); then fail "uninstall.yml failed"
elif [[ -n $problems ]]; then fail "$problems"
elif [[ $(for h in "${hosts[@]}"; do daemon_pid "$h"; done) != "$pids_before" ]]; then fail "libvirtd restarted"
else pass; fi

# --- report ------------------------------------------------------------------
echo "---- hook time on the target (journal durationMs), share of each migration's wall time"
printf '%s\n' "${timings[@]}"
printf '%s\n' "${timings[@]}" | python3 -c '
import statistics, sys
v = sorted(float(l.split()[-1].rstrip("%")) for l in sys.stdin if l.strip().endswith("%"))
if v:
    print("%d migrations: hook share %.1f%% to %.1f%%, median %.1f%%" % (len(v), v[0], v[-1], statistics.median(v)))'
echo "----"
log "finished in $((SECONDS - started)) s"
echo "$passed passed, $failed failed"
((failed == 0))
