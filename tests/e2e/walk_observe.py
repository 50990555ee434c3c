"""What the walk observes: the routers' tables and sessions (straight from
their control sockets, a few milliseconds a read), who answers ARP/NDP on the
LAN (l2probe.py, kept running in the client namespace), and the speaker
process (alive, its log, descriptors, resident memory).
"""
import json
import os
import re
import select
import signal
import socket
import subprocess
import time

import peerrib

END = re.compile(r"^\d{4} ")


class Bird:
    """BIRD's control socket: one connection, one command at a time; and its log, where
    `debug { states }` writes "PROTO: State changed to up" each time a session comes up."""

    def __init__(self, path, log_path):
        self.path = path
        self.f = None
        self.log_path = log_path
        self.log_offset = 0
        self.ups = {}

    def sessions_up(self):
        """protocol -> how many times its session came up (BIRD's log so far)"""
        with open(self.log_path, "rb") as f:
            f.seek(self.log_offset)
            data = f.read()
        cut = data.rfind(b"\n") + 1
        self.log_offset += cut
        for line in data[:cut].decode(errors="replace").splitlines():
            m = re.search(r"> (\S+): State changed to up$", line)
            if m:
                self.ups[m.group(1)] = self.ups.get(m.group(1), 0) + 1
        return dict(self.ups)

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(10)
        s.connect(self.path)
        self.s, self.f = s, s.makefile("rb")
        self.f.readline()  # 0001 BIRD ... ready.

    def cmd(self, c):
        """The reply as birdc prints it (codes stripped)."""
        for attempt in (0, 1):
            try:
                if self.f is None:
                    self.connect()
                self.s.sendall(c.encode() + b"\n")
                out = []
                while True:
                    raw = self.f.readline()
                    if not raw:
                        raise EOFError("BIRD closed its control socket")
                    line = raw.decode(errors="replace").rstrip("\n")
                    code_line = re.match(r"^\d{4}[ -]", line)
                    out.append(line[5:] if code_line else line[1:])
                    if END.match(line):
                        if line.startswith(("8", "9")):
                            raise RuntimeError("BIRD: %s: %s" % (c, line))
                        return "\n".join(out) + "\n"
            except (OSError, EOFError):
                self.f = None
                if attempt:
                    raise

    def rib(self):
        return sorted(peerrib.bird_parse(self.cmd("show route all")))

    def sessions(self):
        """protocol -> (Info column: Established, Active..., times it came up)"""
        out = {}
        for line in self.cmd("show protocols").splitlines():
            f = line.split()
            if len(f) >= 6 and f[1] == "BGP":
                out[f[0]] = (f[6] if len(f) > 6 else f[3], 0)
        ups = self.sessions_up()  # after the state: an "up" logged since is counted, never missed
        return {k: (v[0], ups.get(k, 0)) for k, v in out.items()}


class Frr:
    """bgpd's vty socket, spoken as vtysh does: a command, NUL; the output, 3 NULs and a status byte."""

    def __init__(self, path):
        self.path = path
        self.s = None

    def cmd(self, c):
        for attempt in (0, 1):
            try:
                if self.s is None:
                    self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                    self.s.settimeout(10)
                    self.s.connect(self.path)
                self.s.sendall(c.encode() + b"\0")
                buf = b""
                while not (len(buf) >= 4 and buf[-4:-1] == b"\0\0\0"):
                    d = self.s.recv(1 << 16)
                    if not d:
                        raise EOFError("bgpd closed its vty socket")
                    buf += d
                if buf[-1] != 0:
                    raise RuntimeError("bgpd: %s: status %d: %s" % (c, buf[-1], buf[:-4].decode()))
                return buf[:-4].decode()
            except (OSError, EOFError):
                self.s = None
                if attempt:
                    raise

    def rib(self):
        lines = []
        for afi in ("ipv4", "ipv6"):
            lines += peerrib.frr_parse_detail(self.cmd("show bgp %s unicast json detail" % afi))
        return sorted(lines)

    def sessions(self):
        """neighbor address -> (bgpState, connectionsEstablished)"""
        d = json.loads(self.cmd("show bgp neighbors json") or "{}")
        return {k: (v.get("bgpState", "?"), v.get("connectionsEstablished", 0)) for k, v in d.items()}


class L2Probe:
    """l2probe.py --serve in the client namespace."""

    def __init__(self, netns, iface, script):
        self.p = subprocess.Popen(["ip", "netns", "exec", netns, "/usr/bin/python3", script, iface, "--serve"],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)

    def probe(self, ips, expect, window_ms=150):
        self.p.stdin.write(json.dumps({"ips": sorted(ips), "expect": expect, "window_ms": window_ms}) + "\n")
        self.p.stdin.flush()
        r, _, _ = select.select([self.p.stdout], [], [], 10)
        if not r:
            raise RuntimeError("l2probe does not answer")
        return json.loads(self.p.stdout.readline())

    def close(self):
        if self.p.poll() is None:
            self.p.stdin.close()
            try:
                self.p.wait(5)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()


SANITIZER = re.compile(r"ERROR: (Address|Leak|Thread|Memory)Sanitizer|runtime error:|SUMMARY: \w+Sanitizer")
RESULT = re.compile(r"^\S+ (?:info config: (loaded) |error config: .* is (invalid) \()")


class Speaker:
    """vipcast-speaker in the node's namespace, started and stopped by the walk."""

    def __init__(self, binary, netns, config, node, log_path, status_path, extra_env=None):
        env = dict(os.environ)
        env.update(extra_env or {})
        self.log_path = log_path
        self.log = open(log_path, "ab")
        self.p = subprocess.Popen(["ip", "netns", "exec", netns, binary, "--config", config, "--node", node,
                                   "--status", status_path, "--socket", status_path + ".sock",
                                   "--log-level", "info"],
                                  stdout=self.log, stderr=subprocess.STDOUT, env=env)
        self.pid = self.p.pid  # ip netns exec execs the speaker: the same process
        self.offset = 0
        self.reloads = []  # the outcome of every reload so far, in order: "loaded" or "refused"
        self.sanitizer = []
        self.tail = []

    def alive(self):
        return self.p.poll() is None

    def scan(self):
        """Reads the log written since the last scan: reloads and sanitizer reports."""
        with open(self.log_path, "rb") as f:
            f.seek(self.offset)
            data = f.read()
        cut = data.rfind(b"\n") + 1
        self.offset += cut
        for line in data[:cut].decode(errors="replace").splitlines():
            m = RESULT.match(line)
            if m:
                self.reloads.append("loaded" if m.group(1) else "refused")
            if SANITIZER.search(line):
                self.sanitizer.append(line)
            self.tail = (self.tail + [line])[-60:]

    def wait_reload(self, n, timeout):
        """The outcome ("loaded" or "refused") of the n-th reload (1: the load at start), or None
        after timeout."""
        end = time.monotonic() + timeout
        while True:
            self.scan()
            if len(self.reloads) >= n:
                return self.reloads[n - 1]
            if time.monotonic() >= end or not self.alive():
                return None
            time.sleep(0.005)

    def fds(self):
        return len(os.listdir("/proc/%d/fd" % self.pid))

    def sanitized(self):
        with open("/proc/%d/maps" % self.pid) as f:
            return "libasan" in f.read()

    def rss_kib(self):
        with open("/proc/%d/status" % self.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return -1

    def stop(self, timeout=10):
        """SIGTERM; the exit status (None: had to be killed)."""
        if self.alive():
            self.p.send_signal(signal.SIGTERM)
        try:
            rc = self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
            rc = None
        self.log.close()
        self.scan()
        return rc
