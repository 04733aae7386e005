# A diskless TCG guest: enough for QEMU to run, pin threads and migrate.

# guest_xml NAME [key=value...] -> path of the written XML
#   vcpus=2                 number of vCPUs
#   pin0=CPUSET pin1=...    <vcpupin vcpu='N' cpuset='CPUSET'/>
#   vcpu_cpuset=CPUSET      <vcpu cpuset='CPUSET'>
#   emulatorpin=CPUSET      <emulatorpin cpuset='CPUSET'/>
#   iothreadpin=CPUSET      <iothreads>1</iothreads> + <iothreadpin iothread='1'/>
guest_xml() {
  local name=$1 kv key val vcpus=2 vcpu_cpuset='' emulatorpin='' iothreadpin='' i
  local -A pin=()
  shift
  for kv in "$@"; do
    key=${kv%%=*} val=${kv#*=}
    case $key in
      vcpus) vcpus=$val ;;
      pin[0-9]*) pin[${key#pin}]=$val ;;
      vcpu_cpuset) vcpu_cpuset=$val ;;
      emulatorpin) emulatorpin=$val ;;
      iothreadpin) iothreadpin=$val ;;
      *) echo "guest_xml: unknown option $key" >&2; return 1 ;;
    esac
  done
  local file=$T/xml/$name.xml
  mkdir -p "$T/xml"
  {
    echo "<domain type='qemu'>"
    echo "  <name>$name</name>"
    echo "  <memory unit='MiB'>64</memory>"
    # shellcheck disable=SC2016 # the single quotes are XML's; the variable expands
    echo "  <vcpu placement='static'${vcpu_cpuset:+ cpuset='$vcpu_cpuset'}>$vcpus</vcpu>"
    [[ -z $iothreadpin ]] || echo "  <iothreads>1</iothreads>"
    echo "  <cputune>"
    for i in $(printf '%s\n' "${!pin[@]}" | sort -n); do
      echo "    <vcpupin vcpu='$i' cpuset='${pin[$i]}'/>"
    done
    [[ -z $emulatorpin ]] || echo "    <emulatorpin cpuset='$emulatorpin'/>"
    [[ -z $iothreadpin ]] || echo "    <iothreadpin iothread='1' cpuset='$iothreadpin'/>"
    echo "  </cputune>"
    echo "  <os><type arch='x86_64' machine='pc'>hvm</type></os>"
    echo "  <devices>"
    echo "    <emulator>$(command -v qemu-system-x86_64)</emulator>"
    echo "    <serial type='pty'/>"
    echo "    <memballoon model='none'/>"
    echo "  </devices>"
    echo "</domain>"
  } >"$file"
  printf '%s' "$file"
}

# guest_start HOST NAME [options...]: create a transient running guest.
guest_start() {
  local host=$1 name=$2 file
  shift 2
  file=$(guest_xml "$name" "$@")
  vsh "$host" create "$file" >/dev/null || fail "could not start $name on $host"
}

# guest_define_start HOST NAME [options...]: define a persistent guest and start it.
guest_define_start() {
  local host=$1 name=$2 file out
  shift 2
  file=$(guest_xml "$name" "$@")
  out=$(vsh "$host" define "$file" 2>&1) || fail "could not define $name on $host: $out"
  out=$(vsh "$host" start "$name" 2>&1) || fail "could not start $name on $host: $out"
}

# qemu_pid HOST NAME
qemu_pid() { cat "$(host_root "$1")/run/qemu/$2.pid"; }

# migrate NAME [virsh migrate options...]: live-migrate NAME from src to dst
# directly over both unix sockets; output in $T/migrate.out.
migrate() { migrate_from src dst "$@"; }

# migrate_back NAME [options...]: the same from dst to src.
migrate_back() { migrate_from dst src "$@"; }

migrate_from() {
  local from=$1 to=$2 name=$3 port
  shift 3
  port=$(free_port)
  VIRSH_TIMEOUT=120 vsh "$from" migrate --live "$name" "$(host_uri "$to")" \
    --migrateuri "tcp://127.0.0.1:$port" --listen-address 127.0.0.1 "$@" \
    >"$T/migrate.out" 2>&1
}
