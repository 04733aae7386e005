# 13. An operator's re-pin sticks: after A→B→A restored a guest's original pins,
# the operator moves vCPU 1 by hand on the source (virsh vcpupin --live). The
# record still names vCPU 1's first CPU, but repin wrote that CPU there itself,
# and vCPU 1 now holds something else: the next A→B→A brings vCPU 1 back where
# the operator put it, while vCPU 0 is again restored to its original.
case_operator_repin_sticks() {
  local vm=$CASE out
  set_policy remap
  guest_start src "$vm" "pin0=$MISSING" "pin1=$KEPT"
  migrate "$vm" || fail "first migration to dst failed: $(cat "$T/migrate.out")"
  migrate_back "$vm" || fail "first migration back failed: $(cat "$T/migrate.out")"
  cpuset_equal "$(vcpupin_of src "$vm" 1)" "$KEPT" || fail "vCPU 1 on src pinned to '$(vcpupin_of src "$vm" 1)' after the first round trip, want $KEPT"

  out=$(vsh src vcpupin "$vm" 1 "$MISSING" --live 2>&1) || fail "virsh vcpupin $vm 1 $MISSING --live: $out"
  migrate "$vm" || fail "second migration to dst failed: $(cat "$T/migrate.out")"
  expect_vcpupins_within dst "$vm" "$DST_CPUS"
  migrate_back "$vm" || fail "second migration back failed: $(cat "$T/migrate.out")"
  expect_running src "$vm"
  cpuset_equal "$(vcpupin_of src "$vm" 0)" "$MISSING" || fail "vCPU 0 on src pinned to '$(vcpupin_of src "$vm" 0)', want its original $MISSING"
  cpuset_equal "$(vcpupin_of src "$vm" 1)" "$MISSING" ||
    fail "vCPU 1 on src pinned to '$(vcpupin_of src "$vm" 1)', want $MISSING where the operator put it (not its first CPU $KEPT)"
  expect_threads_within src "$vm" '^CPU [01]/(TCG|KVM)$' "$MISSING" 2
  expect_journal "$vm" migrate rewritten src
}
register_case operator-repin-sticks case_operator_repin_sticks
