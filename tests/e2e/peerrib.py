#!/usr/bin/python3
"""Reads a BGP peer's own table and prints one normalized line per path:

    PREFIX NEXTHOP LOCALPREF COMMUNITIES LARGECOMMUNITIES ASPATH

'-' stands for an absent field; communities are sorted and comma-joined
(64500:100,65535:65281), large communities likewise (64500:1:2), the AS path is
the ASNs comma-joined (sets in braces). Addresses and prefixes are in their
canonical form (ipaddress module), so tests can compare strings.

Usage (called by tests/e2e/lib.sh):
    peerrib.py bird SOCKET [birdc show route filter words...]
    peerrib.py frr VTYDIR ipv4|ipv6
    peerrib.py gobgp NETNS APIPORT ipv4|ipv6
    peerrib.py exabgp STATEDIR                (prints the table kept by exabgp-sink)
    peerrib.py exabgp-sink STATEDIR           (run by ExaBGP as an API process)
"""
import ipaddress
import json
import os
import subprocess
import sys
import time


def canon_prefix(p):
    try:
        return str(ipaddress.ip_network(p, strict=False))
    except ValueError:
        return p


def canon_addr(a):
    try:
        return str(ipaddress.ip_address(a))
    except ValueError:
        return a


def fmt(prefix, nh, lp, comms, lcomms, aspath):
    def comm_key(c):
        return tuple(int(x) if x.isdigit() else 0 for x in c.split(":"))
    comms = sorted(set(comms), key=comm_key)
    lcomms = sorted(set(lcomms), key=comm_key)
    return " ".join([
        canon_prefix(prefix),
        canon_addr(nh) if nh else "-",
        str(lp) if lp is not None else "-",
        ",".join(comms) if comms else "-",
        ",".join(lcomms) if lcomms else "-",
        ",".join(str(a) for a in aspath) if aspath else "-",
    ])


def run(cmd):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=20)
    if r.returncode != 0:
        sys.stderr.write("peerrib: %s: %s%s" % (" ".join(cmd), r.stdout, r.stderr))
        sys.exit(2)
    return r.stdout


# ---------------------------------------------------------------- BIRD 2
def bird(sock, words):
    return bird_parse(run(["birdc", "-s", sock, "show", "route", "all"] + words))


def bird_parse(out):
    """Lines from the text of birdc "show route all"."""
    lines = []
    cur = None
    prefix = None

    def flush():
        if cur is not None:
            lines.append(fmt(cur["prefix"], cur["nh"], cur["lp"], cur["c"],
                             cur["lc"], cur["path"]))

    for raw in out.splitlines():
        if not raw.strip() or raw.startswith("BIRD ") or raw.startswith("Table "):
            continue
        if raw.startswith("\t"):
            if cur is None:
                continue
            s = raw.strip()
            key, _, val = s.partition(":")
            val = val.strip()
            if key == "BGP.next_hop":
                cur["nh"] = val.split()[0] if val else None
            elif key == "BGP.local_pref":
                cur["lp"] = int(val)
            elif key == "BGP.community":
                cur["c"] = [x.strip("()").replace(",", ":")
                            for x in val.split(") (") if x.strip("()")]
                cur["c"] = [c.replace(" ", "") for c in cur["c"]]
            elif key == "BGP.large_community":
                cur["lc"] = [x.strip("()").replace(" ", "").replace(",", ":")
                             for x in val.split(") (") if x.strip("()")]
            elif key == "BGP.as_path":
                cur["path"] = val.split()
            continue
        # a route header: "PREFIX  unicast [proto ...]" or "   unicast [proto ...]"
        flush()
        if not raw[0].isspace():
            prefix = raw.split()[0]
        cur = {"prefix": prefix, "nh": None, "lp": None, "c": [], "lc": [], "path": []}
    flush()
    return lines


# ---------------------------------------------------------------- FRR bgpd
# FRR prints well-known communities by name; map them back to numbers.
FRR_WELL_KNOWN = {
    "gshut": "65535:0", "gracefulShutdown": "65535:0", "acceptOwn": "65535:1",
    "routeFilterTranslatedv4": "65535:2", "routeFilterv4": "65535:3",
    "routeFilterTranslatedv6": "65535:4", "routeFilterv6": "65535:5",
    "llgrStale": "65535:6", "noLlgr": "65535:7", "acceptownNexthop": "65535:8",
    "blackhole": "65535:666", "noExport": "65535:65281", "noAdvertise": "65535:65282",
    "localAs": "65535:65283", "noPeer": "65535:65284",
}


def frr(vtydir, afi):
    base = ["vtysh", "--vty_socket", vtydir, "-d", "bgpd", "-c"]
    summary = json.loads(run(base + ["show bgp %s unicast json" % afi]) or "{}")
    lines = []
    for prefix in sorted(summary.get("routes", {})):
        d = json.loads(run(base + ["show bgp %s unicast %s json" % (afi, prefix)]) or "{}")
        for p in d.get("paths", []):
            lines.append(frr_path_line(prefix, p))
    return lines


def frr_path_line(prefix, p):
    """One line for a path as FRR's JSON shows it (show bgp ... PREFIX json, or ... json detail)."""
    nh = None
    for n in p.get("nexthops", []):
        if n.get("scope", "global") == "global":
            nh = n.get("ip")
            break
    path = []
    for seg in p.get("aspath", {}).get("segments", []):
        if seg.get("type") == "as-set":
            path.append("{" + ",".join(str(a) for a in seg["list"]) + "}")
        else:
            path.extend(seg.get("list", []))
    return fmt(prefix, nh, p.get("locPrf"),
               [FRR_WELL_KNOWN.get(c, c) for c in p.get("community", {}).get("list", [])],
               p.get("largeCommunity", {}).get("list", []), path)


def frr_parse_detail(text):
    """Lines from FRR 8's "show bgp AFI unicast json detail": every route's paths in one answer
    (each route's list starts with an entry that only names the prefix)."""
    lines = []
    for prefix, paths in sorted(json.loads(text or "{}").get("routes", {}).items()):
        for p in paths:
            if "nexthops" in p:
                lines.append(frr_path_line(prefix, p))
    return lines


# ---------------------------------------------------------------- GoBGP
def gobgp(netns, port, afi):
    out = run(["ip", "netns", "exec", netns, "gobgp", "-p", str(port),
               "global", "rib", "-a", afi, "-j"])
    d = json.loads(out) if out.strip() else {}
    lines = []
    for prefix, paths in sorted(d.items()):
        for p in paths:
            nh, lp, c, lc, path = None, None, [], [], []
            for a in p.get("attrs", []):
                t = a.get("type")
                if t == 2:
                    for seg in a.get("as_paths", []):
                        if seg.get("segment_type") == 1:
                            path.append("{" + ",".join(str(x) for x in seg["asns"]) + "}")
                        else:
                            path.extend(seg.get("asns", []))
                elif t == 3:
                    nh = a.get("nexthop")
                elif t == 14:
                    nh = a.get("nexthop")
                elif t == 5:
                    lp = a.get("value")
                elif t == 8:
                    c = ["%d:%d" % (v >> 16, v & 0xffff) for v in a.get("communities", [])]
                elif t == 32:
                    lc = ["%d:%d:%d" % (v["ASN"], v["LocalData1"], v["LocalData2"])
                          for v in a.get("value", [])]
            lines.append(fmt(prefix, nh, lp, c, lc, path))
    return lines


# ---------------------------------------------------------------- ExaBGP
def exabgp_sink(statedir):
    """Keeps ExaBGP's Adj-RIB-In from its JSON API: STATEDIR/rib (normalized
    lines, replaced atomically after every message) and STATEDIR/events (one line
    per session state change: TIME PEER STATE)."""
    rib = {}   # peer -> {prefix: line}
    os.makedirs(statedir, exist_ok=True)

    def write():
        tmp = os.path.join(statedir, "rib.tmp")
        with open(tmp, "w") as f:
            for peer in sorted(rib):
                for pfx in sorted(rib[peer]):
                    f.write(rib[peer][pfx] + "\n")
        os.replace(tmp, os.path.join(statedir, "rib"))

    write()
    ev = open(os.path.join(statedir, "events"), "a")
    raw = open(os.path.join(statedir, "raw.json"), "a")
    for line in sys.stdin:
        raw.write(line)
        raw.flush()
        try:
            m = json.loads(line)
        except ValueError:
            continue
        nb = m.get("neighbor", {})
        peer = nb.get("address", {}).get("peer", "?")
        if m.get("type") == "state":
            ev.write("%.3f %s %s\n" % (time.time(), peer, nb.get("state")))
            ev.flush()
            if nb.get("state") in ("down", "connected"):
                rib.pop(peer, None)
                write()
            continue
        if m.get("type") != "update":
            continue
        upd = nb.get("message", {}).get("update", {})
        attr = upd.get("attribute", {})
        table = rib.setdefault(peer, {})
        for fam, nhs in upd.get("announce", {}).items():
            if "unicast" not in fam:
                continue
            for nh, nlris in nhs.items():
                for n in nlris:
                    pfx = n["nlri"] if isinstance(n, dict) else n
                    path = list(attr.get("as-path", []))
                    if attr.get("as-set"):
                        path.append("{" + ",".join(str(x) for x in attr["as-set"]) + "}")
                    table[canon_prefix(pfx)] = fmt(
                        pfx, nh, attr.get("local-preference"),
                        ["%d:%d" % tuple(c) for c in attr.get("community", [])],
                        ["%d:%d:%d" % tuple(c) for c in attr.get("large-community", [])],
                        path)
        for fam, nlris in upd.get("withdraw", {}).items():
            for n in nlris:
                pfx = n["nlri"] if isinstance(n, dict) else n
                table.pop(canon_prefix(pfx), None)
        write()


def exabgp(statedir):
    try:
        with open(os.path.join(statedir, "rib")) as f:
            return [l.rstrip("\n") for l in f if l.strip()]
    except FileNotFoundError:
        sys.stderr.write("peerrib: %s/rib: no table yet\n" % statedir)
        sys.exit(2)


def main(argv):
    if len(argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    kind = argv[1]
    if kind == "bird":
        lines = bird(argv[2], argv[3:])
    elif kind == "frr":
        lines = frr(argv[2], argv[3])
    elif kind == "gobgp":
        lines = gobgp(argv[2], argv[3], argv[4])
    elif kind == "exabgp":
        lines = exabgp(argv[2])
    elif kind == "exabgp-sink":
        exabgp_sink(argv[2])
        return 0
    else:
        sys.stderr.write(__doc__)
        return 2
    for l in sorted(lines):
        print(l)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
