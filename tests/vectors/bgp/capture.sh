#!/bin/bash
# Captures BGP messages between real daemons (BIRD 2, FRR bgpd, GoBGP) and
# writes each distinct one as a hex file, the test vectors of
# tests/unit/test_bgp_vectors.c.
#
#   sudo tests/vectors/bgp/capture.sh [OUTDIR]     (default: this directory)
#
# Each scenario builds two network namespaces joined by a veth pair (fixed
# MACs, so the IPv6 link-local next hops come out the same every run),
# 192.0.2.0/24 and 2001:db8::/32 addresses only, starts a daemon in each
# in the foreground, records port 179 with tcpdump, makes the daemons do
# what the scenario needs (announce, refresh, shut down), then stops
# everything it started, by PID, and deletes its namespaces, also on
# failure. tshark reads the TCP payloads; extract.py (written below) joins
# them per direction, splits them into messages on the header's length and
# keeps the first of every distinct message per session and sender.
#
# OUTDIR/<scenario>/capture.pcap   the raw capture
# OUTDIR/<scenario>/<session>-<sender>-<NN>-<type>.hex   one message each
# OUTDIR/MANIFEST.tsv              who sent each file to whom, and what it is
#
# SCENARIOS="frr_bird" runs only those (bird_gobgp frr_bird as_trans bad_peer_as).
# Unit tests read only the checked-in files; nothing here runs in ctest.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
OUT=$(cd "${1:-$HERE}" && pwd)
W=$(mktemp -d /tmp/bgpvec.XXXXXX)
TAG=bgpv$$
PIDS=()
NETNS=()

# Stops the processes of one scenario (by PID, TERM then KILL after 3 s) and
# removes its namespaces and any veth end still in this namespace.
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

log() { echo "capture: $*" >&2; }
die() { log "$*"; exit 1; }

# netpair A B V4 V6: namespaces $TAG-A and $TAG-B joined by a veth pair, eth0 in each.
# Addresses: A gets .1 and ::1, B gets .2 and ::2 of the given prefixes.
netpair() {
	local a=$TAG-$1 b=$TAG-$2 v4=$3 v6=$4
	ip netns add "$a" && NETNS+=("$a")
	ip netns add "$b" && NETNS+=("$b")
	ip link add "${TAG}x" type veth peer name "${TAG}y"
	ip link set "${TAG}x" netns "$a"
	ip link set "${TAG}y" netns "$b"
	ip -n "$a" link set "${TAG}x" name eth0
	ip -n "$b" link set "${TAG}y" name eth0
	ip -n "$a" link set eth0 address 02:00:00:00:00:01
	ip -n "$b" link set eth0 address 02:00:00:00:00:02
	for n in "$a" "$b"; do
		ip -n "$n" link set lo up
		ip netns exec "$n" sysctl -qw net.ipv6.conf.eth0.accept_dad=0
	done
	ip -n "$a" addr add "${v4}1/29" dev eth0
	ip -n "$b" addr add "${v4}2/29" dev eth0
	ip -n "$a" addr add "${v6}1/64" dev eth0 nodad
	ip -n "$b" addr add "${v6}2/64" dev eth0 nodad
	ip -n "$a" link set eth0 up
	ip -n "$b" link set eth0 up
	# Link-local addresses are there once the links are up.
	wait_for "link-local addresses" 10 sh -c \
		"ip -n $a -6 addr show dev eth0 scope link | grep -q fe80 && ip -n $b -6 addr show dev eth0 scope link | grep -q fe80"
}

# bg NS LOG CMD...: runs CMD in the namespace, in the background; its PID is kept.
bg() {
	local ns=$TAG-$1 logf=$2
	shift 2
	ip netns exec "$ns" "$@" >"$logf" 2>&1 &
	PIDS+=($!)
}

in_ns() {
	local ns=$TAG-$1
	shift
	ip netns exec "$ns" "$@"
}

# wait_for WHAT SECONDS CMD...: until CMD succeeds, at most SECONDS.
wait_for() {
	local what=$1 secs=$2 i
	shift 2
	for i in $(seq 1 $((secs * 10))); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	die "timed out after ${secs}s waiting for $what"
}

capture_start() {  # NS PCAP
	bg "$1" "$W/tcpdump-$1.log" tcpdump -i eth0 -U -s 0 -w "$2" 'tcp port 179'
	wait_for "tcpdump" 10 grep -q "listening on" "$W/tcpdump-$1.log"
}

bird_start() {  # NS NAME CONF
	bg "$1" "$W/$2.out" bird -f -c "$3" -s "$W/$2.ctl" -P "$W/$2.pid"
	wait_for "$2 control socket" 10 test -S "$W/$2.ctl"
	sleep 0.5
	kill -0 "${PIDS[-1]}" 2>/dev/null || die "$2 did not start: $(cat "$W/$2.out")"
}
birdc_() { local ns=$1 name=$2; shift 2; in_ns "$ns" birdc -s "$W/$name.ctl" "$@"; }
bird_established() {  # NS NAME PROTO
	birdc_ "$1" "$2" show protocols "$3" | grep -q Established
}

gobgp_start() {  # NS NAME CONF PORT
	bg "$1" "$W/$2.out" gobgpd -f "$3" -p --pprof-disable --api-hosts "127.0.0.1:$4"
	wait_for "$2 API" 15 in_ns "$1" gobgp -u 127.0.0.1 -p "$4" global
}

frr_start() {  # NS NAME CONF
	mkdir -p "$W/$2"
	bg "$1" "$W/$2.out" /usr/lib/frr/bgpd -f "$3" -i "$W/$2/bgpd.pid" -z "$W/$2/zserv.api" \
		--vty_socket "$W/$2" -A 127.0.0.1 -P 0 -Z -S
	wait_for "$2 vty" 15 test -S "$W/$2/bgpd.vty"
}
vtysh_() { local ns=$1 name=$2; shift 2; in_ns "$ns" vtysh --vty_socket "$W/$name" -d bgpd "$@"; }

VERSION_BIRD=$(bird --version 2>&1 | awk '{print $3}')
VERSION_GOBGP=$(gobgpd --version 2>&1 | awk '{print $3}')
VERSION_FRR=$(/usr/lib/frr/bgpd --version 2>&1 | awk 'NR==1{print $3}')

# extract.py PCAP SCENARIO OUTDIR MANIFEST IP=NAME=DESCRIPTION... [skip=TYPE]...
cat >"$W/extract.py" <<'PY'
import collections, os, subprocess, sys

pcap, scenario, outdir, manifest = sys.argv[1:5]
who, skip = {}, set()
for arg in sys.argv[5:]:
    if arg.startswith('skip='):
        skip.add(arg[5:])
        continue
    ip, name, desc = arg.split('=', 2)
    who[ip] = (name, desc)
types = {1: 'open', 2: 'update', 3: 'notification', 4: 'keepalive', 5: 'route-refresh'}

fields = subprocess.run(
    ['tshark', '-r', pcap, '-Y', 'tcp.len > 0', '-T', 'fields', '-E', 'separator=|',
     '-e', 'tcp.stream', '-e', 'ip.src', '-e', 'ipv6.src', '-e', 'ip.dst', '-e', 'ipv6.dst',
     '-e', 'tcp.seq_raw', '-e', 'tcp.payload'],
    capture_output=True, text=True, check=True).stdout

# Payload per direction of each TCP stream, by sequence number (a retransmission overwrites nothing).
flows = collections.OrderedDict()
for line in fields.splitlines():
    stream, s4, s6, d4, d6, seq, payload = line.split('|')
    key = (int(stream), s4 or s6, d4 or d6)
    flows.setdefault(key, {}).setdefault(int(seq), bytes.fromhex(payload.replace(':', '')))

os.makedirs(os.path.join(outdir, scenario), exist_ok=True)
seen, count, rows = set(), collections.Counter(), []
for (stream, src, dst), segs in flows.items():
    data, end = b'', None
    for seq in sorted(segs):
        seg = segs[seq]
        if end is not None:
            if seq + len(seg) <= end:
                continue
            seg = seg[max(0, end - seq):]
        data += seg
        end = seq + len(segs[seq])
    session = 'v6' if ':' in src else 'v4'
    sender, sdesc = who[src]
    receiver, rdesc = who[dst]
    at = 0
    while at + 19 <= len(data):
        if data[at:at + 16] != b'\xff' * 16:
            sys.exit(f'{scenario}: no marker at byte {at} of {src} -> {dst}')
        n = int.from_bytes(data[at + 16:at + 18], 'big')
        msg = data[at:at + n]
        at += n
        if len(msg) < n:
            break  # cut off by the end of the capture
        key = (session, sender, msg)
        if key in seen or types.get(msg[18]) in skip:
            continue
        seen.add(key)
        count[(session, sender)] += 1
        kind = types.get(msg[18], f'type{msg[18]}')
        name = f'{session}-{sender}-{count[(session, sender)]:02d}-{kind}.hex'
        with open(os.path.join(outdir, scenario, name), 'w') as f:
            f.write(f'# {sdesc} -> {rdesc}\n')
            f.write(f'# {kind.upper()}, {n} bytes, TCP over IPv{session[1]}, captured by capture.sh\n')
            for i in range(0, n, 16):
                f.write(' '.join(f'{b:02x}' for b in msg[i:i + 16]) + '\n')
        rows.append(f'{scenario}/{name}\t{sdesc}\t{rdesc}\t{session}\t{kind}\t{n}')
with open(manifest, 'a') as f:
    for r in rows:
        f.write(r + '\n')
print(f'{scenario}: {len(rows)} messages', file=sys.stderr)
PY

finish_scenario() {  # SCENARIO PCAP IP=NAME=DESC...
	local scenario=$1 pcap=$2
	shift 2
	sleep 1
	teardown
	rm -rf "${OUT:?}/$scenario"
	mkdir -p "$OUT/$scenario"
	cp "$pcap" "$OUT/$scenario/capture.pcap"
	python3 "$W/extract.py" "$pcap" "$scenario" "$OUT" "$W/manifest.rows" "$@"
}

# 1. BIRD (AS 4200000001) and GoBGP (AS 65002), eBGP, one session over IPv4 and
#    one over IPv6; both originate routes with communities and large
#    communities, graceful restart on both. BIRD asks for a route refresh on
#    the IPv6 session, then shuts the IPv4 one down with a message (RFC 8203).
scenario_bird_gobgp() {
	local s=bird-gobgp
	log "$s"
	netpair bird gobgp 192.0.2. 2001:db8:a::
	cat >"$W/$s-bird.conf" <<EOF
log "$W/$s-bird.log" all;
router id 192.0.2.1;
protocol device {}
protocol static s4 { ipv4; route 198.51.100.0/24 blackhole; route 203.0.113.0/25 blackhole; }
protocol static s6 { ipv6; route 2001:db8:100::/48 blackhole; }
filter out4 {
  if net = 198.51.100.0/24 then {
    bgp_community.add((64512,100)); bgp_community.add((64512,200));
    bgp_large_community.add((4200000001,1,2)); bgp_med = 50;
  }
  accept;
}
filter out6 { bgp_community.add((64512,600)); bgp_large_community.add((4200000001,6,6)); accept; }
protocol bgp gobgp4 {
  local 192.0.2.1 as 4200000001; neighbor 192.0.2.2 as 65002;
  connect delay time 1; connect retry time 1; graceful restart on;
  ipv4 { import all; export filter out4; };
}
protocol bgp gobgp6 {
  local 2001:db8:a::1 as 4200000001; neighbor 2001:db8:a::2 as 65002; interface "eth0";
  connect delay time 1; connect retry time 1; graceful restart on;
  ipv6 { import all; export filter out6; };
}
EOF
	cat >"$W/$s-gobgp.toml" <<EOF
[global.config]
  as = 65002
  router-id = "192.0.2.2"
  local-address-list = ["192.0.2.2", "2001:db8:a::2"]
[[neighbors]]
  [neighbors.config]
    neighbor-address = "192.0.2.1"
    peer-as = 4200000001
  [neighbors.transport.config]
    passive-mode = true
  [neighbors.graceful-restart.config]
    enabled = true
    restart-time = 120
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv4-unicast"
    [neighbors.afi-safis.mp-graceful-restart.config]
      enabled = true
[[neighbors]]
  [neighbors.config]
    neighbor-address = "2001:db8:a::1"
    peer-as = 4200000001
  [neighbors.transport.config]
    passive-mode = true
  [neighbors.graceful-restart.config]
    enabled = true
    restart-time = 120
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv6-unicast"
    [neighbors.afi-safis.mp-graceful-restart.config]
      enabled = true
EOF
	capture_start bird "$W/$s.pcap"
	gobgp_start gobgp "$s-gobgp" "$W/$s-gobgp.toml" 50071
	local g="in_ns gobgp gobgp -u 127.0.0.1 -p 50071"
	$g global rib -a ipv4 add 198.18.0.0/24 origin igp community 65002:300 large-community 65002:3:4 med 20
	$g global rib -a ipv6 add 2001:db8:200::/48 origin igp community 65002:600 large-community 65002:6:6
	bird_start bird "$s-bird" "$W/$s-bird.conf"
	wait_for "bird-gobgp sessions" 30 sh -c \
		"ip netns exec $TAG-bird birdc -s $W/$s-bird.ctl show protocols | grep -c Established | grep -qx 2"
	wait_for "routes from GoBGP" 20 sh -c \
		"ip netns exec $TAG-bird birdc -s $W/$s-bird.ctl show route count | grep -q 'Total: 5 of 5 routes'"
	sleep 3  # End-of-RIB, keepalives
	birdc_ bird "$s-bird" reload in gobgp6 >/dev/null
	sleep 2
	birdc_ bird "$s-bird" disable gobgp4 '"maintenance window"' >/dev/null
	finish_scenario "$s" "$W/$s.pcap" \
		"192.0.2.1=bird=BIRD $VERSION_BIRD (AS 4200000001, 192.0.2.1)" \
		"2001:db8:a::1=bird=BIRD $VERSION_BIRD (AS 4200000001, 2001:db8:a::1)" \
		"192.0.2.2=gobgp=GoBGP $VERSION_GOBGP (AS 65002, 192.0.2.2)" \
		"2001:db8:a::2=gobgp=GoBGP $VERSION_GOBGP (AS 65002, 2001:db8:a::2)"
}

# 2. FRR and BIRD in one AS (65003), iBGP over IPv4 and over IPv6: LOCAL_PREF,
#    MED, communities, large communities, graceful restart. FRR asks for a
#    route refresh, then shuts the IPv4 session down with a message; BIRD
#    shuts the IPv6 one down without.
scenario_frr_bird() {
	local s=frr-bird
	log "$s"
	netpair frr bird 192.0.2. 2001:db8:b::
	cat >"$W/$s-frr.conf" <<EOF
frr defaults traditional
hostname frr
log file $W/$s-frr.log
!
route-map SET4 permit 10
 set local-preference 250
 set metric 30
 set community 65003:1 65003:2
 set large-community 65003:5:6
exit
route-map SET6 permit 10
 set local-preference 260
 set community 65003:6
 set large-community 65003:6:6
exit
!
router bgp 65003
 bgp router-id 192.0.2.1
 no bgp ebgp-requires-policy
 no bgp network import-check
 bgp graceful-restart
 neighbor 192.0.2.2 remote-as 65003
 neighbor 192.0.2.2 passive
 neighbor 2001:db8:b::2 remote-as 65003
 neighbor 2001:db8:b::2 passive
 address-family ipv4 unicast
  network 198.51.100.128/25 route-map SET4
  network 203.0.113.64/26
  neighbor 192.0.2.2 activate
  no neighbor 2001:db8:b::2 activate
 exit-address-family
 address-family ipv6 unicast
  network 2001:db8:300::/48 route-map SET6
  neighbor 2001:db8:b::2 activate
 exit-address-family
exit
EOF
	cat >"$W/$s-bird.conf" <<EOF
log "$W/$s-bird.log" all;
router id 192.0.2.2;
protocol device {}
protocol static s4 { ipv4; route 198.18.10.0/24 blackhole; }
protocol static s6 { ipv6; route 2001:db8:400::/48 blackhole; }
filter ib4 { bgp_local_pref = 300; bgp_med = 40; bgp_community.add((65003,10)); bgp_large_community.add((65003,10,20)); accept; }
filter ib6 { bgp_local_pref = 310; accept; }
protocol bgp frr4 {
  local 192.0.2.2 as 65003; neighbor 192.0.2.1 as 65003; direct;
  connect delay time 1; connect retry time 1; graceful restart on;
  ipv4 { import all; export filter ib4; next hop self; };
}
protocol bgp frr6 {
  local 2001:db8:b::2 as 65003; neighbor 2001:db8:b::1 as 65003; interface "eth0"; direct;
  connect delay time 1; connect retry time 1; graceful restart on;
  ipv6 { import all; export filter ib6; next hop self; };
}
EOF
	capture_start bird "$W/$s.pcap"
	frr_start frr "$s-frr" "$W/$s-frr.conf"
	bird_start bird "$s-bird" "$W/$s-bird.conf"
	wait_for "frr-bird sessions" 30 sh -c \
		"ip netns exec $TAG-bird birdc -s $W/$s-bird.ctl show protocols | grep -c Established | grep -qx 2"
	wait_for "routes from FRR" 20 sh -c \
		"ip netns exec $TAG-bird birdc -s $W/$s-bird.ctl show route count | grep -q 'Total: 5 of 5 routes'"
	sleep 3
	vtysh_ frr "$s-frr" -c 'clear bgp ipv4 unicast 192.0.2.2 soft in' >/dev/null
	sleep 2
	vtysh_ frr "$s-frr" -c 'configure terminal' -c 'router bgp 65003' \
		-c 'neighbor 192.0.2.2 shutdown message "planned maintenance"' >/dev/null
	sleep 1
	birdc_ bird "$s-bird" disable frr6 >/dev/null
	finish_scenario "$s" "$W/$s.pcap" \
		"192.0.2.1=frr=FRR bgpd $VERSION_FRR (AS 65003, 192.0.2.1)" \
		"2001:db8:b::1=frr=FRR bgpd $VERSION_FRR (AS 65003, 2001:db8:b::1)" \
		"192.0.2.2=bird=BIRD $VERSION_BIRD (AS 65003, 192.0.2.2)" \
		"2001:db8:b::2=bird=BIRD $VERSION_BIRD (AS 65003, 2001:db8:b::2)"
}

# 3. BIRD with 4-octet ASN 4200000001 but the capability turned off, and GoBGP
#    (AS 65002, which knows BIRD as AS_TRANS): a 2-octet session. BIRD puts
#    AS_TRANS in AS_PATH and its real ASN in AS4_PATH (RFC 6793 4.2.2). (BIRD
#    reads the peer's 4-octet capability even so: a GoBGP with a 4-octet ASN
#    gets Bad Peer AS.)
scenario_as_trans() {
	local s=bird-gobgp-as2
	log "$s"
	netpair bird gobgp 192.0.2. 2001:db8:c::
	cat >"$W/$s-bird.conf" <<EOF
log "$W/$s-bird.log" all;
router id 192.0.2.1;
protocol device {}
protocol static s4 { ipv4; route 198.51.100.0/25 blackhole; }
filter out4 { bgp_community.add((64512,23)); bgp_large_community.add((4200000001,23,456)); accept; }
protocol bgp gobgp4 {
  local 192.0.2.1 as 4200000001; neighbor 192.0.2.2 as 65002;
  enable as4 off;
  connect delay time 1; connect retry time 1;
  ipv4 { import all; export filter out4; };
}
EOF
	cat >"$W/$s-gobgp.toml" <<EOF
[global.config]
  as = 65002
  router-id = "192.0.2.2"
  local-address-list = ["192.0.2.2"]
[[neighbors]]
  [neighbors.config]
    neighbor-address = "192.0.2.1"
    peer-as = 23456
  [neighbors.transport.config]
    passive-mode = true
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv4-unicast"
EOF
	capture_start bird "$W/$s.pcap"
	gobgp_start gobgp "$s-gobgp" "$W/$s-gobgp.toml" 50072
	in_ns gobgp gobgp -u 127.0.0.1 -p 50072 global rib -a ipv4 add 198.18.20.0/24 origin igp \
		community 65002:78 large-community 65002:7:8
	bird_start bird "$s-bird" "$W/$s-bird.conf"
	wait_for "bird-gobgp-as2 session" 30 bird_established bird "$s-bird" gobgp4
	wait_for "route from GoBGP" 20 sh -c \
		"ip netns exec $TAG-bird birdc -s $W/$s-bird.ctl show route count | grep -q 'Total: 2 of 2 routes'"
	sleep 2
	finish_scenario "$s" "$W/$s.pcap" \
		"192.0.2.1=bird=BIRD $VERSION_BIRD (AS 4200000001 as AS_TRANS, 4-octet capability off, 192.0.2.1)" \
		"192.0.2.2=gobgp=GoBGP $VERSION_GOBGP (AS 65002, peer configured as AS_TRANS, 192.0.2.2)"
}

# 4. FRR configured for the wrong peer AS (65099; BIRD is 65001): FRR answers
#    BIRD's OPEN with OPEN Message Error / Bad Peer AS.
scenario_bad_peer_as() {
	local s=frr-bird-bad-as
	log "$s"
	netpair frr bird 192.0.2. 2001:db8:d::
	cat >"$W/$s-frr.conf" <<EOF
frr defaults traditional
hostname frr
log file $W/$s-frr.log
router bgp 65003
 bgp router-id 192.0.2.1
 no bgp ebgp-requires-policy
 neighbor 192.0.2.2 remote-as 65099
 neighbor 192.0.2.2 passive
exit
EOF
	cat >"$W/$s-bird.conf" <<EOF
log "$W/$s-bird.log" all;
router id 192.0.2.2;
protocol device {}
protocol bgp frr4 {
  local 192.0.2.2 as 65001; neighbor 192.0.2.1 as 65003;
  connect delay time 1; connect retry time 1;
  ipv4 { import all; export none; };
}
EOF
	capture_start bird "$W/$s.pcap"
	frr_start frr "$s-frr" "$W/$s-frr.conf"
	bird_start bird "$s-bird" "$W/$s-bird.conf"
	wait_for "the NOTIFICATION" 30 sh -c \
		"ip netns exec $TAG-bird birdc -s $W/$s-bird.ctl show protocols all frr4 | grep -qi 'bad peer'"
	# Whether FRR sends its OPEN before the NOTIFICATION, and BIRD a KEEPALIVE,
	# varies from run to run: only the NOTIFICATION is kept (the pcap has all).
	finish_scenario "$s" "$W/$s.pcap" skip=keepalive skip=open \
		"192.0.2.1=frr=FRR bgpd $VERSION_FRR (AS 65003, expects 65099, 192.0.2.1)" \
		"192.0.2.2=bird=BIRD $VERSION_BIRD (AS 65001, 192.0.2.2)"
}

: >"$W/manifest.rows"
for s in ${SCENARIOS:-bird_gobgp frr_bird as_trans bad_peer_as}; do
	"scenario_$s"
done
{
	printf '# BGP messages captured from real daemons by capture.sh, one hex file each.\n'
	printf '# file\tsender\treceiver\tsession transport\ttype\tbytes\n'
	sort "$W/manifest.rows"
} >"$OUT/MANIFEST.tsv"
log "done: $(wc -l <"$W/manifest.rows") messages in $OUT"
