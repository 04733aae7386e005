#!/usr/bin/env python3
"""Plan every domain of the other hypervisors against this one.

Runs on the destination, so each plan uses the destination's own
/etc/libvirt/repin.json (policy, pools, per-domain overrides) exactly as its
hook would. Usage: repin-audit-plan.py WORKDIR REPIN TARGET
WORKDIR holds host.json (this host's profile) and domains.json
([{"source", "name", "xml", "planned"}]: planned is "live" for the migratable
live XML of a running guest, "saved" for a shut-off guest's saved definition).
Prints a JSON list of verdicts.
"""
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

VERDICTS = {"unchanged": "fits", "rewritten": "rewrite", "refused": "refused", "skipped": "skipped"}


def first_line(text):
    lines = [line for line in (text or "").splitlines() if line.strip()]
    return lines[0].strip() if lines else ""


def plan_one(workdir, repin, target, index, domain):
    xml_path = os.path.join(workdir, "domain-%d.xml" % index)
    with open(xml_path, "w", encoding="utf-8") as handle:
        handle.write(domain["xml"])
    argv = [repin, "plan", xml_path, "--host", os.path.join(workdir, "host.json"), "--json"]
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    entry = {"vm": domain["name"], "source": domain["source"], "target": target,
             "planned": domain.get("planned", "saved"), "exit": proc.returncode}
    try:
        plan = json.loads(proc.stdout)
    except ValueError:
        plan = None
    if not isinstance(plan, dict) or plan.get("outcome") not in VERDICTS:
        entry.update(verdict="error", changes=0,
                     message=first_line(proc.stderr) or first_line(proc.stdout)
                     or "repin plan exited %d" % proc.returncode)
        return entry
    changes = plan.get("changes") or []
    entry.update(verdict=VERDICTS[plan["outcome"]], changes=len(changes),
                 uuid=(plan.get("domain") or {}).get("uuid"),
                 policy=plan.get("policy"), plan=plan)
    if plan.get("shadow") and plan["outcome"] in ("rewritten", "refused"):
        # Shadow mode plans and journals but passes the XML through: libvirt starts the guest
        # with its own pins, which do not fit here (or hold CPUs another guest holds).
        would = "rewrite" if plan["outcome"] == "rewritten" else "refuse"
        entry.update(verdict="shadow",
                     message="shadow mode: repin would %s it, but passes the XML unchanged; "
                             "its own pins do not fit this host" % would)
    elif plan["outcome"] == "refused":
        entry["message"] = plan.get("refusal") or first_line(proc.stderr)
    elif plan["outcome"] == "skipped":
        entry["message"] = plan.get("skipped") or ""
    return entry


def main():
    workdir, repin, target = sys.argv[1:4]
    with open(os.path.join(workdir, "domains.json"), encoding="utf-8") as handle:
        domains = json.load(handle)
    with ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1))) as pool:
        results = list(pool.map(lambda pair: plan_one(workdir, repin, target, *pair),
                                enumerate(domains)))
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
