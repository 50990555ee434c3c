#!/bin/sh
# BFD (RFC 5880/5881/5883) against BIRD 2's `protocol bfd`, single hop and multihop,
# IPv4 and IPv6, and its coupling to BGP (RFC 5882; Cease / BFD Down, RFC 9384).
#
#   n1 (node1) ---- lan1 ---- mid ---- lan2 ---- bmh: BIRD, multihop (203.0.113.2, 2001:db8:2::2)
#   192.0.2.11       |      192.0.2.1  203.0.113.1
#                   bsh: BIRD, single hop (192.0.2.2, 2001:db8:1::2)
#
# BGP hold time is 90 s everywhere, so only BFD can explain a fast withdrawal. The
# routers run BFD at min tx 100 ms, min rx 1000 ms, multiplier 3 (they notice a failure
# after about 3 s); the speaker's profile is 100 ms x 3 (it notices after about 0.3 s).
#   1. BFD Up with both routers, both families; BGP Established; routes arrive; status
#      and metrics.
#   2. BFD blocked (ip rules blackhole UDP 3784/4784 in n1): the speaker sends Cease / BFD Down
#      at once, the routers withdraw, and BGP stays down (the speaker neither dials nor
#      accepts) for as long as BFD is down, although TCP still works.
#   3. BFD unblocked: BFD Up, then BGP Established again, routes back.
#   4. The node's link cut: the routers withdraw within seconds (hold time 90 s).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/bfd_common.sh"
e2e_init bfd_bird "$1" bird birdc ping

ns_add mid n1 bsh bmh
ns_forward mid
lan_add lan1
lan_add lan2
lan_attach lan1 mid eth0 192.0.2.1/24 2001:db8:1::1/64
lan_attach lan1 n1 eth0 192.0.2.11/24 2001:db8:1::11/64
lan_attach lan1 bsh eth0 192.0.2.2/24 2001:db8:1::2/64
lan_attach lan2 mid eth1 203.0.113.1/24 2001:db8:2::1/64
lan_attach lan2 bmh eth0 203.0.113.2/24 2001:db8:2::2/64
n1_routes() {
	route_add n1 203.0.113.0/24 192.0.2.1
	route_add n1 2001:db8:2::/64 2001:db8:1::1
}
n1_routes
route_add bmh 192.0.2.0/24 203.0.113.1
route_add bmh 2001:db8:1::/64 2001:db8:2::1
nsx n1 ping -c 1 -W 2 203.0.113.2 >/dev/null || die "no IPv4 path n1 -> bmh"
nsx n1 ping -c 1 -W 2 2001:db8:2::2 >/dev/null || die "no IPv6 path n1 -> bmh"

bird_bfd_peer() {  # NAME NEIGHBOR FAMILY LOCAL direct|multihop
	local hop="direct;"
	[ "$5" = multihop ] && hop="multihop 4;"
	cat <<EOF
protocol bgp $1 {
	local $4 as 64500;
	neighbor $2 as 64512;
	$hop
	hold time 90; keepalive time 30;
	connect delay time 1; connect retry time 1; error wait time 1, 2;
	bfd on;
	$3 { import all; export none; };
}
EOF
}
BFDOPTS="min rx interval 1000 ms; min tx interval 100 ms; multiplier 3;"
{
	bird_head 192.0.2.2
	echo "protocol bfd { interface \"*\" { $BFDOPTS }; }"
	bird_bfd_peer node1 192.0.2.11 ipv4 192.0.2.2 direct
	bird_bfd_peer node1_6 2001:db8:1::11 ipv6 2001:db8:1::2 direct
} >"$E2E_TMP/bsh.conf"
{
	bird_head 203.0.113.2
	echo "protocol bfd { multihop { $BFDOPTS }; }"
	bird_bfd_peer node1 192.0.2.11 ipv4 203.0.113.2 multihop
	bird_bfd_peer node1_6 2001:db8:1::11 ipv6 2001:db8:2::2 multihop
} >"$E2E_TMP/bmh.conf"

C=$E2E_TMP/config
mkdir -p "$C"
{
	cfg_node node1 192.0.2.11 2001:db8:1::11
	cfg_pool vips 198.51.100.0/24 2001:db8:100::/120
	cfg_adv adv pools=vips
	cfg_bfd_profile fast 100 100 3
	# BIRD 2.0.12 sends multihop BFD with TTL 64, not 255: one router away it arrives with 63
	cfg_bfd_profile fastmh 100 100 3 minimumTtl=63
	cfg_service web 198.51.100.10 Cluster node1
	cfg_service web6 2001:db8:100::10 Cluster node1
} | cfg_write "$C" base.yaml
{
	T="holdTime=90s keepaliveTime=30s connectTime=1s"
	# shellcheck disable=SC2086
	cfg_peer sh4 64512 64500 192.0.2.2 $T bfdProfile=fast
	# shellcheck disable=SC2086
	cfg_peer sh6 64512 64500 2001:db8:1::2 $T bfdProfile=fast
	# shellcheck disable=SC2086
	cfg_peer mh4 64512 64500 203.0.113.2 $T ebgpMultiHop=true bfdProfile=fastmh
	# shellcheck disable=SC2086
	cfg_peer mh6 64512 64500 2001:db8:2::2 $T ebgpMultiHop=true bfdProfile=fastmh
} | cfg_write "$C" peers.yaml
cfg_check "$C"

start_bird bsh bsh "$E2E_TMP/bsh.conf"
start_bird bmh bmh "$E2E_TMP/bmh.conf"
start_speaker s1 n1 "$C" node1 --metrics-address 127.0.0.1:7472

# bird_bfd_state NAME ADDR -> the State column of BIRD's "show bfd sessions" for that neighbor
bird_bfd_state() {
	birdc_ "$1" show bfd sessions 2>/dev/null | awk -v a="$2" '$1 == a { print $3; f = 1; exit } END { if (!f) print "none" }'
}
bird_bfd_up() { [ "$(bird_bfd_state "$1" "$2")" = Up ]; }
all_established() {
	bird_established bsh node1 && bird_established bsh node1_6 && bird_established bmh node1 &&
		bird_established bmh node1_6
}
all_routes() {
	has_route "bird_rib bsh" 198.51.100.10/32 192.0.2.11 && has_route "bird_rib bsh" 2001:db8:100::10/128 &&
		has_route "bird_rib bmh" 198.51.100.10/32 192.0.2.11 && has_route "bird_rib bmh" 2001:db8:100::10/128
}
no_routes() {
	no_route "bird_rib bsh" 198.51.100.10/32 && no_route "bird_rib bsh" 2001:db8:100::10/128 &&
		no_route "bird_rib bmh" 198.51.100.10/32 && no_route "bird_rib bmh" 2001:db8:100::10/128
}
PEERS="192.0.2.2 2001:db8:1::2 203.0.113.2 2001:db8:2::2"
all_bfd_up() { local p; for p in $PEERS; do speaker_bfd_up s1 "$p" || return 1; done; }
all_sent_bfd_down() { local p; for p in $PEERS; do speaker_sent_bfd_down s1 "$p" || return 1; done; }
none_established() {
	local p
	for p in $PEERS; do [ "$(speaker_bgp_state s1 "$p")" != Established ] || return 1; done
	! bird_established bsh node1 && ! bird_established bsh node1_6 &&
		! bird_established bmh node1 && ! bird_established bmh node1_6
}
# bfd_before_bgp PEER -> in the speaker's log, after BFD went Down, "BFD is Up: connecting"
# comes before the session is Established again
bfd_before_bgp() {
	awk -v a="$1" '
		index($0, "bfd " a ":") && / -> Down/ { down = 1 }
		down && index($0, "bgp " a ":") && /BFD is Up: connecting/ && !up { up = NR }
		down && index($0, "bgp " a ":") && /-> Established/ && !est { est = NR }
		END { exit !(up && est && up < est) }' "$(speaker_log s1)"
}

scenario "BFD Up with BIRD: single hop and multihop, IPv4 and IPv6"
check_within 20 "single-hop IPv4: BIRD's BFD session Up" bird_bfd_up bsh 192.0.2.11
check_within 5 "single-hop IPv6: BIRD's BFD session Up" bird_bfd_up bsh 2001:db8:1::11
check_within 5 "multihop IPv4: BIRD's BFD session Up" bird_bfd_up bmh 192.0.2.11
check_within 5 "multihop IPv6: BIRD's BFD session Up" bird_bfd_up bmh 2001:db8:1::11
check_within 5 "the speaker's four BFD sessions Up" all_bfd_up
check_within 20 "BGP Established on all four sessions" all_established
check_within 10 "the VIP routes are at both routers" all_routes
check "vipcastctl status shows the BFD table" sh -c \
	"'$BUILD/vipcastctl' --socket '$E2E_TMP/s1.sock' status | grep -q '^metallb-system/mh6 .* multihop *Up'"
"$BUILD/vipcastctl" --socket "$E2E_TMP/s1.sock" status 2>&1 | sed -n '/^BFD sessions/,/^$/p' >&2
check "metallb_bfd_session_up 1" test "$(speaker_metric s1 metallb_bfd_session_up 203.0.113.2)" = 1
check "metallb_bfd_control_packet_input counts" test "$(speaker_metric s1 metallb_bfd_control_packet_input 192.0.2.2)" -gt 0
check "metallb_bfd_control_packet_output counts" test "$(speaker_metric s1 metallb_bfd_control_packet_output 2001:db8:2::2)" -gt 0
# a router may restart a session once as its BGP registers with its BFD (FRR does)
check "metallb_bfd_session_up_events counts" test "$(speaker_metric s1 metallb_bfd_session_up_events 2001:db8:1::2)" -ge 1
downs0=$(speaker_metric s1 metallb_bfd_session_down_events 192.0.2.2)

scenario "BFD blocked: BGP goes down at once and stays down while TCP works"
t0=$(now)
bfd_block n1
check_within 3 "the speaker sent Cease / BFD Down to all four peers" all_sent_bfd_down
check_within 3 "the routers withdrew the VIP routes (hold time is 90 s)" no_routes
log "routes withdrawn $(elapsed "$t0") s after BFD was blocked"
check "metallb_bfd_session_down_events one more" test "$(speaker_metric s1 metallb_bfd_session_down_events 192.0.2.2)" = $((downs0 + 1))
check "TCP to the routers still works" nsx n1 bash -c 'exec 3<>/dev/tcp/192.0.2.2/179 && exec 4<>/dev/tcp/203.0.113.2/179'
check_holds 8 "no BGP session Established while BFD is down" none_established

scenario "BFD back: BFD Up first, then BGP"
bfd_unblock n1
check_within 10 "the speaker's BFD sessions Up again" all_bfd_up
check_within 20 "BGP Established again on all four" all_established
check_within 10 "the VIP routes are back" all_routes
for p in $PEERS; do check "$p: BFD Up before BGP Established (speaker log)" bfd_before_bgp "$p"; done

scenario "the node's link cut: the routers withdraw within seconds"
t0=$(now)
ip -n "$(ns n1)" link set eth0 down
check_within 6 "both routers withdrew the VIP routes" no_routes
log "routes withdrawn $(elapsed "$t0") s after the link was cut"
ip -n "$(ns n1)" link set eth0 up
# IPv6 addresses go with the link (keep_addr_on_down is 0); IPv4 routes via the link too
ip -n "$(ns n1)" addr replace 2001:db8:1::11/64 dev eth0 nodad
wait_until 5 ip -n "$(ns n1)" route replace 203.0.113.0/24 via 192.0.2.1 || die "IPv4 route back"
wait_until 5 ip -n "$(ns n1)" route replace 2001:db8:2::/64 via 2001:db8:1::1 || die "IPv6 route back"
check_within 30 "routes back after the link came up" all_routes

e2e_finish
