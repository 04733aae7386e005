# 6. virsh save on the source, virsh restore on the smaller destination:
# repin's `restore begin` filter makes the restore succeed.
case_save_restore() {
  local vm=$CASE file=$T/shared/$CASE.save out
  set_policy remap
  guest_start src "$vm" "pin0=$KEPT" "pin1=$MISSING"
  out=$(VIRSH_TIMEOUT=120 vsh src save "$vm" "$file" 2>&1) || fail "virsh save failed: $out"
  expect_absent src "$vm"
  out=$(VIRSH_TIMEOUT=120 vsh dst restore "$file" 2>&1) || fail "virsh restore on dst failed: $out"
  expect_running dst "$vm"
  expect_vcpupins_within dst "$vm" "$DST_CPUS"
  expect_vcpu_threads_within dst "$vm" "$DST_CPUS"
  expect_journal "$vm" restore rewritten
}
register_case save-restore case_save_restore
