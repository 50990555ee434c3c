"""The lab of the reload walk (tests/e2e/test_reload_walk.sh): one LAN with

    rb  BIRD 2, AS 64512, 192.0.2.1 and 2001:db8::1: iBGP to node1 over both families
    rf  FRR 8 bgpd, AS 64500, 192.0.2.2 and 2001:db8::2: eBGP ("remote-as external")
    n1  node1, the speaker under test, 192.0.2.11 and 2001:db8::11
    c   a client that asks who answers ARP/NDP for the VIPs, 192.0.2.100
Nodes node2 and node3 exist in the configuration only (no speaker runs there).

The routers' side never changes; what each expects from node1 (AS, password)
is written here once, and `compatible()` says whether a session the speaker
would open (the "session" of --print-plan) can come up with that router.
"""
import hashlib

NODE = "node1"
NODE_IFACE = "eth0"
NODES = {  # name -> (IPv4, IPv6) InternalIP addresses
    "node1": ("192.0.2.11", "2001:db8::11"),
    "node2": ("192.0.2.12", "2001:db8::12"),
    "node3": ("192.0.2.13", "2001:db8::13"),
}
CLIENT_IFACE = "eth0"


class Neighbor:
    """One BGP neighbor as a router is configured for node1."""

    def __init__(self, rid, router, address, family, asn, password, proto=None):
        self.id = rid            # bird4, bird6, frr4, frr6
        self.router = router     # "bird" or "frr"
        self.router_id = ROUTER_IDS[router]
        self.address = address   # the router's address, a BGPPeer's peerAddress
        self.family = family     # 4 or 6
        self.asn = asn           # the router's own AS
        self.password = password  # TCP MD5 the router expects, or None
        self.proto = proto       # BIRD protocol name
        self.node_address = NODES[NODE][0 if family == 4 else 1]


BIRD_AS = 64512
FRR_AS = 64500
ROUTER_IDS = {"bird": "192.0.2.1", "frr": "192.0.2.2"}
NEIGHBORS = [
    Neighbor("bird4", "bird", "192.0.2.1", 4, BIRD_AS, None, "n1v4"),
    Neighbor("bird6", "bird", "2001:db8::1", 6, BIRD_AS, "bird6-md5", "n1v6"),
    Neighbor("frr4", "frr", "192.0.2.2", 4, FRR_AS, "frr4-md5"),
    Neighbor("frr6", "frr", "2001:db8::2", 6, FRR_AS, None),
]
BY_ADDRESS = {n.address: n for n in NEIGHBORS}
# Addresses where no router listens: sessions that never come up.
GHOSTS = {"ghost4": "192.0.2.9", "ghost6": "2001:db8::9"}


def fingerprint(password):
    """As --print-plan prints a password: the first 8 bytes of its SHA-256, in hex."""
    if not password:
        return None
    return hashlib.sha256(password.encode()).hexdigest()[:16]


def compatible(nb, s):
    """Whether the session s (--print-plan "session") comes up with neighbor nb."""
    if s is None or fingerprint(nb.password) != s["password"]:
        return False
    if s["router_id"] == nb.router_id and s["local_as"] == nb.asn:  # RFC 6286: one ID twice in an AS
        return False
    if nb.router == "bird":  # iBGP only: neighbor ... as 64512
        return s["local_as"] == BIRD_AS and (
            s["peer_as"] == BIRD_AS or (s["peer_as"] == 0 and s["dynamic"] == "internal"))
    # FRR, remote-as external: any AS but its own
    return s["local_as"] != FRR_AS and (
        s["peer_as"] == FRR_AS or (s["peer_as"] == 0 and s["dynamic"] == "external"))


def families(nb, s):
    """The address families a session carries, with the next hop of each: its own family from
    the session's local address; the other one with dualStackAddressFamily, from the node's
    address of that family (disableMP has no effect, as in MetalLB's FRR mode since 0.15).
    Both routers take both families on every session."""
    out = {nb.family: nb.node_address}
    if s["dual_stack"] and s["other_next_hop"]:
        out[10 - nb.family] = s["other_next_hop"]
    return out


def bird_config():
    lines = ["router id 192.0.2.1;", "log stderr all;", "timeformat protocol iso long ms;",
             "protocol device { scan time 10; }"]
    for nb in NEIGHBORS:
        if nb.router != "bird":
            continue
        pw = ' password "%s";' % nb.password if nb.password else ""
        lines.append("""protocol bgp %s {
	local %s as %d; neighbor %s as %d; direct;%s
	hold time 9; keepalive time 3; connect delay time 1; connect retry time 1; error wait time 0, 0;
	debug { states };
	ipv4 { import all; export none; };
	ipv6 { import all; export none; };
}""" % (nb.proto, nb.address, nb.asn, nb.node_address, BIRD_AS, pw))
    return "\n".join(lines) + "\n"


def frr_config():
    lines = ["hostname rf", "router bgp %d" % FRR_AS, " bgp router-id 192.0.2.2",
             " no bgp ebgp-requires-policy", " no bgp default ipv4-unicast", " no bgp network import-check"]
    frr = [nb for nb in NEIGHBORS if nb.router == "frr"]
    for nb in frr:
        lines += [" neighbor %s remote-as external" % nb.node_address,
                  " neighbor %s timers 3 9" % nb.node_address,
                  " neighbor %s timers connect 1" % nb.node_address]
        if nb.password:
            lines.append(" neighbor %s password %s" % (nb.node_address, nb.password))
    for fam in (4, 6):
        lines.append(" address-family ipv%d unicast" % fam)
        lines += ["  neighbor %s activate" % nb.node_address for nb in frr]
        lines.append(" exit-address-family")
    return "\n".join(lines) + "\n"
