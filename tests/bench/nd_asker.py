#!/usr/bin/python3
"""Asks for one IPv6 address with Neighbor Solicitations, one at a time, as
raw frames (so the asking host's own neighbour table plays no part), and
prints the time to each answer in ms, one a line ("-" when none came within
the timeout). Standard library only; run inside the client namespace.

    nd_asker.py IFACE SOURCE_IP TARGET COUNT INTERVAL_MS TIMEOUT_MS

A classic BPF filter on the socket passes only ICMPv6 Neighbor Advertisements,
so a storm of solicitations on the LAN does not reach this process.
"""
import ctypes
import ipaddress
import select
import socket
import struct
import sys
import time

ETH_P_IPV6 = 0x86DD
SO_ATTACH_FILTER = 26


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def attach_na_filter(sock):
    # ethertype IPv6, next header ICMPv6 (58), ICMPv6 type NA (136): accept; else drop
    insns = [
        (0x28, 0, 0, 12), (0x15, 0, 5, ETH_P_IPV6),
        (0x30, 0, 0, 20), (0x15, 0, 3, 58),
        (0x30, 0, 0, 54), (0x15, 0, 1, 136),
        (0x06, 0, 0, 0xFFFF), (0x06, 0, 0, 0),
    ]
    prog = b"".join(struct.pack("HBBI", *i) for i in insns)
    buf = ctypes.create_string_buffer(prog)
    fprog = struct.pack("HL", len(insns), ctypes.addressof(buf))
    sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, fprog)
    return buf  # kept alive by the caller


def main():
    ifname, src, target = sys.argv[1], sys.argv[2], sys.argv[3]
    count, interval, timeout = int(sys.argv[4]), float(sys.argv[5]) / 1000, float(sys.argv[6]) / 1000
    src_b = ipaddress.IPv6Address(src).packed
    tgt_b = ipaddress.IPv6Address(target).packed
    group = b"\xff\x02" + b"\0" * 9 + b"\x01\xff" + tgt_b[13:]
    gmac = b"\x33\x33" + group[12:]
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_IPV6))
    keep = attach_na_filter(s)
    s.bind((ifname, ETH_P_IPV6))
    mac = s.getsockname()[4][:6]
    icmp = struct.pack("!BBHI", 135, 0, 0, 0) + tgt_b + b"\x01\x01" + mac
    pseudo = src_b + group + struct.pack("!I3xB", len(icmp), 58)
    icmp = icmp[:2] + struct.pack("!H", csum(pseudo + icmp)) + icmp[4:]
    ip6 = struct.pack("!IHBB", 6 << 28, len(icmp), 58, 255) + src_b + group
    frame = gmac + mac + struct.pack("!H", ETH_P_IPV6) + ip6 + icmp
    for _ in range(count):
        t0 = time.monotonic()
        s.send(frame)
        got = None
        while got is None:
            left = t0 + timeout - time.monotonic()
            if left <= 0 or not select.select([s], [], [], left)[0]:
                break
            pkt = s.recv(2048)
            if len(pkt) >= 78 and pkt[0:6] == mac and pkt[62:78] == tgt_b:
                got = (time.monotonic() - t0) * 1000
        print("%.3f" % got if got is not None else "-", flush=True)
        rest = t0 + interval - time.monotonic()
        if rest > 0:
            time.sleep(rest)
    del keep


if __name__ == "__main__":
    main()
