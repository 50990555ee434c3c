"""The object model of the reload walk: a configuration as Kubernetes objects
(plain dicts, as `kubectl get -o json` shows them) and a seeded generator of
random edits to it.

An edit is a list of object-level operations, whatever carries them to the
speaker (walk_apply.py: files today, the Kubernetes API later):
    ("put", obj)               create or replace the object
    ("delete", key)            remove it; key = (kind, namespace, name)
    ("raw", key, text)         the object's document replaced by text (broken YAML)
    ("rawfile", name, obj)     obj once more, in an extra document of its own (defined twice)
    ("rmfile", name)           that extra document removed
Edits marked invalid must be refused by the speaker (it keeps the configuration
in force); they are reverted by the edit that `revert()` returns. Valid-looking
edits may still be invalid across objects (a localPref conflict, a pool an
advertisement names deleted): --print-plan decides, never this model.

Everything random comes from one random.Random: a seed gives one sequence of
edits, given the same verdicts from --print-plan.
"""
import copy
import json

from walk_lab import GHOSTS, NODES, NEIGHBORS

NS = "metallb-system"
EXCLUDE = "node.kubernetes.io/exclude-from-external-load-balancers"

PEER_ADDRESS = dict({nb.id: nb.address for nb in NEIGHBORS}, **GHOSTS)
RIGHT_PASSWORD = {nb.id: nb.password for nb in NEIGHBORS}
PEER_ASNS = {  # name -> (myASN choices, first is the one that works; peerASN choices)
    "bird4": ([64512, 64513], [64512, 64999]), "bird6": ([64512, 64513], [64512, 64999]),
    "frr4": ([64513, 64514, 64500], [64500, 64501]), "frr6": ([64514, 64513, 64500], [64500, 64501]),
    "ghost4": ([64512, 64520], [64512, 64530]), "ghost6": ([64520, 64512], [64530, 64512]),
}
WORKING_DYNAMIC = {"bird4": "internal", "bird6": "internal", "frr4": "external", "frr6": "external",
                   "ghost4": "internal", "ghost6": "external"}

POOL_ADDRESSES = {
    "pool-a": [["198.51.100.0/27"], ["198.51.100.0/28"], ["198.51.100.0-198.51.100.9"],
               ["198.51.100.0/28", "203.0.113.0/29"]],
    "pool-b": [["198.51.100.32/28"], ["198.51.100.32/29", "198.51.100.40/29"], ["198.51.100.34"]],
    "pool-c": [["203.0.113.16/28"], ["203.0.113.16/29"]],
    "pool-6": [["2001:db8:100::/124"], ["2001:db8:100::/120"], ["2001:db8:100::/124", "198.51.100.64/28"]],
}
V4 = ["198.51.100.1", "198.51.100.2", "198.51.100.5", "198.51.100.9", "198.51.100.20", "198.51.100.33",
      "198.51.100.34", "198.51.100.40", "198.51.100.66", "203.0.113.1", "203.0.113.17"]
V6 = ["2001:db8:100::1", "2001:db8:100::5", "2001:db8:100::a", "2001:db8:100::f", "2001:db8:100::10",
      "2001:db8:100::80"]
SERVICES = ["svc-%d" % i for i in range(6)]
COMMUNITIES = ["64500:100", "64500:200", "no-export", "no-advertise", "large:64500:1:2", "large:64500:7:8",
               "vip-tag"]
SELECTORS = [
    [],
    [{"matchLabels": {"kubernetes.io/hostname": "node1"}}],
    [{"matchLabels": {"kubernetes.io/hostname": "node2"}}],
    [{"matchLabels": {"zone": "a"}}],
    [{"matchExpressions": [{"key": "rack", "operator": "In", "values": ["r1", "r2"]}]}],
    [{"matchLabels": {"zone": "b"}}, {"matchLabels": {"rack": "r1"}}],
    [{"matchExpressions": [{"key": EXCLUDE, "operator": "DoesNotExist"}]}],
]
# How strongly restore_one() pulls each kind back: what everything else depends on first.
RESTORE_WEIGHT = {"Node": 3, "BGPAdvertisement": 6, "L2Advertisement": 6, "IPAddressPool": 5, "BGPPeer": 3,
                  "Secret": 3, "Community": 2}
DUPLICATE = "duplicate"  # the name of the extra document that defines an object twice
MEMBERLIST_KEYS = ["walk-memberlist-key-0001", "walk-memberlist-key-0002-longer", "short"]


def key(obj):
    m = obj["metadata"]
    return (obj["kind"], m.get("namespace", ""), m["name"])


def key_str(k):
    return "%s %s" % (k[0], "%s/%s" % (k[1], k[2]) if k[1] else k[2])


# ------------------------------------------------------------------ constructors
def meta(name, ns=NS, labels=None):
    m = {"name": name}
    if ns:
        m["namespace"] = ns
    if labels:
        m["labels"] = labels
    return m


def node(name, labels=None, unavailable=False):
    v4, v6 = NODES[name]
    lab = {"kubernetes.io/hostname": name}
    lab.update(labels or {})
    return {"apiVersion": "v1", "kind": "Node", "metadata": meta(name, None, lab),
            "status": {"addresses": [{"type": "InternalIP", "address": v4}, {"type": "InternalIP", "address": v6},
                                     {"type": "Hostname", "address": name}],
                       "conditions": [{"type": "Ready", "status": "True"},
                                      {"type": "NetworkUnavailable", "status": "True" if unavailable else "False"}]}}


def pool(name, addresses, **spec):
    s = {"addresses": list(addresses)}
    s.update(spec)
    return {"apiVersion": "metallb.io/v1beta1", "kind": "IPAddressPool", "metadata": meta(name), "spec": s}


def peer(name, **spec):
    s = {"myASN": PEER_ASNS[name][0][0], "peerASN": PEER_ASNS[name][1][0], "peerAddress": PEER_ADDRESS[name],
         "holdTime": "9s", "keepaliveTime": "3s", "connectTime": "1s"}
    if RIGHT_PASSWORD.get(name):
        s["password"] = RIGHT_PASSWORD[name]
    s.update(spec)
    return {"apiVersion": "metallb.io/v1beta2", "kind": "BGPPeer", "metadata": meta(name), "spec": s}


def bgp_secret(peer_name, password):
    return {"apiVersion": "v1", "kind": "Secret", "metadata": meta("bgp-" + peer_name),
            "type": "kubernetes.io/basic-auth", "stringData": {"username": "walk", "password": password}}


def memberlist(value):
    return {"apiVersion": "v1", "kind": "Secret", "metadata": meta("memberlist"), "stringData": {"secretkey": value}}


def community(value):
    return {"apiVersion": "metallb.io/v1beta1", "kind": "Community", "metadata": meta("communities"),
            "spec": {"communities": [{"name": "vip-tag", "value": value}]}}


def bgpadv(name, **spec):
    return {"apiVersion": "metallb.io/v1beta1", "kind": "BGPAdvertisement", "metadata": meta(name), "spec": spec}


def l2adv(name, **spec):
    return {"apiVersion": "metallb.io/v1beta1", "kind": "L2Advertisement", "metadata": meta(name), "spec": spec}


def service(name, family="v4", ips=(), etp="Cluster", svc_type="LoadBalancer", tier="web"):
    fams = {"v4": ["IPv4"], "v6": ["IPv6"], "dual": ["IPv4", "IPv6"]}[family]
    spec = {"type": svc_type, "externalTrafficPolicy": etp, "ipFamilies": fams,
            "ipFamilyPolicy": "RequireDualStack" if family == "dual" else "SingleStack",
            "selector": {"app": name}, "ports": [{"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"}]}
    o = {"apiVersion": "v1", "kind": "Service", "metadata": meta(name, "default", {"app": name, "tier": tier}),
         "spec": spec}
    if ips:
        o["status"] = {"loadBalancer": {"ingress": [{"ip": ip} for ip in ips]}}
    return o


def endpoints(svc, suffix, eps, family="IPv4"):
    """eps: [(node, ready)]"""
    out = []
    for i, (n, ready) in enumerate(eps):
        addr = "198.18.%d.%d" % (SERVICES.index(svc) if svc in SERVICES else 99, i + 1) if family == "IPv4" \
            else "2001:db8:ff::%x:%x" % (SERVICES.index(svc) if svc in SERVICES else 99, i + 1)
        out.append({"addresses": [addr], "conditions": {"ready": ready}, "nodeName": n})
    return {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": meta("%s-%s" % (svc, suffix), "default", {"kubernetes.io/service-name": svc}),
            "addressType": family, "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}], "endpoints": out}


def initial():
    """The configuration every seed starts from: every session can come up."""
    objs = [
        node("node1", {"zone": "a", "rack": "r1"}), node("node2", {"zone": "a", "rack": "r2"}),
        node("node3", {"zone": "b"}),
        pool("pool-a", POOL_ADDRESSES["pool-a"][0]), pool("pool-b", POOL_ADDRESSES["pool-b"][0]),
        pool("pool-6", POOL_ADDRESSES["pool-6"][0]),
        peer("bird4"), peer("bird6", password=None, passwordSecret={"name": "bgp-bird6"}), peer("frr4"),
        peer("frr6"),
        bgp_secret("bird6", "bird6-md5"), memberlist(MEMBERLIST_KEYS[0]), community("64500:300"),
        bgpadv("adv-1", ipAddressPools=["pool-a", "pool-6"], communities=["64500:100", "vip-tag"], localPref=200),
        bgpadv("adv-2", ipAddressPools=["pool-b"], aggregationLength=30, communities=["large:64500:1:2", "no-export"],
               peers=["bird4", "frr4"]),
        l2adv("l2-1", ipAddressPools=["pool-a", "pool-b", "pool-6"]),
        service("svc-0", "v4", ["198.51.100.5"]), endpoints("svc-0", "a", [("node1", True)]),
        service("svc-1", "v6", ["2001:db8:100::5"]), endpoints("svc-1", "a", [("node2", True)], "IPv6"),
        service("svc-2", "dual", ["198.51.100.33", "2001:db8:100::a"], etp="Local"),
        endpoints("svc-2", "a", [("node1", True), ("node3", False)]),
        service("svc-3", "v4", [], tier="db"), endpoints("svc-3", "a", [("node3", True)]),
        service("svc-4", "v4", ["198.51.100.9"], etp="Local"), endpoints("svc-4", "a", [("node2", True)]),
    ]
    for o in objs:  # peer(password=None) drops the inline password
        if o["kind"] == "BGPPeer" and o["spec"].get("password") is None:
            o["spec"].pop("password", None)
    return {key(o): o for o in objs}


class Edit:
    def __init__(self, ops, desc, invalid=False, text=False):
        self.ops = ops
        self.desc = desc
        self.invalid = invalid  # meant to be refused
        self.text = text        # needs a text-level applier (broken YAML, duplicate documents)


class Model:
    def __init__(self, rng):
        self.rng = rng
        self.objs = initial()

    # ---- helpers
    def get(self, kind, name, ns=NS):
        return self.objs.get((kind, ns, name))

    def names(self, kind, ns=NS):
        return sorted(k[2] for k in self.objs if k[0] == kind and k[1] == ns)

    def pick(self, seq):
        return self.rng.choice(list(seq))

    def subset(self, seq, lo=1, hi=None):
        seq = list(seq)
        n = self.rng.randint(lo, min(hi or len(seq), len(seq)))
        return sorted(self.rng.sample(seq, n))

    def changed(self, obj, path, value, what):
        """A put of a copy of obj with spec-like field path set (None: removed)."""
        o = copy.deepcopy(obj)
        d = o
        for p in path[:-1]:
            d = d.setdefault(p, {})
        old = d.get(path[-1])
        if old == value:
            return None  # the generator tries another edit
        if value is None:
            d.pop(path[-1], None)
        else:
            d[path[-1]] = value
        return Edit([("put", o)], "%s: %s %s -> %s" % (key_str(key(obj)), what, fmt(old), fmt(value)))

    def commit(self, edit):
        for op in edit.ops:
            if op[0] == "put":
                self.objs[key(op[1])] = copy.deepcopy(op[1])
            elif op[0] == "delete":
                self.objs.pop(op[1], None)

    def revert(self, edit):
        """The edit that undoes edit, which was not committed."""
        ops = []
        for op in edit.ops:
            if op[0] in ("put", "delete", "raw"):
                k = key(op[1]) if op[0] == "put" else op[1]
                ops.append(("put", copy.deepcopy(self.objs[k])) if k in self.objs else ("delete", k))
            elif op[0] == "rawfile":
                ops.append(("rmfile", op[1]))
        return Edit(ops, "revert")

    def reset_to(self, target):
        """The edit that turns the current objects into target (deletes last, so references stay valid)."""
        puts = [("put", copy.deepcopy(o)) for k, o in sorted(target.items()) if self.objs.get(k) != o]
        dels = [("delete", k) for k in sorted(self.objs) if k not in target]
        return Edit(puts + dels, "reset to the initial configuration")

    # ---- the generator
    def propose(self):
        gens = [(14, self.edit_peer), (3, self.add_remove_peer), (3, self.heal_peer), (12, self.restore_one), (10, self.edit_bgpadv), (3, self.add_remove_bgpadv),
                (5, self.edit_pool), (14, self.edit_service), (3, self.add_remove_service), (10, self.edit_endpoints),
                (8, self.edit_node), (2, self.add_remove_node), (4, self.edit_secret), (3, self.edit_memberlist),
                (2, self.edit_community), (5, self.edit_l2adv), (1, self.add_remove_l2adv), (6, self.invalid_edit)]
        total = sum(w for w, _ in gens)
        for _ in range(100):
            r = self.rng.uniform(0, total)
            for w, g in gens:
                r -= w
                if r <= 0:
                    break
            e = g()
            if e is not None:
                return e
        raise RuntimeError("the generator found no edit")

    # BGPPeer, field by field
    def edit_peer(self):
        names = self.names("BGPPeer")
        if not names:
            return None
        name = self.pick(names)
        p = self.get("BGPPeer", name)
        s = p["spec"]
        rng = self.rng
        field = self.pick(["holdTime", "keepaliveTime", "password", "myASN", "peerASN", "peerPort", "connectTime",
                           "ebgpMultiHop", "enableGracefulRestart", "nodeSelectors", "holdTime", "password",
                           "dualStackAddressFamily", "disableMP", "routerID", "sourceAddress"])
        my, peer_asns = PEER_ASNS[name]
        if field == "holdTime":
            return self.changed(p, ["spec", "holdTime"], self.pick(["0s", "6s", "9s", "15s", "90s", "1m30s", None]),
                                "holdTime")
        if field == "dualStackAddressFamily":
            return self.changed(p, ["spec", "dualStackAddressFamily"], self.pick([True, True, False, None]),
                                "dualStackAddressFamily")
        if field == "disableMP":
            return self.changed(p, ["spec", "disableMP"], self.pick([True, False, None, None]), "disableMP")
        if field == "routerID":
            return self.changed(p, ["spec", "routerID"], self.pick(
                [None, None, "198.18.0.1", "192.0.2.11", self.pick(["192.0.2.1", "192.0.2.2"])]), "routerID")
        if field == "sourceAddress":
            fam = 6 if ":" in p["spec"]["peerAddress"] else 4
            return self.changed(p, ["spec", "sourceAddress"], self.pick(
                [None, None, NODES["node1"][0 if fam == 4 else 1], "198.18.0.5" if fam == 4 else "2001:db8:ff::5"]),
                "sourceAddress")
        if field == "keepaliveTime":
            return self.changed(p, ["spec", "keepaliveTime"], self.pick(["1s", "2s", "3s", None]), "keepaliveTime")
        if field == "myASN":
            return self.changed(p, ["spec", "myASN"], my[0] if rng.random() < 0.5 else self.pick(my), "myASN")
        if field == "peerASN":
            if rng.random() < 0.25:  # dynamicASN instead
                o = copy.deepcopy(p)
                o["spec"].pop("peerASN", None)
                o["spec"]["dynamicASN"] = WORKING_DYNAMIC[name] if rng.random() < 0.7 else \
                    self.pick(["internal", "external"])
                return Edit([("put", o)], "%s: dynamicASN %s instead of peerASN" % (key_str(key(p)),
                                                                                     o["spec"]["dynamicASN"]))
            o = copy.deepcopy(p)
            o["spec"].pop("dynamicASN", None)
            o["spec"]["peerASN"] = peer_asns[0] if rng.random() < 0.6 else self.pick(peer_asns)
            return Edit([("put", o)], "%s: peerASN %s" % (key_str(key(p)), o["spec"]["peerASN"]))
        if field == "peerPort":
            return self.changed(p, ["spec", "peerPort"], self.pick([179, 1179, None, None]), "peerPort")
        if field == "connectTime":
            return self.changed(p, ["spec", "connectTime"], self.pick(["1s", "2s", None]), "connectTime")
        if field == "ebgpMultiHop":
            return self.changed(p, ["spec", "ebgpMultiHop"], self.pick([True, False, None]), "ebgpMultiHop")
        if field == "enableGracefulRestart":
            return self.changed(p, ["spec", "enableGracefulRestart"], self.pick([True, False, None]),
                                "enableGracefulRestart")
        if field == "nodeSelectors":
            return self.changed(p, ["spec", "nodeSelectors"], self.pick(SELECTORS[:5] + [None]), "nodeSelectors")
        # password: inline right or wrong, none, or through a Secret
        right = RIGHT_PASSWORD.get(name)
        o = copy.deepcopy(p)
        o["spec"].pop("password", None)
        o["spec"].pop("passwordSecret", None)
        how = self.pick(["inline", "inline", "inline", "none", "secret", "secret", "secret"] if right else
                        ["none", "none", "none", "inline", "secret"])
        ops = [("put", o)]
        if how == "inline":
            o["spec"]["password"] = right if right and rng.random() < 0.8 else "not-the-password"
            desc = "password %s" % ("right" if o["spec"]["password"] == right else "wrong")
        elif how == "secret":
            o["spec"]["passwordSecret"] = {"name": "bgp-" + name}
            if not self.get("Secret", "bgp-" + name) or rng.random() < 0.3:
                pw = right if right and rng.random() < 0.8 else "a-wrong-password"
                ops.insert(0, ("put", bgp_secret(name, pw)))
            desc = "passwordSecret bgp-%s" % name
        else:
            desc = "no password"
        return Edit(ops, "%s: %s" % (key_str(key(p)), desc))

    def heal_peer(self):
        """Back to the spec that works (sessions spend most of the walk up, carrying routes)."""
        name = self.pick(sorted(PEER_ADDRESS)[:4] if self.rng.random() < 0.9 else PEER_ADDRESS)
        p = self.get("BGPPeer", name)
        fresh = peer(name, nodeSelectors=p["spec"]["nodeSelectors"]) if p and "nodeSelectors" in p["spec"] else \
            peer(name)
        if p == fresh:
            return None
        return Edit([("put", fresh)], "BGPPeer %s/%s: back to a spec that works" % (NS, name))

    def restore_one(self):
        """One object back as it was at the start: the walk wanders, but around a configuration
        that announces something over every session and in L2."""
        init = initial()
        drifted = [k for k in sorted(init) if self.objs.get(k) != init[k]]
        if not drifted:
            return None
        k = self.rng.choices(drifted, [RESTORE_WEIGHT.get(k[0], 1) * (4 if k[2] == "node1" else 1)
                                       for k in drifted])[0]
        return Edit([("put", init[k])], "%s back as at the start" % key_str(k))

    def add_remove_peer(self):
        name = self.pick(PEER_ADDRESS)
        p = self.get("BGPPeer", name)
        if p:
            return Edit([("delete", key(p))], "delete %s" % key_str(key(p)))
        return Edit([("put", peer(name))], "add BGPPeer %s (%s)" % (name, PEER_ADDRESS[name]))

    # BGPAdvertisement
    def edit_bgpadv(self):
        names = self.names("BGPAdvertisement")
        if not names:
            return None
        a = self.get("BGPAdvertisement", self.pick(names))
        field = self.pick(["communities", "localPref", "aggregationLength", "aggregationLengthV6", "ipAddressPools",
                           "peers", "nodeSelectors", "communities"])
        pools = self.names("IPAddressPool")
        values = {
            "communities": lambda: self.subset(COMMUNITIES, 0, 3) or None,
            "localPref": lambda: self.pick([100, 200, 300, None]),
            "aggregationLength": lambda: self.pick([32, 30, 28, None]),
            "aggregationLengthV6": lambda: self.pick([128, 126, 124, None]),
            "ipAddressPools": lambda: self.subset(pools, 1, 2) if pools and self.rng.random() < 0.8 else None,
            "peers": lambda: self.subset(PEER_ADDRESS, 1, 3) if self.rng.random() < 0.6 else None,
            "nodeSelectors": lambda: self.pick(SELECTORS + [None]),
        }
        return self.changed(a, ["spec", field], values[field](), field)

    def add_remove_bgpadv(self):
        name = self.pick(["adv-1", "adv-2", "adv-3"])
        a = self.get("BGPAdvertisement", name)
        if a:
            return Edit([("delete", key(a))], "delete %s" % key_str(key(a)))
        pools = self.names("IPAddressPool")
        spec = {"ipAddressPools": self.subset(pools, 1, 2)} if pools else {}
        if self.rng.random() < 0.5:
            spec["communities"] = self.subset(COMMUNITIES, 1, 2)
        return Edit([("put", bgpadv(name, **spec))], "add BGPAdvertisement %s" % name)

    # IPAddressPool
    def edit_pool(self):
        name = self.pick(POOL_ADDRESSES)
        p = self.get("IPAddressPool", name)
        r = self.rng.random()
        if not p:
            return Edit([("put", pool(name, self.pick(POOL_ADDRESSES[name])))], "add IPAddressPool %s" % name)
        if r < 0.12:
            return Edit([("delete", key(p))], "delete %s" % key_str(key(p)))
        if r < 0.7:
            return self.changed(p, ["spec", "addresses"], self.pick(POOL_ADDRESSES[name]), "addresses")
        if r < 0.85:
            return self.changed(p, ["spec", "autoAssign"], self.pick([True, False, None]), "autoAssign")
        return self.changed(p, ["spec", "avoidBuggyIPs"], self.pick([True, False, None]), "avoidBuggyIPs")

    # Service and EndpointSlice
    def status_ips(self, family):
        r = self.rng.random()
        if r < 0.15:
            return []  # the allocator's choice
        if family == "v4":
            return [self.pick(V4)]
        if family == "v6":
            return [self.pick(V6)]
        return [self.pick(V4), self.pick(V6)]

    def edit_service(self):
        names = self.names("Service", "default")
        if not names:
            return None
        s = self.get("Service", self.pick(names), "default")
        fams = s["spec"]["ipFamilies"]
        family = "dual" if len(fams) == 2 else "v6" if fams == ["IPv6"] else "v4"
        field = self.pick(["status", "status", "status", "etp", "etp", "type", "family", "tier"])
        if field == "status":
            ips = self.status_ips(family)
            return self.changed(s, ["status"], {"loadBalancer": {"ingress": [{"ip": ip} for ip in ips]}}
                                if ips else None, "status IPs")
        if field == "etp":
            return self.changed(s, ["spec", "externalTrafficPolicy"], self.pick(["Cluster", "Local"]),
                                "externalTrafficPolicy")
        if field == "type":
            return self.changed(s, ["spec", "type"], self.pick(["LoadBalancer", "LoadBalancer", "ClusterIP"]), "type")
        if field == "tier":
            return self.changed(s, ["metadata", "labels", "tier"], self.pick(["web", "db"]), "label tier")
        family = self.pick(["v4", "v6", "dual"])
        o = service(s["metadata"]["name"], family, self.status_ips(family), s["spec"]["externalTrafficPolicy"],
                    s["spec"]["type"], s["metadata"]["labels"]["tier"])
        return Edit([("put", o)], "%s: family %s" % (key_str(key(s)), family))

    def random_eps(self):
        return [(self.pick(NODES), self.rng.random() < 0.8) for _ in range(self.rng.randint(0, 3))]

    def add_remove_service(self):
        name = self.pick(SERVICES)
        s = self.get("Service", name, "default")
        if s:
            ops = [("delete", key(s))]
            if self.rng.random() < 0.7:
                ops += [("delete", k) for k in sorted(self.objs) if k[0] == "EndpointSlice" and k[1] == "default" and
                        self.objs[k]["metadata"]["labels"]["kubernetes.io/service-name"] == name]
            return Edit(ops, "delete Service default/%s%s" % (name, " and its EndpointSlices" if len(ops) > 1 else ""))
        family = self.pick(["v4", "v6", "dual"])
        ops = [("put", service(name, family, self.status_ips(family), self.pick(["Cluster", "Local"])))]
        if not self.get("EndpointSlice", name + "-a", "default"):
            ops.append(("put", endpoints(name, "a", self.random_eps(), "IPv6" if family == "v6" else "IPv4")))
        return Edit(ops, "add Service default/%s (%s)" % (name, family))

    def edit_endpoints(self):
        svc = self.pick(SERVICES)
        suffix = self.pick(["a", "a", "a", "b"])
        e = self.get("EndpointSlice", "%s-%s" % (svc, suffix), "default")
        if e and self.rng.random() < 0.15:
            return Edit([("delete", key(e))], "delete %s" % key_str(key(e)))
        o = endpoints(svc, suffix, self.random_eps(), e["addressType"] if e else "IPv4")
        eps = ",".join("%s%s" % (x["nodeName"], "" if x["conditions"]["ready"] else "(not ready)")
                       for x in o["endpoints"]) or "none"
        return Edit([("put", o)], "EndpointSlice default/%s-%s: endpoints %s" % (svc, suffix, eps))

    # Node
    def edit_node(self):
        names = self.names("Node", "")
        if not names:
            return None
        n = self.get("Node", self.pick(names), "")
        field = self.pick(["zone", "rack", EXCLUDE, EXCLUDE, "NetworkUnavailable"])
        if field == "NetworkUnavailable":
            was = n["status"]["conditions"][1]["status"] == "True"
            if not was and self.rng.random() < 0.5:
                return None  # keep it rare
            o = copy.deepcopy(n)
            o["status"]["conditions"][1]["status"] = "False" if was else "True"
            return Edit([("put", o)], "%s: NetworkUnavailable %s" % (key_str(key(n)), not was))
        values = {"zone": ["a", "b", None], "rack": ["r1", "r2", None], EXCLUDE: ["", None, None]}[field]
        return self.changed(n, ["metadata", "labels", field], self.pick(values), "label " + field)

    def add_remove_node(self):
        name = self.pick(["node2", "node3", "node2", "node3", "node1"])
        n = self.get("Node", name, "")
        if n:
            return Edit([("delete", key(n))], "delete Node %s" % name)
        return Edit([("put", node(name, {"zone": self.pick(["a", "b"])}))], "add Node %s" % name)

    # Secrets, Community
    def edit_secret(self):
        name = self.pick(PEER_ADDRESS)
        s = self.get("Secret", "bgp-" + name)
        if s and self.rng.random() < 0.2:
            return Edit([("delete", key(s))], "delete %s" % key_str(key(s)))
        right = RIGHT_PASSWORD.get(name)
        pw = right if right and self.rng.random() < 0.7 else self.pick(["a-wrong-password", "another-one"])
        return Edit([("put", bgp_secret(name, pw))], "Secret %s/bgp-%s: password %s" %
                    (NS, name, "right" if pw == right else "wrong"))

    def edit_memberlist(self):
        s = self.get("Secret", "memberlist")
        if s and self.rng.random() < 0.25:
            return Edit([("delete", key(s))], "delete the memberlist Secret")
        v = self.pick(MEMBERLIST_KEYS)
        return Edit([("put", memberlist(v))], "memberlist secretkey %r" % v)

    def edit_community(self):
        c = self.get("Community", "communities")
        if c and self.rng.random() < 0.2:
            return Edit([("delete", key(c))], "delete the Community")
        v = self.pick(["64500:300", "64500:301", "65000:1"])
        return Edit([("put", community(v))], "Community vip-tag = %s" % v)

    # L2Advertisement
    def edit_l2adv(self):
        names = self.names("L2Advertisement")
        if not names:
            return None
        a = self.get("L2Advertisement", self.pick(names))
        field = self.pick(["ipAddressPools", "nodeSelectors", "interfaces", "serviceSelectors"])
        pools = self.names("IPAddressPool")
        values = {
            "ipAddressPools": lambda: self.subset(pools, 1, 3) if pools and self.rng.random() < 0.8 else None,
            "nodeSelectors": lambda: self.pick(SELECTORS + [None]),
            "interfaces": lambda: self.pick([None, None, ["eth0"], ["eth9"], ["eth0", "eth9"]]),
            "serviceSelectors": lambda: self.pick([None, None, [{"matchLabels": {"tier": "web"}}]]),
        }
        return self.changed(a, ["spec", field], values[field](), field)

    def add_remove_l2adv(self):
        name = self.pick(["l2-1", "l2-2"])
        a = self.get("L2Advertisement", name)
        if a:
            return Edit([("delete", key(a))], "delete %s" % key_str(key(a)))
        return Edit([("put", l2adv(name, nodeSelectors=self.pick(SELECTORS)))], "add L2Advertisement %s" % name)

    # Edits every speaker must refuse
    def invalid_edit(self):
        kinds = ["holdTime", "asn", "cidr", "overlap", "pool-ref", "community", "two-passwords", "keepalive",
                 "connectTime", "syntax", "duplicate-key", "duplicate-object", "tab"]
        what = self.pick(kinds)
        peers = self.names("BGPPeer")
        advs = self.names("BGPAdvertisement")
        pools = self.names("IPAddressPool")
        p = self.get("BGPPeer", self.pick(peers)) if peers else None
        a = self.get("BGPAdvertisement", self.pick(advs)) if advs else None
        pl = self.get("IPAddressPool", self.pick(pools)) if pools else None

        def bad(obj, path, value, why):
            e = self.changed(obj, path, value, why) if obj else None
            if e is None:
                return None
            e.invalid = True
            e.desc = "INVALID " + e.desc
            return e

        if what == "holdTime":
            return bad(p, ["spec", "holdTime"], "1s", "holdTime")
        if what == "asn":
            return bad(p, ["spec", "myASN"], self.pick([0, 4294967296]), "myASN")
        if what == "keepalive":
            e = bad(p, ["spec", "keepaliveTime"], "30s", "keepaliveTime")
            if e:
                e.ops[0][1]["spec"]["holdTime"] = "9s"
            return e
        if what == "connectTime":
            return bad(p, ["spec", "connectTime"], "500ms", "connectTime")
        if what == "two-passwords":
            if p is None:
                return None
            e = bad(p, ["spec", "password"], "pw", "password")
            e.ops[0][1]["spec"]["passwordSecret"] = {"name": "bgp-" + p["metadata"]["name"]}
            e.desc += " beside a passwordSecret"
            return e
        if what == "cidr":
            return bad(pl, ["spec", "addresses"], ["198.51.100.0/33"], "addresses")
        if what == "overlap":
            if pl is None or len(pools) < 2:
                return None
            other = self.get("IPAddressPool", self.pick([n for n in pools if n != pl["metadata"]["name"]]))
            return bad(pl, ["spec", "addresses"], pl["spec"]["addresses"] + other["spec"]["addresses"][:1],
                       "addresses (overlapping %s)" % other["metadata"]["name"])
        if what == "pool-ref":
            return bad(a, ["spec", "ipAddressPools"], ["no-such-pool"], "ipAddressPools")
        if what == "community":
            return bad(a, ["spec", "communities"], [self.pick(["65536:1", "64500:x", "large:1:2", "no-such-name"])],
                       "communities")
        # text-level: the document itself is broken, or an object is defined twice
        k = self.pick(sorted(self.objs))
        if what == "duplicate-object":
            return Edit([("rawfile", DUPLICATE, copy.deepcopy(self.objs[k]))],
                        "INVALID %s defined a second time in another file" % key_str(k), True, True)
        texts = {"syntax": "apiVersion: v1\nkind: %s\nmetadata: {name: \"%s\"\nspec: [\n" % (k[0], k[2]),
                 "duplicate-key": "apiVersion: v1\nkind: %s\nkind: %s\nmetadata:\n  name: %s\n" % (k[0], k[0], k[2]),
                 "tab": "apiVersion: v1\nkind: %s\nmetadata:\n\tname: %s\n" % (k[0], k[2])}
        return Edit([("raw", k, texts[what])], "INVALID %s: its document replaced by %s" % (key_str(k), what),
                    True, True)


def fmt(v):
    if v is None:
        return "(unset)"
    if isinstance(v, (list, dict)):
        return json.dumps(v, separators=(",", ":"))
    return str(v)


def universe():
    """Every object key the model can produce (the file applier gives each a file up front)."""
    ks = [("Node", "", n) for n in NODES]
    ks += [("IPAddressPool", NS, p) for p in POOL_ADDRESSES]
    ks += [("BGPPeer", NS, p) for p in PEER_ADDRESS] + [("Secret", NS, "bgp-" + p) for p in PEER_ADDRESS]
    ks += [("Secret", NS, "memberlist"), ("Community", NS, "communities")]
    ks += [("BGPAdvertisement", NS, a) for a in ("adv-1", "adv-2", "adv-3")]
    ks += [("L2Advertisement", NS, a) for a in ("l2-1", "l2-2")]
    ks += [("Service", "default", s) for s in SERVICES]
    ks += [("EndpointSlice", "default", "%s-%s" % (s, x)) for s in SERVICES for x in "ab"]
    return ks
