# 7. Peer-to-peer migration: the source libvirtd talks to the destination's
# over TCP (127.0.0.1, auth none) and drives the migration itself.
case_p2p_tcp() {
  local vm=$CASE port
  set_policy remap
  guest_start src "$vm" "pin0=$KEPT" "pin1=$MISSING"
  port=$(free_port)
  VIRSH_TIMEOUT=120 vsh src migrate --live --p2p "$vm" "$(host_tcp_uri dst)" \
    --migrateuri "tcp://127.0.0.1:$port" --listen-address 127.0.0.1 >"$T/migrate.out" 2>&1 ||
    fail "p2p migration failed: $(cat "$T/migrate.out")"
  expect_migrated_ok "$vm"
  expect_vcpupins_within dst "$vm" "$DST_CPUS"
  expect_vcpu_threads_within dst "$vm" "$DST_CPUS"
  expect_journal "$vm" migrate rewritten
}
register_case p2p-tcp case_p2p_tcp
