#!/bin/sh
# BFD (RFC 5880/5881/5883) against FRR's bfdd (with zebra and bgpd, `neighbor X bfd`),
# single hop and multihop, IPv4 and IPv6, and its coupling to BGP (RFC 5882; Cease / BFD
# Down, RFC 9384).
#
#   n1 (node1) ---- lan1 ---- mid ---- lan2 ---- fmh: FRR, multihop (203.0.113.2, 2001:db8:2::2)
#   192.0.2.11       |      192.0.2.1  203.0.113.1
#                   fsh: FRR, single hop (192.0.2.2, 2001:db8:1::2)
#
# BGP hold time is 90 s everywhere, so only BFD can explain a fast withdrawal. The
# routers' BFD profile: transmit 100 ms, receive 1000 ms, multiplier 3 (they notice a
# failure after about 3 s); the speaker's profile is 100 ms x 3 (about 0.3 s).
#   1. BFD Up with both routers, both families; BGP Established; routes arrive.
#   2. BFD blocked (ip rules blackhole UDP 3784/4784 in n1): the speaker sends Cease /
#      BFD Down at once, the routers withdraw, and BGP stays down (the speaker neither
#      dials nor accepts) for as long as BFD is down, although TCP still works.
#   3. BFD unblocked: BFD Up, then BGP Established again, routes back.
#   4. The node's link cut: the routers withdraw within seconds (hold time 90 s).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/bfd_common.sh"
e2e_init bfd_frr "$1" /usr/lib/frr/zebra /usr/lib/frr/bfdd /usr/lib/frr/bgpd vtysh ping

bfd_topology fsh fmh

bfdd_conf() {  # [LOCAL4 LOCAL6]: also the multihop sessions to node1, as configured peers
	printf 'hostname bfdd\nbfd\n profile slowrx\n  transmit-interval 100\n  receive-interval 1000\n  detect-multiplier 3\n !\n'
	[ $# = 0 ] && return
	printf ' peer 192.0.2.11 multihop local-address %s\n  profile slowrx\n !\n' "$1"
	printf ' peer 2001:db8:1::11 multihop local-address %s\n  profile slowrx\n !\n' "$2"
}
bgpd_conf() {  # ROUTERID direct|multihop
	local a
	printf 'hostname bgpd\nrouter bgp 64500\n bgp router-id %s\n no bgp ebgp-requires-policy\n no bgp default ipv4-unicast\n' "$1"
	for a in 192.0.2.11 2001:db8:1::11; do
		printf ' neighbor %s remote-as 64512\n neighbor %s timers 30 90\n neighbor %s timers connect 1\n' "$a" "$a" "$a"
		[ "$2" = direct ] || printf ' neighbor %s ebgp-multihop 4\n' "$a"
		printf ' neighbor %s bfd\n neighbor %s bfd profile slowrx\n' "$a" "$a"
	done
	printf ' address-family ipv4 unicast\n  neighbor 192.0.2.11 activate\n exit-address-family\n'
	printf ' address-family ipv6 unicast\n  neighbor 2001:db8:1::11 activate\n exit-address-family\n'
}
# FRR 8.4's bgpd asks bfdd for a multihop session only once it knows the local address,
# after BGP connected ("multi hop but no local address provided"), while the speaker waits
# for BFD before BGP: the multihop router's bfdd has the sessions configured (bgpd's
# registration later joins them)
bfdd_conf >"$E2E_TMP/fsh-bfdd.conf"
bfdd_conf 203.0.113.2 2001:db8:2::2 >"$E2E_TMP/fmh-bfdd.conf"
bgpd_conf 192.0.2.2 direct >"$E2E_TMP/fsh.conf"
bgpd_conf 203.0.113.2 multihop >"$E2E_TMP/fmh.conf"

bfd_config

start_frr_bfd fsh fsh "$E2E_TMP/fsh.conf" "$E2E_TMP/fsh-bfdd.conf"
start_frr_bfd fmh fmh "$E2E_TMP/fmh.conf" "$E2E_TMP/fmh-bfdd.conf"
start_speaker s1 n1 "$C" node1 --metrics-address 127.0.0.1:7472

all_established() {
	frr_established fsh 192.0.2.11 && frr_established fsh 2001:db8:1::11 && frr_established fmh 192.0.2.11 &&
		frr_established fmh 2001:db8:1::11
}
all_routes() {
	has_route "frr_rib fsh ipv4" 198.51.100.10/32 192.0.2.11 && has_route "frr_rib fsh ipv6" 2001:db8:100::10/128 &&
		has_route "frr_rib fmh ipv4" 198.51.100.10/32 192.0.2.11 && has_route "frr_rib fmh ipv6" 2001:db8:100::10/128
}
no_routes() {
	no_route "frr_rib fsh ipv4" 198.51.100.10/32 && no_route "frr_rib fsh ipv6" 2001:db8:100::10/128 &&
		no_route "frr_rib fmh ipv4" 198.51.100.10/32 && no_route "frr_rib fmh ipv6" 2001:db8:100::10/128
}
routers_none_established() {
	! frr_established fsh 192.0.2.11 && ! frr_established fsh 2001:db8:1::11 &&
		! frr_established fmh 192.0.2.11 && ! frr_established fmh 2001:db8:1::11
}

scenario "BFD Up with FRR bfdd: single hop and multihop, IPv4 and IPv6"
check_within 20 "single-hop IPv4: bfdd's session up" frr_bfd_up fsh 192.0.2.11
check_within 5 "single-hop IPv6: bfdd's session up" frr_bfd_up fsh 2001:db8:1::11
check_within 5 "multihop IPv4: bfdd's session up" frr_bfd_up fmh 192.0.2.11
check_within 5 "multihop IPv6: bfdd's session up" frr_bfd_up fmh 2001:db8:1::11
bfd_scenarios

e2e_finish
