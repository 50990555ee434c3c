#!/usr/bin/python3
"""Asks the LAN who answers for a set of addresses, many at once: an ARP
request (broadcast) for each IPv4 address and a Neighbor Solicitation (to the
solicited-node multicast group) for each IPv6 one, then collects the answers
for a short window. Standard library only; run inside the client namespace.

    l2probe.py IFACE [--window MS] ADDR...     one probe, JSON on stdout
    l2probe.py IFACE --serve                   one probe per stdin line

A probe answer is {"ADDR": ["mac", ...]} with every address asked (an empty
list: nobody answered). In --serve mode each stdin line is a JSON object
{"ips": [...], "window_ms": N, "expect": {"ADDR": ["mac"]}}: the window ends
early once every address of "expect" got exactly its MACs and a short grace
has passed (an unexpected answer comes as fast as an expected one).
"""
import ipaddress
import json
import os
import select
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
ETH_P_ARP = 0x0806
ETH_P_IPV6 = 0x86DD
GRACE_S = 0.03


def mac_str(b):
    return ":".join("%02x" % x for x in b)


class Prober:
    def __init__(self, ifname):
        self.ifname = ifname
        self.ifindex = socket.if_nametoindex(ifname)
        self.rx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        self.rx.bind((ifname, 0))
        self.rx.setblocking(False)
        self.arp = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ARP))
        self.arp.bind((ifname, ETH_P_ARP))
        self.mac = self.arp.getsockname()[4][:6]
        self.ip4 = self.own_ipv4()
        self.ns = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
        self.ns.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)
        self.ns.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, 255)
        self.ns.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, self.ifindex)

    def own_ipv4(self):
        # The first IPv4 address of the interface, as the ARP sender address.
        out = os.popen("ip -4 -o addr show dev %s" % self.ifname).read().split()
        for i, w in enumerate(out):
            if w == "inet":
                return socket.inet_aton(out[i + 1].split("/")[0])
        return b"\0\0\0\0"

    def send_arp(self, ip):
        frame = (b"\xff" * 6 + self.mac + struct.pack("!H", ETH_P_ARP) +
                 struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + self.mac + self.ip4 +
                 b"\0" * 6 + socket.inet_aton(ip))
        self.arp.send(frame)

    def send_ns(self, ip):
        t = ipaddress.IPv6Address(ip).packed
        group = b"\xff\x02" + b"\0" * 9 + b"\x01\xff" + t[13:]
        # type 135, code 0, checksum (the kernel fills it), reserved, target, source link-layer option
        msg = struct.pack("!BBHI", 135, 0, 0, 0) + t + struct.pack("!BB", 1, 1) + self.mac
        self.ns.sendto(msg, (socket.inet_ntop(socket.AF_INET6, group), 0, 0, self.ifindex))

    def parse(self, frame, want):
        """(address, mac) of an ARP reply or a Neighbor Advertisement for an address of want."""
        if len(frame) < 14:
            return None
        etype = struct.unpack("!H", frame[12:14])[0]
        src = mac_str(frame[6:12])
        if etype == ETH_P_ARP and len(frame) >= 42:
            op = struct.unpack("!H", frame[20:22])[0]
            spa = socket.inet_ntoa(frame[28:32])
            if op == 2 and spa in want:
                return spa, mac_str(frame[22:28])
        elif etype == ETH_P_IPV6 and len(frame) >= 14 + 40 + 24:
            ip6 = frame[14:54]
            if ip6[6] != 58 or frame[54] != 136:
                return None
            target = str(ipaddress.IPv6Address(frame[62:78]))
            if target not in want:
                return None
            lla = src
            opts = frame[78:]
            while len(opts) >= 8 and opts[1]:
                if opts[0] == 2 and opts[1] == 1:
                    lla = mac_str(opts[2:8])
                opts = opts[opts[1] * 8:]
            return target, lla
        return None

    def probe(self, ips, window_ms=150, expect=None):
        want = {}
        for ip in ips:
            want[str(ipaddress.ip_address(ip))] = set()
        expect = {str(ipaddress.ip_address(k)): sorted(v) for k, v in (expect or {}).items()}
        while True:  # drop what arrived before this probe
            try:
                self.rx.recv(65535)
            except BlockingIOError:
                break
        for ip in want:
            if ":" in ip:
                self.send_ns(ip)
            else:
                self.send_arp(ip)
        t0 = time.monotonic()
        end = t0 + window_ms / 1000.0
        done_at = None
        while True:
            now = time.monotonic()
            if now >= end or (done_at is not None and now >= done_at):
                break
            r, _, _ = select.select([self.rx], [], [], min(end, done_at or end) - now)
            if r:
                while True:
                    try:
                        frame = self.rx.recv(65535)
                    except BlockingIOError:
                        break
                    got = self.parse(frame, want)
                    if got:
                        want[got[0]].add(got[1])
            if expect is not None and done_at is None and all(
                    sorted(want.get(k, ())) == v for k, v in expect.items()):
                done_at = time.monotonic() + GRACE_S
        return {k: sorted(v) for k, v in sorted(want.items())}


def main(argv):
    if len(argv) < 2:
        sys.stderr.write(__doc__)
        return 2
    p = Prober(argv[1])
    if len(argv) > 2 and argv[2] == "--serve":
        for line in sys.stdin:
            req = json.loads(line)
            res = p.probe(req["ips"], req.get("window_ms", 150), req.get("expect"))
            sys.stdout.write(json.dumps(res) + "\n")
            sys.stdout.flush()
        return 0
    window = 150
    args = argv[2:]
    if args[:1] == ["--window"]:
        window = int(args[1])
        args = args[2:]
    print(json.dumps(p.probe(args, window)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
