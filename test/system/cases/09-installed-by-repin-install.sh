# 9. The destination's hook is the launcher `repin install` wrote (setup ran
# it), running a whole copy of the build that ran install, not a file this
# test made.
case_installed_by_repin_install() {
  local hook build id
  hook=$(host_root dst)/etc/hooks/qemu
  [[ -f $hook && -x $hook ]] || fail "$hook is not an executable file"
  [[ "$(head -c 3 "$hook")" == '#!/' ]] || fail "$hook's first line is not an absolute shebang: $(head -n1 "$hook")"
  # $T/dist: the snapshot of dist/ that ran `install` (see install_hook).
  id=$(node -p "require('$T/dist/build.json').buildId")
  sed -n 2p "$hook" | grep -q "^// repin .* hook, build $id: runs " || fail "$hook does not name build $id: $(sed -n 2p "$hook")"
  build=$(host_root dst)/repin-builds/$id
  local f
  for f in repin hook.js hook-run.js xmldom.js package.json build.json; do
    cmp -s "$build/$f" "$T/dist/$f" || fail "$build/$f differs from the build that ran install"
  done
  grep -q "^require(\"$build/hook.js\");$" "$hook" || fail "$hook does not require $build/hook.js"
  # And the hook's code cache, made with the node the hook runs.
  head -c 200 "$build/hook-run.v8" | head -n1 | grep -q "^repin code cache: node $(readlink -f "$(sed -n '1s/^#!//p' "$hook")") " ||
    fail "no code cache made by the hook's node in $build"
  grep -q 'installed hook .*hooks/qemu' "$T/install-dst.out" ||
    fail "repin install did not report the hook it installed: $(cat "$T/install-dst.out")"
  note "repin install said: $(tr '\n' ' ' <"$T/install-dst.out" | head -c 300)"
  # Installing again changes nothing.
  node "$T/dist/repin" install --mode main --hooks-dir "$(host_root dst)/etc/hooks" --lib-dir "$(host_root dst)/repin-builds" \
    --config "$(host_root dst)/etc/repin.json" --json | grep -q '"changed":false' || fail "a second repin install changed something"
}
register_case installed-by-repin-install case_installed_by_repin_install
