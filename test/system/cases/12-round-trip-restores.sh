# 12. A→B→A: remap on the way in records the guest's original pins in its
# <metadata>, which libvirt carries with the live definition; on the way back
# the source's own repin hook finds the original pins fit again and restores
# them exactly — the vCPU threads run where they ran before the first move.
case_round_trip_restores() {
  local vm=$CASE xml
  set_policy remap
  guest_start src "$vm" "pin0=$MISSING" "pin1=$KEPT"
  migrate "$vm" || fail "migration to dst failed: $(cat "$T/migrate.out")"
  expect_migrated_ok "$vm"
  expect_vcpupins_within dst "$vm" "$DST_CPUS"
  expect_journal "$vm" migrate rewritten
  xml=$(vsh dst dumpxml "$vm")
  grep -q 'urn:repin:original:' <<<"$xml" || fail "the live definition on dst carries no repin original-placement record"

  migrate_back "$vm" || fail "migration back to src failed: $(cat "$T/migrate.out")"
  expect_running src "$vm"
  expect_absent dst "$vm"
  cpuset_equal "$(vcpupin_of src "$vm" 0)" "$MISSING" || fail "vCPU 0 on src pinned to '$(vcpupin_of src "$vm" 0)', want its original $MISSING"
  cpuset_equal "$(vcpupin_of src "$vm" 1)" "$KEPT" || fail "vCPU 1 on src pinned to '$(vcpupin_of src "$vm" 1)', want its original $KEPT"
  expect_threads_within src "$vm" '^CPU 0/(TCG|KVM)$' "$MISSING" 1
  expect_threads_within src "$vm" '^CPU 1/(TCG|KVM)$' "$KEPT" 1
  expect_journal "$vm" migrate rewritten src
}
register_case round-trip-restores case_round_trip_restores
