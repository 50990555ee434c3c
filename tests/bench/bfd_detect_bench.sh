#!/bin/sh
# Failure detection benchmark: how long a router (BIRD 2, or FRR 8.4 with bfdd) keeps a dead node's route,
# with BFD (100 ms x 3 on both sides, BGP hold time 90 s) beside the BGP hold timer
# alone at its minimum (3 s), in the same run:
#
#   n1 (node1, BFD)  192.0.2.11 --+
#                                 +-- lan -- rtr: BIRD 2 `protocol bfd`, or FRR zebra+bfdd+bgpd (192.0.2.1, AS 64500)
#   n2 (node2, hold 3 s) 192.0.2.12 +
#
# Each node announces its own VIP (198.51.100.11, .12: ETP Local Services). Each round
# fails both nodes at the same moment, then measures, per node, the time from the
# failure to the VIP's route leaving the router's table (a route monitor polling birdc or
# vtysh every few ms), then brings both back and waits for both routes. Failures:
#   kill     both speakers SIGKILLed. The kernel closes their TCP connections, so the
#            router sees the BGP session end at once either way: what a crashed process
#            on a live node looks like
#   link     the nodes' links cut (ip link set down on the node side of the veth): no
#            FIN, no packet at all, as when a node dies or its cable is pulled
#   freeze   both speakers SIGSTOPped (a hung process on a live node)
# Prints the median and the worst per failure kind and node; no assertion on times.
# The hold-timer figure is below 3 s: the failure comes up to a keepalive interval (1 s)
# after the last KEEPALIVE, and BIRD also starts its hold timer jittered (RFC 4271 10, by
# up to a quarter).
#
# usage: tests/bench/bfd_detect_bench.sh [ROUNDS]       (default: 20)
# env:   VIPCAST_BUILD  build directory holding vipcast-speaker (default: build-release,
#                       then build); use a Release build without sanitizers
#        BENCH_KINDS    failure kinds to run (default: "kill link freeze")
#        BENCH_ROUTERS  routers to run against, each in turn (default: "bird frr")
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
case ${1:-20} in '' | *[!0-9]* | 0*) sed -n '25,29p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;; esac
ROUNDS=${1:-20}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
if [ -z "${VIPCAST_BUILD:-}" ]; then
	VIPCAST_BUILD=$ROOT/build
	[ -x "$ROOT/build-release/vipcast-speaker" ] && VIPCAST_BUILD=$ROOT/build-release
fi
. "$ROOT/tests/e2e/lib.sh"
. "$ROOT/tests/e2e/bfd_common.sh"
e2e_init bfdbench "$VIPCAST_BUILD" bird birdc /usr/lib/frr/zebra /usr/lib/frr/bfdd /usr/lib/frr/bgpd vtysh
KINDS=${BENCH_KINDS:-kill link freeze}
ROUTERS=${BENCH_ROUTERS:-bird frr}
SPEAKER_LOG_LEVEL=info

ns_add n1 n2 rtr
lan_add lan
lan_attach lan rtr eth0 192.0.2.1/24
lan_attach lan n1 eth0 192.0.2.11/24
lan_attach lan n2 eth0 192.0.2.12/24

{
	bird_head 192.0.2.1
	cat <<EOF
protocol bfd { interface "*" { min rx interval 100 ms; min tx interval 100 ms; multiplier 3; }; }
protocol bgp node1 {
	local 192.0.2.1 as 64500; neighbor 192.0.2.11 as 64512; direct;
	hold time 90; keepalive time 30;
	connect delay time 1; connect retry time 1; error wait time 1, 2;
	bfd on;
	ipv4 { import all; export none; };
}
protocol bgp node2 {
	local 192.0.2.1 as 64500; neighbor 192.0.2.12 as 64512; direct;
	hold time 3; keepalive time 1;
	connect delay time 1; connect retry time 1; error wait time 1, 2;
	ipv4 { import all; export none; };
}
EOF
} | sed 's/^log stderr all;/log stderr { warning, error, fatal };/' >"$E2E_TMP/bird.conf"
printf 'hostname bfdd\nbfd\n profile fast\n  transmit-interval 100\n  receive-interval 100\n  detect-multiplier 3\n !\n!\n' \
	>"$E2E_TMP/bfdd.conf"
cat >"$E2E_TMP/bgpd.conf" <<EOF
hostname bgpd
router bgp 64500
 bgp router-id 192.0.2.1
 no bgp ebgp-requires-policy
 neighbor 192.0.2.11 remote-as 64512
 neighbor 192.0.2.11 timers 30 90
 neighbor 192.0.2.11 timers connect 1
 neighbor 192.0.2.11 bfd
 neighbor 192.0.2.11 bfd profile fast
 neighbor 192.0.2.12 remote-as 64512
 neighbor 192.0.2.12 timers 1 3
 neighbor 192.0.2.12 timers connect 1
EOF

C1=$E2E_TMP/config1 C2=$E2E_TMP/config2
mkdir -p "$C1" "$C2"
for C in "$C1" "$C2"; do
	{
		cfg_node node1 192.0.2.11
		cfg_node node2 192.0.2.12
		cfg_pool vips 198.51.100.0/24
		cfg_adv adv pools=vips
		cfg_service web1 198.51.100.11 Local node1
		cfg_service web2 198.51.100.12 Local node2
	} | cfg_write "$C" base.yaml
done
{
	cfg_bfd_profile fast 100 100 3
	cfg_peer rtr 64512 64500 192.0.2.1 holdTime=90s keepaliveTime=30s connectTime=1s bfdProfile=fast
} | cfg_write "$C1" peer.yaml
cfg_peer rtr 64512 64500 192.0.2.1 holdTime=3s keepaliveTime=1s connectTime=1s | cfg_write "$C2" peer.yaml
cfg_check "$C1"
cfg_check "$C2"

speakers_start() {
	start_speaker s1 n1 "$C1" node1
	start_speaker s2 n2 "$C2" node2
}
rib() { if [ "$ROUTER" = bird ]; then bird_rib rtr; else frr_rib frr ipv4; fi; }
both_routes() { has_route rib 198.51.100.11/32 && has_route rib 198.51.100.12/32; }

# monitor T0 -> "SECONDS1 SECONDS2": time from T0 until each VIP left the router's table (-1: not within 20 s)
monitor() {
	local cmd
	if [ "$ROUTER" = bird ]; then cmd="birdc -s $E2E_TMP/rtr/bird.ctl show route"
	else cmd="vtysh --vty_socket $E2E_TMP/frr -d bgpd -c show\ bgp\ ipv4\ unicast"; fi
	$E2E_PY - "$cmd" "$1" <<'EOF'
import shlex, subprocess, sys, time
cmd, t0 = shlex.split(sys.argv[1]), float(sys.argv[2])
gone = {"198.51.100.11/32": None, "198.51.100.12/32": None}
for _ in range(20000):
    if all(v is not None for v in gone.values()) or time.time() - t0 > 20:
        break
    out = subprocess.run(cmd, capture_output=True, text=True).stdout
    now = time.time()
    for p in gone:
        if gone[p] is None and p not in out:
            gone[p] = now - t0
    time.sleep(0.003)
print(" ".join("%.3f" % (v if v is not None else -1) for v in gone.values()))
EOF
}

fail_nodes() {
	case $1 in
	kill) signal_proc s1 KILL; signal_proc s2 KILL ;;
	link) ip -n "$(ns n1)" link set eth0 down; ip -n "$(ns n2)" link set eth0 down ;;
	freeze) freeze s1; freeze s2 ;;
	esac
}
restore_nodes() {
	case $1 in
	kill) crash s1; crash s2; speakers_start ;;
	link) ip -n "$(ns n1)" link set eth0 up; ip -n "$(ns n2)" link set eth0 up ;;
	freeze) thaw s1; thaw s2 ;;
	esac
}

declare -A RES=()
for ROUTER in $ROUTERS; do
	if [ "$ROUTER" = bird ]; then start_bird rtr rtr "$E2E_TMP/bird.conf"
	else start_frr_bfd frr rtr "$E2E_TMP/bgpd.conf" "$E2E_TMP/bfdd.conf"; fi
	speakers_start
	wait_until 30 both_routes || die "$ROUTER: the routes did not arrive"
	for kind in $KINDS; do
		log "== $ROUTER, $kind: $ROUNDS rounds"
		for r in $(seq 1 "$ROUNDS"); do
			# a few seconds of steady state, so that BFD runs at its fast rate
			sleep 2
			t0=$(now)
			fail_nodes "$kind"
			m=$(monitor "$t0")
			RES[$ROUTER $kind]+="$m"$'\n'
			log "$ROUTER $kind round $r: BFD node ${m% *} s, hold-timer node ${m#* } s"
			restore_nodes "$kind"
			wait_until 40 both_routes || die "$ROUTER $kind round $r: the routes did not come back"
		done
	done
	stop s1
	stop s2
	if [ "$ROUTER" = bird ]; then stop rtr; else stop frr; stop frr-bfdd; stop frr-zebra; fi
done

stats() {  # column of RES lines -> "median worst n", in ms
	awk -v c="$1" '$c >= 0 { v[n++] = $c * 1000 } $c < 0 { miss++ }
		END { if (!n) { print "-"; exit }
		      for (i = 0; i < n; i++) for (j = i + 1; j < n; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
		      med = n % 2 ? v[(n - 1) / 2] : (v[n / 2 - 1] + v[n / 2]) / 2
		      printf "median %4.0f ms, worst %5.0f ms (%d rounds%s)", med, v[n - 1], n, miss ? ", " miss " not within 20 s" : "" }'
}
echo
echo "time from the failure to the route's withdrawal at the router ($ROUNDS rounds each)"
for ROUTER in $ROUTERS; do
	for kind in $KINDS; do
			printf '%-4s %-7s BFD 100 ms x 3 (hold 90 s): %s\n' "$ROUTER" "$kind" "$(printf '%s' "${RES[$ROUTER $kind]}" | stats 1)"
			printf '%-4s %-7s BGP hold timer 3 s, no BFD: %s\n' "" "" "$(printf '%s' "${RES[$ROUTER $kind]}" | stats 2)"
	done
done
record pass "benchmark"
e2e_finish
