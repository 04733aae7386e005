# Output, failure and cpuset helpers shared by the harness and the cases.

say() { printf '%s\n' "$*"; }
note() { printf '    %s\n' "$*"; }

# fail MESSAGE: explain why the current case failed; returns 1 so that
# `cond || fail "..."` ends the case under `set -e`.
fail() {
  printf '    FAILED: %s\n' "$*" >&2
  return 1
}

# cpuset_expand "0-2,5,^1" -> "0 2 5" (libvirt's virBitmapParse syntax).
cpuset_expand() {
  local spec=${1// /} tok a b i
  local -A set=()
  local -a toks
  [[ -n $spec ]] || return 0
  IFS=, read -ra toks <<<"$spec"
  for tok in "${toks[@]}"; do
    case $tok in
      ^*) unset "set[${tok#^}]" ;;
      *-*) a=${tok%-*} b=${tok#*-}; for ((i = a; i <= b; i++)); do set[$i]=1; done ;;
      *) set[$tok]=1 ;;
    esac
  done
  printf '%s\n' "${!set[@]}" | sort -n | tr '\n' ' ' | sed 's/ $//'
}

# cpuset_within A B: every CPU of A is in B (and A is not empty).
cpuset_within() {
  local a b cpu
  a=$(cpuset_expand "$1")
  b=" $(cpuset_expand "$2") "
  [[ -n $a ]] || return 1
  for cpu in $a; do
    [[ $b == *" $cpu "* ]] || return 1
  done
}

# cpuset_equal A B: same CPUs, whatever the spelling.
cpuset_equal() { [[ "$(cpuset_expand "$1")" == "$(cpuset_expand "$2")" ]]; }

# free_port: a TCP port on 127.0.0.1 that nobody listens on right now.
free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# wait_until SECONDS COMMAND...: poll COMMAND every 0.2 s; bounded.
wait_until() {
  local limit=$1 start=$SECONDS
  shift
  until "$@" >/dev/null 2>&1; do
    ((SECONDS - start < limit)) || return 1
    sleep 0.2
  done
}
