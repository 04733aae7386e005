# 8. <vcpu cpuset>, emulatorpin and iothreadpin all out of range in one guest
# are all fixed by one migration.
case_emulator_iothread_vcpu_cpuset() {
  local vm=$CASE attr elem changes
  set_policy remap
  guest_start src "$vm" "vcpu_cpuset=$MISSING" "emulatorpin=$MISSING" "iothreadpin=$MISSING"
  migrate "$vm" || fail "migration failed: $(cat "$T/migrate.out")"
  expect_migrated_ok "$vm"
  for elem in vcpu emulatorpin iothreadpin; do
    attr=$(live_attr dst "$vm" "$elem" cpuset)
    [[ -z $attr ]] || cpuset_within "$attr" "$DST_CPUS" || fail "<$elem cpuset='$attr'> outside $DST_CPUS"
    note "<$elem cpuset='$attr'>"
  done
  expect_vcpu_threads_within dst "$vm" "$DST_CPUS"
  expect_threads_within dst "$vm" '^IO iothread' "$DST_CPUS" 1
  expect_threads_within dst "$vm" '^qemu-system' "$DST_CPUS" 1
  expect_journal "$vm" migrate rewritten
  changes=$(journal_field "$vm" migrate changes)
  for elem in vcpu emulatorpin iothreadpin; do
    [[ $changes == *"\"element\":\"$elem\""* ]] || fail "journal changes lack element $elem: $changes"
  done
}
register_case emulator-iothread-vcpu-cpuset case_emulator_iothread_vcpu_cpuset
