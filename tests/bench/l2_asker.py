#!/usr/bin/python3
"""Asks for one address, one question at a time, as raw frames: ARP requests
for an IPv4 address, Neighbor Solicitations for an IPv6 one (so the asking
host's own neighbour table plays no part), and prints the time to each answer
in ms, one a line ("-" when none came within the timeout). Standard library
only; run inside the client namespace.

    l2_asker.py IFACE SOURCE_IP TARGET COUNT INTERVAL_MS TIMEOUT_MS

The time runs from just before the send to the kernel's receive timestamp of
the answer (SO_TIMESTAMPNS), so this process's own wake-up is not counted.
A classic BPF filter on the socket passes only ARP replies or ICMPv6 Neighbor
Advertisements, so a storm of requests on the LAN does not reach this process.
The socket is a plain AF_PACKET one, without a ring: a packet ring (arping,
tcpdump) is zeroed when it is set up, in one system call that kept a CPU from
every other task, the real-time speakers too, for 9-19 ms on the bench's VM
(tests/bench/README.md), and the bench starts its client during each flood.
"""
import ctypes
import ipaddress
import select
import socket
import struct
import sys
import time

ETH_P_ARP = 0x0806
ETH_P_IPV6 = 0x86DD
SO_ATTACH_FILTER = 26
SO_TIMESTAMPNS = 35
ACCEPT, DROP = (0x06, 0, 0, 0xFFFF), (0x06, 0, 0, 0)


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def attach_filter(sock, insns):
    prog = b"".join(struct.pack("HBBI", *i) for i in insns)
    buf = ctypes.create_string_buffer(prog)
    fprog = struct.pack("HL", len(insns), ctypes.addressof(buf))
    sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, fprog)
    return buf  # kept alive by the caller


def arp(src_b, tgt_b, mac):
    """-> the request frame, its filter (ethertype ARP, opcode reply) and the answer's test"""
    insns = [(0x28, 0, 0, 12), (0x15, 0, 3, ETH_P_ARP), (0x28, 0, 0, 20), (0x15, 0, 1, 2), ACCEPT, DROP]
    frame = (b"\xff" * 6 + mac + struct.pack("!HHHBBH", ETH_P_ARP, 1, 0x0800, 6, 4, 1)
             + mac + src_b + b"\0" * 6 + tgt_b)
    return frame, insns, lambda p: len(p) >= 42 and p[0:6] == mac and p[28:32] == tgt_b


def nd(src_b, tgt_b, mac):
    """-> the solicitation frame, its filter (IPv6, ICMPv6, type NA) and the answer's test"""
    insns = [(0x28, 0, 0, 12), (0x15, 0, 5, ETH_P_IPV6), (0x30, 0, 0, 20), (0x15, 0, 3, 58),
             (0x30, 0, 0, 54), (0x15, 0, 1, 136), ACCEPT, DROP]
    group = b"\xff\x02" + b"\0" * 9 + b"\x01\xff" + tgt_b[13:]
    icmp = struct.pack("!BBHI", 135, 0, 0, 0) + tgt_b + b"\x01\x01" + mac
    pseudo = src_b + group + struct.pack("!I3xB", len(icmp), 58)
    icmp = icmp[:2] + struct.pack("!H", csum(pseudo + icmp)) + icmp[4:]
    ip6 = struct.pack("!IHBB", 6 << 28, len(icmp), 58, 255) + src_b + group
    frame = b"\x33\x33" + group[12:] + mac + struct.pack("!H", ETH_P_IPV6) + ip6 + icmp
    return frame, insns, lambda p: len(p) >= 78 and p[0:6] == mac and p[62:78] == tgt_b


def rx_time_ns(ancdata):
    for level, kind, data in ancdata:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(data) >= 16:
            sec, nsec = struct.unpack("qq", data[:16])
            return sec * 1000000000 + nsec
    return time.time_ns()


def main():
    ifname, src, target = sys.argv[1], sys.argv[2], sys.argv[3]
    count, interval, timeout = int(sys.argv[4]), float(sys.argv[5]) / 1000, float(sys.argv[6]) / 1000
    src_ip, tgt_ip = ipaddress.ip_address(src), ipaddress.ip_address(target)
    proto = ETH_P_ARP if tgt_ip.version == 4 else ETH_P_IPV6
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(proto))
    s.bind((ifname, proto))
    mac = s.getsockname()[4][:6]
    frame, insns, is_answer = (arp if proto == ETH_P_ARP else nd)(src_ip.packed, tgt_ip.packed, mac)
    keep = attach_filter(s, insns)
    s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    while select.select([s], [], [], 0)[0]:  # what came before the filter
        s.recv(2048)
    for _ in range(count):
        t0 = time.monotonic()
        sent_ns = time.time_ns()
        s.send(frame)
        got = None
        while got is None:
            # Past the timeout, what is already queued still counts if the kernel took it in time:
            # this process may have been off the CPU, the answer was not late.
            left = max(t0 + timeout - time.monotonic(), 0)
            if not select.select([s], [], [], left)[0]:
                break
            pkt, anc, _, _ = s.recvmsg(2048, 64)
            ms = (rx_time_ns(anc) - sent_ns) / 1e6
            if is_answer(pkt) and ms <= timeout * 1000:
                got = ms
        print("%.3f" % got if got is not None else "-", flush=True)
        rest = t0 + interval - time.monotonic()
        if rest > 0:
            time.sleep(rest)
    del keep


if __name__ == "__main__":
    main()
