# Guests of the fleet lab and what is observed of them (sourced by run.sh):
# diskless TCG guests, 64 MiB, 2 vCPUs and an I/O thread, on a machine type
# both QEMU 7.2 (Debian 12) and QEMU 10 (Debian 13) know, so they can migrate
# both ways. Needs on/uri from hosts.sh, $here, $work, $step_log.

declare -A home pins_of
guests=()

# guest_xml NAME VCPU_CPUSET VCPU0 VCPU1 EMULATOR IOTHREAD: the definition (VCPU_CPUSET may be empty).
guest_xml() {
  local cpuset=
  [[ -z $2 ]] || cpuset=" cpuset='$2'"
  cat <<EOF
<domain type='qemu'>
  <name>$1</name>
  <memory unit='MiB'>64</memory>
  <vcpu placement='static'$cpuset>2</vcpu>
  <iothreads>1</iothreads>
  <cputune>
    <vcpupin vcpu='0' cpuset='$3'/>
    <vcpupin vcpu='1' cpuset='$4'/>
    <emulatorpin cpuset='$5'/>
    <iothreadpin iothread='1' cpuset='$6'/>
  </cputune>
  <os><type arch='x86_64' machine='pc-i440fx-7.2'>hvm</type></os>
  <on_reboot>restart</on_reboot>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <controller type='usb' model='none'/>
    <memballoon model='none'/>
  </devices>
</domain>
EOF
}

# define_guest NAME HOME VCPU_CPUSET VCPU0 VCPU1 EMULATOR IOTHREAD: define it (shut off) on HOME.
define_guest() {
  local name=$1 h=$2
  guests+=("$name")
  home[$name]=$h
  guest_xml "$name" "${@:3}" | on "$h" "cat >/tmp/$name.xml && virsh -q define /tmp/$name.xml && rm /tmp/$name.xml" >>"$step_log" 2>&1
}

# live_pins HOST GUEST [--inactive]: the guest's pins on HOST (pins.py JSON), from its live (or saved) XML.
live_pins() { on "$1" "virsh -q dumpxml ${3:-} $2" 2>>"$step_log" | python3 "$here/pins.py" pins 2>>"$step_log"; }

# state HOST GUEST: `virsh domstate` (empty when HOST does not know the guest).
state() { on "$1" "virsh -q domstate $2 2>/dev/null" | head -1; }

# qemu_threads HOST GUEST: the guest's QEMU pid on the first line, then one
# "tid<TAB>comm<TAB>Cpus_allowed_list" line per thread.
qemu_threads() {
  on "$1" "pid=\$(cat /run/libvirt/qemu/$2.pid) && echo \$pid && for t in /proc/\$pid/task/*; do
    printf '%s\t%s\t%s\n' \"\${t##*/}\" \"\$(cat \$t/comm)\" \"\$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' \$t/status)\"; done"
}

# threads_fit HOST GUEST PINS: every QEMU thread of GUEST on HOST within HOST's CPUs and on its pin's CPUs.
threads_fit() {
  local out qpid
  out=$(qemu_threads "$1" "$2") || { echo "no QEMU process for $2 on $1"; return 1; }
  qpid=$(head -1 <<<"$out")
  tail -n +2 <<<"$out" | python3 "$here/pins.py" threads "$3" "${cpus_of[$1]}" "$qpid"
}

# now_ms: wall clock in milliseconds.
now_ms() { date +%s%3N; }

# migrate SRC DST GUEST [VIRSH_FLAGS...]: live migration run on SRC as an operator would,
# everything on loopback. Sets mig_rc, mig_err (virsh's error) and mig_ms (wall time).
migrate() {
  local src=$1 dst=$2 g=$3 t0
  t0=$(now_ms)
  mig_err=$(on "$src" "virsh migrate --live ${*:4} $g $(uri "$dst") --listen-address 127.0.0.1 --migrateuri tcp://127.0.0.1 2>&1 >/dev/null")
  mig_rc=$?
  mig_ms=$(($(now_ms) - t0))
  printf '%s: virsh migrate %s %s -> %s: rc=%s in %s ms %s\n' "$(date -u +%T)" "$g" "$src" "$dst" "$mig_rc" "$mig_ms" "$mig_err" >>"$step_log"
}

# last_hook HOST GUEST OP: the hook's last journal entry (JSON) for GUEST and OP on HOST, read with `repin journal`.
last_hook() {
  on "$1" "repin journal --json --domain $2 --limit 50" 2>>"$step_log" | python3 -c '
import json, sys
hits = [e for e in (json.loads(l) for l in sys.stdin if l.strip().startswith("{")) if e.get("op") == sys.argv[1]]
if hits:
    print(json.dumps(hits[-1], sort_keys=True))
' "$3"
}

# field JSON KEY: one top-level field of a JSON object, as text.
field() { python3 -c 'import json,sys; v=json.loads(sys.argv[1]).get(sys.argv[2]); print(v if not isinstance(v,(dict,list)) else json.dumps(v, sort_keys=True))' "$1" "$2" 2>/dev/null; }

# timing LABEL HOST GUEST: one line of the hook-time report for the migration just done
# (the target's journal durationMs against the migration's wall time).
timings=()
timing() {
  local entry ms
  entry=$(last_hook "$2" "$3" migrate)
  ms=$(field "$entry" durationMs)
  [[ -n $ms ]] || ms=?
  timings+=("$(printf '%-34s wall %6s ms  hook %7s ms  %s' "$1" "$mig_ms" "$ms" \
    "$(python3 -c 'import sys; print("%.1f%%" % (100 * float(sys.argv[1]) / float(sys.argv[2])))' "$ms" "$mig_ms" 2>/dev/null || echo '?')")")
}
