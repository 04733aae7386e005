# 2. policy remap: the same migration succeeds and every vCPU really runs on
# the destination's CPUs.
case_remap_migrates() {
  local vm=$CASE
  set_policy remap
  guest_start src "$vm" "pin0=$KEPT" "pin1=$MISSING"
  migrate "$vm" || fail "migration failed: $(cat "$T/migrate.out")"
  expect_migrated_ok "$vm"
  expect_vcpupins_within dst "$vm" "$DST_CPUS"
  expect_vcpu_threads_within dst "$vm" "$DST_CPUS"
  expect_journal "$vm" migrate rewritten
  # The hook libvirt ran used the code cache repin install made (case 9 checks the file).
  [[ $(journal_field "$vm" migrate codeCache) == used ]] || fail "the hook call did not use the code cache: $(journal_field "$vm" migrate codeCache || true)"
  expect_tainted_by_hook "$vm" yes
  sleep 1
  expect_running dst "$vm"
}
register_case remap-migrates case_remap_migrates
