#!/usr/bin/python3
"""badpeer: a BGP peer that misbehaves on purpose, for the chaos test.

It dials the speaker (active) and/or listens on port 179 (passive), runs one
kind of misbehaviour per round until --seconds pass, and prints one JSON line
per round: what it did, every NOTIFICATION it got (code/subcode, on which
connection) and a verdict:
  ok           the speaker did what RFC 4271 / 4486 / 6608 ask
  interrupted  the round was cut by something legitimate: a Cease for
               shutdown, de-configuration, reset or config change (subcodes
               2, 3, 4, 6; the test reloads the speaker all the time), or a
               connection refused while the BGPPeer is not configured
  fail         anything else (a wrong NOTIFICATION, none where one is due,
               a session kept that should have been dropped, a malformed
               message from the speaker, a speaker that stays silent)
and at the end one line {"event": "summary", ...} with the counts.

Modes (--mode):
  good      passive: holds every session the speaker opens, as a router would;
            reports the time from listening to Established
  flap      both: sessions cut (FIN or RST) after connect, after OPEN, in
            OpenConfirm or --flap-ms after Established
  double    active: two connections at once, both sending OPEN (one must get
            a Cease), and a second connection while the first is Established
            (it must get Cease / Connection Rejected, RFC 4486 subcode 5)
  noread    active: a tiny receive buffer, Established, then no reading for
            --stall seconds: silent, still sending KEEPALIVEs, or sending
            ROUTE-REFRESH ten times a second (each one queues the whole table);
            silent: the hold timer must end it; otherwise (RFC 9687's send
            hold timer, or a Cease) once more is queued
            for us than the socket buffers hold (--backlog-limit), the speaker
            must have dropped us
  garbage   both: a valid OPEN (and maybe Established), then a broken message;
            the NOTIFICATION must name the error
  collide   both: when the speaker dials, dial it back at once (RFC 4271 6.8:
            the connection opened by the higher BGP Identifier survives)
  storm     passive: Established, then --count copies of one UPDATE whose
            ORIGIN is 5 (RFC 7606 7.1: treat-as-withdraw); the session must
            stay up through all of them
--variants restricts a mode to some of its variants (comma-separated).

Standard library only. Every wait is bounded by its own timeout and by the
global deadline; every socket is closed when its round ends. No round starts after --seconds;
one under way may finish up to 10 s later.
"""
import argparse
import ipaddress
import json
import random
import select
import socket
import struct
import sys
import time

OPEN, UPDATE, NOTIFICATION, KEEPALIVE, ROUTE_REFRESH = 1, 2, 3, 4, 5
HDR = 19
MAX_LEN = 4096
MARKER = b"\xff" * 16
EOR_V4 = b"\x00\x00\x00\x00"  # an UPDATE with nothing in it: IPv4 End-of-RIB
INTERRUPTING_CEASE = {2, 3, 4, 6}  # shutdown, de-configured, reset, config change
SILENCE_S = 5.0  # longer without any answer from the speaker is a failure
GRACE_S = 10.0   # how far past --seconds a round under way may run


# ------------------------------------------------------------------ messages
def msg(mtype, body=b""):
    return MARKER + struct.pack("!HB", HDR + len(body), mtype) + body


def open_msg(asn, hold, bgp_id):
    caps = (b"\x01\x04\x00\x01\x00\x01"            # multiprotocol IPv4 unicast
            + b"\x02\x00"                          # route refresh
            + b"\x41\x04" + struct.pack("!I", asn))  # 4-octet AS
    opt = b"\x02" + bytes([len(caps)]) + caps
    return msg(OPEN, struct.pack("!BHHIB", 4, asn if asn < 65536 else 23456, hold, bgp_id, len(opt)) + opt)


def keepalive():
    return msg(KEEPALIVE)


def route_refresh(afi=1, safi=1):
    return msg(ROUTE_REFRESH, struct.pack("!HBB", afi, 0, safi))


def notification(code, sub, data=b""):
    return msg(NOTIFICATION, bytes([code, sub]) + data)


def header_problem(buf):
    """Why the first 19 bytes of buf are not a valid header, or None."""
    if buf[:16] != MARKER:
        return "bad marker"
    length, mtype = struct.unpack("!HB", buf[16:19])
    if length < HDR or length > MAX_LEN:
        return "length %d" % length
    if mtype < OPEN or mtype > ROUTE_REFRESH:
        return "type %d" % mtype
    return None


# ------------------------------------------------------------------ time
class Clock:
    """No round starts after the deadline; one under way may run GRACE_S past it."""

    def __init__(self, seconds):
        self.t0 = time.monotonic()
        self.end = self.t0 + seconds

    def left(self, t=None):
        rest = self.end + GRACE_S - time.monotonic()
        if t is not None:
            rest = min(rest, t)
        return max(0.0, rest)

    def over(self):
        return time.monotonic() >= self.end

    def expired(self):
        return time.monotonic() >= self.end + GRACE_S


# ------------------------------------------------------------------ one connection
class Side:
    """One TCP connection to the speaker and what it has seen of it."""

    def __init__(self, sock, label, peer):
        self.sock = sock
        self.label = label
        self.peer = peer
        self.buf = b""
        self.closed = None         # "eof" or "reset"
        self.notif = None          # (code, subcode, data)
        self.got_open = False
        self.confirmed = False     # a KEEPALIVE after its OPEN: it is in OpenConfirm
        self.established = False   # we answered that KEEPALIVE
        self.eor = False
        self.updates = 0
        self.msgs = 0
        self.bytes = 0
        self.bad = None            # a malformed message from the speaker
        self.auto_confirm = True
        self.ka_every = None
        self.last_ka = 0.0
        self.last_rx = time.monotonic()

    def send(self, data):
        if self.closed:
            return False
        try:
            self.sock.settimeout(2)
            self.sock.sendall(data)
            return True
        except socket.timeout:
            return False
        except OSError:
            self.closed = self.closed or "reset"
            return False

    def send_open(self):
        return self.send(open_msg(self.peer.asn, self.peer.hold, self.peer.bgp_id))

    def alive(self):
        return not self.closed and not self.notif and not self.bad

    def fill(self, limit=65536):
        """One recv; False when the connection ended."""
        try:
            data = self.sock.recv(limit)
        except (ConnectionResetError, BrokenPipeError):
            self.closed = "reset"
            return False
        except (BlockingIOError, InterruptedError, socket.timeout):
            return True
        except OSError:
            self.closed = "reset"
            return False
        if not data:
            self.closed = "eof"
            return False
        self.buf += data
        self.bytes += len(data)
        self.last_rx = time.monotonic()
        return True

    def next_msg(self):
        if len(self.buf) < HDR:
            return None
        why = header_problem(self.buf)
        if why:
            self.bad = "speaker sent a malformed header (%s)" % why
            return None
        length, mtype = struct.unpack("!HB", self.buf[16:19])
        if len(self.buf) < length:
            return None
        body = self.buf[HDR:length]
        self.buf = self.buf[length:]
        return mtype, body

    def handle(self, mtype, body):
        self.msgs += 1
        if mtype == OPEN:
            if self.got_open:
                self.bad = "a second OPEN from the speaker"
            self.got_open = True
        elif mtype == KEEPALIVE:
            if self.got_open and not self.confirmed:
                self.confirmed = True
                if self.auto_confirm and self.send(keepalive()):
                    self.established = True
        elif mtype == UPDATE:
            self.updates += 1
            if not self.established:
                self.bad = "UPDATE from the speaker before Established"
            if body == EOR_V4:
                self.eor = True
        elif mtype == NOTIFICATION:
            code = body[0] if len(body) > 0 else -1
            sub = body[1] if len(body) > 1 else -1
            self.notif = (code, sub, body[2:])

    def pump_once(self):
        """Reads what is there and handles every complete message."""
        if not self.fill():
            pass
        while self.notif is None and self.bad is None:
            m = self.next_msg()
            if m is None:
                break
            self.handle(*m)

    def tick(self):
        if self.ka_every and self.established and self.alive():
            now = time.monotonic()
            if now - self.last_ka >= self.ka_every:
                self.last_ka = now
                self.send(keepalive())

    def close(self, rst=False):
        try:
            if rst:
                self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.sock.close()
        except OSError:
            pass

    def seen(self):
        d = {"conn": self.label, "msgs": self.msgs, "updates": self.updates}
        if self.notif:
            d["notification"] = [self.notif[0], self.notif[1]]
        if self.closed:
            d["closed"] = self.closed
        if self.bad:
            d["bad"] = self.bad
        if self.established:
            d["established"] = True
        return d


def pump(sides, seconds, clock, until=None):
    """Runs the connections for up to seconds (or until until() holds)."""
    end = time.monotonic() + clock.left(seconds)
    while True:
        live = [s for s in sides if s.alive()]
        if until and until():
            return True
        if not live or time.monotonic() >= end:
            return bool(until and until())
        for s in live:
            s.tick()
        r, _, _ = select.select([s.sock for s in live], [], [], min(0.05, max(0.0, end - time.monotonic())))
        for s in live:
            if s.sock in r:
                s.pump_once()


# ------------------------------------------------------------------ sockets
class Peer:
    def __init__(self, args):
        self.local = args.local
        self.speaker = args.speaker
        self.port = args.port
        self.asn = args.asn
        self.hold = args.hold
        self.bgp_id = int(ipaddress.IPv4Address(args.router_id or args.local))
        self.rcvbuf = args.rcvbuf
        self.listener = None

    def dial(self, label="out", rcvbuf=None, timeout=3.0):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            if rcvbuf:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((self.local, 0))
            s.settimeout(timeout)
            s.connect((self.speaker, self.port))
            s.setblocking(False)
        except OSError as e:
            s.close()
            return None, str(e)
        return Side(s, label, self), None

    def listen(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if self.rcvbuf:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.rcvbuf)
        s.bind((self.local, 179))
        s.listen(8)
        s.setblocking(False)
        self.listener = s

    def accept(self, seconds, clock, label="in"):
        """A connection the speaker opened to us, or None after seconds."""
        if not self.listener:
            return None
        r, _, _ = select.select([self.listener], [], [], clock.left(seconds))
        if not r:
            return None
        try:
            s, _ = self.listener.accept()
        except OSError:
            return None
        s.setblocking(False)
        return Side(s, label, self)


# ------------------------------------------------------------------ verdicts
class Out:
    def __init__(self, mode, path):
        self.mode = mode
        self.f = open(path, "a") if path else sys.stdout
        self.counts = {"ok": 0, "interrupted": 0, "fail": 0}
        self.by_variant = {}

    def emit(self, **kw):
        kw.setdefault("t", round(time.time(), 3))
        kw.setdefault("mode", self.mode)
        self.f.write(json.dumps(kw, sort_keys=True) + "\n")
        self.f.flush()

    def result(self, variant, result, why, sides, **extra):
        self.counts[result] += 1
        v = self.by_variant.setdefault(variant, {"ok": 0, "interrupted": 0, "fail": 0})
        v[result] += 1
        self.emit(event="round", variant=variant, result=result, why=why,
                  seen=[s.seen() for s in sides if s], **extra)

    def summary(self):
        self.emit(event="summary", variants=self.by_variant, **self.counts)


def interrupted_by(sides):
    """A legitimate reason the round was cut short, or None."""
    for s in sides:
        if s and s.notif and s.notif[0] == 6 and s.notif[1] in INTERRUPTING_CEASE:
            return "%s: Cease / subcode %d" % (s.label, s.notif[1])
    for s in sides:
        if s and s.closed and not s.got_open and not s.notif:
            return "%s: closed before any OPEN (BGPPeer not configured at that moment)" % s.label
    return None


def bad_of(sides):
    for s in sides:
        if s and s.bad:
            return "%s: %s" % (s.label, s.bad)
    return None


def cut_short(side, clock):
    """The verdict on a round whose valid handshake did not complete."""
    why = bad_of([side])
    if why:
        return "fail", why
    if side.notif:
        if side.notif[0] == 6:  # a collision, a rejection, a reload
            return "interrupted", "%s: Cease / subcode %d in the handshake" % (side.label, side.notif[1])
        return "fail", "%s: NOTIFICATION %d/%d answered a valid handshake" % ((side.label,) + side.notif[:2])
    intr = interrupted_by([side])
    if intr:
        return "interrupted", intr
    if clock.expired():
        return "interrupted", "global deadline"
    if side.closed:
        return "fail", "%s: closed (%s) in the handshake without a NOTIFICATION" % (side.label, side.closed)
    return "fail", "%s: no answer from the speaker within %g s" % (side.label, SILENCE_S)


def handshake(side, clock, confirm=True, seconds=SILENCE_S):
    """OPEN both ways, then (confirm) KEEPALIVE both ways. True when done."""
    side.auto_confirm = confirm
    side.send_open()
    want = (lambda: side.established) if confirm else (lambda: side.confirmed)
    return pump([side], seconds, clock, until=want)


# ------------------------------------------------------------------ modes
def mode_good(peer, clock, out, args):
    peer.listen()
    t_listen = time.time()
    out.emit(event="listening")
    side = None
    while not clock.over():
        new = peer.accept(0.2 if side else 1.0, clock)
        if new:
            if side:
                side.close()
                out.emit(event="down", why="replaced by a new connection")
            side = new
            side.ka_every = 1.0
            side.send_open()
        if not side:
            continue
        was = side.established
        pump([side], 0.3, clock)
        if side.established and not was:
            out.emit(event="established", since_listen=round(time.time() - t_listen, 3))
        if not side.alive():
            why = bad_of([side])
            if why:
                out.result("hold", "fail", why, [side])
            out.emit(event="down", why=side.closed or "NOTIFICATION",
                     notification=list(side.notif[:2]) if side.notif else None)
            side.close()
            side = None
    if side:
        side.close()


def flap_round(peer, side, clock, out, i, flap_ms):
    cuts = ["connect", "open-sent", "openconfirm", "established"]
    cut = cuts[i % len(cuts)]
    rst = (i // len(cuts)) % 2 == 1
    variant = "%s-%s-%s" % (side.label, cut, "rst" if rst else "fin")
    reached = True
    if cut == "open-sent":
        side.send_open()
    elif cut == "openconfirm":
        reached = handshake(side, clock, confirm=False)
    elif cut == "established":
        reached = handshake(side, clock)
        if reached:
            pump([side], flap_ms / 1000.0, clock)
    side.close(rst)
    why = bad_of([side])
    if why:
        return out.result(variant, "fail", why, [side])
    if side.notif and side.notif[0] != 6:
        return out.result(variant, "fail", "a NOTIFICATION other than Cease", [side])
    if not reached:
        return out.result(variant, *cut_short(side, clock), [side])
    out.result(variant, "ok", "", [side])


def mode_flap(peer, clock, out, args):
    peer.listen()
    i = 0
    while not clock.over() and i < args.max_rounds:
        i += 1
        side = peer.accept(random.uniform(0.02, 0.1), clock)
        if side is None:
            side, err = peer.dial()
            if side is None:
                out.emit(event="dial-failed", why=err)
                time.sleep(clock.left(0.2))
                continue
        flap_round(peer, side, clock, out, i, args.flap_ms)


def double_simultaneous(peer, clock, out):
    a, err = peer.dial("A")
    b, err2 = peer.dial("B") if a else (None, None)
    if not a or not b:
        if a:
            a.close()
        out.emit(event="dial-failed", why=err or err2)
        return
    a.send_open()
    b.send_open()
    pump([a, b], SILENCE_S, clock, until=lambda: not (a.alive() and b.alive()) and (a.established or b.established))
    pump([a, b], 1.0, clock)  # the survivor must stay up
    a.close()
    b.close()
    sides = [a, b]
    why = bad_of(sides)
    if why:
        return out.result("simultaneous", "fail", why, sides)
    intr = interrupted_by(sides)
    if intr:
        return out.result("simultaneous", "interrupted", intr, sides)
    if all(s.notif and s.notif[:2] == (6, 5) and not s.got_open for s in sides):
        # It had not yet read the end of our previous connection (a reload
        # held its loop): from where it stands the session is still up.
        return out.result("simultaneous", "interrupted", "both refused: the previous session was still up", sides)
    up = [s for s in sides if s.alive() and s.established]
    down = [s for s in sides if not s.alive()]
    if len(up) != 1 or len(down) != 1:
        return out.result("simultaneous", "fail", "want exactly one connection Established and one refused", sides)
    if not down[0].notif or down[0].notif[:2] not in ((6, 5), (6, 7)):
        return out.result("simultaneous", "fail", "the refused connection got no Cease / 5 or 7", sides)
    out.result("simultaneous", "ok", "", sides)


def double_established(peer, clock, out, linger):
    a, err = peer.dial("A")
    if not a:
        out.emit(event="dial-failed", why=err)
        return
    a.ka_every = 0.3
    if not handshake(a, clock):
        a.close()
        return out.result("established", *cut_short(a, clock), [a])
    pump([a], 0.3, clock)
    b, err = peer.dial("B")
    if b:
        b.send_open()
        pump([a, b], 2.0, clock, until=lambda: not b.alive())
        out.emit(event="second", seen=[b.seen()])  # the moment a test may act on A's session
    # Keep A talking: a speaker that lost track of A shows it now (A must stay
    # up, or be closed with a NOTIFICATION, never silently).
    pump([a], linger, clock)
    sides = [a, b]
    for s in sides:
        if s:
            s.close()
    why = bad_of(sides)
    if why:
        return out.result("established", "fail", why, sides)
    if a.notif and a.notif[0] == 6 and a.notif[1] in INTERRUPTING_CEASE:
        return out.result("established", "interrupted", interrupted_by([a]), sides)
    if b is None:
        return out.result("established", "fail", "second connection refused by TCP: %s" % err, sides)
    if b.notif is None or b.notif[:2] != (6, 5):
        if b.notif and b.notif[0] == 6 and b.notif[1] in INTERRUPTING_CEASE:
            return out.result("established", "interrupted", "B: Cease / %d" % b.notif[1], sides)
        return out.result("established", "fail", "the second connection got no Cease / Connection Rejected (6/5)",
                          sides)
    if not a.alive():
        return out.result("established", "fail", "the Established connection went down (%s)"
                          % (a.closed or "NOTIFICATION %d/%d" % a.notif[:2]), sides)
    out.result("established", "ok", "", sides)


def mode_double(peer, clock, out, args):
    variants = args.variants or ["simultaneous", "established"]
    i = 0
    while not clock.over() and i < args.max_rounds:
        v = variants[i % len(variants)]
        i += 1
        if v == "simultaneous":
            double_simultaneous(peer, clock, out)
        else:
            double_established(peer, clock, out, args.linger)
        time.sleep(clock.left(0.1))


def read_exact_msg(side, clock, seconds):
    """Reads one message without reading a byte past it."""
    end = time.monotonic() + clock.left(seconds)
    while True:
        need = HDR
        if len(side.buf) >= HDR:
            if header_problem(side.buf):
                side.bad = "speaker sent a malformed header (%s)" % header_problem(side.buf)
                return None
            need = struct.unpack("!H", side.buf[16:18])[0]
            if len(side.buf) >= need:
                m = side.buf[:need]
                side.buf = side.buf[need:]
                return m[18], m[HDR:]
        rest = end - time.monotonic()
        if rest <= 0:
            return None
        r, _, _ = select.select([side.sock], [], [], rest)
        if r and not side.fill(need - len(side.buf)):
            return None


def noread_round(peer, clock, out, variant, args):
    side, err = peer.dial("A", rcvbuf=args.rcvbuf or 1024)
    if not side:
        out.emit(event="dial-failed", why=err)
        time.sleep(clock.left(0.5))
        return
    side.send_open()
    for want in (OPEN, KEEPALIVE):
        m = read_exact_msg(side, clock, SILENCE_S)
        if m is None or m[0] != want:
            if m and m[0] == NOTIFICATION:
                side.notif = (m[1][0], m[1][1], m[1][2:])
            side.close()
            return out.result(variant, *cut_short(side, clock), [side])
        side.handle(*m)
    side.send(keepalive())
    side.established = True
    t_stop = time.monotonic()
    out.emit(event="stalled", variant=variant)
    end = t_stop + args.stall
    last_ka = 0.0
    while time.monotonic() < end:  # not reading; silent, talking, or asking for the table again and again
        now = time.monotonic()
        if variant in ("talk", "refresh") and now - last_ka >= 1.0:
            last_ka = now
            side.send(keepalive())
        if variant == "refresh":
            side.send(route_refresh())
        time.sleep(min(0.1 if variant == "refresh" else 1.0, max(0.0, end - time.monotonic())))
    # Drain: whatever the speaker queued, then its close or its keepalives
    # (talk goes on talking, so that no hold timer can end the session now).
    side.ka_every = None if variant == "silent" else 1.0
    drain_end = time.monotonic() + 4.0
    while time.monotonic() < drain_end and side.alive():
        side.tick()
        r, _, _ = select.select([side.sock], [], [], 0.1)
        if r:
            side.pump_once()
    stalled = round(time.monotonic() - t_stop, 1)
    side.close()
    extra = {"stall_s": stalled, "drained_bytes": side.bytes}
    why = bad_of([side])
    if why and "malformed" in why and side.closed:
        why = None  # the stream was cut mid-message when the speaker dropped its output: allowed
    if why:
        return out.result(variant, "fail", why, [side], **extra)
    if side.notif and side.notif[0] == 6 and side.notif[1] in INTERRUPTING_CEASE:
        return out.result(variant, "interrupted", interrupted_by([side]), [side], **extra)
    if side.notif and side.notif[0] not in (4, 6, 8):  # 8: Send Hold Timer Expired (RFC 9687)
        return out.result(variant, "fail", "a NOTIFICATION other than (Send) Hold Timer Expired or Cease", [side],
                          **extra)
    if not side.closed and not side.notif:
        if variant != "silent" and side.bytes <= args.backlog_limit:
            # All it had to send fit in the socket buffers: nothing told the
            # speaker that we were not reading, and its memory stayed bounded.
            return out.result(variant, "ok", "kept; its %d bytes fit in the socket buffers" % side.bytes, [side],
                              **extra)
        return out.result(variant, "fail", "the session is still up after %g s without reading (hold time %d s), "
                          "%d bytes queued for us" % (args.stall, peer.hold, side.bytes), [side], **extra)
    out.result(variant, "ok", "", [side], **extra)


def mode_noread(peer, clock, out, args):
    variants = args.variants or ["silent", "talk"]
    i = 0
    # A round runs the whole stall and drain: none starts whose stall would outlast the deadline.
    while clock.end - time.monotonic() > args.stall + 1 and i < args.max_rounds:
        noread_round(peer, clock, out, variants[i % len(variants)], args)
        i += 1


# Each garbage variant: (name, state it is sent in, bytes, NOTIFICATIONs allowed).
# A subcode None accepts any; an empty list means the speaker must close
# without one (RFC 4271 6: never answer a NOTIFICATION with one).
def garbage_variants(rfc6608):
    rnd = random.Random(4271)
    junk = bytes([rnd.randrange(0, 0xff)]) + bytes(rnd.randrange(256) for _ in range(rnd.randrange(18, 200)))
    bad_marker = bytearray(keepalive())
    bad_marker[5] = 0
    # An UPDATE that claims 21 bytes more than it has: the speaker reads into the
    # KEEPALIVEs that follow and then finds no marker where the next header is due.
    upd_head = MARKER + struct.pack("!HB", 40, UPDATE) + b"\x00\x00\x00\x00"
    shutdown = notification(6, 2, bytes([200]) + b"bye\x00\x1b[31m\xff\xfe" + b"x" * 20)
    est = [(5, 3)]  # FSM error, RFC 6608 subcode 3 "in Established"
    conf = [(5, 2)]  # RFC 6608 subcode 2 "in OpenConfirm"
    if not rfc6608:
        est, conf = est + [(5, 0)], conf + [(5, 0)]
    v = [
        ("random", "open", junk, [(1, 1)]),
        ("bad-marker", "open", bytes(bad_marker), [(1, 1)]),
        ("short-length", "open", MARKER + struct.pack("!HB", 18, KEEPALIVE), [(1, 2)]),
        ("long-length", "open", MARKER + struct.pack("!HB", 4097, UPDATE) + b"\x00" * 100, [(1, 2)]),
        ("bad-type", "open", MARKER + struct.pack("!HB", 19, 42), [(1, 3)]),
        ("keepalive-length", "open", MARKER + struct.pack("!HB", 20, KEEPALIVE) + b"\x00", [(1, 2)]),
        ("oversized", "open", MARKER + struct.pack("!HB", 5000, UPDATE) + b"\x00" * (5000 - HDR), [(1, 2)]),
        ("update-in-openconfirm", "open", msg(UPDATE, EOR_V4), conf),
        ("open-in-openconfirm", "open", open_msg(64999, 9, 0x0A000001), conf),
        ("truncated-close", "open", MARKER + struct.pack("!HB", 100, OPEN) + b"\x04" * 20, []),
        ("shutdown-garbled", "open", shutdown, []),
        ("random", "est", junk, [(1, 1)]),
        ("bad-length", "est", MARKER + struct.pack("!HB", 7, UPDATE), [(1, 2)]),
        ("oversized", "est", MARKER + struct.pack("!HB", 4097, UPDATE) + b"\x00" * (4097 - HDR), [(1, 2)]),
        ("open-in-established", "est", open_msg(64999, 9, 0x0A000001), est),
        ("truncated-misaligned", "est", upd_head + keepalive() * 2, [(1, None), (3, None)]),
        ("withdrawn-overflow", "est", msg(UPDATE, b"\xff\xff\x00\x00"), [(3, 1)]),
        ("route-refresh-length", "est", msg(ROUTE_REFRESH, b"\x00\x01\x00\x01\x00"), [(1, 2), (7, 1)]),
        ("truncated-close", "est", MARKER + struct.pack("!HB", 60, UPDATE) + b"\x00" * 10, []),
    ]
    return v


def garbage_round(peer, side, clock, out, var):
    name, when, data, allowed = var
    variant = "%s-%s" % (name, when)
    if not handshake(side, clock, confirm=(when == "est")):
        side.close()
        return out.result(variant, *cut_short(side, clock), [side], via=side.label)
    if when == "est":
        pump([side], 1.0, clock, until=lambda: side.eor)  # let the table through first
    sent = side.send(data)
    if name == "truncated-close":
        try:
            side.sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass
    pump([side], SILENCE_S, clock)
    side.close()
    why = bad_of([side])
    if why:
        return out.result(variant, "fail", why, [side], via=side.label)
    if side.notif and side.notif[0] == 6 and side.notif[1] in INTERRUPTING_CEASE:
        return out.result(variant, "interrupted", interrupted_by([side]), [side], via=side.label)
    if not sent and not side.notif:
        return out.result(variant, "interrupted", "the speaker closed before the garbage went out", [side],
                          via=side.label)
    got = side.notif[:2] if side.notif else None
    if not allowed:
        if got:
            return out.result(variant, "fail", "a NOTIFICATION answered a message that needs none", [side],
                              via=side.label)
        if side.alive():
            return out.result(variant, "fail", "the speaker kept the connection", [side], via=side.label)
        return out.result(variant, "ok", "", [side], via=side.label)
    if got is None:
        return out.result(variant, "fail", "no NOTIFICATION (want %s)" % allowed, [side], via=side.label)
    if not any(got[0] == c and (s is None or got[1] == s) for c, s in allowed):
        return out.result(variant, "fail", "NOTIFICATION %d/%d, want %s" % (got[0], got[1], allowed), [side],
                          via=side.label)
    out.result(variant, "ok", "", [side], via=side.label)


def mode_garbage(peer, clock, out, args):
    peer.listen()
    variants = garbage_variants(not args.no_rfc6608)
    if args.variants:
        variants = [v for v in variants if v[0] in args.variants or "%s-%s" % (v[0], v[1]) in args.variants]
    i = 0
    while not clock.over() and i < args.max_rounds:
        var = variants[i % len(variants)]
        i += 1
        side = peer.accept(0, clock)
        if side is None:
            side, err = peer.dial()
            if side is None:
                out.emit(event="dial-failed", why=err)
                time.sleep(clock.left(0.2))
                continue
        garbage_round(peer, side, clock, out, var)
        time.sleep(clock.left(0.05))


def collide_round(peer, clock, out, i):
    hi = i % 2 == 0
    p = peer.accept(1.0, clock, label="P")  # the speaker's connection
    if p is None:
        return False
    # One the speaker gave up while it waited in our backlog (it lost a
    # collision, or its session was restarted) is no collision any more.
    pump([p], 0.05, clock)
    if not p.alive():
        out.emit(event="stale", seen=[p.seen()])
        p.close()
        return False
    peer.bgp_id = 0xC00002FA if hi else 0xC0000205  # 192.0.2.250 or 192.0.2.5
    q, err = peer.dial("Q")                           # ours, at once
    variant = "id-higher" if hi else "id-lower"
    if q is None:
        p.close()
        out.emit(event="dial-failed", why=err)
        return True
    p.auto_confirm = q.auto_confirm = True
    p.send_open()
    q.send_open()
    sides = [p, q]
    pump(sides, SILENCE_S, clock, until=lambda: (p.established or q.established) and not (p.alive() and q.alive()))
    pump(sides, 0.3, clock)
    for s in sides:
        s.close()
    why = bad_of(sides)
    if why or interrupted_by(sides):
        out.result(variant, "fail" if why else "interrupted", why or interrupted_by(sides), sides)
        return True
    win, lose = (q, p) if hi else (p, q)
    if not (win.alive() and win.established):
        out.result(variant, "fail", "the connection opened by the higher BGP Identifier did not survive", sides)
    elif not lose.notif or lose.notif[:2] != (6, 7):
        out.result(variant, "fail", "the other connection got no Cease / Connection Collision (6/7)", sides)
    else:
        out.result(variant, "ok", "", sides)
    return True


def mode_collide(peer, clock, out, args):
    peer.listen()
    i = 0
    while not clock.over() and i < args.max_rounds:
        if collide_round(peer, clock, out, i):
            i += 1


def storm_update(asn, nexthop):
    """One UPDATE for 198.51.100.0/24 whose ORIGIN has no meaning (5)."""
    attrs = (b"\x40\x01\x01\x05"                                 # ORIGIN 5
             + b"\x40\x02\x06\x02\x01" + struct.pack("!I", asn)  # AS_PATH: AS_SEQUENCE of us
             + b"\x40\x03\x04" + socket.inet_aton(nexthop))       # NEXT_HOP
    return msg(UPDATE, b"\x00\x00" + struct.pack("!H", len(attrs)) + attrs + b"\x18\xc6\x33\x64")


def mode_storm(peer, clock, out, args):
    peer.listen()
    side = peer.accept(10.0, clock)
    if side is None:
        return out.result("origin", "fail", "the speaker did not dial us", [])
    side.ka_every = 1.0
    if not handshake(side, clock):
        side.close()
        return out.result("origin", *cut_short(side, clock), [side])
    upd, sent = storm_update(peer.asn, peer.local), 0
    while sent < args.count and side.alive() and not clock.over():
        n = min(100, args.count - sent)
        if not side.send(upd * n):
            break
        sent += n
        pump([side], 0.001, clock)
    pump([side], 2.0, clock)  # the speaker reads the last of them; the session must stay up
    why = bad_of([side]) or ("" if side.alive() else "the session ended") or \
        ("" if sent == args.count else "sent only %d UPDATEs" % sent)
    out.result("origin", "fail" if why else "ok", why, [side], sent=sent)
    side.close()


MODES = {"good": mode_good, "flap": mode_flap, "double": mode_double, "noread": mode_noread,
         "garbage": mode_garbage, "collide": mode_collide, "storm": mode_storm}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mode", required=True, choices=sorted(MODES))
    ap.add_argument("--variants", help="comma-separated subset of the mode's variants")
    ap.add_argument("--local", required=True, help="our address (bind, listen, default BGP Identifier)")
    ap.add_argument("--speaker", required=True, help="the speaker's address")
    ap.add_argument("--port", type=int, default=179)
    ap.add_argument("--asn", type=int, required=True)
    ap.add_argument("--router-id")
    ap.add_argument("--hold", type=int, default=9, help="hold time in our OPEN")
    ap.add_argument("--seconds", type=float, required=True, help="global deadline")
    ap.add_argument("--max-rounds", type=int, default=100000)
    ap.add_argument("--flap-ms", type=int, default=200)
    ap.add_argument("--linger", type=float, default=1.5,
                    help="double: seconds the Established connection stays up after the second one")
    ap.add_argument("--stall", type=float, default=8.0, help="noread: seconds without reading")
    ap.add_argument("--backlog-limit", type=int, default=131072,
                    help="noread talk: more queued than this (bytes) and the speaker must have dropped us")
    ap.add_argument("--rcvbuf", type=int, default=0, help="SO_RCVBUF (noread: default 1024)")
    ap.add_argument("--no-rfc6608", action="store_true",
                    help="garbage: accept FSM Error / Unspecific where RFC 6608 has a subcode")
    ap.add_argument("--count", type=int, default=10000, help="storm: UPDATEs to send")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", help="append JSON lines here (default stdout)")
    args = ap.parse_args()
    args.variants = args.variants.split(",") if args.variants else None
    random.seed(args.seed or None)
    out = Out(args.mode, args.out)
    peer = Peer(args)
    clock = Clock(args.seconds)
    out.emit(event="start", local=args.local, speaker=args.speaker, seconds=args.seconds)
    try:
        MODES[args.mode](peer, clock, out, args)
    except KeyboardInterrupt:
        pass
    finally:
        if peer.listener:
            peer.listener.close()
        out.summary()


if __name__ == "__main__":
    main()
