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

bfd_topology bsh bmh

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

# BIRD 2.0.12 sends multihop BFD with TTL 64, not 255: one router away it arrives with 63
bfd_config 63

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
routers_none_established() {
	! bird_established bsh node1 && ! bird_established bsh node1_6 &&
		! bird_established bmh node1 && ! bird_established bmh node1_6
}

scenario "BFD Up with BIRD: single hop and multihop, IPv4 and IPv6"
check_within 20 "single-hop IPv4: BIRD's BFD session Up" bird_bfd_up bsh 192.0.2.11
check_within 5 "single-hop IPv6: BIRD's BFD session Up" bird_bfd_up bsh 2001:db8:1::11
check_within 5 "multihop IPv4: BIRD's BFD session Up" bird_bfd_up bmh 192.0.2.11
check_within 5 "multihop IPv6: BIRD's BFD session Up" bird_bfd_up bmh 2001:db8:1::11
bfd_scenarios

e2e_finish
