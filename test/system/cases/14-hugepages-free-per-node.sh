# 14. A hugepage-backed guest (2 MiB pages, memory bound to node 0) needs as
# many free pages on the destination's node as it has memory: with too few,
# repin refuses with the numbers and the guest keeps running on the source;
# once the pool holds enough, the same migration goes through unchanged.
# The machine's page pool is restored afterwards.
# shellcheck source=/dev/null
source "$SYS/lib/fit.sh"

fit_hugepage_guest() {
  local file
  file=$(guest_xml "$1" vcpus=1 "pin0=$KEPT")
  fit_insert "$file" '<vcpu ' "  <memoryBacking><hugepages><page size='2048' unit='KiB'/></hugepages></memoryBacking>"
  fit_insert "$file" '<os>' "  <numatune><memory mode='strict' nodeset='0'/></numatune>"
  printf '%s' "$file"
}

case_hugepages_free_per_node() {
  local vm=$CASE file free out
  # The name is expanded now: at exit this function's locals are gone (and run.sh runs under set -u).
  # shellcheck disable=SC2064
  trap "fit_hugepage_cleanup '$vm'" EXIT
  fit_hugetlbfs_mount
  set_policy remap
  # The guest has 64 MiB: 32 pages. 48 reserved: the source's copy leaves 16.
  fit_hugepages_reserve 48
  file=$(fit_hugepage_guest "$vm")
  out=$(vsh src create "$file" 2>&1) || fail "could not start hugepage-backed $vm on src: $out"
  free=$(fit_hugepages_free)
  note "huge pages free with the guest on src: $free of 48"
  ((free < 32)) || fail "the source guest left $free free pages, want fewer than 32"
  if migrate "$vm"; then fail "migration succeeded with $free free pages for a guest needing 32"; fi
  grep -q "repin: $vm: numatune memory: node 0 has $free free 2048 kB pages, the guest needs 32" "$T/migrate.out" ||
    fail "virsh error lacks repin's numbers: $(cat "$T/migrate.out")"
  note "virsh: $(grep -o 'repin:.*' "$T/migrate.out" | head -n1)"
  expect_running src "$vm"
  expect_absent dst "$vm"
  expect_journal "$vm" migrate refused

  fit_hugepages_reserve 80
  free=$(fit_hugepages_free)
  note "huge pages free after growing the pool: $free"
  migrate "$vm" || fail "migration failed with $free free pages: $(cat "$T/migrate.out")"
  expect_migrated_ok "$vm"
  expect_journal "$vm" migrate unchanged
  vsh dst dumpxml "$vm" | grep -q "<page size='2048' unit='KiB'/>" || fail "the guest on dst is not hugepage-backed"
}
register_case hugepages-free-per-node case_hugepages_free_per_node
