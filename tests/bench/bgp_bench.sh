#!/bin/sh
# BGP announcement benchmark: how fast a sender gets N /32 VIPs into a BIRD 2
# router's table, and the sender's peak memory. Senders, in the same run:
#   vipcast  vipcast-speaker reading a generated configuration directory with N
#            Services (status IPs from 198.18.0.0/15) and their EndpointSlices
#   gobgpd   GoBGP 3.10 fed over its gRPC API in one batch: `gobgp mrt inject global`
#            (an AddPathStream of a generated MRT TABLE_DUMP_V2 file)
#   bird     BIRD 2 announcing N static routes
# Each run: fresh receiver (BIRD, iBGP AS 64512, 192.0.2.1) and sender (192.0.2.2) in
# two network namespaces joined by a veth. Measured:
#   start->all   seconds from the sender's process start to the receiver holding N routes
#   est->all     seconds from the session's Established (BIRD's own timestamp) to all held
#   start->99%   as start->all, for 99% of N
#   peak RSS     the sender's VmHWM (/proc/PID/status) once all routes are held
#
# usage: tests/bench/bgp_bench.sh [COUNT...]        (default: 10000 100000)
# env:   VIPCAST_BUILD  build directory holding vipcast-speaker (default: build-release,
#                       then build); use a Release build without sanitizers
#        BENCH_TIMEOUT  seconds allowed for one run (default 300)
#        BENCH_ONLY     senders to run, e.g. "vipcast bird" (default: all three)
#        BENCH_FORMAT   yaml (default) or json: how vipcast's Services are written
#                       (json: kubectl-style List documents, read with jansson)
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
for a in "$@"; do
	case $a in
	'' | *[!0-9]* | 0*) sed -n '16,22p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
	esac
done
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
if [ -z "${VIPCAST_BUILD:-}" ]; then
	VIPCAST_BUILD=$ROOT/build
	[ -x "$ROOT/build-release/vipcast-speaker" ] && VIPCAST_BUILD=$ROOT/build-release
fi
. "$ROOT/tests/e2e/lib.sh"
e2e_init bgpbench "$VIPCAST_BUILD" bird birdc gobgpd gobgp
COUNTS=${*:-10000 100000}
TIMEOUT=${BENCH_TIMEOUT:-300}
ONLY=${BENCH_ONLY:-vipcast gobgpd bird}
FORMAT=${BENCH_FORMAT:-yaml}

ns_add rx tx
link_add rx eth0 192.0.2.1/24 tx eth0 192.0.2.2/24

bird_receiver_conf "$E2E_TMP/rx.conf"

# rx_count -> routes in the receiver's table
rx_count() { birdc_ rx show route count 2>/dev/null | awk '/in table master4$/ { print $1; f = 1 } END { if (!f) print 0 }'; }
# rx_est_epoch -> when BIRD's session went Established (epoch seconds), from its own clock
rx_est_epoch() {
	local s
	[ "$(bird_state rx sender)" = Established ] || return 1
	s=$(bird_since rx sender)
	date -d "$s" +%s.%N 2>/dev/null
}

declare -A RES_ALL RES_EST RES_99 RES_RSS RES_NOTE

# run_one SENDER N -> starts a receiver and sender_SENDER N, measures, stops both
run_one() {
	local who=$1 n=$2 t0 t99="" tall="" est="" c=0 pid rss end
	start_rx
	t0=$(now)
	"sender_$who" "$n"
	pid=$(pid_of "$who")
	end=$(awk -v a="$t0" -v t="$TIMEOUT" 'BEGIN { printf "%.3f", a + t }')
	while :; do
		c=$(rx_count)
		[ -z "$t99" ] && [ "$c" -ge $((n * 99 / 100)) ] && t99=$(elapsed "$t0")
		[ "$c" -ge "$n" ] && { tall=$(elapsed "$t0"); break; }
		awk -v a="$(now)" -v e="$end" 'BEGIN { exit !(a >= e) }' && break
		is_running "$who" || { RES_NOTE[$who.$n]="sender exited"; break; }
		sleep 0.05
	done
	rss=$(awk '/^VmHWM:/ { printf "%.1f", $2 / 1024 }' "/proc/$pid/status" 2>/dev/null)
	if est=$(rx_est_epoch) && [ -n "$tall" ]; then
		RES_EST[$who.$n]=$(awk -v a="$t0" -v b="$tall" -v e="$est" 'BEGIN { printf "%.3f", a + b - e }')
	fi
	if [ "$who" = vipcast ]; then
		RES_NOTE[$who.$n]="${RES_NOTE[$who.$n]:-}$(sed -n 's/.*config: loaded .* in \([0-9.]*\) s:.*/configuration loaded in \1 s/p' \
			"$E2E_TMP/vipcast-$n.log" | head -n 1)"
	fi
	RES_ALL[$who.$n]=${tall:-"timeout ($c)"}
	RES_99[$who.$n]=${t99:--}
	RES_RSS[$who.$n]=${rss:--}
	log "$who N=$n: start->all ${RES_ALL[$who.$n]} s, est->all ${RES_EST[$who.$n]:--} s, start->99% ${RES_99[$who.$n]} s, peak RSS ${RES_RSS[$who.$n]} MiB ${RES_NOTE[$who.$n]:-}"
	stop "$who"
	stop rx
}

start_rx() { start_bird rx rx "$E2E_TMP/rx.conf"; }

# ---------------------------------------------------------------- vipcast
gen_vipcast() {  # N DIR
	mkdir -p "$2"
	$E2E_PY - "$1" "$2" "$FORMAT" <<'EOF'
import ipaddress, os, sys
n, d, fmt = int(sys.argv[1]), sys.argv[2], sys.argv[3]
with open(os.path.join(d, "00-base.yaml"), "w") as f:
    f.write("""apiVersion: v1
kind: Node
metadata:
  name: bench
  labels: {kubernetes.io/hostname: bench}
status:
  addresses: [{type: InternalIP, address: 192.0.2.2}]
---
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: bench, namespace: metallb-system}
spec:
  addresses: [198.18.0.0/15]
---
apiVersion: metallb.io/v1beta1
kind: BGPAdvertisement
metadata: {name: bench, namespace: metallb-system}
spec:
  ipAddressPools: [bench]
---
apiVersion: metallb.io/v1beta2
kind: BGPPeer
metadata: {name: rx, namespace: metallb-system}
spec:
  myASN: 64512
  peerASN: 64512
  peerAddress: 192.0.2.1
  holdTime: 90s
""")
base = int(ipaddress.ip_address("198.18.0.0"))
per = 5000
if fmt == "json":
    import json
    for k in range(0, n, per):
        items = []
        for i in range(k, min(n, k + per)):
            ip = str(ipaddress.ip_address(base + i))
            items.append({"apiVersion": "v1", "kind": "Service",
                          "metadata": {"name": "s%d" % i, "namespace": "default"},
                          "spec": {"type": "LoadBalancer", "ports": [{"port": 80, "protocol": "TCP"}]},
                          "status": {"loadBalancer": {"ingress": [{"ip": ip}]}}})
            items.append({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                          "metadata": {"name": "s%d-x" % i, "namespace": "default",
                                       "labels": {"kubernetes.io/service-name": "s%d" % i}},
                          "addressType": "IPv4",
                          "endpoints": [{"addresses": ["10.0.0.1"], "conditions": {"ready": True},
                                         "nodeName": "bench"}]})
        with open(os.path.join(d, "svc-%06d.json" % k), "w") as f:
            json.dump({"apiVersion": "v1", "kind": "List", "items": items}, f)
    sys.exit(0)
for k in range(0, n, per):
    with open(os.path.join(d, "svc-%06d.yaml" % k), "w") as f:
        out = []
        for i in range(k, min(n, k + per)):
            ip = str(ipaddress.ip_address(base + i))
            out.append(
                "---\napiVersion: v1\nkind: Service\nmetadata: {name: s%d, namespace: default}\n"
                "spec:\n  type: LoadBalancer\n  ports: [{port: 80, protocol: TCP}]\n"
                "status:\n  loadBalancer:\n    ingress: [{ip: %s}]\n"
                "---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
                "metadata: {name: s%d-x, namespace: default, labels: {kubernetes.io/service-name: s%d}}\n"
                "addressType: IPv4\nendpoints: [{addresses: [10.0.0.1], conditions: {ready: true}, nodeName: bench}]\n"
                % (i, ip, i, i))
        f.write("".join(out))
EOF
}
sender_vipcast() {
	local d="$E2E_TMP/vipcast-$1"
	ip netns exec "$(ns tx)" "$SPEAKER" --config "$d" --node bench --log-level info --socket "$E2E_TMP/vipcast-$1.sock" \
		>>"$E2E_TMP/vipcast-$1.log" 2>&1 &
	track vipcast $! speaker tx
	disown $!
}

# ---------------------------------------------------------------- gobgpd
cat >"$E2E_TMP/gobgp.toml" <<EOF
[global.config]
  as = 64512
  router-id = "192.0.2.2"
  local-address-list = ["192.0.2.2"]
[[neighbors]]
  [neighbors.config]
    neighbor-address = "192.0.2.1"
    peer-as = 64512
  [neighbors.timers.config]
    hold-time = 90
  [neighbors.transport.config]
    passive-mode = true
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv4-unicast"
EOF
# gen_mrt N FILE: a TABLE_DUMP_V2 file with N /32s from 198.18.0.0 (next hop
# 192.0.2.2), then 2000 of them again: `gobgp mrt inject` drops what is still
# buffered when it exits, and re-sending known routes changes nothing
gen_mrt() {
	$E2E_PY - "$1" "$2" <<'EOF'
import ipaddress, struct, sys
n, out = int(sys.argv[1]), sys.argv[2]
base = int(ipaddress.ip_address("198.18.0.0"))
def rec(subtype, body):
    return struct.pack("!IHHI", 0, 13, subtype, len(body)) + body
peer = struct.pack("!BI4sI", 0x02, 0xc0000202, bytes([192, 0, 2, 2]), 64512)
attrs = bytes([0x40, 1, 1, 0]) + bytes([0x40, 2, 0]) + bytes([0x40, 3, 4, 192, 0, 2, 2])
with open(out, "wb") as f:
    f.write(rec(1, struct.pack("!IHH", 0xc0000202, 0, 1) + peer))
    for seq, i in enumerate(list(range(n)) + list(range(min(n, 2000)))):
        body = struct.pack("!IB", seq, 32) + (base + i).to_bytes(4, "big") + \
            struct.pack("!HHIH", 1, 0, 0, len(attrs)) + attrs
        f.write(rec(2, body))
EOF
}
sender_gobgpd() {
	ip netns exec "$(ns tx)" gobgpd -f "$E2E_TMP/gobgp.toml" -p --pprof-disable --api-hosts 127.0.0.1:50051 \
		--log-level warn >>"$E2E_TMP/gobgpd.log" 2>&1 &
	track gobgpd $! gobgp tx
	disown $!
	E2E_PORT[gobgpd]=50051
	wait_until 10 ip netns exec "$(ns tx)" gobgp -p 50051 global || die "gobgpd did not start"
	local t0
	t0=$(now)
	ip netns exec "$(ns tx)" gobgp -p 50051 mrt inject global "$E2E_TMP/routes-$1.mrt" ||
		die "gobgp mrt inject failed"
	log "gobgpd: mrt inject of $1 routes took $(elapsed "$t0") s; the receiver holds $(rx_count), session $(bird_state rx sender)"
}

# ---------------------------------------------------------------- BIRD as the sender
gen_bird() {  # N FILE
	{
		cat <<EOF
router id 192.0.2.2;
log stderr { warning, error, fatal };
protocol device { scan time 10; }
protocol static vips {
	ipv4;
EOF
		$E2E_PY - "$1" <<'EOF'
import ipaddress, sys
base = int(ipaddress.ip_address("198.18.0.0"))
sys.stdout.write("".join("\troute %s/32 blackhole;\n" % ipaddress.ip_address(base + i)
                         for i in range(int(sys.argv[1]))))
EOF
		cat <<EOF
}
protocol bgp receiver {
	local 192.0.2.2 as 64512;
	neighbor 192.0.2.1 as 64512;
	direct;
	hold time 90;
	connect delay time 1; connect retry time 1;
	ipv4 { import none; export all; next hop self; };
}
EOF
	} >"$2"
}
sender_bird() {
	mkdir -p "$E2E_TMP/bird"
	ip netns exec "$(ns tx)" bird -f -c "$E2E_TMP/bird-$1.conf" -s "$E2E_TMP/bird/bird.ctl" \
		-P "$E2E_TMP/bird/bird.pid" >>"$E2E_TMP/bird/out.log" 2>&1 &
	track bird $! bird tx
	disown $!
}
# ---------------------------------------------------------------- runs
for n in $COUNTS; do
	for who in $ONLY; do
		case $who in
		vipcast)
			if ! speaker_built; then
				RES_ALL[vipcast.$n]="not built"
				log "vipcast-speaker not found in $VIPCAST_BUILD: skipped"
				continue
			fi
			gen_vipcast "$n" "$E2E_TMP/vipcast-$n"
			RES_NOTE[vipcast.$n]="$FORMAT $(du -sh "$E2E_TMP/vipcast-$n" | cut -f1)B, "
			log "vipcast: configuration with $n Services and EndpointSlices, ${RES_NOTE[vipcast.$n]}"
			run_one vipcast "$n"
			rm -rf "$E2E_TMP/vipcast-$n" ;;
		gobgpd)
			gen_mrt "$n" "$E2E_TMP/routes-$n.mrt"
			run_one gobgpd "$n"
			rm -f "$E2E_TMP/routes-$n.mrt" ;;
		bird)
			gen_bird "$n" "$E2E_TMP/bird-$n.conf"
			run_one bird "$n"
			rm -f "$E2E_TMP/bird-$n.conf" ;;
		esac
	done
done

# ---------------------------------------------------------------- table
ratio() {  # A B -> A/B, or -
	awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2fx", a / b; else printf "-" }'
}
echo
echo "BGP announcement benchmark: receiver BIRD $(bird --version 2>&1 | awk '{print $3}'), $(nproc) cores, $(date -u +%Y-%m-%d)"
echo "ratios are the other sender's figure divided by vipcast's (above 1: vipcast is faster / smaller)"
echo
printf '| %-7s | %7s | %12s | %10s | %10s | %12s | %16s | %14s |\n' sender N "start->all s" "est->all s" "start->99%" "peak RSS MiB" "start->all ratio" "RSS ratio"
printf '|%s|%s|%s|%s|%s|%s|%s|%s|\n' ---------  ---------: --------------: ------------: ------------: --------------: ------------------: ----------------:
for n in $COUNTS; do
	for who in $ONLY; do
		printf '| %-7s | %7s | %12s | %10s | %10s | %12s | %16s | %14s |\n' "$who" "$n" \
			"${RES_ALL[$who.$n]:--}" "${RES_EST[$who.$n]:--}" "${RES_99[$who.$n]:--}" "${RES_RSS[$who.$n]:--}" \
			"$(ratio "${RES_ALL[$who.$n]:-}" "${RES_ALL[vipcast.$n]:-}")" \
			"$(ratio "${RES_RSS[$who.$n]:-}" "${RES_RSS[vipcast.$n]:-}")"
	done
done
for n in $COUNTS; do
	[ -n "${RES_NOTE[vipcast.$n]:-}" ] && echo "vipcast N=$n: ${RES_NOTE[vipcast.$n]}"
done
echo
echo "gobgpd is fed with 'gobgp mrt inject global' (one AddPathStream batch), started right after gobgpd;"
echo "its RSS is gobgpd's alone. vipcast's start->all includes loading the configuration."
exit 0
