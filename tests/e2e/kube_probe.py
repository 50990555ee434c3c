#!/usr/bin/python3
"""Samplers for outage tests: each runs until SIGTERM or --duration, logs every
failure or change as it happens and ends with one line
"SUMMARY key=value ...". Standard library only.

    kube_probe.py http   [--interval-ms 50] [--timeout-ms 1000] ADDR:PORT...
        GET / on a new connection to each target every interval (a thread per
        target); SUMMARY: per target ok, fail, max_gap_ms (the longest time
        between two successes, or from the start to the first one).
    kube_probe.py bird   --socket PATH [--interval-ms 100] PREFIX...
        BIRD's route count for those networks every interval, over its control
        socket; SUMMARY: samples, min, max, errors.
    kube_probe.py readyz [--interval-ms 200] URL...
        GET each URL every interval; logs every change of (status, body);
        SUMMARY: per URL the statuses seen with their counts.
Common: --duration S (default 120), the upper bound of the run.
"""
import argparse
import http.client
import re
import signal
import socket
import sys
import threading
import time
import urllib.error
import urllib.request

stop = threading.Event()
out_lock = threading.Lock()


def say(line):
    with out_lock:
        print("%.3f %s" % (time.time(), line), flush=True)


def ticks(interval):
    """Yields at a fixed cadence until stopped; a late tick runs at once."""
    nxt = time.monotonic()
    while not stop.is_set():
        yield
        nxt += interval
        delay = nxt - time.monotonic()
        if delay < 0:
            nxt = time.monotonic()
        elif stop.wait(delay):
            return


# ------------------------------------------------------------------ http

def http_get(host, port, timeout):
    c = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        c.request("GET", "/")
        r = c.getresponse()
        r.read()
        return r.status
    finally:
        c.close()


def http_sampler(target, a, res):
    host, port = target.rsplit(":", 1)
    st = {"ok": 0, "fail": 0, "max_gap_ms": 0.0}
    res[target] = st
    last = time.monotonic()
    for _ in ticks(a.interval_ms / 1000):
        try:
            code = http_get(host, int(port), a.timeout_ms / 1000)
            err = None if code == 200 else "HTTP %d" % code
        except (OSError, http.client.HTTPException) as e:
            err = "%s: %s" % (type(e).__name__, e)
        t = time.monotonic()
        if err is None:
            st["ok"] += 1
            st["max_gap_ms"] = max(st["max_gap_ms"], (t - last) * 1000)
            last = t
        else:
            st["fail"] += 1
            if st["fail"] <= 20:
                say("FAIL %s %s" % (target, err))
    st["tail_ms"] = (time.monotonic() - last) * 1000
    st["max_gap_ms"] = max(st["max_gap_ms"], st["tail_ms"])


def run_http(a):
    res = {}
    threads = [threading.Thread(target=http_sampler, args=(t, a, res)) for t in a.targets]
    for t in threads:
        t.start()
    for t in threads:
        while t.is_alive():
            t.join(0.2)  # the main thread stays free to take SIGTERM
    return " ".join("%s:ok=%d,fail=%d,max_gap_ms=%.0f,tail_ms=%.0f" %
                    (k, v["ok"], v["fail"], v["max_gap_ms"], v["tail_ms"]) for k, v in sorted(res.items()))


# ------------------------------------------------------------------ bird

class Bird:
    """BIRD's control socket: reply lines "NNNN-text" or " text", the last one "NNNN text"."""

    def __init__(self, path, timeout):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(timeout)
        self.s.connect(path)
        self.buf = b""
        self.reply()

    def line(self):
        while b"\n" not in self.buf:
            d = self.s.recv(65536)
            if not d:
                raise OSError("BIRD closed its socket")
            self.buf += d
        ln, self.buf = self.buf.split(b"\n", 1)
        return ln.decode("utf-8", "replace")

    def reply(self):
        lines = []
        while True:
            ln = self.line()
            lines.append(ln)
            if re.match(r"^\d{4} ", ln):
                return lines

    def cmd(self, c):
        self.s.sendall(c.encode() + b"\n")
        return self.reply()


def run_bird(a):
    where = "show route where net ~ [ %s ] count" % ", ".join(a.prefixes)
    st = {"samples": 0, "errors": 0, "min": None, "max": None}
    bird, last = None, None
    for _ in ticks(a.interval_ms / 1000):
        try:
            if bird is None:
                bird = Bird(a.socket, 2)
            text = "\n".join(bird.cmd(where))
            m = re.search(r"Total: (\d+) of \d+ routes", text)
            if not m:
                raise OSError("no count in %r" % text[-200:])
            n = int(m.group(1))
        except OSError as e:
            st["errors"] += 1
            say("ERROR %s" % e)
            bird = None
            continue
        st["samples"] += 1
        st["min"] = n if st["min"] is None else min(st["min"], n)
        st["max"] = n if st["max"] is None else max(st["max"], n)
        if n != last:
            say("routes %d" % n)
            last = n
    return "samples=%d min=%s max=%s errors=%d" % (st["samples"], st["min"], st["max"], st["errors"])


# ------------------------------------------------------------------ readyz

def readyz_get(url, timeout):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read(300).decode("utf-8", "replace").strip()
    except urllib.error.HTTPError as e:
        return e.code, e.read(300).decode("utf-8", "replace").strip()
    except OSError as e:
        return 0, "%s: %s" % (type(e).__name__, e)


def run_readyz(a):
    seen = {u: {} for u in a.urls}
    last = {}
    for _ in ticks(a.interval_ms / 1000):
        for u in a.urls:
            code, body = readyz_get(u, 1)
            seen[u][code] = seen[u].get(code, 0) + 1
            # the body's figures (seconds stale) change every time: compare without digits
            shape = (code, re.sub(r"[0-9.]+", "N", body))
            if last.get(u) != shape:
                say("%s %d %s" % (u, code, body))
                last[u] = shape
            if stop.is_set():
                break
    return " ".join("%s:%s" % (u, ",".join("%d=%d" % kv for kv in sorted(s.items()))) for u, s in seen.items())


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--duration", type=float, default=120)
    sub = p.add_subparsers(dest="mode", required=True)
    h = sub.add_parser("http")
    h.add_argument("--interval-ms", type=float, default=50)
    h.add_argument("--timeout-ms", type=float, default=1000)
    h.add_argument("targets", nargs="+")
    b = sub.add_parser("bird")
    b.add_argument("--socket", required=True)
    b.add_argument("--interval-ms", type=float, default=100)
    b.add_argument("prefixes", nargs="+")
    r = sub.add_parser("readyz")
    r.add_argument("--interval-ms", type=float, default=200)
    r.add_argument("urls", nargs="+")
    a = p.parse_args()

    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    limit = threading.Timer(a.duration, stop.set)
    limit.daemon = True
    limit.start()
    say("START %s" % a.mode)
    summary = {"http": run_http, "bird": run_bird, "readyz": run_readyz}[a.mode](a)
    say("SUMMARY " + summary)
    sys.exit(0)


if __name__ == "__main__":
    main()
