#!/bin/sh
# End-to-end test of the L2 responder's per-requester reply limit
# (speaker/requester_limit.c) under a short storm, in network namespaces: a
# bridge; a "node" namespace running tests/e2e/l2_responder_driver.c with a
# low global reply rate (2000/s); a "noisy" host flooding ARP requests, then
# NSs, for the VIP at 5000/s from one sender (tests/e2e/l2_flood_driver.c);
# and a legitimate client asking the while with arping / ndisc6. The client
# must get (nearly) every answer: the noisy host is held to its own 20/s, so
# it never reaches the global limit the client shares. With one limit for
# everyone (per VIP before issue 18, or only the global one) the client gets
# a fraction.
#
# Usage: test_l2_arpstorm.sh BUILD_DIR (needs BUILD_DIR/l2_responder_driver
# and l2_flood_driver, root, iproute2, arping (Habets), ndisc6).
set -eu

BUILD=${1:-build}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
P=l2s$$
T=$(mktemp -d)
NODE=$P-node CLI=$P-cli NOISY=$P-noisy BR=$P-br
NODE_MAC=02:00:5e:11:00:01 CLI_MAC=02:00:5e:11:00:02 NOISY_MAC=02:00:5e:11:00:03
VIP4=192.0.2.100 VIP6=2001:db8::100
FLOOD_RATE=5000 GLOBAL_RATE=500
DRV_PID= FLOOD_PID=
failures=0 passes=0

cleanup() {
	[ -n "$FLOOD_PID" ] && kill "$FLOOD_PID" 2>/dev/null && wait "$FLOOD_PID" 2>/dev/null
	[ -n "$DRV_PID" ] && kill "$DRV_PID" 2>/dev/null && wait "$DRV_PID" 2>/dev/null
	for n in $NODE $CLI $NOISY $BR; do ip netns del "$n" 2>/dev/null || true; done
	[ -n "${KEEP:-}" ] && cp "$T"/* "$KEEP/" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT INT TERM

ok() { passes=$((passes + 1)); echo "ok: $*"; }
bad() { failures=$((failures + 1)); echo "FAIL: $*"; }
cli() { ip netns exec "$CLI" "$@"; }

. "$SRC/tests/e2e/deps.sh"
e2e_require ip arping ndisc6 || { echo "FAIL: missing programs (above)"; exit 1; }
[ "$(id -u)" = 0 ] || { echo "FAIL: needs root (network namespaces)"; exit 1; }
DRV=$BUILD/l2_responder_driver FLOOD=$BUILD/l2_flood_driver
[ -x "$DRV" ] && [ -x "$FLOOD" ] || { echo "FAIL: build $DRV and $FLOOD first"; exit 1; }

for n in $BR $NODE $CLI $NOISY; do ip netns add "$n"; ip -n "$n" link set lo up; done
ip -n "$BR" link add br0 type bridge
ip -n "$BR" link set br0 up
ip link add eth0 netns "$NODE" address $NODE_MAC type veth peer name p-node netns "$BR"
ip link add eth0 netns "$CLI" address $CLI_MAC type veth peer name p-cli netns "$BR"
ip link add eth0 netns "$NOISY" address $NOISY_MAC type veth peer name p-noisy netns "$BR"
for p in p-node p-cli p-noisy; do ip -n "$BR" link set "$p" master br0 up; done
ip -n "$NODE" addr add 192.0.2.10/24 dev eth0
ip -n "$CLI" addr add 192.0.2.20/24 dev eth0
ip -n "$CLI" addr add 2001:db8::20/64 dev eth0 nodad
for n in $NODE $CLI $NOISY; do ip -n "$n" link set eth0 up; done

rm -f "$T/in"
mkfifo "$T/in"
ip netns exec "$NODE" "$DRV" --garp-count 1 --reply-rate $GLOBAL_RATE <"$T/in" >"$T/out" 2>"$T/err" &
DRV_PID=$!
exec 3>"$T/in"
# wait_for SECONDS COMMAND...: retries every 0.1 s.
wait_for() {
	n=$(($1 * 10))
	shift
	while [ "$n" -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}
out_has() { grep -q -- "$1" "$T/out"; }
lines_at_least() { [ "$(wc -l <"$T/out")" -ge "$1" ]; }
send() {
	want=$(($(wc -l <"$T/out") + 1))
	echo "$*" >&3
	wait_for 5 lines_at_least "$want" || bad "driver did not answer '$*'"
}
stat() {
	send stats
	grep '^stats ' "$T/out" | tail -n 1 | tr ' ' '\n' | sed -n "s/^$1=//p"
}
wait_for 10 out_has '^ready' || { cat "$T/err"; echo "FAIL: driver did not start"; exit 1; }
send set $VIP4 $VIP6
cli arping -c 1 -i eth0 $VIP4 >/dev/null 2>&1 || bad "VIP not answered before the storm"

# flood TARGET FROM_IP SECONDS: one noisy host, in the background.
flood() {
	ip netns exec "$NOISY" "$FLOOD" eth0 $FLOOD_RATE "$3" "$1" --from "$NOISY_MAC,$2" >"$T/flood" 2>&1 &
	FLOOD_PID=$!
	sleep 0.3
}
flood_end() {
	wait "$FLOOD_PID" || bad "flood driver failed: $(cat "$T/flood")"
	FLOOD_PID=
	echo "   flood: $(cat "$T/flood")"
}

# 1. ARP: 20 requests, 10 a second, while the noisy host sends 5000 a second.
flood $VIP4 192.0.2.66 3
got=$(cli arping -c 20 -W 0.1 -i eth0 $VIP4 2>/dev/null | grep -c 'bytes from' || true)
flood_end
[ "$got" -ge 19 ] && ok "ARP during the storm: $got of 20 answered" || bad "ARP during the storm: $got of 20 answered"

# 2. NDP: the same with NSs, the client asking with ndisc6 one at a time.
flood $VIP6 2001:db8::66 3
got=0 i=0
while [ $i -lt 20 ]; do
	cli ndisc6 -1 -r 1 -w 100 $VIP6 eth0 >/dev/null 2>&1 && got=$((got + 1))
	i=$((i + 1))
	sleep 0.05
done
flood_end
[ "$got" -ge 19 ] && ok "NDP during the storm: $got of 20 answered" || bad "NDP during the storm: $got of 20 answered"

lr=$(stat limited_requester) lg=$(stat limited_global)
[ "$lr" -gt 10000 ] && ok "the noisy host was limited ($lr requests dropped)" || bad "limited_requester $lr"
[ "$lg" = 0 ] && ok "the global limit was never reached" || bad "limited_global $lg"
grep -q "this requester is over its reply rate" "$T/err" && ok "the limit logged" || bad "the limit not logged"
n=$(grep -c "this requester is over its reply rate" "$T/err")
[ "$n" -le 2 ] && ok "logged $n times in ~6 s (at most once per 10 s)" || bad "limit logged $n times"

echo quit >&3
exec 3>&-
wait "$DRV_PID" || bad "driver exited with $?"
DRV_PID=
if grep -q 'runtime error\|AddressSanitizer\|LeakSanitizer' "$T/err"; then bad "sanitizer report"; cat "$T/err"; fi
[ "$failures" = 0 ] || { echo "--- driver log"; cat "$T/err"; }
echo "l2_arpstorm: $passes passed, $failures failed"
[ "$failures" = 0 ]
