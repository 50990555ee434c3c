"""The oracle: what a fresh load of a configuration gives (`vipcast-speaker
--print-plan`), turned into what the lab must show (walk_lab.py):

  - per router, its table as peerrib.py lines (PREFIX NEXTHOP LOCALPREF
    COMMUNITIES LARGECOMMUNITIES ASPATH), from every session that can come up;
  - per router neighbor, whether its session is up, and under which BGPPeer
    with which parameters (to tell a restart that must happen from a flap);
  - per VIP the client may ask about, whether node1 answers ARP/NDP for it.
"""
import ipaddress
import json
import subprocess

from walk_lab import NEIGHBORS, NODE_IFACE, BY_ADDRESS, compatible, families

IBGP_DEFAULT_LOCAL_PREF = 100


class PlanRun:
    """vipcast-speaker --print-plan running in the background (it takes as long as a reload)."""

    def __init__(self, binary, config, node):
        self.p = subprocess.Popen([binary, "--config", config, "--node", node, "--print-plan"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def result(self):
        """The plan as a dict, or None when the configuration is invalid; and the diagnostics."""
        out, err = self.p.communicate(timeout=60)
        if self.p.returncode == 2:
            return None, err
        if self.p.returncode != 0:
            raise RuntimeError("--print-plan exited %d: %s" % (self.p.returncode, err[-2000:]))
        return json.loads(out), err


def print_plan(binary, config, node):
    return PlanRun(binary, config, node).result()


def family(prefix):
    return ipaddress.ip_network(prefix).version


class Expected:
    def __init__(self, plan):
        self.plan = plan
        self.tables = {"bird": [], "frr": []}
        self.sessions = {}  # neighbor id -> (BGPPeer name, session parameters) when it must be up
        self.l2 = {}        # VIP -> answered by node1
        for p in plan["peers"]:
            s = p["session"]
            nb = BY_ADDRESS.get(s["address"]) if s else None
            if nb is None or not compatible(nb, s):
                continue
            # disableMP is shown but changes nothing (deprecated in MetalLB): not a session parameter.
            self.sessions[nb.id] = (p["name"], {k: v for k, v in s.items() if k != "disable_mp"})
            ibgp = s["local_as"] == nb.asn
            next_hops = families(nb, s)
            for r in p["routes"]:
                if family(r["prefix"]) not in next_hops:
                    continue
                lp = r["local_pref"] if r["local_pref"] is not None else IBGP_DEFAULT_LOCAL_PREF
                self.tables[nb.router].append(" ".join([
                    r["prefix"], next_hops[family(r["prefix"])], str(lp) if ibgp else "-",
                    ",".join(r["communities"]) or "-", ",".join(r["large_communities"]) or "-",
                    "-" if ibgp else str(s["local_as"])]))
        for t in self.tables.values():
            t.sort()
        key = plan["l2"]["key"]
        for v in plan["l2"]["vips"]:
            alone = len(v["nodes"]) == 1
            iface_ok = not v["interfaces"] or NODE_IFACE in v["interfaces"]
            self.l2[v["ip"]] = bool(v["here"] and (alone or key) and iface_ok)

    def up(self, nb_id):
        return nb_id in self.sessions


def restarts(before, after):
    """Neighbor ids whose session the edit must restart: up before and after, another BGPPeer or other parameters."""
    return sorted(n.id for n in NEIGHBORS if n.id in before.sessions and n.id in after.sessions and
                  before.sessions[n.id] != after.sessions[n.id])


def steady(before, after):
    """Neighbor ids whose session must stay up untouched."""
    return sorted(n.id for n in NEIGHBORS if n.id in before.sessions and
                  before.sessions[n.id] == after.sessions.get(n.id))
