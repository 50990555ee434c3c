#!/bin/bash
# Captures BFD control packets (RFC 5880, UDP 3784) between real daemons and
# writes the first of every distinct one as a hex file: the vectors of
# tests/unit/test_bfd.c. Not run in CI; needs root, bird, FRR's bfdd, vtysh,
# tcpdump and tshark.
#
#   sudo scripts/capture-bfd-vectors.sh [OUTDIR]   (default: tests/vectors/bfd)
#
# Scenarios, each in two network namespaces joined by a veth pair
# (192.0.2.0/29):
#   bird-frr    BIRD 2 (192.0.2.1: min tx 200 ms, min rx 250 ms, idle tx
#               1000 ms, multiplier 4) and FRR bfdd (192.0.2.2: transmit 300,
#               receive 350, multiplier 3): Down, Init, Up; then FRR's
#               transmit interval goes to 500 ms (a poll sequence), then FRR's
#               peer is shut down (AdminDown) and BIRD follows to Down.
#   bird-auth-* BIRD 2 against BIRD 2 with RFC 5880 authentication: simple
#               password, keyed MD5, meticulous keyed SHA1.
# Everything started is stopped by PID, and the namespaces are deleted, also
# on failure.
#
# OUTDIR/<scenario>/<sender>-<NN>-<state>[-poll|-final].hex   one packet each,
# the first of every distinct first 24 bytes per sender, at most 12 per sender;
# OUTDIR/<scenario>/capture.pcap the raw capture. Discriminators, sequence
# numbers and digests differ every run: after a re-capture, update the table
# in tests/unit/test_bfd.c (and tests/fuzz/corpus/bfd) from the new files.
# SCENARIOS="bird_frr" runs only those (bird_frr auth_simple auth_md5 auth_sha1).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-$ROOT/tests/vectors/bfd}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
W=$(mktemp -d /tmp/bfdvec.XXXXXX)
TAG=bfdv$$
PIDS=()
NETNS=()

teardown() {
	local p n i alive
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for i in $(seq 1 30); do
		alive=0
		for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
		[ $alive = 0 ] && break
		sleep 0.1
	done
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
	for n in "${NETNS[@]}"; do ip netns del "$n" 2>/dev/null || true; done
	ip link del "${TAG}x" 2>/dev/null || true
	PIDS=()
	NETNS=()
}
cleanup() {
	teardown
	if [ "${KEEP:-0}" = 1 ]; then echo "work files kept in $W" >&2; else rm -rf "$W"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

log() { echo "capture-bfd: $*" >&2; }
die() { log "$*"; exit 1; }

# netpair: namespaces $TAG-a (192.0.2.1) and $TAG-b (192.0.2.2), eth0 in each.
netpair() {
	local a=$TAG-a b=$TAG-b
	ip netns add "$a" && NETNS+=("$a")
	ip netns add "$b" && NETNS+=("$b")
	ip link add "${TAG}x" type veth peer name "${TAG}y"
	ip link set "${TAG}x" netns "$a"
	ip link set "${TAG}y" netns "$b"
	ip -n "$a" link set "${TAG}x" name eth0
	ip -n "$b" link set "${TAG}y" name eth0
	ip -n "$a" addr add 192.0.2.1/29 dev eth0
	ip -n "$b" addr add 192.0.2.2/29 dev eth0
	for n in "$a" "$b"; do ip -n "$n" link set lo up; ip -n "$n" link set eth0 up; done
}

# wait_for SECONDS CMD...: polls CMD every 0.2 s until it succeeds.
wait_for() {
	local t=$1 i
	shift
	for i in $(seq 1 $((t * 5))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
	return 1
}

start_capture() {
	ip netns exec "$TAG-a" tcpdump -i eth0 -U -n -w "$1" udp port 3784 2>"$W/tcpdump.log" &
	PIDS+=($!)
	wait_for 5 grep -q listening "$W/tcpdump.log" || die "tcpdump did not start"
}

# bird_conf FILE ROUTERID NEIGHBOR [AUTH]
bird_conf() {
	local auth=""
	[ -n "${4:-}" ] && auth="authentication $4; password \"vipcast-bfd\" { id 1; };"
	cat >"$1" <<EOF
router id $2;
log "$W/bird-$2.log" all;
protocol device { }
protocol bfd bfd1 {
	interface "eth0" {
		min tx interval 200 ms;
		min rx interval 250 ms;
		idle tx interval 1000 ms;
		multiplier 4;
		$auth
	};
	neighbor $3 dev "eth0";
}
EOF
}

start_bird() { # NS ROUTERID NEIGHBOR [AUTH]
	local c="$W/bird-$2.conf"
	bird_conf "$c" "$2" "$3" "${4:-}"
	ip netns exec "$TAG-$1" bird -f -c "$c" -s "$W/bird-$2.ctl" -P "$W/bird-$2.pid" >>"$W/bird-$2.out" 2>&1 &
	PIDS+=($!)
	wait_for 10 birdc -s "$W/bird-$2.ctl" show status || die "bird $2 did not start"
}

bird_up() { birdc -s "$W/bird-$1.ctl" show bfd sessions | grep -q ' Up '; }
bird_down() { birdc -s "$W/bird-$1.ctl" show bfd sessions | grep -Eq ' (Down|Init) '; }

frr_vty() {
	local a=() c
	for c in "$@"; do a+=(-c "$c"); done
	vtysh --vty_socket "$W/frr" -d bfdd "${a[@]}"
}

# bfdd drops to user frr (its vty group is frrvty, which root is not in): its
# directory is frr's.
start_frr() {
	mkdir -p "$W/frr"
	chmod 755 "$W"
	cat >"$W/frr/bfdd.conf" <<EOF
bfd
 peer 192.0.2.1 local-address 192.0.2.2
  transmit-interval 300
  receive-interval 350
  detect-multiplier 3
 !
!
EOF
	chown -R frr:frr "$W/frr"
	ip netns exec "$TAG-b" /usr/lib/frr/bfdd -f "$W/frr/bfdd.conf" -i "$W/frr/bfdd.pid" \
		-z "$W/frr/zserv.api" --vty_socket "$W/frr" --bfdctl "$W/frr/bfdd.sock" -A 127.0.0.1 -P 0 \
		--log "file:$W/frr/bfdd.log" >>"$W/frr/out.log" 2>&1 &
	PIDS+=($!)
	wait_for 10 frr_vty 'show bfd peers' || die "bfdd did not start: $(cat "$W/frr/out.log")"
}

# extract PCAP DIR: one hex file per distinct first 24 bytes per sender.
extract() {
	local pcap=$1 dir=$2 name_a=$3 desc_a=$4 name_b=$5 desc_b=$6
	rm -rf "$dir"
	mkdir -p "$dir"
	tshark -r "$pcap" -Y 'udp.dstport == 3784' -T fields -e frame.time_relative -e ip.src -e udp.payload |
		while read -r t src hex; do
			local who desc to
			case $src in
			192.0.2.1) who=$name_a desc=$desc_a to=$desc_b ;;
			*) who=$name_b desc=$desc_b to=$desc_a ;;
			esac
			hex=$(echo "$hex" | tr -d ':')
			local key="$who-${hex:0:48}"
			grep -qxF "$key" "$dir/.seen" 2>/dev/null && continue
			local n
			n=$(grep -c "^$who-" "$dir/.seen" 2>/dev/null || true)
			[ "${n:-0}" -ge 12 ] && continue
			echo "$key" >>"$dir/.seen"
			local b1=$((16#${hex:2:2})) state name flags=""
			state=$(((b1 >> 6) & 3))
			case $state in 0) name=admindown ;; 1) name=down ;; 2) name=init ;; 3) name=up ;; esac
			[ $((b1 & 32)) != 0 ] && flags=-poll
			[ $((b1 & 16)) != 0 ] && flags=$flags-final
			local f
			f=$(printf '%s/%s-%02d-%s%s.hex' "$dir" "$who" $((n + 1)) "$name" "$flags")
			{
				echo "# $desc -> $to"
				echo "# BFD control, ${#hex} hex digits, UDP 3784, t=${t}s into the capture, $(date -u +%Y-%m-%d)"
				echo "$hex" | fold -w 48 | sed 's/../& /g; s/ $//'
			} >"$f"
		done
	rm -f "$dir/.seen"
	cp "$pcap" "$dir/capture.pcap"
	log "$dir: $(ls "$dir" | grep -c hex) packets"
}

BIRDV=$(bird --version 2>&1 | sed -n 's/^BIRD version //p')
FRRV=$(/usr/lib/frr/bfdd --version 2>&1 | sed -n 's/.*version \([0-9.]*\).*/\1/p' | head -n 1)

scenario_bird_frr() {
	log "bird-frr: BIRD $BIRDV and FRR bfdd $FRRV"
	netpair
	start_capture "$W/bird-frr.pcap"
	start_frr
	sleep 1
	start_bird a 192.0.2.1 192.0.2.2
	wait_for 15 bird_up 192.0.2.1 || die "BIRD-FRR session did not come up"
	sleep 2
	frr_vty 'configure terminal' 'bfd' 'peer 192.0.2.1 local-address 192.0.2.2' 'transmit-interval 500'
	sleep 3
	frr_vty 'configure terminal' 'bfd' 'peer 192.0.2.1 local-address 192.0.2.2' 'shutdown'
	wait_for 10 bird_down 192.0.2.1 || die "BIRD did not see the shutdown"
	sleep 2
	teardown
	extract "$W/bird-frr.pcap" "$OUT/bird-frr" bird \
		"BIRD $BIRDV (192.0.2.1, min tx 200 ms, min rx 250 ms, idle tx 1000 ms, multiplier 4)" \
		frr "FRR bfdd $FRRV (192.0.2.2, transmit 300 ms, receive 350 ms, multiplier 3)"
}

scenario_bird_auth() { # NAME "AUTH"
	log "bird-auth-$1: BIRD $BIRDV both ends, authentication $2"
	netpair
	start_capture "$W/auth-$1.pcap"
	start_bird a 192.0.2.1 192.0.2.2 "$2"
	start_bird b 192.0.2.2 192.0.2.1 "$2"
	wait_for 15 bird_up 192.0.2.1 || die "BIRD-BIRD ($2) did not come up"
	sleep 1
	teardown
	extract "$W/auth-$1.pcap" "$OUT/bird-auth-$1" bird1 \
		"BIRD $BIRDV (192.0.2.1, authentication $2, password id 1)" \
		bird2 "BIRD $BIRDV (192.0.2.2, same configuration)"
}

for s in ${SCENARIOS:-bird_frr auth_simple auth_md5 auth_sha1}; do
	case $s in
	bird_frr) scenario_bird_frr ;;
	auth_simple) scenario_bird_auth simple simple ;;
	auth_md5) scenario_bird_auth keyed-md5 "keyed md5" ;;
	auth_sha1) scenario_bird_auth meticulous-sha1 "meticulous keyed sha1" ;;
	*) die "unknown scenario $s" ;;
	esac
done
