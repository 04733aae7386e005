# 3. A guest that already fits migrates with repin printing nothing.
case_fitting_guest_unchanged() {
  local vm=$CASE
  set_policy remap
  guest_start src "$vm" "pin0=$KEPT" "pin1=$DST_CPUS"
  migrate "$vm" || fail "migration failed: $(cat "$T/migrate.out")"
  expect_migrated_ok "$vm"
  expect_journal "$vm" migrate unchanged
  expect_tainted_by_hook "$vm" no
  [[ "$(vcpupin_of dst "$vm" 0)" == "$KEPT" ]] || fail "vcpupin 0 changed to '$(vcpupin_of dst "$vm" 0)'"
  expect_vcpu_threads_within dst "$vm" "$DST_CPUS"
}
register_case fitting-guest-unchanged case_fitting_guest_unchanged
