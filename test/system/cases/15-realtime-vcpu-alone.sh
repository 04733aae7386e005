# 15. A realtime vCPU (vcpusched fifo) pinned to the CPU the destination
# lacks: remap gives it the destination's free CPU to itself; with the
# emulator pinned to that CPU nothing is free, and remap and intersect both
# refuse rather than share it. Where libvirt cannot give the vCPU thread
# SCHED_FIFO on this machine (no privilege or no realtime budget), the
# guest cannot start on the source; then the destination's hook is run on
# the guest's XML as libvirt would run it, and the placement is proven from
# the XML the destination's libvirt accepts (virsh define), which the case
# says.
# shellcheck source=/dev/null
source "$SYS/lib/fit.sh"

# fit_realtime_guest NAME [guest_xml options...]: one realtime vCPU.
fit_realtime_guest() {
  local file
  file=$(guest_xml "$@")
  fit_insert "$file" '</cputune>' "    <vcpusched vcpus='0' scheduler='fifo' priority='1'/>"
  printf '%s' "$file"
}

# fit_expect_alone HOST NAME XMLFILE: vCPU 0 pinned to one CPU no other pin of the XML names.
fit_expect_alone() {
  local xml=$3 pin others cpu
  pin=$(grep -oE "<vcpupin vcpu='0' cpuset='[^']*'" "$xml" | cut -d"'" -f4)
  [[ $pin =~ ^[0-9]+$ ]] || fail "$2 on $1: realtime vCPU 0 pinned to '$pin', not one CPU"
  cpuset_within "$pin" "$DST_CPUS" || fail "$2 on $1: realtime vCPU 0 on $pin, outside $DST_CPUS"
  others=$(grep -oE "<(vcpupin vcpu='[1-9][0-9]*'|emulatorpin|iothreadpin)[^>]*cpuset='[^']*'" "$xml" | grep -oE "cpuset='[^']*'" | cut -d"'" -f2 || true)
  for cpu in $others; do
    if cpuset_within "$pin" "$cpu"; then fail "$2 on $1: CPU $pin of realtime vCPU 0 is also in another pin ($cpu)"; fi
  done
  grep -q "<vcpusched vcpus='0' scheduler='fifo' priority='1'/>" "$xml" || fail "$2 on $1: vcpusched was changed or lost"
  note "$2 on $1: realtime vCPU 0 alone on CPU $pin"
}

case_realtime_vcpu_alone() {
  local vm=$CASE file out
  set_policy remap
  file=$(fit_realtime_guest "$vm" vcpus=1 "pin0=$MISSING")
  if out=$(vsh src create "$file" 2>&1); then
    migrate "$vm" || fail "migration failed: $(cat "$T/migrate.out")"
    expect_migrated_ok "$vm"
    vsh dst dumpxml "$vm" >"$T/xml/$vm.dst.xml"
    fit_expect_alone dst "$vm" "$T/xml/$vm.dst.xml"
    expect_vcpu_threads_within dst "$vm" "$(vcpupin_of dst "$vm" 0)" 1
    expect_journal "$vm" migrate rewritten
    note "the vCPU thread's policy on dst: $(chrt -p "$(thread_affinity dst "$vm" '^CPU 0/' | cut -d' ' -f1)" 2>&1 | head -n1)"
  else
    note "libvirt could not start a SCHED_FIFO vCPU on this machine ($(echo "$out" | tail -n1)); proving the placement from the XML the destination's libvirt accepts"
    host_exec dst /etc/libvirt/hooks/qemu "$vm" migrate begin - <"$file" >"$T/xml/$vm.hook.xml" || fail "the destination's hook failed on $vm"
    [[ -s $T/xml/$vm.hook.xml ]] || fail "the destination's hook left $vm unchanged, want a rewrite"
    out=$(vsh dst define "$T/xml/$vm.hook.xml" 2>&1) || fail "the destination's libvirt refused the hook's XML: $out"
    vsh dst dumpxml --inactive "$vm" >"$T/xml/$vm.dst.xml"
    fit_expect_alone dst "$vm" "$T/xml/$vm.dst.xml"
    expect_journal "$vm" migrate rewritten
  fi

  # The emulator pinned to the destination's CPU: the realtime vCPU cannot have one of its own.
  # The first guest goes first, so that only this guest's own pins are in the way.
  vsh dst destroy "$vm" >/dev/null 2>&1 || true
  vsh dst undefine "$vm" >/dev/null 2>&1 || true
  vm=$CASE-full
  for policy in remap intersect; do
    set_policy "$policy"
    file=$(fit_realtime_guest "$vm-$policy" vcpus=1 "pin0=$MISSING" "emulatorpin=$DST_CPUS")
    if vsh src create "$file" >/dev/null 2>&1; then
      if migrate "$vm-$policy"; then fail "$policy: migration succeeded though the realtime vCPU would share a CPU"; fi
      grep -q 'repin: .*realtime' "$T/migrate.out" || fail "$policy: virsh error lacks repin's realtime message: $(cat "$T/migrate.out")"
      note "$policy, virsh: $(grep -o 'repin:.*' "$T/migrate.out" | head -n1)"
      expect_running src "$vm-$policy"
      expect_absent dst "$vm-$policy"
    else
      if out=$(host_exec dst /etc/libvirt/hooks/qemu "$vm-$policy" migrate begin - <"$file" 2>&1); then
        fail "$policy: the destination's hook accepted a realtime vCPU that would share a CPU: $out"
      fi
      echo "$out" | grep -q 'realtime' || fail "$policy: the hook's refusal does not say realtime: $out"
      note "$policy, hook (no SCHED_FIFO here): $(echo "$out" | grep -o 'repin:.*' | head -n1)"
    fi
    expect_journal "$vm-$policy" migrate refused
  done
}
register_case realtime-vcpu-alone case_realtime_vcpu_alone
