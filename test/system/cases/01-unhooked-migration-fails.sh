# 1. Without repin's output (shadow mode: it plans and journals but prints
# nothing), a vCPU pinned to a CPU the destination lacks makes the migration
# fail and the guest stays on the source: the harness reproduces the problem.
case_unhooked_migration_fails() {
  local vm=$CASE
  set_policy remap '"shadow": true'
  guest_start src "$vm" "pin0=$KEPT" "pin1=$MISSING"
  if migrate "$vm"; then fail "migration succeeded although vCPU 1 is pinned to CPU $MISSING"; fi
  grep -q 'cannot set CPU affinity' "$T/migrate.out" ||
    fail "virsh error lacks 'cannot set CPU affinity': $(cat "$T/migrate.out")"
  note "virsh: $(head -c 300 "$T/migrate.out")"
  expect_running src "$vm"
  expect_absent dst "$vm"
  expect_journal "$vm" migrate shadow
}
register_case unhooked-migration-fails case_unhooked_migration_fails
