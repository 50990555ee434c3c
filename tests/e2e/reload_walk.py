#!/usr/bin/python3
"""The randomized differential reload walk (issue 17), run by
tests/e2e/test_reload_walk.sh once the lab (walk_lab.py) stands.

Per seed: a fresh vipcast-speaker on node1 with the initial configuration,
then STEPS random edits from the model (walk_model.py), each applied by the
applier (walk_apply.py: a file written, then SIGHUP or the inotify watch).
After every edit:
  - the speaker reloaded (or refused, exactly when --print-plan refuses: an
    invalid edit is then reverted), is alive, and its log has no sanitizer report;
  - BIRD's and FRR's tables, the sessions that are up, and the VIPs the client
    hears node1 answer for equal what a fresh load gives (walk_oracle.py),
    within a bounded wait (polled, never a fixed sleep);
  - a session whose BGPPeer and parameters did not change did not flap, and
    one whose parameters changed did restart.
After a warm-up and at the end the configuration goes back to the initial one
and the speaker's descriptors and resident memory are measured: they must not
grow. The speaker stops with SIGTERM, exits 0, and its log (LeakSanitizer
included) stays clean.

Seeds and steps: --seeds 1,2,3 --steps 300, or the environment SEED=n STEPS=m
(replays one seed; every failure prints its replay line).
"""
import argparse
import json
import os
import random
import sys
import time
import traceback

import walk_apply
import walk_model
import walk_oracle
from walk_lab import CLIENT_IFACE, NEIGHBORS, NODE, families
from walk_observe import Bird, Frr, L2Probe, Speaker

RELOAD_TIMEOUT = 5.0
CONVERGE_TIMEOUT = 5.0
RESTART_TIMEOUT = 20.0
SETTLE_S = 2.5           # closing connections flush their NOTIFICATION within 2 s
WARMUP_STEPS = 30        # then back to the initial configuration, and the first measurement
FD_SLACK = 2
# VmRSS may grow this much over a walk. Measured over 900 steps (seed 5): a release build 7300 ->
# 7440 KiB; under AddressSanitizer with a 4 MiB quarantine 27564 -> 31408 KiB, the sanitizer's own
# bookkeeping (LeakSanitizer finds nothing at exit).
RSS_SLACK_KIB = 1024
RSS_SLACK_ASAN_KIB = 8192
ASAN_QUARANTINE_MB = 4


def asan_env():
    """AddressSanitizer keeps freed memory in quarantine, up to 256 MiB by default: resident memory
    would grow with every reload until then. A smaller quarantine lets it level off."""
    opts = os.environ.get("ASAN_OPTIONS", "")
    if "quarantine_size_mb" not in opts:
        opts = (opts + ":" if opts else "") + "quarantine_size_mb=%d" % ASAN_QUARANTINE_MB
    ubsan = os.environ.get("UBSAN_OPTIONS", "")
    if "print_stacktrace" not in ubsan:
        ubsan = (ubsan + ":" if ubsan else "") + "print_stacktrace=1"
    return {"ASAN_OPTIONS": opts, "UBSAN_OPTIONS": ubsan}


class Failure(Exception):
    pass


def log(msg):
    sys.stderr.write("%s [walk] %s\n" % (time.strftime("%H:%M:%S"), msg))
    sys.stderr.flush()


class Walk:
    def __init__(self, a, seed, steps):
        self.a = a
        self.seed = seed
        self.steps = steps
        self.dir = os.path.join(a.tmp, "seed-%d" % seed)
        self.model = walk_model.Model(random.Random(seed))
        self.apply_rng = random.Random(seed * 7919 + 1)
        self.oracle = walk_apply.FileWriter(os.path.join(self.dir, "oracle"))
        self.applier = walk_apply.FileApplier(os.path.join(self.dir, "config"), self.apply_rng)
        self.up_steps = {n.id: 0 for n in NEIGHBORS}
        self.coverage = {"BIRD routes": 0, "FRR routes": 0, "L2 answers": 0, "node1 silent": 0,
                         "a dual-stack session": 0}
        self.stats = {"loaded": 0, "refused": 0, "restarts": 0, "hup": 0, "inotify": 0,
                      "slowest": (0.0, "")}
        self.speaker = None
        self.reloads_seen = 1  # the load at start
        self.step_no = 0
        self.edit_desc = "start"

    # ---- observing
    def observe(self, exp, prev_exp):
        ips = set(walk_model.V4 + walk_model.V6) | set(exp.l2)
        if prev_exp:
            ips |= set(prev_exp.l2)
        mac = self.a.node_mac
        want = {ip: [mac] if exp.l2.get(ip) else [] for ip in ips}
        obs = {"bird": self.a.bird.rib(), "frr": self.a.frr.rib(), "bird_s": self.a.bird.sessions(),
               "frr_s": self.a.frr.sessions()}
        got = self.a.probe.probe(ips, want)
        obs["l2"] = {ip: macs for ip, macs in got.items()}
        obs["want_l2"] = {ip: v for ip, v in want.items()}
        return obs

    @staticmethod
    def marker(obs, nb):
        """(state, how many times the router saw this session come up)"""
        if nb.router == "bird":
            return obs["bird_s"].get(nb.proto, ("absent", 0))
        return obs["frr_s"].get(nb.node_address, ("absent", 0))

    def mismatches(self, obs, exp, restart_from):
        bad = []
        for nid, before in sorted(restart_from.items()):
            nb = next(n for n in NEIGHBORS if n.id == nid)
            if self.marker(obs, nb) == before:
                bad.append("%s has not restarted, though its session parameters changed:\n      %s" %
                           (nid, json.dumps(exp.sessions[nid])))
        for r in ("bird", "frr"):
            if obs[r] != exp.tables[r]:
                missing = sorted(set(exp.tables[r]) - set(obs[r]))
                extra = sorted(set(obs[r]) - set(exp.tables[r]))
                bad.append("%s table: missing %s; unexpected %s" % (r, missing or "-", extra or "-"))
        for nb in NEIGHBORS:
            up = self.marker(obs, nb)[0] == "Established"
            if up != exp.up(nb.id):
                bad.append("%s session %s, expected %s" % (nb.id, self.marker(obs, nb)[0],
                                                          "Established" if exp.up(nb.id) else "not Established"))
        for ip, macs in sorted(obs["l2"].items()):
            if macs != obs["want_l2"][ip]:
                bad.append("L2 %s answered by %s, expected %s" % (ip, macs or "nobody",
                                                                  obs["want_l2"][ip] or "nobody"))
        return bad

    def converge(self, exp, prev_exp, timeout, restart_from=None):
        """Polls until the lab shows exp (and every session of restart_from, {id: marker before}, restarted)."""
        end = time.monotonic() + timeout
        while True:
            obs = self.observe(exp, prev_exp)
            bad = self.mismatches(obs, exp, restart_from or {})
            if not bad:
                return obs
            if time.monotonic() >= end or not self.speaker.alive():
                raise Failure("the lab does not show what a fresh load gives (after %.1f s):\n    %s" %
                              (timeout, "\n    ".join(bad)))
            time.sleep(0.02)

    def check_sessions(self, before_obs, after_obs, before, after):
        """Sessions up before and after with the same BGPPeer and parameters: the router saw no new connection."""
        for nid in walk_oracle.steady(before, after):
            nb = next(n for n in NEIGHBORS if n.id == nid)
            if self.marker(before_obs, nb) != self.marker(after_obs, nb):
                raise Failure("%s flapped (%s -> %s) though its BGPPeer %s did not change" %
                              (nid, self.marker(before_obs, nb), self.marker(after_obs, nb), after.sessions[nid][0]))

    def health(self):
        self.speaker.scan()
        if self.speaker.sanitizer:
            raise Failure("sanitizer report in %s:\n    %s" % (self.speaker.log_path,
                                                             "\n    ".join(self.speaker.sanitizer[:5])))
        if not self.speaker.alive():
            raise Failure("the speaker exited (status %s)" % self.speaker.p.returncode)

    # ---- one edit
    def reload(self, edit, how):
        """Applies edit; the outcome of the one reload it makes, and the mode used."""
        self.speaker.scan()
        if len(self.speaker.reloads) != self.reloads_seen:
            raise Failure("the speaker reloaded %d times more than the edits asked for" %
                          (len(self.speaker.reloads) - self.reloads_seen))
        done = self.applier.apply(edit.ops, how)
        self.stats[done] += 1
        self.reloads_seen += 1
        r = self.speaker.wait_reload(self.reloads_seen, RELOAD_TIMEOUT)
        self.health()
        if r is None:
            raise Failure("no reload within %.0f s of the edit (%s)" % (RELOAD_TIMEOUT, done))
        return r, done

    def step(self, edit, exp, obs):
        """Applies edit; returns the new (expected, observation)."""
        t0 = time.monotonic()
        self.edit_desc = edit.desc
        self.oracle.apply(edit.ops)
        oracle = walk_oracle.PlanRun(self.a.speaker, self.oracle.dir, NODE)
        how = self.apply_rng.choice(self.applier.MODES)
        r, done = self.reload(edit, how)
        plan, diags = oracle.result()
        if plan is None:
            if not edit.invalid:
                edit.desc += " (invalid across objects)"
            if r != "refused":
                raise Failure("the speaker loaded a configuration --print-plan refuses:\n%s" % diags[-1500:])
            self.stats["refused"] += 1
            after = self.converge(exp, exp, 2.0)
            self.check_sessions(obs, after, exp, exp)
            back = self.model.revert(edit)
            self.oracle.apply(back.ops)
            r2, _ = self.reload(back, self.apply_rng.choice(self.applier.MODES))
            if r2 != "loaded":
                raise Failure("the speaker refused the revert of an invalid edit")
            after2 = self.converge(exp, exp, CONVERGE_TIMEOUT)
            self.check_sessions(obs, after2, exp, exp)
            self.note(edit, done, "refused, then reverted", t0)
            return exp, after2
        if edit.invalid:
            raise Failure("--print-plan accepts an edit every speaker must refuse (a validation gap?)")
        if r != "loaded":
            self.speaker.scan()
            raise Failure("the speaker refused a configuration --print-plan accepts:\n    %s" %
                          "\n    ".join(self.speaker.tail[-8:]))
        self.stats["loaded"] += 1
        new = walk_oracle.Expected(plan)
        changing = [n.id for n in NEIGHBORS if new.up(n.id) and n.id not in walk_oracle.steady(exp, new)]
        restart_from = {nid: self.marker(obs, next(n for n in NEIGHBORS if n.id == nid))
                        for nid in walk_oracle.restarts(exp, new)}
        after = self.converge(new, exp, RESTART_TIMEOUT if changing else CONVERGE_TIMEOUT, restart_from)
        self.check_sessions(obs, after, exp, new)
        rs = walk_oracle.restarts(exp, new)
        self.stats["restarts"] += len(rs)
        self.model.commit(edit)
        for n in new.sessions:
            self.up_steps[n] += 1
        self.coverage["BIRD routes"] += bool(new.tables["bird"])
        self.coverage["FRR routes"] += bool(new.tables["frr"])
        self.coverage["L2 answers"] += any(new.l2.values())
        self.coverage["node1 silent"] += bool(plan["silent"])
        self.coverage["a dual-stack session"] += any(
            len(families(next(n for n in NEIGHBORS if n.id == nid), ses)) == 2 for nid, (_, ses) in new.sessions.items())
        self.note(edit, done, "loaded" + (", restarted " + ",".join(rs) if rs else "") +
                  (", new " + ",".join(sorted(set(changing) - set(rs))) if set(changing) - set(rs) else ""), t0)
        return new, after

    def note(self, edit, done, what, t0):
        dt = time.monotonic() - t0
        if dt > self.stats["slowest"][0]:
            self.stats["slowest"] = (dt, "step %d: %s" % (self.step_no, edit.desc))
        log("seed %d step %d [%s] %s: %s (%.2f s)" % (self.seed, self.step_no, done, edit.desc, what, dt))

    # ---- a seed
    def measure(self, exp, obs):
        """Back to the initial configuration, settled: (descriptors, VmRSS KiB)."""
        edit = self.model.reset_to(walk_model.initial())
        if edit.ops:
            exp, obs = self.step(edit, exp, obs)
        time.sleep(SETTLE_S)
        obs = self.converge(exp, None, CONVERGE_TIMEOUT)
        return exp, obs, self.speaker.fds(), self.speaker.rss_kib()

    def run(self):
        t0 = time.monotonic()
        log("seed %d: %d steps (replay: SEED=%d STEPS=%d)" % (self.seed, self.steps, self.seed, self.steps))
        start = [("put", o) for _, o in sorted(self.model.objs.items())]
        self.applier.start(walk_model.universe(), start)
        self.oracle.apply(start)
        plan, diags = walk_oracle.print_plan(self.a.speaker, self.oracle.dir, NODE)
        if plan is None:
            raise RuntimeError("the initial configuration is invalid:\n%s" % diags)
        self.speaker = Speaker(self.a.speaker, self.a.node_netns, self.applier.dir, NODE,
                               os.path.join(self.dir, "speaker.log"), os.path.join(self.dir, "status.json"),
                               asan_env())
        self.applier.attach(self.speaker.pid)
        fd0 = fd1 = rss0 = rss1 = None
        try:
            if self.speaker.wait_reload(1, 10) != "loaded":
                self.health()
                raise Failure("the speaker did not load the initial configuration")
            exp = walk_oracle.Expected(plan)
            obs = self.converge(exp, None, 30)
            warmup = WARMUP_STEPS  # at the same step whatever STEPS is: a replay makes the same edits
            for self.step_no in range(1, self.steps + 1):
                edit = self.model.propose()
                while edit.text and not self.applier.text_edits:
                    edit = self.model.propose()
                exp, obs = self.step(edit, exp, obs)
                if self.step_no == warmup:
                    exp, obs, fd0, rss0 = self.measure(exp, obs)
                    log("seed %d after %d warm-up steps, back to the initial configuration: %d descriptors, "
                        "VmRSS %d KiB" % (self.seed, warmup, fd0, rss0))
            if fd0 is not None:
                exp, obs, fd1, rss1 = self.measure(exp, obs)
                log("seed %d after %d steps, back to the initial configuration: %d descriptors, VmRSS %d KiB" %
                    (self.seed, self.steps, fd1, rss1))
                if fd1 > fd0 + FD_SLACK:
                    raise Failure("descriptors grew over the walk: %d -> %d" % (fd0, fd1))
                slack = RSS_SLACK_ASAN_KIB if self.speaker.sanitized() else RSS_SLACK_KIB
                if rss1 > rss0 + slack:
                    raise Failure("VmRSS grew over the walk: %d -> %d KiB (%d KiB allowed)" % (rss0, rss1, slack))
        except Failure as f:
            self.fail(f)
            return False
        except Exception:  # the walk's own trouble (a router's socket, a timeout): still name the step
            self.fail(Failure(traceback.format_exc()))
            return False
        finally:
            rc = self.speaker.stop()
            self.applier.close()
        if rc != 0 or self.speaker.sanitizer:
            self.step_no = self.steps
            self.fail(Failure("the speaker's stop: exit status %s%s" % (
                rc, "; sanitizer report:\n    " + "\n    ".join(self.speaker.sanitizer[:5])
                if self.speaker.sanitizer else "")))
            return False
        s = self.stats
        log("seed %d PASS: %d steps in %.0f s: %d loaded, %d refused and reverted, %d session restarts checked; "
            "applied by SIGHUP %d, inotify %d; descriptors %s -> %s, VmRSS %s -> %s KiB; slowest %.2f s (%s)" %
            (self.seed, self.steps, time.monotonic() - t0, s["loaded"], s["refused"], s["restarts"], s["hup"],
             s["inotify"], fd0, fd1, rss0, rss1, s["slowest"][0], s["slowest"][1]))
        log("seed %d: steps after which each session was up: %s; steps with %s" % (
            self.seed, ", ".join("%s %d" % kv for kv in sorted(self.up_steps.items())),
            ", ".join("%s %d" % kv for kv in sorted(self.coverage.items()))))
        return True

    def fail(self, f):
        log("FAIL seed %d step %d (%s): %s" % (self.seed, self.step_no, self.edit_desc, f))
        if self.speaker:
            self.speaker.scan()
            log("speaker log %s, last lines:\n    %s" % (self.speaker.log_path,
                                                          "\n    ".join(self.speaker.tail[-40:])))
        log("replay: SEED=%d STEPS=%d sh tests/e2e/test_reload_walk.sh BUILD_DIR" % (self.seed, self.step_no))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--speaker", required=True)
    ap.add_argument("--node-netns", required=True)
    ap.add_argument("--client-netns", required=True)
    ap.add_argument("--bird-socket", required=True)
    ap.add_argument("--bird-log", required=True)
    ap.add_argument("--frr-vty", required=True)
    ap.add_argument("--tmp", required=True)
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--steps", type=int, default=300)
    a = ap.parse_args()
    seeds = [int(x) for x in a.seeds.split(",") if x]
    if os.environ.get("SEED"):
        seeds = [int(os.environ["SEED"])]
    steps = int(os.environ.get("STEPS") or a.steps)
    a.node_mac = os.popen("ip -n %s -br link show eth0" % a.node_netns).read().split()[2].lower()
    a.bird = Bird(a.bird_socket, a.bird_log)
    a.frr = Frr(a.frr_vty)
    a.probe = L2Probe(a.client_netns, CLIENT_IFACE, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                                   "l2probe.py"))
    ok = 0
    try:
        for seed in seeds:
            ok += Walk(a, seed, steps).run()
    finally:
        a.probe.close()
    log("%d of %d seeds passed (%d steps each)" % (ok, len(seeds), steps))
    return 0 if ok == len(seeds) else 1


if __name__ == "__main__":
    sys.exit(main())
