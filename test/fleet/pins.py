#!/usr/bin/env python3
"""The fleet lab's oracle for host-side pins, independent of repin.

  pins.py pins < DOMAIN.XML
      The domain's host-side CPU pins as one canonical JSON line:
      {"vcpu": cpuset or null, "vcpupin": {id: cpuset}, "emulatorpin": cpuset or null,
       "iothreadpin": {id: cpuset}}, each cpuset as a sorted list of CPU ids.
  pins.py within PINS_JSON CPUS
      Exit 0 when every pin of PINS_JSON lies within CPUS (a cpuset such as 0-1);
      else print each one that does not.
  pins.py threads PINS_JSON CPUS PID < THREADS
      THREADS: one "tid<TAB>comm<TAB>Cpus_allowed_list" line per thread of the guest's
      QEMU process PID. Exit 0 when every thread runs within CPUS, and each vCPU
      thread (CPU N/TCG), I/O thread (IO iothreadN) and the emulator (main) thread
      runs exactly on the CPUs its pin names; else print each thread that does not.
"""
import json
import re
import sys
import xml.etree.ElementTree as ET


def cpuset(text):
    """libvirt's cpuset syntax (N, N-M, ^N; commas), as a sorted list."""
    ids = set()
    for token in (t.strip() for t in text.split(",")):
        if not token:
            continue
        if token.startswith("^"):
            ids.discard(int(token[1:]))
        elif "-" in token:
            lo, hi = token.split("-", 1)
            ids.update(range(int(lo), int(hi) + 1))
        else:
            ids.add(int(token))
    return sorted(ids)


def pins(xml):
    root = ET.fromstring(xml)
    vcpu = root.find("vcpu")
    tune = root.find("cputune")
    result = {"vcpu": cpuset(vcpu.get("cpuset")) if vcpu is not None and vcpu.get("cpuset") else None,
              "vcpupin": {}, "emulatorpin": None, "iothreadpin": {}}
    if tune is not None:
        for pin in tune.findall("vcpupin"):
            result["vcpupin"][pin.get("vcpu")] = cpuset(pin.get("cpuset"))
        emulator = tune.find("emulatorpin")
        if emulator is not None:
            result["emulatorpin"] = cpuset(emulator.get("cpuset"))
        for pin in tune.findall("iothreadpin"):
            result["iothreadpin"][pin.get("iothread")] = cpuset(pin.get("cpuset"))
    return result


def every_pin(p):
    if p["vcpu"] is not None:
        yield "vcpu cpuset", p["vcpu"]
    for vcpu, cpus in sorted(p["vcpupin"].items()):
        yield "vcpupin %s" % vcpu, cpus
    if p["emulatorpin"] is not None:
        yield "emulatorpin", p["emulatorpin"]
    for thread, cpus in sorted(p["iothreadpin"].items()):
        yield "iothreadpin %s" % thread, cpus


def within(p, cpus):
    allowed = set(cpus)
    return ["%s=%s not within %s" % (what, show(ids), show(cpus)) for what, ids in every_pin(p) if not set(ids) <= allowed]


def show(ids):
    return ",".join(str(i) for i in ids) or "(none)"


def threads(p, cpus, pid, lines):
    problems = []
    allowed = set(cpus)
    vcpu_default = p["vcpu"]
    seen = 0
    for line in lines:
        if not line.strip():
            continue
        tid, comm, affinity = (line.rstrip("\n").split("\t") + ["", ""])[:3]
        ids = cpuset(affinity)
        seen += 1
        if not set(ids) <= allowed:
            problems.append("thread %s (%s) runs on %s, outside the host's %s" % (tid, comm, show(ids), show(cpus)))
        want = None
        m = re.match(r"CPU (\d+)/(TCG|KVM)$", comm)
        if m:
            want = p["vcpupin"].get(m.group(1), vcpu_default)
        elif re.match(r"IO iothread(\d+)$", comm):
            want = p["iothreadpin"].get(re.match(r"IO iothread(\d+)$", comm).group(1))
        elif tid == pid:
            want = p["emulatorpin"] or vcpu_default
        if want is not None and ids != want:
            problems.append("thread %s (%s) runs on %s, its pin says %s" % (tid, comm, show(ids), show(want)))
    if seen == 0:
        problems.append("no threads read for pid %s" % pid)
    return problems


def main():
    command = sys.argv[1]
    if command == "pins":
        print(json.dumps(pins(sys.stdin.read()), sort_keys=True))
        return 0
    p = json.loads(sys.argv[2])
    cpus = cpuset(sys.argv[3])
    problems = within(p, cpus) if command == "within" else threads(p, cpus, sys.argv[4], sys.stdin)
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
