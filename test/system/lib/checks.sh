# Assertions about guests, threads and the repin journal. Each returns
# non-zero through `fail` with a message saying what was seen.

expect_running() {
  local host=$1 name=$2 state
  state=$(vsh "$host" domstate "$name" 2>&1) || true
  [[ $state == running ]] || fail "$name on $host: state '$state', want running"
}

expect_absent() {
  local host=$1 name=$2
  if vsh "$host" domstate "$name" >/dev/null 2>&1; then
    fail "$name exists on $host ($(vsh "$host" domstate "$name" 2>&1)), want absent"
  fi
}

# expect_migrated_ok NAME: migration ($T/migrate.out) succeeded, guest runs
# on the destination and no longer on the source.
expect_migrated_ok() {
  local name=$1
  expect_running dst "$name"
  expect_absent src "$name"
}

# expect_vcpupins_within HOST NAME CPUS: `virsh vcpupin` shows only CPUS.
expect_vcpupins_within() {
  local host=$1 name=$2 cpus=$3 out vcpu aff n=0
  out=$(vsh "$host" vcpupin "$name") || fail "virsh vcpupin $name failed: $out"
  while read -r vcpu aff; do
    [[ $vcpu =~ ^[0-9]+$ ]] || continue
    n=$((n + 1))
    cpuset_within "$aff" "$cpus" || fail "virsh vcpupin $name: vCPU $vcpu on '$aff', not within $cpus"
  done <<<"$out"
  ((n > 0)) || fail "virsh vcpupin $name listed no vCPUs: $out"
  note "virsh vcpupin $name: $(echo "$out" | awk '$1 ~ /^[0-9]+$/ {printf "%s:%s ", $1, $2}')"
}

# thread_affinity HOST NAME COMM_REGEX: "tid comm|cpus" lines for matching
# threads of the guest's QEMU, as the kernel sees them.
thread_affinity() {
  local host=$1 name=$2 re=$3 pid task comm
  pid=$(qemu_pid "$host" "$name") || return 1
  for task in /proc/"$pid"/task/*; do
    comm=$(cat "$task/comm" 2>/dev/null) || continue
    [[ $comm =~ $re ]] || continue
    echo "${task##*/} $comm|$(awk '/^Cpus_allowed_list:/ {print $2}' "$task/status")"
  done
}

# expect_threads_within HOST NAME COMM_REGEX CPUS MIN_COUNT
expect_threads_within() {
  local host=$1 name=$2 re=$3 cpus=$4 min=$5 lines line n=0
  lines=$(thread_affinity "$host" "$name" "$re") || fail "no QEMU pid for $name on $host"
  while IFS= read -r line; do
    [[ -n $line ]] || continue
    n=$((n + 1))
    cpuset_within "${line#*|}" "$cpus" || fail "thread ${line%|*} of $name runs on ${line#*|}, not within $cpus"
  done <<<"$lines"
  ((n >= min)) || fail "found $n threads matching '$re' in $name's QEMU, want at least $min"
  note "threads of $name matching '$re': $(echo "$lines" | tr '\n' ';')"
}

expect_vcpu_threads_within() { expect_threads_within "$1" "$2" '^CPU [0-9]+/(TCG|KVM)$' "$3" "${4:-2}"; }

# live_attr HOST NAME ELEMENT ATTR: ATTR of the first <ELEMENT> in the live
# XML (libvirt formats attributes in single quotes), empty if none.
live_attr() {
  vsh "$1" dumpxml "$2" | grep -oE "<$3( [^>]*)?>" | head -n1 | grep -oE " $4='[^']*'" | cut -d"'" -f2 || true
}

# vcpupin_of HOST NAME VCPU: the live <vcpupin> cpuset of one vCPU, empty if none.
vcpupin_of() {
  vsh "$1" dumpxml "$2" | grep -oE "<vcpupin vcpu='$3' [^>]*>" | grep -oE "cpuset='[^']*'" | cut -d"'" -f2 || true
}

# journal_file [HOST]: repin's journal on HOST (default dst).
journal_file() { printf '%s/log/repin/journal.jsonl' "$(host_root "${1:-dst}")"; }

# journal_field NAME OP FIELD [HOST]: FIELD of the last journal entry for NAME/OP.
journal_field() { node "$SYS/lib/journal.mjs" "$(journal_file "${4:-dst}")" "$1" "$2" "$3"; }

# expect_journal NAME OP OUTCOME [HOST]
expect_journal() {
  local name=$1 op=$2 want=$3 host=${4:-dst} got
  got=$(journal_field "$name" "$op" outcome "$host") || fail "$host's journal has no '$op' entry for $name"
  [[ $got == "$want" ]] || fail "journal outcome for $name/$op on $host is '$got', want '$want'"
  note "journal ($host) $name/$op: outcome=$got changes=$(journal_field "$name" "$op" changes "$host" || true)"
}

# expect_tainted_by_hook NAME yes|no: libvirt marks a domain whose definition
# came from a hook's filter output as tainted 'hook-script' (QEMU log).
expect_tainted_by_hook() {
  local name=$1 want=$2 log
  log=$(host_root dst)/log/qemu/$name.log
  if grep -q 'tainted: hook-script' "$log" 2>/dev/null; then
    [[ $want == yes ]] || fail "$name is tainted hook-script on dst: repin printed a definition"
  else
    [[ $want == no ]] || fail "$name is not tainted hook-script on dst: the filter output was not used"
  fi
}

# set_policy POLICY [extra JSON members] [HOST]: rewrite a host's repin config
# (default the destination's; the hook re-reads it on every call).
set_policy() {
  local policy=$1 extra=${2:-} host=${3:-dst}
  # Every path inside the host's private directories.
  printf '{"policy": "%s", %s"journal": {"dir": "/var/log/libvirt/repin"}, "spoolDir": "/var/lib/libvirt/repin/pending"}\n' \
    "$policy" "${extra:+$extra, }" >"$(host_root "$host")/etc/repin.json"
}
