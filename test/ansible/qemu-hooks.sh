#!/bin/bash
# Test-only, run on a container: qemu-hooks.sh ARGS... calls every qemu hook as
# libvirt does for one event (virHookCall, src/util/virhook.c): the main script,
# then each executable regular file of qemu.d/ (symlinks followed, dot-files
# included) in byte order of names, each with ARGS and the XML from stdin; a
# script's non-empty output is the next one's input, as for a filter op. Prints
# the last non-empty output, then one "ran NAME rc=N" line per script on stderr.
dir=${QEMU_HOOKS_DIR:-/etc/libvirt/hooks}
input=$(cat)
output='' rc=0
scripts=("$dir/qemu")
while IFS= read -r -d '' f; do scripts+=("$f"); done < <(
  find "$dir/qemu.d" -mindepth 1 -maxdepth 1 -print0 2>/dev/null | LC_ALL=C sort -z)
for s in "${scripts[@]}"; do
  [[ -f $s && -x $s ]] || continue
  out=$(printf '%s\n' "$input" | "$s" "$@"); status=$?
  echo "ran ${s#"$dir"/} rc=$status" >&2
  if ((status != 0)); then ((rc == 0)) && rc=$status; continue; fi
  [[ -n $out ]] && input=$out output=$out
done
[[ -n $output ]] && printf '%s\n' "$output"
exit "$rc"
