#!/usr/bin/python3
"""Load driver of kube_speaker_bench.sh: writes objects straight to the API server
(HTTP/1.1 keep-alive over TLS with the admin's client certificate, one connection
per worker process), the way a busy cluster's controllers would.

  seed KDIR NS N FIRST WORKERS   N LoadBalancer Services s<i> in NS (no selector,
        ipFamilyPolicy PreferDualStack with one IPv6 ClusterIP from 2001:db8:ca::1:0,
        as in a cluster that was IPv6-only when they were made: the IPv4 range
        could not hold 100,000), status.loadBalancer.ingress 198.18.0.0 + FIRST + i
        and the controller's annotation naming pool "bulk" (what it would write),
        and EndpointSlices s<i>-x with one ready endpoint on node "bench". Written
        as the API server stores them (their IPAddress objects first, managedFields
        as a create plus a status write leave them) straight into etcd, in
        transactions of 126 puts through etcd's JSON gateway: the API server reads
        JSON values as well as its own protobuf, and its watch cache follows etcd.
        Through the API server the same objects took 3 writes each at ~350 writes/s
        on 2 cores (100,000: about 15 minutes); this takes about a minute.
  churn KDIR NS N RATE SECONDS WORKERS OUT   toggles the ready condition of the
        EndpointSlices round-robin at RATE writes a second for SECONDS (open loop:
        a worker behind its schedule writes at once); OUT gets one line per write:
        "<epoch when the write returned> <vip> <0|1 ready> <epoch when it was sent>"
  burst KDIR NS COUNT WORKERS OUT    COUNT Services (IPv4, no status) with their
        EndpointSlices, created at once: slices first, then the Services; OUT gets
        "<epoch when the create returned> <name> <epoch when it was sent>"
Progress and the figures go to stderr; exit status 1 when a write failed.
"""
import http.client
import ipaddress
import json
import multiprocessing
import os
import ssl
import sys
import time
import uuid
import base64

BASE = int(ipaddress.ip_address("198.18.0.0"))
NODE = "bench"


def vip(i):
    return str(ipaddress.ip_address(BASE + i))


class Api:
    def __init__(self, kdir):
        kc = open(os.path.join(kdir, "kubeconfig")).read()
        server = [l.split("server:", 1)[1].strip() for l in kc.splitlines() if "server:" in l][0]
        hostport = server.split("://", 1)[1]
        self.host, self.port = hostport.rsplit(":", 1)
        self.host = self.host.strip("[]")
        ctx = ssl.create_default_context(cafile=os.path.join(kdir, "pki/ca.crt"))
        ctx.load_cert_chain(os.path.join(kdir, "pki/admin.crt"), os.path.join(kdir, "pki/admin.key"))
        self.ctx = ctx
        self.conn = None

    def req(self, method, path, body, ctype="application/json", ok=(200, 201)):
        data = json.dumps(body, separators=(",", ":")).encode()
        last = None
        for attempt in range(5):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPSConnection(self.host, int(self.port), context=self.ctx, timeout=60)
                self.conn.request(method, path, data, {"Content-Type": ctype, "Accept": "application/json",
                                                      "User-Agent": "vipcast-bench"})
                r = self.conn.getresponse()
                out = r.read()
                if r.status in ok:
                    return r.status
                if r.status == 429 or r.status >= 500:
                    last = "%d %s" % (r.status, out[:300])
                    time.sleep(0.1 * (attempt + 1))
                    continue
                raise RuntimeError("%s %s: %d %s" % (method, path, r.status, out[:300]))
            except (http.client.HTTPException, OSError) as e:
                last = e
                self.conn = None
                time.sleep(0.1 * (attempt + 1))
        raise RuntimeError("%s %s: no answer after 5 tries (%s)" % (method, path, last))


def service(ns, name, family):
    spec = {"type": "LoadBalancer", "allocateLoadBalancerNodePorts": False, "ports": [{"port": 80, "protocol": "TCP"}]}
    if family == "IPv6":
        spec.update({"ipFamilyPolicy": "SingleStack", "ipFamilies": ["IPv6"]})
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns}, "spec": spec}


def slice_(ns, name, ready):
    return {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {"name": name + "-x", "namespace": ns, "labels": {"kubernetes.io/service-name": name}},
            "addressType": "IPv4", "ports": [{"name": "", "port": 80, "protocol": "TCP"}],
            "endpoints": [endpoint(ready)]}


def endpoint(ready):
    return {"addresses": ["198.51.100.10"], "conditions": {"ready": ready}, "nodeName": NODE}


def seed_objects(ns, i, first, ts):
    name = "s%d" % i
    cip = str(ipaddress.ip_address(int(ipaddress.ip_address("2001:db8:ca::1:0")) + i))
    mf = lambda fields, **kw: dict({"apiVersion": "v1", "fieldsType": "FieldsV1", "fieldsV1": fields,
                                    "manager": "vipcast-bench", "operation": "Update", "time": ts}, **kw)
    svc = {"apiVersion": "v1", "kind": "Service",
           "metadata": {"creationTimestamp": ts, "name": name, "namespace": ns, "uid": str(uuid.uuid4()),
                        "annotations": {"metallb.io/ip-allocated-from-pool": "bulk"},
                        "managedFields": [
                            mf({"f:spec": {"f:allocateLoadBalancerNodePorts": {}, "f:externalTrafficPolicy": {},
                                           "f:internalTrafficPolicy": {}, "f:ipFamilies": {}, "f:ipFamilyPolicy": {},
                                           "f:ports": {".": {}, 'k:{"port":80,"protocol":"TCP"}': {
                                               ".": {}, "f:port": {}, "f:protocol": {}, "f:targetPort": {}}},
                                           "f:sessionAffinity": {}, "f:type": {}}}),
                            mf({"f:status": {"f:loadBalancer": {"f:ingress": {}}}}, subresource="status")]},
           "spec": {"allocateLoadBalancerNodePorts": False, "clusterIP": cip, "clusterIPs": [cip],
                    "externalTrafficPolicy": "Cluster", "internalTrafficPolicy": "Cluster", "ipFamilies": ["IPv6"],
                    "ipFamilyPolicy": "PreferDualStack", "ports": [{"port": 80, "protocol": "TCP", "targetPort": 80}],
                    "sessionAffinity": "None", "type": "LoadBalancer"},
           "status": {"loadBalancer": {"ingress": [{"ip": vip(first + i), "ipMode": "VIP"}]}}}
    addr = {"apiVersion": "networking.k8s.io/v1", "kind": "IPAddress",
            "metadata": {"creationTimestamp": ts, "name": cip, "uid": str(uuid.uuid4()),
                         "labels": {"ipaddress.kubernetes.io/ip-family": "IPv6",
                                    "ipaddress.kubernetes.io/managed-by": "ipallocator.k8s.io"},
                         "managedFields": [dict(mf({"f:metadata": {"f:labels": {
                             ".": {}, "f:ipaddress.kubernetes.io/ip-family": {}, "f:ipaddress.kubernetes.io/managed-by": {}}},
                             "f:spec": {"f:parentRef": {".": {}, "f:name": {}, "f:namespace": {}, "f:resource": {}}}}),
                             apiVersion="networking.k8s.io/v1", manager="kube-apiserver")]},
            "spec": {"parentRef": {"name": name, "namespace": ns, "resource": "services"}}}
    eps = slice_(ns, name, True)
    eps["metadata"].update({"creationTimestamp": ts, "generation": 1, "uid": str(uuid.uuid4()),
                            "managedFields": [dict(mf({"f:addressType": {}, "f:endpoints": {}, "f:metadata": {
                                "f:labels": {".": {}, "f:kubernetes.io/service-name": {}}}, "f:ports": {}}),
                                apiVersion="discovery.k8s.io/v1")]})
    return [("/registry/services/specs/%s/%s" % (ns, name), svc), ("/registry/ipaddresses/%s" % cip, addr),
            ("/registry/endpointslices/%s/%s-x" % (ns, name), eps)]


def seed_worker(args):
    endpoint, ns, n, first, w, workers, phase = args
    host = endpoint.split("://", 1)[1]
    conn = http.client.HTTPConnection(host, timeout=60)
    ts = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    b64 = lambda b: base64.b64encode(b).decode()
    ops = []

    def flush():
        body = json.dumps({"success": ops})
        conn.request("POST", "/v3/kv/txn", body, {"Content-Type": "application/json"})
        r = conn.getresponse()
        out = r.read()
        if r.status != 200 or b'"succeeded":true' not in out.replace(b" ", b""):
            raise RuntimeError("etcd txn: %d %s" % (r.status, out[:300]))
        del ops[:]

    for i in range(w, n, workers):
        for key, obj in seed_objects(ns, i, first, ts):
            if (phase == "addresses") != key.startswith("/registry/ipaddresses/"):
                continue
            ops.append({"requestPut": {"key": b64(key.encode()),
                                       "value": b64(json.dumps(obj, separators=(",", ":")).encode())}})
        if len(ops) >= 126:
            flush()
    if ops:
        flush()
    return 0


def seed(kdir, ns, n, first, workers):
    t0 = time.time()
    endpoint = open(os.path.join(kdir, "etcd-endpoint")).read().strip()
    with multiprocessing.Pool(workers) as p:
        # the addresses first: the API server's ClusterIP repair loop then finds every Service's address taken
        p.map(seed_worker, [(endpoint, ns, n, first, w, workers, "addresses") for w in range(workers)])
        time.sleep(3)
        p.map(seed_worker, [(endpoint, ns, n, first, w, workers, "objects") for w in range(workers)])
    dt = time.time() - t0
    sys.stderr.write("seed: %d Services (status set), their IPAddresses and %d EndpointSlices written to etcd in %.1f s\n"
                     % (n, n, dt))


def churn_worker(args):
    kdir, ns, n, rate, seconds, w, workers, start = args
    api = Api(kdir)
    lines = []
    per = rate / workers
    total = int(per * seconds)
    state = {}
    k = 0
    behind = 0
    while k < total:
        due = start + k / per
        d = due - time.time()
        if d > 0:
            time.sleep(d)
        elif d < -0.05:
            behind += 1
        if time.time() > start + seconds + 30:
            break  # bounded: never more than 30 s past the planned end
        i = (w + k * workers) % n
        ready = not state.get(i, True)
        state[i] = ready
        sent = time.time()
        api.req("PATCH", "/apis/discovery.k8s.io/v1/namespaces/%s/endpointslices/s%d-x" % (ns, i),
                {"endpoints": [endpoint(ready)]}, ctype="application/merge-patch+json", ok=(200,))
        lines.append("%.6f %s %d %.6f\n" % (time.time(), vip(i), ready, sent))
        k += 1
    # leave every slice ready again, so that the next part starts with all routes held
    for i, ready in state.items():
        if not ready:
            api.req("PATCH", "/apis/discovery.k8s.io/v1/namespaces/%s/endpointslices/s%d-x" % (ns, i),
                    {"endpoints": [endpoint(True)]}, ctype="application/merge-patch+json", ok=(200,))
    return lines, behind


def churn(kdir, ns, n, rate, seconds, workers, out):
    start = time.time() + 1.0
    with multiprocessing.Pool(workers) as p:
        res = p.map(churn_worker, [(kdir, ns, n, rate, seconds, w, workers, start) for w in range(workers)])
    lines = sorted(l for r in res for l in r[0])
    with open(out, "w") as f:
        f.writelines(lines)
    if lines:
        t_first, t_last = float(lines[0].split()[0]), float(lines[-1].split()[0])
        sys.stderr.write("churn: %d writes from %.3f to %.3f: %.0f writes/s achieved (asked %d/s); %d writes late by >50 ms\n"
                         % (len(lines), t_first, t_last, len(lines) / max(t_last - start, 1e-3), rate,
                            sum(r[1] for r in res)))


def burst_worker(args):
    kdir, ns, count, w, workers, what = args
    api = Api(kdir)
    lines = []
    for i in range(w, count, workers):
        name = "b%d" % i
        if what == "slices":
            api.req("POST", "/apis/discovery.k8s.io/v1/namespaces/%s/endpointslices" % ns, slice_(ns, name, True),
                    ok=(201,))
        else:
            sent = time.time()
            api.req("POST", "/api/v1/namespaces/%s/services" % ns, service(ns, name, "IPv4"), ok=(201,))
            lines.append("%.6f %s %.6f\n" % (time.time(), name, sent))
    return lines


def burst(kdir, ns, count, workers, out):
    with multiprocessing.Pool(workers) as p:
        p.map(burst_worker, [(kdir, ns, count, w, workers, "slices") for w in range(workers)])
        t0 = time.time()
        res = p.map(burst_worker, [(kdir, ns, count, w, workers, "services") for w in range(workers)])
    lines = sorted(l for r in res for l in r)
    with open(out, "w") as f:
        f.writelines(lines)
    sys.stderr.write("burst: %d Services created in %.2f s\n" % (len(lines), time.time() - t0))


def main(a):
    try:
        if a[0] == "seed":
            seed(a[1], a[2], int(a[3]), int(a[4]), int(a[5]))
        elif a[0] == "churn":
            churn(a[1], a[2], int(a[3]), int(a[4]), float(a[5]), int(a[6]), a[7])
        elif a[0] == "burst":
            burst(a[1], a[2], int(a[3]), int(a[4]), a[5])
        else:
            raise IndexError
    except IndexError:
        sys.stderr.write(__doc__)
        return 2
    except RuntimeError as e:
        sys.stderr.write("kube_load: %s\n" % e)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
