# 9. The destination's hook is the built bundle put there by `repin install`
# (setup ran it), not a copy made by this test.
case_installed_by_repin_install() {
  local hook
  hook=$(host_root dst)/etc/hooks/qemu
  [[ -f $hook && -x $hook ]] || fail "$hook is not an executable file"
  [[ "$(head -c 3 "$hook")" == '#!/' ]] || fail "$hook's first line is not an absolute shebang: $(head -n1 "$hook")"
  # $T/dist/repin: the snapshot of dist/repin that ran `install` (see install_hook).
  cmp -s <(tail -n +2 "$hook") <(tail -n +2 "$T/dist/repin") ||
    fail "$hook differs from dist/repin beyond the shebang line"
  grep -qF "$hook" "$T/install.out" || grep -q 'hooks/qemu' "$T/install.out" ||
    fail "repin install did not report the hook it installed: $(cat "$T/install.out")"
  note "repin install said: $(tr '\n' ' ' <"$T/install.out" | head -c 300)"
}
register_case installed-by-repin-install case_installed_by_repin_install
