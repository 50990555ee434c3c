#!/bin/sh
# Proves the harness itself, without vipcast: GoBGP plays the speaker (it announces
# VIPs with next hop, local-pref and communities, IPv4 and IPv6) to BIRD, FRR,
# ExaBGP and a second GoBGP, and each peer's query helper must show exactly those
# routes, then their withdrawal. If this test fails, the BGP tests' verdicts
# cannot be trusted.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
e2e_init harness "$1" bird birdc /usr/lib/frr/bgpd vtysh gobgpd gobgp exabgp

ns_add n1 bird frr exa gob
lan_add lan
lan_attach lan n1 eth0 192.0.2.11/24 2001:db8:1::11/64
lan_attach lan bird eth0 192.0.2.1/24 2001:db8:1::1/64
lan_attach lan frr eth0 192.0.2.2/24 2001:db8:1::2/64
lan_attach lan exa eth0 192.0.2.3/24 2001:db8:1::3/64
lan_attach lan gob eth0 192.0.2.4/24 2001:db8:1::4/64

C=$E2E_TMP
# --- the stand-in speaker: GoBGP, AS 64512, passive toward everybody
gobgp_nb() {  # ADDR AFISAFI
	cat <<EOT
[[neighbors]]
  [neighbors.config]
    neighbor-address = "$1"
    peer-as = 64512
  [neighbors.timers.config]
    hold-time = 6
    keepalive-interval = 2
    connect-retry = 1
  [neighbors.transport.config]
    passive-mode = true
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "$2"
EOT
}
{
	printf '[global.config]\n  as = 64512\n  router-id = "192.0.2.11"\n'
	for a in 1 2 3 4; do gobgp_nb 192.0.2.$a ipv4-unicast; gobgp_nb 2001:db8:1::$a ipv6-unicast; done
} >"$C/ref.toml"

{
	bird_head 192.0.2.1
	cat <<EOT
protocol bgp n1 {
	local 192.0.2.1 as 64512; neighbor 192.0.2.11 as 64512; direct;
	hold time 6; connect delay time 1; connect retry time 1;
	ipv4 { import all; export none; };
}
protocol bgp n1v6 {
	local 2001:db8:1::1 as 64512; neighbor 2001:db8:1::11 as 64512; direct;
	hold time 6; connect delay time 1; connect retry time 1;
	ipv6 { import all; export none; };
}
EOT
} >"$C/bird.conf"

cat >"$C/frr.conf" <<EOT
hostname frr
router bgp 64512
 bgp router-id 192.0.2.2
 no bgp ebgp-requires-policy
 no bgp default ipv4-unicast
 neighbor 192.0.2.11 remote-as 64512
 neighbor 192.0.2.11 timers 2 6
 neighbor 192.0.2.11 timers connect 1
 neighbor 2001:db8:1::11 remote-as 64512
 neighbor 2001:db8:1::11 timers 2 6
 neighbor 2001:db8:1::11 timers connect 1
 address-family ipv4 unicast
  neighbor 192.0.2.11 activate
 exit-address-family
 address-family ipv6 unicast
  neighbor 2001:db8:1::11 activate
 exit-address-family
EOT

{
	exabgp_process exa
	cat <<EOT
template {
	neighbor base {
		router-id 192.0.2.3;
		local-as 64512;
		peer-as 64512;
		hold-time 6;
		api { processes [ rib ]; receive { parsed; update; } neighbor-changes; }
	}
}
neighbor 192.0.2.11 { inherit base; local-address 192.0.2.3; family { ipv4 unicast; } }
neighbor 2001:db8:1::11 { inherit base; local-address 2001:db8:1::3; family { ipv6 unicast; } }
EOT
} >"$C/exa.conf"

{
	printf '[global.config]\n  as = 64512\n  router-id = "192.0.2.4"\n'
	cat <<EOT
[[neighbors]]
  [neighbors.config]
    neighbor-address = "192.0.2.11"
    peer-as = 64512
  [neighbors.timers.config]
    hold-time = 6
    keepalive-interval = 2
    connect-retry = 1
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv4-unicast"
[[neighbors]]
  [neighbors.config]
    neighbor-address = "2001:db8:1::11"
    peer-as = 64512
  [neighbors.timers.config]
    hold-time = 6
    keepalive-interval = 2
    connect-retry = 1
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv6-unicast"
EOT
} >"$C/gob.toml"

start_gobgp ref n1 "$C/ref.toml"
start_bird bird bird "$C/bird.conf"
start_frr frr frr "$C/frr.conf"
start_exabgp exa exa "$C/exa.conf"
start_gobgp gob gob "$C/gob.toml"

gobgp_ ref global rib add 198.51.100.10/32 nexthop 192.0.2.11 local-pref 200 \
	community 64500:100,65535:65281 large-community 64500:1:2 || die "gobgp rib add"
gobgp_ ref global rib -a ipv6 add 2001:db8:100::10/128 nexthop 2001:db8:1::11 local-pref 200 \
	community 64500:100 large-community 64500:1:2 || die "gobgp rib add v6"

scenario "sessions"
check_within 20 "BIRD established (v4)" bird_established bird n1
check_within 20 "BIRD established (v6)" bird_established bird n1v6
check_within 20 "FRR established (v4)" frr_established frr 192.0.2.11
check_within 20 "FRR established (v6)" frr_established frr 2001:db8:1::11
check_within 20 "ExaBGP established (v4)" exabgp_established exa 192.0.2.11
check_within 20 "ExaBGP established (v6)" exabgp_established exa 2001:db8:1::11
check_within 20 "GoBGP established (v4)" gobgp_established gob 192.0.2.11
check_within 20 "GoBGP established (v6)" gobgp_established gob 2001:db8:1::11
check "BIRD's view of a missing protocol is not Established" not bird_established bird nosuch

scenario "routes with attributes"
V4="198.51.100.10/32 192.0.2.11 200 64500:100,65535:65281 64500:1:2 -"
V6="2001:db8:100::10/128 2001:db8:1::11 200 64500:100 64500:1:2 -"
check_within 10 "BIRD v4 route" has_route "bird_rib bird" $V4
check_within 10 "BIRD v6 route" has_route "bird_rib bird" $V6
check_within 10 "FRR v4 route" has_route "frr_rib frr ipv4" $V4
check_within 10 "FRR v6 route" has_route "frr_rib frr ipv6" $V6
check_within 10 "ExaBGP v4 route" has_route "exabgp_rib exa" $V4
check_within 10 "ExaBGP v6 route" has_route "exabgp_rib exa" $V6
check_within 10 "GoBGP v4 route" has_route "gobgp_rib gob ipv4" $V4
check_within 10 "GoBGP v6 route" has_route "gobgp_rib gob ipv6" $V6
check "a wrong next hop does not match" not has_route "bird_rib bird" 198.51.100.10/32 192.0.2.12
check "a wrong local-pref does not match" not has_route "frr_rib frr ipv4" 198.51.100.10/32 '*' 100
check "a missing community does not match" not has_route "exabgp_rib exa" 198.51.100.10/32 '*' '*' 64500:100
check "paths_are sees the one next hop" paths_are "gobgp_rib gob ipv4" 198.51.100.10/32 192.0.2.11

scenario "withdrawal"
gobgp_ ref global rib del 198.51.100.10/32 || die "gobgp rib del"
gobgp_ ref global rib -a ipv6 del 2001:db8:100::10/128 || die "gobgp rib del v6"
check_within 10 "BIRD v4 withdrawn" no_route "bird_rib bird" 198.51.100.10/32
check_within 10 "BIRD v6 withdrawn" no_route "bird_rib bird" 2001:db8:100::10/128
check_within 10 "FRR v4 withdrawn" no_route "frr_rib frr ipv4" 198.51.100.10/32
check_within 10 "FRR v6 withdrawn" no_route "frr_rib frr ipv6" 2001:db8:100::10/128
check_within 10 "ExaBGP v4 withdrawn" no_route "exabgp_rib exa" 198.51.100.10/32
check_within 10 "ExaBGP v6 withdrawn" no_route "exabgp_rib exa" 2001:db8:100::10/128
check_within 10 "GoBGP v4 withdrawn" no_route "gobgp_rib gob ipv4" 198.51.100.10/32
check_within 10 "GoBGP v6 withdrawn" no_route "gobgp_rib gob ipv6" 2001:db8:100::10/128

scenario "session loss seen from the sender's kernel"
check "the stand-in speaker has a TCP session to BIRD" test -n "$(speaker_sessions ref 192.0.2.1)"
crash bird
check_within 5 "after BIRD is killed, no established TCP session to it" test -z "$(speaker_sessions ref 192.0.2.1)"

e2e_finish
