#!/bin/bash
# repin's system test: real live migrations between two libvirtd "hosts" on
# this machine, the destination with fewer CPUs and repin's built hook
# installed on it by `repin install`. See issue 4 and docs/libvirt-hooks.md.
#
# usage: bash test/system/run.sh           (as root; `npm run test:system`)
#   REPIN_SYSTEST_CASES=regex   run only the cases whose name matches
#   REPIN_SYSTEST_KEEP=1        keep the temp dir (logs, XML, journal)
#
# Adding a case: a file cases/NN-name.sh defining one function that uses the
# helpers in lib/ (guest_start, migrate, expect_*, set_policy, fail) and ends
# with `register_case name function`. A case runs in a subshell under
# `set -e`; between cases every guest on both hosts is removed. Guest names
# start with the case name so a failure's diagnostics find their QEMU logs.
# CPUs: SRC_CPUS (all), DST_CPUS (all but MISSING), KEPT (one CPU both have).
set -euo pipefail

SYS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$SYS/../.." && pwd)
# shellcheck source=/dev/null
for lib in common host guest checks; do source "$SYS/lib/$lib.sh"; done

PACKAGES=(libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients qemu-system-x86 qemu-utils util-linux coreutils)

ensure_packages() {
  local pkg missing=()
  command -v dpkg-query >/dev/null || return 0
  for pkg in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}\n' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  ((${#missing[@]})) || return 0
  say "installing ${missing[*]}"
  local apt=(apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends "${missing[@]}")
  DEBIAN_FRONTEND=noninteractive "${apt[@]}" >/dev/null ||
    { apt-get -o DPkg::Lock::Timeout=600 update >/dev/null && DEBIAN_FRONTEND=noninteractive "${apt[@]}" >/dev/null; }
}

# The destination lacks the lowest CPU this test may use (so a hook that
# assumes CPUs 0..n-1 is caught); the source has them all.
# shellcheck disable=SC2034 # SRC_CPUS, DST_CPUS, MISSING, KEPT: used by cases/
choose_cpus() {
  local all
  all=$(awk '/^Cpus_allowed_list:/ {print $2}' /proc/self/status)
  read -ra all <<<"$(cpuset_expand "$all")"
  if ((${#all[@]} < 2)); then
    echo "need at least 2 usable CPUs, have ${all[*]}" >&2
    return 1
  fi
  SRC_CPUS=$(IFS=,; echo "${all[*]}")
  MISSING=${all[0]}
  DST_CPUS=$(IFS=,; echo "${all[*]:1}")
  KEPT=${all[1]}
}

# Install the hook as an operator would: the build's own `repin install`.
# It runs from a snapshot of dist/ taken once, so a rebuild during the run
# cannot make case 9 compare against a different build. The source gets one
# too: a guest migrated back to it (case 12) meets repin there. Each host's
# builds go in its own lib dir, which the launcher names by absolute path.
install_hook() {
  local host=$1 etc
  etc=$(host_root "$host")/etc
  [[ -s $T/dist/build.json ]] || { mkdir -p "$T/dist" && cp -p "$ROOT"/dist/* "$T/dist/"; }
  node "$T/dist/repin" install --mode main --hooks-dir "$etc/hooks" --lib-dir "$(host_root "$host")/repin-builds" --config "$etc/repin.json" \
    >"$T/install-$host.out" 2>&1 || { cat "$T/install-$host.out" >&2; return 1; }
}

setup() {
  ensure_packages
  [[ -x $ROOT/dist/repin ]] || (cd "$ROOT" && npm run --silent build)
  choose_cpus
  ensure_mount_points
  host_prepare src "$(cat /proc/sys/kernel/random/uuid)"
  host_prepare dst "$(cat /proc/sys/kernel/random/uuid)"
  mkdir -p "$T/shared"
  # Before the daemons start: libvirt finds hooks at start.
  install_hook src
  install_hook dst
  set_policy remap '"shadow": true'
  set_policy remap '' src
  cgroup_create "$DST_CPUS"
  host_start src
  host_start dst "$CGROUP_PROCS"
  say "hosts up: src CPUs $SRC_CPUS, dst CPUs $DST_CPUS (cgroup $CGROUP_DIR); temp dir $T"
}

cleanup() {
  local rc=$?
  set +e
  trap - EXIT INT TERM
  if [[ -z ${SETUP_DONE:-} ]]; then
    say "FAIL setup"
    diagnose setup
    say "0 passed, 1 failed"
    ((rc != 0)) || rc=1
  fi
  host_stop dst
  host_stop src
  cgroup_remove
  remove_created_mount_points
  if [[ -n ${REPIN_SYSTEST_KEEP:-} ]]; then say "kept $T"; else rm -rf "$T"; fi
  exit "$rc"
}

# ---- cases ----------------------------------------------------------------
CASE_NAMES=()
CASE_FUNCS=()
# register_case NAME FUNCTION: cases run in the order they are registered
# (files in cases/ are sourced in name order).
register_case() { CASE_NAMES+=("$1"); CASE_FUNCS+=("$2"); }

# Where each log stood when the current case began, so diagnostics show
# what this case wrote.
declare -A LOG_MARK=()
log_files() { echo "$(host_root src)/log/libvirtd.log" "$(host_root dst)/log/libvirtd.log" "$(journal_file dst)" "$(journal_file src)"; }
mark_logs() {
  local f
  for f in $(log_files); do LOG_MARK[$f]=$({ wc -l <"$f"; } 2>/dev/null || echo 0); done
}
# since_mark FILE LINES: the last LINES lines FILE got since mark_logs.
since_mark() { tail -n "+$((${LOG_MARK[$1]:-0} + 1))" "$1" 2>/dev/null | tail -n "$2" | cut -c1-"${3:-400}"; }

diagnose() {
  local case=$1 h f
  say "---- diagnostics for $case ----"
  [[ ! -s $T/migrate.out ]] || { say "-- last virsh migrate output"; cat "$T/migrate.out"; }
  for h in src dst; do
    say "-- $h libvirtd.log (tail, this case)"
    since_mark "$(host_root "$h")/log/libvirtd.log" 30
    [[ ! -s $(host_root "$h")/libvirtd.stdout ]] || tail -n 5 "$(host_root "$h")/libvirtd.stdout"
  done
  for f in "$(host_root dst)"/log/qemu/"$case"*.log; do
    [[ -e $f ]] || continue
    say "-- dst ${f##*/} (tail)"
    tail -n 15 "$f"
  done
  for h in dst src; do
    say "-- repin journal on $h (this case)"
    if [[ -s $(journal_file "$h") ]]; then since_mark "$(journal_file "$h")" 8 3000; else say "(no journal)"; fi
  done
  say "---- end of diagnostics ----"
}

PASSED=0
FAILED=0
run_case() {
  local name=$1 fn=$2 rc
  : >"$T/migrate.out"
  mark_logs
  set +e
  (
    set -eE
    trap '[[ $BASH_COMMAND == fail* || $BASH_COMMAND == return* ]] || echo "    FAILED at ${BASH_SOURCE[0]##*/}:$LINENO: $BASH_COMMAND" >&2' ERR
    CASE=$name "$fn"
  )
  rc=$?
  set -e
  if ((rc == 0)); then
    say "PASS $name"
    PASSED=$((PASSED + 1))
  else
    say "FAIL $name"
    FAILED=$((FAILED + 1))
    diagnose "$name"
  fi
  host_reset src
  host_reset dst
}

main() {
  [[ $(id -u) == 0 ]] || { echo "run as root" >&2; exit 1; }
  T=$(mktemp -d /tmp/repin-systest.XXXXXX)
  trap cleanup EXIT
  trap 'exit 130' INT TERM
  local start=$SECONDS i
  setup
  SETUP_DONE=1
  # shellcheck source=/dev/null
  for f in "$SYS"/cases/*.sh; do source "$f"; done
  for i in "${!CASE_NAMES[@]}"; do
    [[ ${CASE_NAMES[$i]} =~ ${REPIN_SYSTEST_CASES:-.} ]] || continue
    run_case "${CASE_NAMES[$i]}" "${CASE_FUNCS[$i]}"
  done
  say "($((SECONDS - start)) s)"
  say "$PASSED passed, $FAILED failed"
  ((FAILED == 0))
}

main "$@"
