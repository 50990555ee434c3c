#!/bin/sh
# End-to-end test of the L2 responder alone (speaker/l2_responder.c), in network
# namespaces: a bridge, a "node" namespace running tests/e2e/l2_responder_driver.c
# on its eth0, a "client" namespace asking with arping and ndisc6 and watching
# its neighbour table. Needs root, iproute2, arping (Habets) and ndisc6.
#
# Usage: test_l2_responder.sh BUILD_DIR. Uses BUILD_DIR/l2_responder_driver
# when the build has it, else compiles the driver from the sources with cc and
# ASan/UBSan into a temporary directory.
set -eu

BUILD=${1:-build}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
P=l2r$$
T=$(mktemp -d)
NODE=$P-node CLI=$P-cli BR=$P-br
NODE_MAC=02:00:5e:10:00:01 CLI_MAC=02:00:5e:10:00:02 BOGUS=02:00:5e:10:00:99
VIP4=192.0.2.100 VIP6=2001:db8::100 OTHER4=192.0.2.101
DRV_PID=
failures=0 passes=0

cleanup() {
	[ -n "$DRV_PID" ] && kill "$DRV_PID" 2>/dev/null && wait "$DRV_PID" 2>/dev/null
	for n in $NODE $CLI $BR; do ip netns del "$n" 2>/dev/null || true; done
	[ -n "${KEEP:-}" ] && cp "$T/out" "$T/err" "$KEEP/" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT INT TERM

ok() { passes=$((passes + 1)); echo "ok: $*"; }
bad() { failures=$((failures + 1)); echo "FAIL: $*"; }
cli() { ip netns exec "$CLI" "$@"; }
node() { ip netns exec "$NODE" "$@"; }

. "$SRC/tests/e2e/deps.sh"
e2e_require ip arping ndisc6 || { echo "FAIL: missing programs (above)"; exit 1; }
[ "$(id -u)" = 0 ] || { echo "FAIL: needs root (network namespaces)"; exit 1; }

# The driver.
DRV=$BUILD/l2_responder_driver
if [ ! -x "$DRV" ]; then
	e2e_require cc pkg-config || { echo "FAIL: cannot build the driver"; exit 1; }
	DRV=$T/l2_responder_driver
	# shellcheck disable=SC2046
	cc -std=c17 -O1 -g -D_GNU_SOURCE -fno-strict-aliasing -fsanitize=address,undefined -fno-sanitize-recover=all \
		-I"$SRC/proto" -I"$SRC/lib" -I"$SRC/config" -I"$SRC/speaker" \
		$(pkg-config --cflags libevent libnl-3.0 libnl-route-3.0) \
		"$SRC/tests/e2e/l2_responder_driver.c" "$SRC/speaker/l2_responder.c" "$SRC/speaker/l2_links.c" \
		"$SRC/speaker/l2_socket.c" "$SRC/speaker/rate_limit.c" "$SRC/speaker/requester_limit.c" "$SRC/lib/siphash.c" "$SRC/proto/arp.c" "$SRC/proto/ndp.c" \
		"$SRC/proto/inet_csum.c" "$SRC/config/addr.c" "$SRC/lib/log.c" "$SRC/lib/xalloc.c" "$SRC/lib/text.c" \
		$(pkg-config --libs libevent libnl-3.0 libnl-route-3.0) -o "$DRV"
fi

# The LAN: br0 in its own namespace, the node's and the client's eth0 on it.
for n in $BR $NODE $CLI; do ip netns add "$n"; ip -n "$n" link set lo up; done
ip -n "$BR" link add br0 type bridge
ip -n "$BR" link set br0 up
ip link add eth0 netns "$NODE" address $NODE_MAC type veth peer name p-node netns "$BR"
ip link add eth0 netns "$CLI" address $CLI_MAC type veth peer name p-cli netns "$BR"
for p in p-node p-cli; do ip -n "$BR" link set "$p" master br0 up; done
ip -n "$NODE" addr add 192.0.2.10/24 dev eth0
ip -n "$CLI" addr add 192.0.2.20/24 dev eth0
ip -n "$CLI" addr add 2001:db8::20/64 dev eth0 nodad
# Container-style interfaces on the node, which the default rule must skip.
ip -n "$NODE" link add veth1234 type veth peer name cali5678
ip -n "$NODE" link set veth1234 up
ip -n "$NODE" link set cali5678 up
ip -n "$NODE" link set eth0 up
ip -n "$CLI" link set eth0 up

# start_driver OPTIONS...: the driver in the node namespace, commands on a FIFO (fd 3).
start_driver() {
	rm -f "$T/in"
	mkfifo "$T/in"
	: >"$T/out"
	node "$DRV" "$@" <"$T/in" >"$T/out" 2>>"$T/err" &
	DRV_PID=$!
	exec 3>"$T/in"
	wait_for 10 out_has '^ready' || { cat "$T/err"; echo "FAIL: driver did not start"; exit 1; }
}
# stop_driver: quit, and check it exited cleanly.
stop_driver() {
	echo quit >&3
	exec 3>&-
	wait "$DRV_PID" || bad "driver exited with $?"
	DRV_PID=
}

# wait_for SECONDS COMMAND...: retries every 0.1 s.
wait_for() {
	local n=$(($1 * 10))
	shift
	while [ "$n" -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}
out_has() { grep -q -- "$1" "$T/out"; }
send() {
	local want=$(($(wc -l <"$T/out") + 1))
	echo "$*" >&3
	wait_for 5 sh -c "[ \$(wc -l <'$T/out') -ge $want ]" || bad "driver did not answer '$*'"
}
# stat NAME: the counter from a fresh "stats" line.
stat() {
	send stats
	grep '^stats ' "$T/out" | tail -n 1 | tr ' ' '\n' | sed -n "s/^$1=//p"
}
neigh_mac() { cli ip neigh show "$1" dev eth0 | sed -n 's/.*lladdr \([0-9a-f:]*\).*/\1/p'; }
neigh_is() { [ "$(neigh_mac "$1")" = "$2" ]; }

start_driver --garp-count 3 --garp-interval-ms 300 --reply-rate 1000 --requester-rate 20

# 1. Nothing owned: nobody answers.
if cli arping -c 1 -i eth0 $VIP4 >/dev/null 2>&1; then bad "answered before owning"; else ok "no answer before owning"; fi

# 2. Owning: gratuitous ARP and unsolicited NA update entries the client already has.
cli ip neigh replace $VIP4 lladdr $BOGUS dev eth0 nud stale
cli ip neigh replace $VIP6 lladdr $BOGUS dev eth0 nud stale
send set $VIP4 $VIP6
wait_for 3 neigh_is $VIP4 $NODE_MAC && ok "gratuitous ARP moved the client's entry" ||
	bad "IPv4 entry is $(neigh_mac $VIP4), want $NODE_MAC"
wait_for 3 neigh_is $VIP6 $NODE_MAC && ok "unsolicited NA moved the client's entry" ||
	bad "IPv6 entry is $(neigh_mac $VIP6), want $NODE_MAC"
sleep 1  # let the three announcements go out
[ "$(stat garp_sent)" = 6 ] && ok "3 announcements, request and reply each" || bad "garp_sent $(stat garp_sent), want 6"
[ "$(stat unsolicited_na_sent)" = 3 ] && ok "3 unsolicited NAs" || bad "unsolicited_na_sent $(stat unsolicited_na_sent), want 3"

# 3. Questions: ARP, an RFC 5227 probe from 0.0.0.0, NS.
cli arping -c 2 -i eth0 $VIP4 >"$T/arping" 2>&1 && grep -qi "from $NODE_MAC" "$T/arping" &&
	ok "arping answered by $NODE_MAC" || { bad "arping"; cat "$T/arping"; }
cli arping -0 -c 1 -i eth0 $VIP4 >"$T/arping0" 2>&1 && grep -qi "from $NODE_MAC" "$T/arping0" &&
	ok "ARP probe from 0.0.0.0 answered" || { bad "ARP probe"; cat "$T/arping0"; }
cli ndisc6 -1 -r 2 -w 500 $VIP6 eth0 >"$T/ndisc" 2>&1 && grep -qi "Target link-layer address: $NODE_MAC" "$T/ndisc" &&
	ok "ndisc6 answered by $NODE_MAC" || { bad "ndisc6"; cat "$T/ndisc"; }
if cli arping -c 1 -i eth0 $OTHER4 >/dev/null 2>&1; then bad "answered for a VIP not owned"; else ok "no answer for a VIP not owned"; fi
[ "$(stat arp_replies)" -ge 3 ] && ok "arp_replies counted" || bad "arp_replies $(stat arp_replies)"
[ "$(stat na_sent)" -ge 1 ] && ok "na_sent counted" || bad "na_sent $(stat na_sent)"
# vipstat VIP: "REQUESTS/RESPONSES/GRATUITOUS" of that VIP (the speaker's metallb_layer2_* {ip})
vipstat() {
	send vipstats
	grep '^vipstats ' "$T/out" | tail -n 1 | tr ' ' '\n' | sed -n "s/^$1=//p"
}
want4="$(stat arp_requests)/$(stat arp_replies)/$(stat garp_sent)"
[ "$(vipstat $VIP4)" = "$want4" ] && ok "per-VIP counters of $VIP4: $want4 (the totals: the only IPv4 VIP)" ||
	bad "per-VIP counters of $VIP4: $(vipstat $VIP4), want $want4"
want6="$(stat ns_received)/$(stat na_sent)/$(stat unsolicited_na_sent)"
[ "$(vipstat $VIP6)" = "$want6" ] && ok "per-VIP counters of $VIP6: $want6" ||
	bad "per-VIP counters of $VIP6: $(vipstat $VIP6), want $want6"

# 4. Duplicate address detection of the VIP by the client fails: the node defends it.
cli ip addr add $VIP6/64 dev eth0
wait_for 5 sh -c "ip netns exec $CLI ip -6 addr show dev eth0 | grep -q dadfailed" &&
	ok "the client's DAD for the VIP failed" || bad "DAD for the VIP succeeded on the client"
cli ip addr del $VIP6/64 dev eth0

# 5. walk: one line per (VIP, interface); eth0 only, not the veth.
send walk
wait_for 3 out_has '^end' || bad "walk did not end"
grep -q "^walk $VIP4 eth0 " "$T/out" && grep -q "^walk $VIP6 eth0 " "$T/out" && ok "walk lists both VIPs on eth0" ||
	bad "walk: $(grep '^walk' "$T/out")"
grep -q '^walk .* \(veth1234\|cali5678\|lo\) ' "$T/out" && bad "walk lists a container or loopback interface" ||
	ok "veth and lo not answered by default"

# 6. Rate limit: one requester over its 20/s (burst 20) is limited, by its own bucket, not the node's.
cli arping -c 60 -W 0.005 -i eth0 $VIP4 >/dev/null 2>&1 || true
[ "$(stat limited_requester)" -gt 0 ] && ok "replies rate-limited per requester ($(stat limited_requester) dropped)" ||
	bad "no reply was rate-limited"
[ "$(stat limited_global)" = 0 ] && ok "the global limit untouched" || bad "limited_global $(stat limited_global)"
grep -q "this requester is over its reply rate" "$T/err" && ok "the limit logged" || bad "the limit not logged"
sleep 1

# 7. A conflict: the client announces the VIP as its own.
cli arping -U -c 1 -i eth0 -S $VIP4 $VIP4 >/dev/null 2>&1 || true
conflict_seen() { [ "$(stat conflicts)" -ge 1 ]; }
wait_for 3 conflict_seen && ok "conflict seen" || bad "conflict not counted"
grep -q "which is not this node" "$T/err" && ok "conflict logged" || bad "conflict not logged"

# 8. Link down and up: the VIPs are announced again.
cli ip neigh replace $VIP4 lladdr $BOGUS dev eth0 nud stale
before=$(stat garp_sent)
ip -n "$NODE" link set eth0 down
ip -n "$NODE" link set eth0 up
wait_for 5 neigh_is $VIP4 $NODE_MAC && ok "announced again after link up" || bad "not announced after link up"
[ "$(stat garp_sent)" -gt "$before" ] || bad "garp_sent did not grow after link up"

# 9. Restricted to an interface the node does not have: not answered; when it appears, announced there.
send set $VIP4@eth1
if cli arping -c 1 -i eth0 $VIP4 >/dev/null 2>&1; then bad "answered on eth0 for a VIP bound to eth1"; else ok "VIP bound to eth1 not answered on eth0"; fi
cli ip neigh replace $VIP4 lladdr $BOGUS dev eth0 nud stale
ip -n "$NODE" link set eth0 down
ip -n "$NODE" link set eth0 name eth1
ip -n "$NODE" link set eth1 up
wait_for 5 neigh_is $VIP4 $NODE_MAC && ok "announced on eth1 once it appeared" || bad "not announced on the new eth1"
cli arping -c 1 -i eth0 $VIP4 >/dev/null 2>&1 && ok "answered on eth1" || bad "not answered on eth1"

# 10. Given up: no answer at once.
send set
if cli arping -c 1 -i eth0 $VIP4 >/dev/null 2>&1; then bad "answered after giving the VIP up"; else ok "no answer after giving up"; fi
if cli ndisc6 -1 -r 1 -w 300 $VIP6 eth0 >/dev/null 2>&1; then bad "NS answered after giving up"; else ok "no NA after giving up"; fi
[ "$(stat malformed)" = 0 ] && ok "no malformed frame" || bad "malformed $(stat malformed)"

stop_driver

# 11. Periodic refresh: one announcement at once, then one a second.
start_driver --garp-count 1 --refresh-s 1
send set $VIP4
sleep 2.5
g=$(stat garp_sent)
[ "$g" -ge 6 ] && [ "$g" -le 8 ] && ok "refreshed every second" || bad "garp_sent $g after 2.5 s, want 6 (at once, 1 s, 2 s)"
stop_driver

if grep -q 'runtime error\|AddressSanitizer\|LeakSanitizer' "$T/err"; then bad "sanitizer report"; cat "$T/err"; fi
[ "$failures" = 0 ] || { echo "--- driver log"; cat "$T/err"; }
echo "l2_responder: $passes passed, $failures failed"
[ "$failures" = 0 ]
