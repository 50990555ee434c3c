#!/usr/bin/env python3
"""Compares `vipcast-controller --dry-run -o json` with what the API shows.

Usage: compare.py DRYRUN.json SERVICES.json EVENTS.json

SERVICES.json and EVENTS.json are `kubectl get svc,events -A -o json` lists.
A Service the dry run served must show the same addresses in
status.loadBalancer.ingress and name the same pool in the annotation
metallb.io/ip-allocated-from-pool; one it could not serve must show no address
and carry an AllocationFailed Event with MetalLB's wording and the same
reason. Prints one line per Service; exit status 1 on any difference.
"""
import json
import sys


def main():
    dry = json.load(open(sys.argv[1]))["services"]
    svcs = {}
    for s in json.load(open(sys.argv[2]))["items"]:
        md = s["metadata"]
        ips = [i.get("ip") for i in s.get("status", {}).get("loadBalancer", {}).get("ingress", []) or []]
        pool = (md.get("annotations") or {}).get("metallb.io/ip-allocated-from-pool")
        svcs[md["namespace"] + "/" + md["name"]] = (sorted(ips), pool)
    failed = {}
    for e in json.load(open(sys.argv[3]))["items"]:
        if e.get("reason") == "AllocationFailed":
            o = e["involvedObject"]
            failed.setdefault(o["namespace"] + "/" + o["name"], []).append(e.get("message", ""))
    bad = 0
    for d in dry:
        key = d["namespace"] + "/" + d["name"]
        ips, pool = svcs.get(key, (None, None))
        if d["error"] is None:
            ok = ips == sorted(d["ips"]) and pool == d["pool"]
            want = "%s@%s" % (",".join(sorted(d["ips"])), d["pool"])
        else:
            msg = 'Failed to allocate IP for "%s": %s' % (key, d["error"])
            ok = ips == [] and msg in failed.get(key, [])
            want = "AllocationFailed: " + msg
        got = "%s@%s events %s" % (",".join(ips or []) if ips is not None else "(no Service)", pool,
                                   failed.get(key, []))
        print("%s %s: want %s; API: %s" % ("ok" if ok else "MISMATCH", key, want, got))
        bad += not ok
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
