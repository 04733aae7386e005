# 4. policy strict refuses with repin's own message in virsh's error; the
# guest keeps running on the source.
case_strict_refuses() {
  local vm=$CASE
  set_policy strict
  guest_start src "$vm" "pin0=$KEPT" "pin1=$MISSING"
  if migrate "$vm"; then fail "migration succeeded under policy strict"; fi
  grep -q 'repin:' "$T/migrate.out" || fail "virsh error lacks repin's message: $(cat "$T/migrate.out")"
  grep -q 'vcpupin vcpu=1' "$T/migrate.out" || fail "repin's message does not name 'vcpupin vcpu=1': $(cat "$T/migrate.out")"
  note "virsh: $(grep -o 'repin:.*' "$T/migrate.out" | head -n1)"
  expect_running src "$vm"
  expect_absent dst "$vm"
  expect_journal "$vm" migrate refused
}
register_case strict-refuses case_strict_refuses
