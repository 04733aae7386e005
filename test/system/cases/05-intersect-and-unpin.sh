# 5. intersect keeps the part of a pin the destination has and releases a pin
# it has none of; unpin releases pins that do not fit. Both migrate.
case_intersect_and_unpin() {
  local vm=$CASE-intersect pin
  set_policy intersect
  guest_start src "$vm" "pin0=$SRC_CPUS" "pin1=$MISSING"
  migrate "$vm" || fail "intersect: migration failed: $(cat "$T/migrate.out")"
  expect_migrated_ok "$vm"
  pin=$(vcpupin_of dst "$vm" 0)
  cpuset_equal "$pin" "$DST_CPUS" || fail "intersect: vcpupin 0 is '$pin', want $SRC_CPUS ∩ $DST_CPUS = $DST_CPUS"
  pin=$(vcpupin_of dst "$vm" 1)
  [[ -z $pin ]] || fail "intersect: vcpupin 1 is '$pin', want released (no pin)"
  expect_vcpu_threads_within dst "$vm" "$DST_CPUS"
  expect_journal "$vm" migrate rewritten

  vm=$CASE-unpin
  set_policy unpin
  guest_start src "$vm" "pin0=$KEPT" "pin1=$MISSING"
  migrate "$vm" || fail "unpin: migration failed: $(cat "$T/migrate.out")"
  expect_migrated_ok "$vm"
  pin=$(vcpupin_of dst "$vm" 1)
  [[ -z $pin ]] || fail "unpin: vcpupin 1 is '$pin', want released (no pin)"
  pin=$(vcpupin_of dst "$vm" 0)
  [[ -z $pin ]] || cpuset_within "$pin" "$DST_CPUS" || fail "unpin: vcpupin 0 is '$pin', outside $DST_CPUS"
  expect_vcpu_threads_within dst "$vm" "$DST_CPUS"
  expect_journal "$vm" migrate rewritten
}
register_case intersect-and-unpin case_intersect_and_unpin
