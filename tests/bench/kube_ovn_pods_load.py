#!/usr/bin/python3
"""Load driver of kube_ovn_pods_bench.sh: Pods annotated for Kube-OVN's routes,
written to the API server the way a scheduler and kubelets would
(kube_load.Api: HTTP/1.1 keep-alive over TLS, the admin's client certificate).

  create KDIR NS N WORKERS   N Pods p<i> in NS on node "bench", annotated
        ovn.kubernetes.io/bgp: "true", without addresses (Pending, as scheduled)
  ready KDIR NS N RATE WORKERS OUT   each Pod's status written as a kubelet writes
        it when the Pod starts (Running, Ready, podIPs: 198.18.0.0 + i), open loop
        at RATE writes a second; meanwhile one more connection watches the Pods
        (the reference: the API server's own delivery of the same change to a
        watching client). OUT gets "<epoch returned> <ip> <epoch sent>" per write,
        OUT.watch "<epoch received> <ip>" per first event showing the Pod's address
  latency OUT EVENTS   per write, the first announcement of its /32 on the wire
        (EVENTS: "<epoch> <prefix> <1|0>") and the watch delivery: median, p90,
        p99, max in ms, from the write's return and from its sending
Progress and the figures go to stderr (latency: stdout); exit status 1 when a write failed.
"""
import http.client
import ipaddress
import json
import multiprocessing
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kube_load import Api  # noqa: E402

BASE = int(ipaddress.ip_address("198.18.0.0"))
NODE = "bench"


def pod_ip(i):
    return str(ipaddress.ip_address(BASE + i))


def pod(ns, i):
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "p%d" % i, "namespace": ns, "annotations": {"ovn.kubernetes.io/bgp": "true"}},
            "spec": {"nodeName": NODE, "restartPolicy": "Always", "automountServiceAccountToken": False,
                     "containers": [{"name": "c", "image": "registry.invalid/c:1"}]}}


def started(i):
    ip = pod_ip(i)
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return {"status": {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}], "startTime": now,
                       "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": now}]}}


def create_worker(args):
    kdir, ns, n, w, workers = args
    api = Api(kdir)
    for i in range(w, n, workers):
        api.req("POST", "/api/v1/namespaces/%s/pods" % ns, pod(ns, i), ok=(201,))
    return 0


def create(kdir, ns, n, workers):
    t0 = time.time()
    with multiprocessing.Pool(workers) as p:
        p.map(create_worker, [(kdir, ns, n, w, workers) for w in range(workers)])
    sys.stderr.write("create: %d Pods in %.1f s\n" % (n, time.time() - t0))


def ready_worker(args):
    kdir, ns, n, rate, w, workers, start = args
    api = Api(kdir)
    per = rate / workers
    lines, behind, k = [], 0, 0
    for i in range(w, n, workers):
        d = start + k / per - time.time()
        if d > 0:
            time.sleep(d)
        elif d < -0.05:
            behind += 1
        k += 1
        sent = time.time()
        api.req("PATCH", "/api/v1/namespaces/%s/pods/p%d/status" % (ns, i), started(i),
                ctype="application/merge-patch+json", ok=(200,))
        lines.append("%.6f %s %.6f\n" % (time.time(), pod_ip(i), sent))
    return lines, behind


def watch(kdir, ns, rv, n, out, deadline):
    """Every Pod's first event showing an address, as received; stops at n of them or the deadline."""
    api = Api(kdir)
    conn = http.client.HTTPSConnection(api.host, int(api.port), context=api.ctx, timeout=deadline - time.time() + 5)
    conn.request("GET", "/api/v1/namespaces/%s/pods?watch=1&resourceVersion=%s&timeoutSeconds=%d"
                 % (ns, rv, int(deadline - time.time()) + 1), headers={"Accept": "application/json"})
    r = conn.getresponse()
    seen = {}
    with open(out, "w") as f:
        while len(seen) < n and time.time() < deadline:
            try:
                line = r.readline()
            except OSError:
                break
            if not line:
                break
            t = time.time()
            obj = json.loads(line).get("object", {})
            ips = obj.get("status", {}).get("podIPs") or []
            name = obj.get("metadata", {}).get("name")
            if ips and name not in seen:
                seen[name] = True
                f.write("%.6f %s\n" % (t, ips[0]["ip"]))


def ready(kdir, ns, n, rate, workers, out):
    api = Api(kdir)
    conn = http.client.HTTPSConnection(api.host, int(api.port), context=api.ctx, timeout=60)
    conn.request("GET", "/api/v1/namespaces/%s/pods?limit=1" % ns, headers={"Accept": "application/json"})
    rv = json.loads(conn.getresponse().read())["metadata"]["resourceVersion"]
    span = n / rate
    watcher = multiprocessing.Process(target=watch, args=(kdir, ns, rv, n, out + ".watch", time.time() + span + 60))
    watcher.start()
    time.sleep(1.0)  # the watch established before the first write
    start = time.time() + 0.5
    with multiprocessing.Pool(workers) as p:
        res = p.map(ready_worker, [(kdir, ns, n, rate, w, workers, start) for w in range(workers)])
    lines = sorted(l for r in res for l in r[0])
    with open(out, "w") as f:
        f.writelines(lines)
    watcher.join(timeout=span + 70)
    if watcher.is_alive():
        watcher.terminate()
    if lines:
        last = float(lines[-1].split()[0])
        sys.stderr.write("ready: %d status writes in %.1f s: %.0f writes/s achieved (asked %d/s); %d late by >50 ms\n"
                         % (len(lines), last - start, len(lines) / max(last - start, 1e-3), rate,
                            sum(r[1] for r in res)))


def pct(v, p):
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))] if v else float("nan")


def stats(name, from_return, from_sent, lost):
    from_return.sort()
    from_sent.sort()
    return ("%s n=%d lost=%d median=%.1f p90=%.1f p99=%.1f max=%.1f smedian=%.1f sp99=%.1f" %
            (name, len(from_return), lost, pct(from_return, 50), pct(from_return, 90), pct(from_return, 99),
             pct(from_return, 100), pct(from_sent, 50), pct(from_sent, 99)))


def latency(out, events):
    writes = [l.split() for l in open(out)]
    first = {}
    for l in open(events):
        t, prefix, announced = l.split()
        if announced == "1":
            ip = prefix.split("/")[0]
            first[ip] = min(first.get(ip, float("inf")), float(t))
    seen = {}
    for l in open(out + ".watch"):
        t, ip = l.split()
        seen.setdefault(ip, float(t))
    for name, at in (("wire", first), ("watch", seen)):
        lat, slat, lost = [], [], 0
        for ret, ip, sent in writes:
            if ip not in at:
                lost += 1
                continue
            lat.append((at[ip] - float(ret)) * 1000)
            slat.append((at[ip] - float(sent)) * 1000)
        print(stats(name, lat, slat, lost))


def main(a):
    try:
        if a[0] == "create":
            create(a[1], a[2], int(a[3]), int(a[4]))
        elif a[0] == "ready":
            ready(a[1], a[2], int(a[3]), float(a[4]), int(a[5]), a[6])
        elif a[0] == "latency":
            latency(a[1], a[2])
        else:
            raise IndexError
    except IndexError:
        sys.stderr.write(__doc__)
        return 2
    except RuntimeError as e:
        sys.stderr.write("kube_ovn_pods_load: %s\n" % e)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
