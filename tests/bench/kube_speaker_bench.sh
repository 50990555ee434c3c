#!/bin/sh
# Kubernetes-mode speaker benchmark: vipcast-speaker for one node against the
# real control plane of scripts/kube-env.sh, announcing to a BIRD 2 receiver,
# with N LoadBalancer Services (status set) and N EndpointSlices (one ready
# endpoint on the node). One run measures, beside references:
#   1 startup   speaker start -> BIRD holds all N routes; beside it the time the
#               built kubectl takes to LIST the same objects as JSON; the
#               speaker's peak RSS (VmHWM) beside the receiving BIRD's
#   2 churn     EndpointSlice ready flips at RATE writes/s for CHURN_S seconds:
#               write returned -> UPDATE (announce or withdraw) on the wire at
#               BIRD (tcpdump on the BGP link), median and p99; achieved rate;
#               the speaker's CPU (% of one core) and RSS over the run
#   3 burst     1,000 Services created at once, vipcast-controller running:
#               create returned -> route announced on the wire, median and p99
#   4 API load  the speaker's requests per minute (API server audit log, the
#               speaker's ServiceAccount only) while quiet and during churn
# Figures are printed, never asserted. Targets (issue 11) are printed beside them.
#
# usage: tests/bench/kube_speaker_bench.sh
# env:   BENCH_N        Services (default 100000); BENCH_QUICK=1: 10000
#        BENCH_RATE     churn writes per second (default 1000); BENCH_CHURN_S (60)
#        BENCH_BURST    Services of part 3 (default 1000); BENCH_QUIET_S (60):
#                       the quiet window of part 4
#        BENCH_WORKERS  writer processes of the churn driver (default 4)
#        BENCH_TIMEOUT  seconds allowed for the routes to arrive (default 600)
#        BENCH_SETTLE_S seconds allowed for the speaker's start-up status writes before
#                       the quiet window and the churn (default 600)
#        BENCH_STARTUP_ONLY=1: part 1 only; BENCH_NO_LIST=1: no kubectl LIST reference; BENCH_WRAP, BENCH_CTL_WRAP: a command
#                       the speaker, the controller runs under (e.g. "heaptrack -o FILE")
#        BENCH_API_BASE 4: the API server on 203.0.113.5, so that a second run can go beside a first
#        VIPCAST_BUILD  build holding vipcast-speaker and vipcast-controller
#                       (default build-rel, build-release, then build): Release
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
if [ -z "${VIPCAST_BUILD:-}" ]; then
	VIPCAST_BUILD=$ROOT/build
	for b in build-release build-rel; do [ -x "$ROOT/$b/vipcast-speaker" ] && VIPCAST_BUILD=$ROOT/$b; done
fi
N=${BENCH_N:-100000}
[ "${BENCH_QUICK:-}" = 1 ] && N=${BENCH_N:-10000}
RATE=${BENCH_RATE:-1000}
CHURN_S=${BENCH_CHURN_S:-60}
BURST=${BENCH_BURST:-1000}
QUIET_S=${BENCH_QUIET_S:-60}
WORKERS=${BENCH_WORKERS:-4}
TIMEOUT=${BENCH_TIMEOUT:-600}
SETTLE_S=${BENCH_SETTLE_S:-600}
[ "$N" -ge 1 ] && [ "$N" -le 114688 ] || { echo "BENCH_N: 1..114688 (the bulk pool's size)" >&2; exit 2; }
[ "$BURST" -le 1024 ] || { echo "BENCH_BURST: at most 1024 (the burst pool's size)" >&2; exit 2; }

# ClusterIPs: IPv6 for the N bulk Services (2001:db8:ca::/108 holds a million),
# IPv4 for the burst's; VIPs: the bulk pool 198.18.0.0-198.19.191.255 (status
# written by the bench), the burst pool 198.19.192.0/22 (the controller's).
export KUBE_ENV_SERVICE_RANGE=198.19.240.0/20,2001:db8:ca::/108
. "$ROOT/tests/e2e/kubelib.sh"
kube_require kube_speaker_bench
. "$ROOT/tests/e2e/lib.sh"
e2e_init kspkbench "$VIPCAST_BUILD" bird birdc tcpdump tshark curl
KDIR=$E2E_TMP/kube
SYS=metallb-system
LOAD="$E2E_PY $ROOT/tests/bench/kube_load.py"
API_BASE=${BENCH_API_BASE:-0}  # 4: a second run beside a first (203.0.113.4/30)
API_ADDR=203.0.113.$((API_BASE + 1))
VETH=vkb$$
hz=$(getconf CLK_TCK)

ticks() { awk '{ s = $0; sub(/.*\) /, "", s); split(s, f, " "); print f[12] + f[13] }' "/proc/$1/stat"; }
status_mib() { awk -v k="$2:" '$1 == k { printf "%.1f", $2 / 1024 }' "/proc/$1/status" 2>/dev/null; }
rx_count() { birdc_ rx show route count 2>/dev/null | awk '/in table master4$/ { print $1; f = 1 } END { if (!f) print 0 }'; }
calc() { awk "BEGIN { printf \"$1\", $2 }"; }

# ------------------------------------------------------------------ network
# rx (BIRD 192.0.2.1) -- tx (the speaker's node, 192.0.2.2); tx reaches the API
# server on the root end of a veth, 203.0.113.1 (removed with tx's namespace).
ns_add rx tx
link_add rx eth0 192.0.2.1/24 tx eth0 192.0.2.2/24
ip link add "$VETH" type veth peer name api netns "$(ns tx)" || die "veth to the API"
ip addr add "$API_ADDR/30" dev "$VETH" && ip link set "$VETH" up || die "address $API_ADDR"
addr_add tx api 203.0.113.$((API_BASE + 2))/30
ip -n "$(ns tx)" link set api up

# ------------------------------------------------------------------ control plane
t0=$(now)
# The audit log counts the requests of the speaker's and the controller's ServiceAccounts, one line each as received.
kube_up_audited "users: [\"system:serviceaccount:$SYS:vipcast-speaker\", \"system:serviceaccount:$SYS:vipcast-controller\"]"
log "control plane up in $(elapsed "$t0") s (API server restarted with the audit log)"
kc create namespace "$SYS" >/dev/null
kc create namespace bulk >/dev/null
kc create namespace burst >/dev/null
kube_install_vipcast
kube_sa_kubeconfig "$SYS" vipcast-speaker "$E2E_TMP/speaker.kubeconfig"
kube_sa_kubeconfig "$SYS" vipcast-controller "$E2E_TMP/controller.kubeconfig"
kc apply -f - >/dev/null <<EOF || die "configuration objects"
apiVersion: v1
kind: Node
metadata:
  name: bench
  labels: {kubernetes.io/hostname: bench}
---
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: bulk, namespace: $SYS}
spec:
  addresses: [198.18.0.0/16, 198.19.0.0/17, 198.19.128.0/18]
  autoAssign: false
---
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: burst, namespace: $SYS}
spec:
  addresses: [198.19.192.0/22]
---
apiVersion: metallb.io/v1beta1
kind: BGPAdvertisement
metadata: {name: bench, namespace: $SYS}
---
apiVersion: metallb.io/v1beta2
kind: BGPPeer
metadata: {name: rx, namespace: $SYS}
spec:
  myASN: 64512
  peerASN: 64512
  peerAddress: 192.0.2.1
  holdTime: 90s
EOF
kc patch node bench --subresource status --type merge \
	-p '{"status": {"addresses": [{"type": "InternalIP", "address": "192.0.2.2"}]}}' >/dev/null || die "Node status"

# ------------------------------------------------------------------ N objects
t0=$(now)
$LOAD seed "$KDIR" bulk "$N" 0 2 2>>"$E2E_TMP/load.log" || die "seeding failed (see $E2E_TMP/load.log)"
T_POP=$(elapsed "$t0")
log "$(tail -n 1 "$E2E_TMP/load.log")"
seen() { [ "$(kc get svc -n bulk -o name 2>/dev/null | wc -l)" -ge "$N" ] &&
	[ "$(kc get endpointslices -n bulk -o name 2>/dev/null | wc -l)" -ge "$N" ]; }
wait_until 300 seen || die "the API server does not serve the $N objects"
T_POP=$(elapsed "$t0")
log "$N Services and EndpointSlices served after $T_POP s"

# list_time WHAT... -> seconds kubectl takes to LIST WHAT across namespaces as JSON (best of 3)
list_time() {
	local best="" i t1 d
	for i in 1 2 3; do
		t1=$(now)
		kc get "$@" -A -o json >/dev/null || die "kubectl get $*"
		d=$(elapsed "$t1")
		best=$(awk -v a="$best" -v b="$d" 'BEGIN { print (a == "" || b < a) ? b : a }')
	done
	printf '%s' "$best"
}
if [ "${BENCH_NO_LIST:-}" = 1 ]; then
	L_SVC=- L_EPS=- L_BOTH=-  # memory runs: the reference takes minutes at 100k
else
	L_SVC=$(list_time svc)
	L_EPS=$(list_time endpointslices)
	t1=$(now)
	kc get svc -A -o json >/dev/null &
	p1=$!
	kc get endpointslices -A -o json >/dev/null
	wait "$p1"
	L_BOTH=$(elapsed "$t1")
	log "kubectl LIST as JSON: Services $L_SVC s, EndpointSlices $L_EPS s, both at once $L_BOTH s"
fi

# ------------------------------------------------------------------ 1: startup
bird_receiver_conf "$E2E_TMP/rx.conf"
start_bird rx rx "$E2E_TMP/rx.conf"
t0=$(now)
NODE_NAME=bench POD_NAME=speaker-bench POD_NAMESPACE=$SYS ip netns exec "$(ns tx)" ${BENCH_WRAP:-} "$SPEAKER" \
	--kubeconfig "$E2E_TMP/speaker.kubeconfig" --health-address 192.0.2.2:7472 --log-level info --socket "$E2E_TMP/speaker.sock" \
	>"$E2E_TMP/speaker.log" 2>&1 &
track speaker $! vipcast-speaker tx
SPK=$(pid_of speaker)
T_ALL="" T_99="" c=0
end=$(calc %.3f "$t0 + $TIMEOUT")
while :; do
	c=$(rx_count)
	[ -z "$T_99" ] && [ "$c" -ge $((N * 99 / 100)) ] && T_99=$(elapsed "$t0")
	[ "$c" -ge "$N" ] && { T_ALL=$(elapsed "$t0"); break; }
	awk -v a="$(now)" -v e="$end" 'BEGIN { exit !(a >= e) }' && break
	is_running speaker || die "the speaker exited (see $E2E_TMP/speaker.log)"
	sleep 0.05
done
[ -n "$T_ALL" ] || log "not every route within $TIMEOUT s: BIRD holds $c of $N"
T_SYNC=$(sed -n 's/^\([0-9T:.-]*\)Z .*every cache synced.*/\1/p' "$E2E_TMP/speaker.log" | head -n 1)
[ -n "$T_SYNC" ] && T_SYNC=$(calc %.3f "$(date -u -d "$T_SYNC" +%s.%N) - $t0")
T_SYNCED_AT=$(now)
HWM_SPK=$(status_mib "$SPK" VmHWM)
RSS_SPK=$(status_mib "$SPK" VmRSS)
HWM_BIRD=$(status_mib "$(pid_of rx)" VmHWM)
CPU_START=$(calc %.2f "$(ticks "$SPK") / $hz")
[ -n "${BENCH_WRAP:-}" ] && SPK=$(pgrep -P "$SPK" -f vipcast-speaker | head -n 1 || echo "$SPK")
log "startup: all $N routes after ${T_ALL:-timeout} s (99% after ${T_99:--} s); speaker VmHWM $HWM_SPK MiB, VmRSS $RSS_SPK MiB, CPU $CPU_START s; BIRD VmHWM $HWM_BIRD MiB"

if [ "${BENCH_STARTUP_ONLY:-}" = 1 ]; then
	stop speaker
	stop rx
	echo "startup, N=$N: all routes after ${T_ALL:-timeout} s (99% ${T_99:--} s, caches synced ${T_SYNC:--} s);" \
		"kubectl LIST both at once $L_BOTH s; speaker VmHWM $HWM_SPK MiB, VmRSS $RSS_SPK MiB; BIRD VmHWM $HWM_BIRD MiB"
	exit 0
fi

# ------------------------------------------------------------------ settle
# At start the speaker writes one ServiceBGPStatus (a create and a status write) per Service, 8 at
# a time, as MetalLB's does: minutes of API load at 100k. The quiet window and the churn are
# measured once it has caught up (vipcast_status_writes_pending 0), up to SETTLE_S.
status_pending() {
	ip netns exec "$(ns tx)" curl -s --max-time 5 http://192.0.2.2:7472/metrics |
		awk '$1 == "vipcast_status_writes_pending" { printf "%d\n", $2 }'
}
s0=$(now)
SETTLED="all written"
wait_until "$SETTLE_S" eval '[ "$(status_pending)" = 0 ]' || SETTLED="$(status_pending) writes still pending"
T_SETTLE=$(elapsed "$s0")
T_SETTLE_ALL=$(calc %.1f "$(now) - $t0")
log "status objects: $SETTLED (vipcast_status_writes_pending) $T_SETTLE s after all routes, $T_SETTLE_ALL s after start"

# ------------------------------------------------------------------ 4a: API load while quiet
sleep 5
q0=$(date +%s.%N)
sleep "$QUIET_S"
q1=$(date +%s.%N)
# audit_count USER T0 T1 -> "TOTAL verb/resource=count ..." for USER's requests received in [T0, T1)
audit_count() {
	$E2E_PY - "$E2E_TMP/audit.log" "$1" "$2" "$3" <<'EOF'
import collections, datetime, json, sys
log, user, t0, t1 = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
by = collections.Counter()
for line in open(log):
    e = json.loads(line)
    if e.get("user", {}).get("username") != user:
        continue
    t = datetime.datetime.strptime(e["requestReceivedTimestamp"][:26].rstrip("Z"), "%Y-%m-%dT%H:%M:%S.%f")
    t = t.replace(tzinfo=datetime.timezone.utc).timestamp()
    if t0 <= t < t1:
        r = e.get("objectRef", {})
        by["%s %s%s" % (e["verb"], r.get("resource", e.get("requestURI", "?")),
                        "/" + r["subresource"] if r.get("subresource") else "")] += 1
print(sum(by.values()), "; ".join("%s %d" % kv for kv in sorted(by.items())) or "-")
EOF
}
SPK_USER=system:serviceaccount:$SYS:vipcast-speaker
Q_REQ=$(audit_count "$SPK_USER" "$q0" "$q1")
log "API load while quiet ($QUIET_S s): $Q_REQ"

# ------------------------------------------------------------------ 2: churn
# capture START_NAME -> tcpdump on BIRD's side of the BGP link
capture() {
	ip netns exec "$(ns rx)" tcpdump -i eth0 -n -s 0 -B 65536 -w "$E2E_TMP/$1.pcap" tcp port 179 \
		>"$E2E_TMP/$1.tcpdump.log" 2>&1 &
	track "cap-$1" $! tcpdump rx
	wait_until 10 grep -q "listening on" "$E2E_TMP/$1.tcpdump.log" || die "tcpdump did not start"
}
# wire_events NAME -> NAME.events: "<epoch> <prefix> <1 announced|0 withdrawn>" for every prefix in every UPDATE
wire_events() {
	tshark -r "$E2E_TMP/$1.pcap" -Y bgp.type==2 -T fields -E occurrence=a -E separator='|' \
		-e frame.time_epoch -e bgp.withdrawn_prefix -e bgp.nlri_prefix 2>"$E2E_TMP/$1.tshark.log" |
		awk -F'|' '{ n = split($2, w, ","); for (i = 1; i <= n; i++) print $1, w[i], 0
			n = split($3, a, ","); for (i = 1; i <= n; i++) print $1, a[i], 1 }' >"$E2E_TMP/$1.events"
}
# latencies WRITES EVENTS -> per write "<epoch> <vip> <state>", the first wire event of that
# state for that vip after the vip's previous write: latency in ms; prints the statistics
cat >"$E2E_TMP/latency.py" <<'EOF'
import bisect, collections, sys
writes = [l.split() for l in open(sys.argv[1])]
ev = collections.defaultdict(list)
for l in open(sys.argv[2]):
    t, p, s = l.split()
    ev[(p, s)].append(float(t))
for v in ev.values():
    v.sort()
prev, lat, slat, lost = {}, [], [], 0
for w in sorted(writes, key=lambda w: float(w[0])):
    t, vip, s, sent = float(w[0]), w[1], w[2], float(w[3])
    after = prev.get(vip, 0.0)
    prev[vip] = t
    times = ev.get((vip, s), [])
    k = bisect.bisect_right(times, after)
    if k < len(times):
        lat.append((times[k] - t) * 1000)
        slat.append((times[k] - sent) * 1000)
    else:
        lost += 1
lat.sort()
slat.sort()
def pct(v, p):
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))] if v else float("nan")
print("n=%d lost=%d median=%.1f p90=%.1f p99=%.1f max=%.1f min=%.1f smedian=%.1f sp99=%.1f" %
      (len(lat), lost, pct(lat, 50), pct(lat, 90), pct(lat, 99), pct(lat, 100), pct(lat, 0), pct(slat, 50), pct(slat, 99)))
EOF
# scrape_hist NAME -> "le=count ..." of the speaker's histogram NAME, cumulative
scrape_hist() {
	ip netns exec "$(ns tx)" curl -s --max-time 5 http://192.0.2.2:7472/metrics |
		sed -n "s/^$1_bucket{le=\"\([^\"]*\)\"} \([0-9.e+]*\)$/\1=\2/p" | tr '\n' ' '
}
# hist_delta BEFORE AFTER -> "median <= M ms, p99 <= P ms (n=N batches)": quantiles of the observations
# between two scrapes, as the upper bound of the bucket holding them
hist_delta() {
	$E2E_PY - "$1" "$2" <<'EOF'
import sys
def parse(s):
    return {k: float(v) for k, v in (x.split("=") for x in s.split())}
a, b = parse(sys.argv[1]), parse(sys.argv[2])
les = sorted((k for k in b if k != "+Inf"), key=float) + ["+Inf"]
d = [(k, b.get(k, 0.0) - a.get(k, 0.0)) for k in les]
n = d[-1][1] if d else 0
def q(p):
    for k, c in d:
        if c >= p * n:
            return "%.0f" % (float(k) * 1000) if k != "+Inf" else "inf"
    return "-"
print("median <= %s ms, p99 <= %s ms (n=%d batches)" % (q(0.5), q(0.99), n) if n else "no batch")
EOF
}
# plans_built -> the speaker's fresh plans so far (vipcast_plan_builds_total)
plans_built() {
	ip netns exec "$(ns tx)" curl -s --max-time 5 http://192.0.2.2:7472/metrics |
		awk '$1 == "vipcast_plan_builds_total" { v = $2; exit } END { print v + 0 }'
}
capture churn
H0=$(scrape_hist vipcast_kube_change_apply_seconds)
B0=$(plans_built)
c0=$(ticks "$SPK")
r0=$(status_mib "$SPK" VmRSS)
: >"$E2E_TMP/rss.samples"
(   # sample the speaker's RSS every second, bounded by the run's length
	for _ in $(seq $((CHURN_S + 40))); do
		awk '$1 == "VmRSS:" { printf "%.1f\n", $2 / 1024 }' "/proc/$SPK/status" 2>/dev/null || break
		sleep 1
	done >>"$E2E_TMP/rss.samples"
) &
track sampler $! bash -
w0=$(date +%s.%N)
$LOAD churn "$KDIR" bulk "$N" "$RATE" "$CHURN_S" "$WORKERS" "$E2E_TMP/churn.writes" 2>>"$E2E_TMP/load.log" ||
	die "the churn driver failed (see $E2E_TMP/load.log)"
w1=$(date +%s.%N)
c1=$(ticks "$SPK")
CHURN_LOG=$(tail -n 1 "$E2E_TMP/load.log")
log "$CHURN_LOG"
back() { [ "$(rx_count)" -ge "$N" ]; }
wait_until 60 back || log "after the churn BIRD holds $(rx_count) of $N routes"
sleep 1
stop sampler
stop cap-churn
C_REQ=$(audit_count "$SPK_USER" "$w0" "$w1")
wire_events churn
CHURN_LAT=$($E2E_PY "$E2E_TMP/latency.py" "$E2E_TMP/churn.writes" "$E2E_TMP/churn.events")
CHURN_WRITES=$(wc -l <"$E2E_TMP/churn.writes")
CHURN_SPAN=$(calc %.1f "$w1 - $w0")
CHURN_CPU=$(calc %.0f "($c1 - $c0) / $hz / ($w1 - $w0) * 100")
RSS_RANGE=$(sort -n "$E2E_TMP/rss.samples" | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%s-%s", lo, hi }')
RSS_END=$(status_mib "$SPK" VmRSS)
# the highest RSS in each quarter of the churn (flat: the later quarters no higher than the first)
RSS_QUARTERS=$(head -n "${CHURN_SPAN%.*}" "$E2E_TMP/rss.samples" | awk '{ v[NR] = $1 } END {
	for (q = 0; q < 4; q++) { hi = ""; for (i = int(q * NR / 4) + 1; i <= int((q + 1) * NR / 4); i++) if (hi == "" || v[i] > hi) hi = v[i]
		printf "%s%s", q ? " / " : "", hi == "" ? "-" : hi }
}')
# plan_times T0 T1 -> "COUNT plans, median, max": the speaker's plans logged in [T0, T1) (epoch seconds)
plan_times() {
	$E2E_PY - "$E2E_TMP/speaker.log" "$1" "$2" <<'EOF'
import datetime, re, sys
t0, t1 = float(sys.argv[2]), float(sys.argv[3])
v = []
for line in open(sys.argv[1]):
    m = re.match(r"(\S+)Z info config: loaded the Kubernetes configuration in ([0-9.]+) s", line)
    if m:
        t = datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=datetime.timezone.utc).timestamp()
        if t0 <= t < t1:
            v.append(float(m.group(2)))
v.sort()
print("%d plans, median %.3f s, max %.3f s" % (len(v), v[len(v) // 2], v[-1]) if v else "0 plans")
EOF
}
CHURN_PLANS=$(plan_times "$w0" "$(date +%s.%N)")
CHURN_SPK=$(hist_delta "$H0" "$(scrape_hist vipcast_kube_change_apply_seconds)")
CHURN_FRESH=$(($(plans_built) - B0))
log "churn: $CHURN_LAT; CPU $CHURN_CPU% over $CHURN_SPAN s; RSS $r0 at start, $RSS_RANGE during (highest by quarter: $RSS_QUARTERS), $RSS_END after"
log "API load during churn: $C_REQ; speaker plans: $CHURN_PLANS logged as loaded, $CHURN_FRESH built afresh; speaker's share (watch event -> patched plan in force, oldest change of each batch): $CHURN_SPK"

# ------------------------------------------------------------------ 3: burst with the controller
${BENCH_CTL_WRAP:-} "$CONTROLLER" --kubeconfig "$E2E_TMP/controller.kubeconfig" --namespace "$SYS" --health-listen 127.0.0.1:0 --socket "$E2E_TMP/controller.sock" \
	--log-level info >"$E2E_TMP/controller.log" 2>&1 &
track controller $! vipcast-controller -
t0=$(now)
wait_until "$TIMEOUT" grep -q "serving: " "$E2E_TMP/controller.log" || die "the controller does not serve"
T_CTL=$(elapsed "$t0")
sleep 2
capture burst
b0=$(date +%s.%N)
$LOAD burst "$KDIR" burst "$BURST" 4 "$E2E_TMP/burst.creates" 2>>"$E2E_TMP/load.log" || die "the burst failed"
BURST_LOG=$(tail -n 1 "$E2E_TMP/load.log")
all_burst() { [ "$(rx_count)" -ge $((N + BURST)) ]; }
wait_until 120 all_burst || log "after the burst BIRD holds $(rx_count) of $((N + BURST)) routes"
T_BURST=$(calc %.2f "$(date +%s.%N) - $b0")
sleep 1
stop cap-burst
wire_events burst
kc get svc -n burst -o jsonpath='{range .items[*]}{.metadata.name}{" "}{.status.loadBalancer.ingress[0].ip}{"\n"}{end}' \
	>"$E2E_TMP/burst.ips"
awk 'NR == FNR { ip[$1] = $2; next } ($2 in ip) { print $1, ip[$2], 1, $3 }' "$E2E_TMP/burst.ips" "$E2E_TMP/burst.creates" \
	>"$E2E_TMP/burst.writes"
BURST_LAT=$($E2E_PY "$E2E_TMP/latency.py" "$E2E_TMP/burst.writes" "$E2E_TMP/burst.events")
CTL_REQ=$(audit_count "system:serviceaccount:$SYS:vipcast-controller" 0 "$(date +%s.%N)")
log "burst: $BURST_LOG; $BURST_LAT; controller served after $T_CTL s; its requests: ${CTL_REQ%% *}"

T_END=$(date +%s.%N)
A_REQ=$(audit_count "$SPK_USER" "$(calc %.3f "$T_SYNCED_AT + 1")" "$T_END")
A_MIN=$(calc %.2f "($T_END - $T_SYNCED_AT - 1) / 60")
HWM_END=$(status_mib "$SPK" VmHWM)
CPU_END=$(calc %.2f "$(ticks "$SPK") / $hz")
stop controller
stop speaker
stop rx

# ------------------------------------------------------------------ report
f() { printf '%s' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
echo
echo "Kubernetes-mode speaker benchmark: N=$N, $(nproc) cores, $(date -u +%Y-%m-%d), speaker from $VIPCAST_BUILD"
echo "objects: seeded into etcd, served by the API server after $T_POP s"
echo
echo "1. startup (N Services with status, N EndpointSlices)"
printf '   %-44s %10s   %s\n' "speaker start -> BIRD holds all N routes" "${T_ALL:-timeout} s" "target: LIST + 0.5 s"
printf '   %-44s %10s\n' "speaker start -> 99% of the routes" "${T_99:--} s"
printf '   %-44s %10s\n' "speaker start -> its caches synced (its log)" "${T_SYNC:--} s"
printf '   %-44s %10s   %s\n' "kubectl get svc -A -o json" "$L_SVC s" "(best of 3)"
printf '   %-44s %10s   %s\n' "kubectl get endpointslices -A -o json" "$L_EPS s" "(best of 3)"
printf '   %-44s %10s   %s\n' "both at once" "$L_BOTH s" "reference: LIST + 0.5 s = $(calc %.2f "$L_BOTH + 0.5") s"
printf '   %-44s %10s   %s\n' "speaker peak RSS (VmHWM) when all held" "$HWM_SPK MiB" "target: <= 48 MiB"
printf '   %-44s %10s\n' "receiving BIRD's peak RSS (VmHWM)" "$HWM_BIRD MiB"
printf '   %-44s %10s\n' "speaker CPU until all held" "$CPU_START s"
printf '   %-44s %10s   %s\n' "status objects settled, after start" "$T_SETTLE_ALL s" "($SETTLED; the quiet window and the churn begin then)"
echo "2. churn (EndpointSlice ready flips)"
printf '   %-44s %10s   %s\n' "writes, achieved rate" "$CHURN_WRITES in $CHURN_SPAN s" "asked: $RATE/s for $CHURN_S s"
printf '   %-44s %10s   %s\n' "write -> UPDATE on the wire, median" "$(f "$CHURN_LAT" median) ms" "target: < 50 ms"
printf '   %-44s %10s   %s\n' "p90 / p99 / max" "$(f "$CHURN_LAT" p90) / $(f "$CHURN_LAT" p99) / $(f "$CHURN_LAT" max) ms" "target p99: < 200 ms"
printf '   %-44s %10s\n' "the same from the write's sending, median / p99" "$(f "$CHURN_LAT" smedian) / $(f "$CHURN_LAT" sp99) ms"
printf '   %-44s %10s\n' "writes never seen on the wire" "$(f "$CHURN_LAT" lost)"
printf '   %-44s %10s\n' "speaker plans (loaded ... in X s, its log)" "$CHURN_PLANS"
printf '   %-44s %s\n' "speaker's share: event -> in force (metric)" "$CHURN_SPK"
printf '   %-44s %10s   %s\n' "speaker CPU (% of one core)" "$CHURN_CPU %" "target: < 50 %"
printf '   %-44s %10s   %s\n' "speaker RSS start / range / end" "$r0 / $RSS_RANGE / $RSS_END MiB" "target: flat"
printf '   %-44s %10s\n' "speaker RSS, highest by quarter of the churn" "$RSS_QUARTERS MiB"
echo "3. burst: $BURST Services created at once, controller running"
printf '   %-44s %10s   %s\n' "create -> route on the wire, median" "$(f "$BURST_LAT" median) ms" "target: < 150 ms"
printf '   %-44s %10s\n' "p99 / max" "$(f "$BURST_LAT" p99) / $(f "$BURST_LAT" max) ms"
printf '   %-44s %10s\n' "from the create's sending, median / p99" "$(f "$BURST_LAT" smedian) / $(f "$BURST_LAT" sp99) ms"
printf '   %-44s %10s\n' "routes seen / lost" "$(f "$BURST_LAT" n) / $(f "$BURST_LAT" lost)"
printf '   %-44s %10s\n' "first create -> all routes held" "$T_BURST s"
printf '   %-44s %10s\n' "controller start -> serving" "$T_CTL s"
echo "4. API load from the speaker (audit log, its ServiceAccount)"
printf '   %-44s %10s   %s\n' "quiet, requests per minute" "$(calc %.1f "${Q_REQ%% *} * 60 / $QUIET_S")" "${Q_REQ#* }"
printf '   %-44s %10s   %s\n' "during churn, requests per minute" "$(calc %.1f "${C_REQ%% *} * 60 / $CHURN_SPAN")" "${C_REQ#* }"
printf '   %-44s %10s   %s\n' "after startup, whole run ($A_MIN min), per minute" "$(calc %.1f "${A_REQ%% *} / $A_MIN")" "${A_REQ#* }"
echo "speaker at the end: VmHWM $HWM_END MiB, CPU $CPU_END s in all; controller requests: $CTL_REQ"
exit 0
