#!/bin/sh
# Kube-OVN Pod routes benchmark (issue 14): vipcast-speaker for one node in
# Kubernetes mode against the real control plane of scripts/kube-env.sh (with a
# kubeovn.io Subnet CRD installed here, so that the speaker watches Pods), a
# BGPPeer annotated vipcast.io/kube-ovn-routes to a BIRD 2 receiver, and N Pods
# annotated ovn.kubernetes.io/bgp: "true", created Pending without addresses.
# Each Pod's status is then written as a kubelet writes it when the Pod starts
# (Running, Ready, podIPs), at RATE writes a second, and the bench measures:
#   - status write returned -> the Pod's /32 announced on the wire at BIRD
#     (tcpdump on the BGP link): median, p90, p99, max;
#   - the reference, in the same run: the same write -> the API server's watch
#     event showing the address at a client watching the Pods (one connection of
#     the load driver): what any event-driven speaker waits for at least;
#   - the speaker's peak RSS (VmHWM) with N Pods announced, beside its RSS with
#     the N Pods cached and nothing announced, and the receiving BIRD's;
#   - the speaker's own share (its metric: watch event -> patched plan in force)
#     and how it planned: patches vs. plans built afresh.
# Figures are printed, never asserted; the issue's target (100 ms) beside them.
#
# usage: tests/bench/kube_ovn_pods_bench.sh   (under flock /tmp/vipcast-bench.lock)
# env:   BENCH_N        Pods (default 10000); BENCH_QUICK=1: 1000
#        BENCH_RATE     status writes per second (default 200)
#        BENCH_WORKERS  writer processes (default 4)
#        BENCH_TIMEOUT  seconds allowed for every route to arrive (default 300)
#        VIPCAST_BUILD  build holding vipcast-speaker (default build-rel, build-release, then build)
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
if [ -z "${VIPCAST_BUILD:-}" ]; then
	VIPCAST_BUILD=$ROOT/build
	for b in build-release build-rel; do [ -x "$ROOT/$b/vipcast-speaker" ] && VIPCAST_BUILD=$ROOT/$b; done
fi
N=${BENCH_N:-10000}
[ "${BENCH_QUICK:-}" = 1 ] && N=${BENCH_N:-1000}
RATE=${BENCH_RATE:-200}
WORKERS=${BENCH_WORKERS:-4}
TIMEOUT=${BENCH_TIMEOUT:-300}
[ "$N" -ge 1 ] && [ "$N" -le 131072 ] || { echo "BENCH_N: 1..131072 (Pod addresses from 198.18.0.0/15)" >&2; exit 2; }

. "$ROOT/tests/e2e/kubelib.sh"
kube_require kube_ovn_pods_bench
. "$ROOT/tests/e2e/lib.sh"
e2e_init kovnbench "$VIPCAST_BUILD" bird birdc tcpdump tshark curl
KDIR=$E2E_TMP/kube
SYS=metallb-system
LOAD="$E2E_PY $ROOT/tests/bench/kube_ovn_pods_load.py"
# the API server's address in the root namespace, per run: another test's 203.0.113.0/24 there must not take it
API_ADDR=198.18.$(($$ % 100 + 150)).1
VETH=vko$$

status_mib() { awk -v k="$2:" '$1 == k { printf "%.1f", $2 / 1024 }' "/proc/$1/status" 2>/dev/null; }
rx_count() { birdc_ rx show route count 2>/dev/null | awk '/in table master4$/ { print $1; f = 1 } END { if (!f) print 0 }'; }
calc() { awk "BEGIN { printf \"$1\", $2 }"; }

# ------------------------------------------------------------------ network
# rx (BIRD 192.0.2.1) -- tx (the speaker's node, 192.0.2.2); tx reaches the API
# server on the root end of a veth, $API_ADDR (removed with tx's namespace).
ns_add rx tx
link_add rx eth0 192.0.2.1/24 tx eth0 192.0.2.2/24
ip link add "$VETH" type veth peer name api netns "$(ns tx)" || die "veth to the API"
ip addr add "$API_ADDR/30" dev "$VETH" && ip link set "$VETH" up || die "address $API_ADDR"
addr_add tx api "${API_ADDR%.1}.2/30"
ip -n "$(ns tx)" link set api up

# ------------------------------------------------------------------ control plane
t0=$(now)
bash "$KUBE_ENV" up --addr "$API_ADDR" "$KDIR" >"$E2E_TMP/kube-env.log" 2>&1 ||
	{ tail -n 20 "$E2E_TMP/kube-env.log" >&2; die "kube-env.sh up failed"; }
log "control plane up in $(elapsed "$t0") s"
kc create namespace "$SYS" >/dev/null
kc create namespace pods >/dev/null
kube_install_vipcast
kube_sa_kubeconfig "$SYS" vipcast-speaker "$E2E_TMP/speaker.kubeconfig"
kube_subnet_crd
kc apply -f - >/dev/null <<EOF || die "configuration objects"
apiVersion: v1
kind: Node
metadata:
  name: bench
  labels: {kubernetes.io/hostname: bench}
---
apiVersion: metallb.io/v1beta2
kind: BGPPeer
metadata:
  name: rx
  namespace: $SYS
  annotations: {vipcast.io/kube-ovn-routes: "true"}
spec:
  myASN: 64512
  peerASN: 64512
  peerAddress: 192.0.2.1
  holdTime: 90s
EOF
kc patch node bench --subresource status --type merge \
	-p '{"status": {"addresses": [{"type": "InternalIP", "address": "192.0.2.2"}]}}' >/dev/null || die "Node status"

# ------------------------------------------------------------------ N Pending Pods
has_sa() { kc -n pods get serviceaccount default >/dev/null 2>&1; }
wait_until 30 has_sa || die "no default ServiceAccount in namespace pods"
t0=$(now)
$LOAD create "$KDIR" pods "$N" "$WORKERS" 2>>"$E2E_TMP/load.log" || die "creating the Pods failed (see $E2E_TMP/load.log)"
T_CREATE=$(elapsed "$t0")
log "$(tail -n 1 "$E2E_TMP/load.log")"

# ------------------------------------------------------------------ speaker, nothing to announce yet
bird_receiver_conf "$E2E_TMP/rx.conf"
start_bird rx rx "$E2E_TMP/rx.conf"
t0=$(now)
NODE_NAME=bench POD_NAME=speaker-bench POD_NAMESPACE=$SYS ip netns exec "$(ns tx)" "$SPEAKER" \
	--kubeconfig "$E2E_TMP/speaker.kubeconfig" --health-address 192.0.2.2:7472 --log-level info --socket "$E2E_TMP/speaker.sock" \
	>"$E2E_TMP/speaker.log" 2>&1 &
track speaker $! vipcast-speaker tx
SPK=$(pid_of speaker)
wait_until 60 grep -q "every cache synced" "$E2E_TMP/speaker.log" || die "the speaker's caches never synced (see $E2E_TMP/speaker.log)"
T_SYNC=$(elapsed "$t0")
wait_until 30 bird_established rx sender || die "BIRD never reached Established with the speaker"
sleep 1
[ "$(rx_count)" = 0 ] || die "BIRD holds $(rx_count) routes before any Pod has an address"
RSS_IDLE=$(status_mib "$SPK" VmRSS)
log "speaker: caches synced after $T_SYNC s ($N Pods, none with an address), VmRSS $RSS_IDLE MiB"

# ------------------------------------------------------------------ the Pods start
# metric NAME -> the speaker's sample NAME (counters, histogram counts), 0 when absent
metric() {
	ip netns exec "$(ns tx)" curl -s --max-time 5 http://192.0.2.2:7472/metrics |
		awk -v m="$1" '$1 == m || $1 == m "{}" { v = $2; exit } END { print v + 0 }'
}
# scrape_hist NAME -> "le=count ..." of the speaker's histogram NAME, cumulative
scrape_hist() {
	ip netns exec "$(ns tx)" curl -s --max-time 5 http://192.0.2.2:7472/metrics |
		sed -n "s/^$1_bucket{le=\"\([^\"]*\)\"} \([0-9.e+]*\)$/\1=\2/p" | tr '\n' ' '
}
B0=$(metric vipcast_plan_builds_total) P0=$(metric vipcast_plan_patch_duration_seconds_count)
H0=$(scrape_hist vipcast_kube_change_apply_seconds)
ip netns exec "$(ns rx)" tcpdump -i eth0 -n -s 0 -B 65536 -w "$E2E_TMP/ready.pcap" tcp port 179 \
	>"$E2E_TMP/tcpdump.log" 2>&1 &
track capture $! tcpdump rx
wait_until 10 grep -q "listening on" "$E2E_TMP/tcpdump.log" || die "tcpdump did not start"
t0=$(now)
$LOAD ready "$KDIR" pods "$N" "$RATE" "$WORKERS" "$E2E_TMP/ready.writes" 2>>"$E2E_TMP/load.log" ||
	die "the status writes failed (see $E2E_TMP/load.log)"
READY_LOG=$(tail -n 1 "$E2E_TMP/load.log")
log "$READY_LOG"
all() { [ "$(rx_count)" -ge "$N" ]; }
wait_until "$TIMEOUT" all || log "BIRD holds $(rx_count) of $N routes after $TIMEOUT s"
T_ALL=$(elapsed "$t0")
sleep 1
stop capture
HWM_SPK=$(status_mib "$SPK" VmHWM)
RSS_SPK=$(status_mib "$SPK" VmRSS)
HWM_BIRD=$(status_mib "$(pid_of rx)" VmHWM)
B1=$(metric vipcast_plan_builds_total) P1=$(metric vipcast_plan_patch_duration_seconds_count)
H1=$(scrape_hist vipcast_kube_change_apply_seconds)
stop speaker
stop rx

# wire events: "<epoch> <prefix> <1 announced|0 withdrawn>" for every prefix in every UPDATE
tshark -r "$E2E_TMP/ready.pcap" -Y bgp.type==2 -T fields -E occurrence=a -E separator='|' \
	-e frame.time_epoch -e bgp.withdrawn_prefix -e bgp.nlri_prefix 2>"$E2E_TMP/tshark.log" |
	awk -F'|' '{ n = split($2, w, ","); for (i = 1; i <= n; i++) print $1, w[i], 0
		n = split($3, a, ","); for (i = 1; i <= n; i++) print $1, a[i], 1 }' >"$E2E_TMP/ready.events"
LAT=$($LOAD latency "$E2E_TMP/ready.writes" "$E2E_TMP/ready.events") || die "latency"
WIRE=$(printf '%s\n' "$LAT" | sed -n 's/^wire //p')
WATCH=$(printf '%s\n' "$LAT" | sed -n 's/^watch //p')
# the speaker's share: quantiles of the observations between two scrapes, as the bucket's upper bound
SHARE=$($E2E_PY - "$H0" "$H1" <<'EOF'
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
)

# ------------------------------------------------------------------ report
f() { printf '%s' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
echo
echo "Kube-OVN Pod routes benchmark: N=$N Pods, $(nproc) cores, $(date -u +%Y-%m-%d), speaker from $VIPCAST_BUILD"
echo "Pods created through the API in $T_CREATE s; speaker caches synced after $T_SYNC s"
printf '   %-50s %14s   %s\n' "status writes, achieved rate" "$(f "$WIRE" n) + $(f "$WIRE" lost) lost" "$READY_LOG"
printf '   %-50s %14s   %s\n' "write -> route on the wire at BIRD, median" "$(f "$WIRE" median) ms" "target: 100 ms"
printf '   %-50s %14s\n' "  p90 / p99 / max" "$(f "$WIRE" p90) / $(f "$WIRE" p99) / $(f "$WIRE" max) ms"
printf '   %-50s %14s\n' "  from the write's sending, median / p99" "$(f "$WIRE" smedian) / $(f "$WIRE" sp99) ms"
printf '   %-50s %14s   %s\n' "reference: write -> watch event at a client, median" "$(f "$WATCH" median) ms" "(same run, same writes)"
printf '   %-50s %14s\n' "  p90 / p99 / max" "$(f "$WATCH" p90) / $(f "$WATCH" p99) / $(f "$WATCH" max) ms"
printf '   %-50s %14s\n' "  from the write's sending, median / p99" "$(f "$WATCH" smedian) / $(f "$WATCH" sp99) ms"
printf '   %-50s %14s\n' "  events never seen by the watch" "$(f "$WATCH" lost)"
printf '   %-50s %s\n' "speaker's share: event -> patched plan in force" "$SHARE"
printf '   %-50s %14s\n' "speaker plans: patched / built afresh" "$((P1 - P0)) / $((B1 - B0))"
printf '   %-50s %14s\n' "first write -> BIRD holds all N routes" "$T_ALL s"
printf '   %-50s %14s   %s\n' "speaker peak RSS (VmHWM), N routes announced" "$HWM_SPK MiB" "VmRSS now $RSS_SPK MiB"
printf '   %-50s %14s\n' "  reference: its VmRSS with the N Pods cached, none announced" "$RSS_IDLE MiB"
printf '   %-50s %14s\n' "  receiving BIRD's peak RSS (VmHWM)" "$HWM_BIRD MiB"
exit 0
