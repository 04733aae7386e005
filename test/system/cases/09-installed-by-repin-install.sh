# 9. The destination's hook is the built bundle put there by `repin install`
# (setup ran it, leaving out the CLI's payload), not a copy made by this test.
case_installed_by_repin_install() {
  local hook
  hook=$(host_root dst)/etc/hooks/qemu
  [[ -f $hook && -x $hook ]] || fail "$hook is not an executable file"
  [[ "$(head -c 3 "$hook")" == '#!/' ]] || fail "$hook's first line is not an absolute shebang: $(head -n1 "$hook")"
  # $T/dist/repin: the snapshot of dist/repin that ran `install` (see install_hook). The hook is
  # that bundle after its shebang, up to the CLI's payload, which a hook call never runs.
  local cli
  cli=$(grep -n -m1 '^// ---- repin payload cli:' "$T/dist/repin" | cut -d: -f1)
  [[ -n $cli ]] || fail "dist/repin has no CLI payload section"
  ! grep -q '^// ---- repin payload cli:' "$hook" || fail "$hook still carries the CLI's payload"
  cmp -s <(tail -n +2 "$hook") <(head -n $((cli - 1)) "$T/dist/repin" | tail -n +2) ||
    fail "$hook differs from dist/repin (after the shebang, before the CLI's payload)"
  grep -qF "$hook" "$T/install-dst.out" || grep -q 'hooks/qemu' "$T/install-dst.out" ||
    fail "repin install did not report the hook it installed: $(cat "$T/install-dst.out")"
  note "repin install said: $(tr '\n' ' ' <"$T/install-dst.out" | head -c 300)"
  # And made the hook's code cache for this build, root-only, where the hook reads it under libvirt.
  local build cache
  build=$(sed -n 's/^\/\/ ---- repin payload hook: .* build \([0-9a-f]\{16\}\)$/\1/p' "$hook")
  [[ -n $build ]] || fail "$hook has no build id on its payload mark"
  cache=$CODE_CACHE_DIR/hook-$build.v8
  grep -qE "^(wrote|kept) code cache $cache" "$T/install-dst.out" || fail "repin install made no code cache: $(cat "$T/install-dst.out")"
  [[ -f $cache && $(stat -c %a "$cache") == 600 ]] || fail "$cache is missing or not mode 600"
}
register_case installed-by-repin-install case_installed_by_repin_install
