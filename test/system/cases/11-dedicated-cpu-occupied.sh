# 11. (issue 8) A dedicated CPU another guest already holds on the destination
# does not fit: the destination (for this case rebooted with every CPU, like
# the source, outside its one-CPU cgroup) runs a guest whose vCPU is dedicated to CPU $MISSING; an incoming
# guest dedicated to the same CPU on the source migrates in and repin (remap)
# moves it to a free CPU, so the two guests' vCPU threads never share one.

# vcpu_thread_cpus HOST NAME: the union of the CPUs its vCPU threads may run on.
vcpu_thread_cpus() {
  local lines line all=''
  lines=$(thread_affinity "$1" "$2" '^CPU [0-9]+/(TCG|KVM)$') || return 1
  [[ -n $lines ]] || return 1
  while IFS= read -r line; do all+="${all:+,}${line#*|}"; done <<<"$lines"
  cpuset_expand "$all" | tr ' ' ,
}

# The destination back in its one-CPU cgroup (also when the case fails).
restore_small_dst() {
  host_reboot dst "$CGROUP_PROCS" >/dev/null 2>&1 || echo "    WARNING: could not restart dst in its cgroup ($CGROUP_DIR)" >&2
}

case_dedicated_cpu_occupied() {
  local vm=$CASE occupant=$CASE-occupant held=$MISSING hook new mine theirs rule cpu reservations
  hook=$(host_root dst)/etc/hooks/qemu
  [[ -x $hook ]] || fail "$hook is missing: a restarted libvirtd would run without repin"
  reservations=$(host_root dst)/repin-run/reservations.json # dst's /run/repin
  [[ ! -s $reservations ]] || note "dst's CPU reservations before the reboot: $(head -c 300 "$reservations")"
  trap restore_small_dst EXIT
  host_reboot dst - || fail "could not restart dst with all CPUs"
  note "dst rebooted outside its cgroup: CPUs $SRC_CPUS"
  set_policy remap

  guest_start dst "$occupant" vcpus=1 "pin0=$held"
  theirs=$(vcpu_thread_cpus dst "$occupant") || fail "no vCPU thread found for $occupant"
  [[ $theirs == "$held" ]] || fail "$occupant's vCPU thread runs on '$theirs', want only $held"

  guest_start src "$vm" vcpus=1 "pin0=$held"
  migrate "$vm" || fail "migration failed: $(cat "$T/migrate.out")"
  expect_migrated_ok "$vm"
  expect_running dst "$occupant"
  expect_journal "$vm" migrate rewritten

  new=$(vcpupin_of dst "$vm" 0)
  [[ -n $new ]] || fail "$vm lost its vcpupin; want a dedicated CPU other than $held"
  [[ $new =~ ^[0-9]+$ ]] || fail "$vm's vcpupin 0 is '$new', want one (dedicated) CPU"
  [[ $new != "$held" ]] || fail "$vm's vcpupin 0 stayed on $held, which $occupant holds"
  cpuset_within "$new" "$SRC_CPUS" || fail "$vm's vcpupin 0 is $new, not a CPU of dst ($SRC_CPUS)"
  # shellcheck disable=SC2016 # JavaScript's template literal, not the shell's
  rule=$(journal_field "$vm" migrate changes | node -e '
    const changes = JSON.parse(require("fs").readFileSync(0, "utf8"));
    const c = changes.find((x) => x.element === "vcpupin" && x.id === 0);
    if (c) console.log(`${c.old}|${c.new}|${c.rule}`);')
  [[ -n $rule ]] || fail "journal has no vcpupin change for vCPU 0: $(journal_field "$vm" migrate changes)"
  note "journal change: $rule"
  [[ ${rule%%|*} == "$held" && $(cut -d'|' -f2 <<<"$rule") == "$new" ]] ||
    fail "journal change for vCPU 0 is '$rule', want $held → $new"
  [[ ${rule#*|*|} == *"→$new"* ]] || fail "journal rule '${rule#*|*|}' does not name the substitute $new"

  # Ground truth: the kernel's affinity of both guests' vCPU threads.
  mine=$(vcpu_thread_cpus dst "$vm") || fail "no vCPU thread found for $vm"
  theirs=$(vcpu_thread_cpus dst "$occupant") || fail "no vCPU thread found for $occupant"
  note "vCPU threads: $vm on $mine, $occupant on $theirs"
  for cpu in ${mine//,/ }; do
    [[ ",$theirs," != *",$cpu,"* ]] || fail "$vm's vCPU threads ($mine) overlap $occupant's ($theirs) on CPU $cpu"
  done
  cpuset_equal "$mine" "$new" || fail "$vm's vCPU threads run on $mine, not on its pin $new"
}
register_case dedicated-cpu-occupied case_dedicated_cpu_occupied
