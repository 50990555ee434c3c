#!/bin/sh
# L2 failover benchmark: vipcast-speaker (three nodes) beside keepalived (VRRPv3,
# two nodes), in one namespace lab (tests/e2e/l2lib.sh) and one run.
#
# For each system and each kind of failure, N times (default 20):
#   kill   the owner's process is killed (vipcast: kill -9 of the speaker;
#          keepalived: kill -9 of its VRRP child, as a crash, since killing the
#          parent is a clean handover)
#   link   the owner's eth0 is set down
# the time from the failure (just before the kill(2) or the netlink request) to
# the client's neighbour entry for the VIP changing to the new owner's MAC, from
# the kernel's own notification timestamps ("ip -ts monitor neigh"). Then the
# owner is restored and the next round waits until it owns the VIP again.
# Also the ARP reply latency as arping reports it (vipcast answers from user
# space over AF_PACKET; keepalived puts the VIP on the interface and the kernel
# answers).
#
# keepalived runs with -R (no respawn) and is started afresh after each kill.
#
# Usage: sh tests/bench/l2_failover_bench.sh BUILD_DIR [-n N] [--only vipcast|keepalived]
# Needs root, iproute2, arping, keepalived; a Release build is best (no sanitizers).
# Prints the table on stdout, progress on stderr; exit 1 if a round failed.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../e2e/lib.sh"
. "$HERE/../e2e/l2lib.sh"

ROUNDS=20
ONLY=""
BUILD_ARG=${1:-}
shift || true
while [ $# -gt 0 ]; do
	case $1 in
	-n) ROUNDS=$2; shift 2 ;;
	--only) ONLY=$2; shift 2 ;;
	*) echo "usage: $0 BUILD_DIR [-n N] [--only vipcast|keepalived]" >&2; exit 64 ;;
	esac
done
# shellcheck disable=SC2046
e2e_init l2bench "$BUILD_ARG" $([ "$ONLY" = vipcast ] || echo keepalived)

declare -A RESULTS=()  # "system|kind" -> space-separated ms
FAILED=0

# stats LIST -> "median worst n" of the numbers in LIST
stats() {
	printf '%s\n' $1 | sort -n | awk '{ v[NR] = $1 } END {
		if (!NR) { print "- - 0"; exit }
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%d %d %d\n", m, v[NR], NR }'
}

# arp_latency VIP -> "median worst" of arping's reply times in ms (30 requests)
arp_latency() {
	nsx "$L2_CLIENT" arping -c 30 -W 0.02 -i eth0 "$1" 2>/dev/null |
		awk '/bytes from/ { for (i = 1; i <= NF; i++) if ($i ~ /^time=/) { t = substr($i, 6); u = $(i + 1)
			if (u == "usec") t /= 1000; else if (u == "sec") t *= 1000; print t } }' |
		sort -n | awk '{ v[NR] = $1 } END { if (!NR) { print "- -"; exit }
			m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.3f %.3f\n", m, v[NR] }'
}

# wait_entry VIP MAC SECONDS -> bounded wait until the client's entry is MAC (pinging it)
wait_entry() {
	local i max
	max=$(( $3 * 5 ))
	for i in $(seq 1 "$max"); do
		l2_neigh_learn "$1"
		l2_neigh_is "$1" "$2" && return 0
		sleep 0.2
	done
	return 1
}

# measure SYSTEM KIND VIP NEWMAC CMD... -> one failover, timed; appends to RESULTS
measure() {
	local sys=$1 kind=$2 vip=$3 mac=$4 w=$E2E_TMP/neigh.$RANDOM ms
	shift 4
	l2_neigh_watch "$w" 12 || die "neighbour watcher"
	L2_T0=$EPOCHREALTIME
	"$@"
	if ms=$(l2_wait_neigh_change "$w" "$vip" "$mac" 10); then
		RESULTS[$sys|$kind]="${RESULTS[$sys|$kind]:-} $ms"
		log "$sys $kind: $ms ms"
	else
		FAILED=$((FAILED + 1))
		log "$sys $kind: the entry for $vip did not move to $mac"
	fi
}

# ------------------------------------------------------------------ the lab
l2_lab 3
ns_add k1 k2
for k in 1 2; do
	lan_attach lan "k$k" eth0 "192.0.2.2$k/24"
	ip -n "$(ns "k$k")" link set eth0 address "02:00:5e:00:03:0$k"
done
KVIP=192.0.2.240

# ------------------------------------------------------------------ vipcast
vipcast_round() {  # INTERVAL_MS
	local iv=$1 sys="vipcast ${1}ms" C=$E2E_TMP/config-$1 i k v victim o rest
	mkdir -p "$C"
	{ for i in 1 2 3; do cfg_node "node$i" "192.0.2.1$i" "2001:db8::1$i"; done; } | cfg_write "$C" nodes.yaml
	cfg_pool vips 192.0.2.200-192.0.2.220 | cfg_write "$C" pools.yaml
	cfg_l2adv l2 pools=vips | cfg_write "$C" l2.yaml
	cfg_memberlist "bench-memberlist-key-0123456789abcdef" | cfg_write "$C" secret.yaml
	# One VIP owned by each node (by the rule), so the victims take turns.
	declare -A vip_of=()
	for k in $(seq 0 20); do
		v=192.0.2.$((200 + k))
		o=$(l2_expected_owner "$v" node1 node2 node3)
		[ -n "${vip_of[$o]:-}" ] || vip_of[$o]=$v
	done
	{ for o in node1 node2 node3; do cfg_service "s-$o" "${vip_of[$o]}" Cluster node1,node2,node3; done; } |
		cfg_write "$C" services.yaml
	cfg_check "$C"
	for i in 1 2 3; do SPEAKER_LOG_LEVEL=info start_l2_speaker "$i" "$C" --l2-interval "$iv"; done
	for i in 1 2 3; do
		wait_entry "${vip_of[node$i]}" "$(l2_node_mac "$i")" 15 || die "$sys: ${vip_of[node$i]} not owned by node$i"
	done
	restored=$EPOCHREALTIME
	read -r med worst < <(arp_latency "${vip_of[node1]}")
	RESULTS[$sys|arp]="$med $worst"

	for kind in kill link; do
		for r in $(seq 1 "$ROUNDS"); do
			i=$(( (r - 1) % 3 + 1 ))
			victim=node$i v=${vip_of[node$i]}
			rest=()
			for o in node1 node2 node3; do [ "$o" = "$victim" ] || rest+=("$o"); done
			o=$(l2_expected_owner "$v" "${rest[@]}")
			# Settled: every speaker ready and seeing the others up (a node back from the
			# last round may wait out a rise time doubled by flap damping), the VIP back.
			wait_until 40 l2_settled "$restored" node1.status node2.status node3.status ||
				{ FAILED=$((FAILED + 1)); log "$sys: speakers not settled"; continue; }
			wait_entry "$v" "$(l2_node_mac "$i")" 20 || { FAILED=$((FAILED + 1)); log "$sys: $v not back to $victim"; continue; }
			if [ $kind = kill ]; then
				is_running "$victim" || die "$victim not running"
				measure "$sys" kill "$v" "$(l2_node_mac "${o#node}")" kill -KILL "$(pid_of "$victim")"
				crash "$victim"
				SPEAKER_LOG_LEVEL=info start_l2_speaker "$i" "$C" --l2-interval "$iv"
			else
				measure "$sys" link "$v" "$(l2_node_mac "${o#node}")" ip -n "$(ns "n$i")" link set eth0 down
				ip -n "$(ns "n$i")" link set eth0 up
			fi
			restored=$EPOCHREALTIME
		done
	done
	for i in 1 2 3; do stop "node$i"; done
}

# ------------------------------------------------------------------ keepalived
ka_conf() {  # K PRIORITY ADVERT_INT -> keepalived.conf of node kK
	cat <<EOF
global_defs {
    router_id k$1
    vrrp_version 3
}
vrrp_instance bench {
    state BACKUP
    interface eth0
    virtual_router_id 51
    priority $2
    advert_int $3
    virtual_ipaddress {
        $KVIP/24 dev eth0
    }
}
EOF
}

ka_start() {  # K ADVERT_INT
	local k=$1 d=$E2E_TMP/ka$1
	mkdir -p "$d"
	ka_conf "$k" $(( k == 1 ? 150 : 100 )) "$2" >"$d/keepalived.conf"
	rm -f "$d/vrrp.pid"
	# -R: no respawn of a killed VRRP child (the parent throttles respawns to one a minute
	# after a few); each kill round starts a fresh keepalived on k1 instead.
	ip netns exec "$(ns "k$k")" keepalived -n -l -D -P -R -f "$d/keepalived.conf" -p "$d/parent.pid" \
		-r "$d/vrrp.pid" -c "$d/checkers.pid" -b "$d/bfd.pid" >>"$d/log" 2>&1 &
	track "ka$k" $! keepalived "k$k"
	disown $!
}
ka_child() { cat "$E2E_TMP/ka$1/vrrp.pid" 2>/dev/null; }

keepalived_round() {  # ADVERT_INT (s)
	local adv=$1 sys="keepalived advert_int $1" r pid wait_s
	wait_s=$(awk -v a="$adv" 'BEGIN { printf "%d", a * 10 + 6 }')
	ka_start 1 "$adv"
	ka_start 2 "$adv"
	wait_entry $KVIP 02:00:5e:00:03:01 "$wait_s" || die "$sys: k1 never became master"
	read -r med worst < <(arp_latency $KVIP)
	RESULTS[$sys|arp]="$med $worst"
	for kind in kill link; do
		for r in $(seq 1 "$ROUNDS"); do
			wait_entry $KVIP 02:00:5e:00:03:01 "$wait_s" || { FAILED=$((FAILED + 1)); log "$sys: k1 not master again"; continue; }
			sleep 0.5  # k1's GARP burst is over
			if [ $kind = kill ]; then
				pid=$(ka_child 1)
				[ -n "$pid" ] && [ -d "/proc/$pid" ] || die "$sys: no VRRP child pid"
				measure "$sys" kill $KVIP 02:00:5e:00:03:02 kill -KILL "$pid"
				stop ka1  # the parent (it exits once its child is gone)
				ka_start 1 "$adv"  # takes the VIP back (preemption)
			else
				measure "$sys" link $KVIP 02:00:5e:00:03:02 ip -n "$(ns k1)" link set eth0 down
				ip -n "$(ns k1)" link set eth0 up
			fi
		done
	done
	stop ka1
	stop ka2
}

# ------------------------------------------------------------------ run
SYSTEMS=()
if [ "$ONLY" != keepalived ]; then
	for iv in 100 10; do vipcast_round $iv; SYSTEMS+=("vipcast ${iv}ms"); done
fi
if [ "$ONLY" != vipcast ]; then
	for adv in 0.1 1; do keepalived_round $adv; SYSTEMS+=("keepalived advert_int $adv"); done
fi

printf '\nL2 failover, %s rounds per kind: time from the failure to the client'"'"'s neighbour entry moving (ms)\n' "$ROUNDS"
printf '%-26s | %-21s | %-21s | %s\n' system "owner killed: med/max" "link down: med/max" "ARP reply: med/max (ms)"
printf '%-26s-+-%-21s-+-%-21s-+-%s\n' "--------------------------" "---------------------" "---------------------" "-----------------------"
for s in "${SYSTEMS[@]}"; do
	read -r km kw kn < <(stats "${RESULTS[$s|kill]:-}")
	read -r lm lw ln < <(stats "${RESULTS[$s|link]:-}")
	read -r am aw <<<"${RESULTS[$s|arp]:-- -}"
	printf '%-26s | %6s / %6s (n=%2s) | %6s / %6s (n=%2s) | %s / %s\n' "$s" "$km" "$kw" "$kn" "$lm" "$lw" "$ln" "$am" "$aw"
done
for s in "${SYSTEMS[@]}"; do
	printf 'raw %s kill:%s\nraw %s link:%s\n' "$s" "${RESULTS[$s|kill]:-}" "$s" "${RESULTS[$s|link]:-}" >&2
done
[ "$FAILED" = 0 ] || { log "$FAILED rounds failed"; exit 1; }
record pass "benchmark"
e2e_finish
