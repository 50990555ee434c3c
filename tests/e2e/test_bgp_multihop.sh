#!/bin/sh
# eBGP multihop: the routers are two routed hops away from the nodes.
#
#   n1 (node1) ---+                      +--- rtr: BIRD 2  (203.0.113.2, AS 64500)
#   192.0.2.11    |-- lan1 -- mid -- lan2-|
#   n2 (node2) ---+   192.0.2.1  203.0.113.1  +--- frr: FRR bgpd (203.0.113.3, AS 64501)
#   192.0.2.12                              (IPv6: 2001:db8:1::/64 and 2001:db8:2::/64)
#
#   node1  BGPPeers with ebgpMultiHop: true to BIRD and FRR, IPv4 and IPv6: sessions
#          come up and the VIPs arrive with next hop 192.0.2.11 / 2001:db8:1::11 (the
#          session's local address, not the middle router) and AS path 64512
#   node2  the same BGPPeer to BIRD without ebgpMultiHop: an eBGP session is single-hop
#          (TTL 1), so it must not come up through the middle router
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
e2e_init multihop "$1" bird birdc /usr/lib/frr/bgpd vtysh ping

ns_add mid n1 n2 rtr frr
ns_forward mid
lan_add lan1
lan_add lan2
lan_attach lan1 mid eth0 192.0.2.1/24 2001:db8:1::1/64
lan_attach lan1 n1 eth0 192.0.2.11/24 2001:db8:1::11/64
lan_attach lan1 n2 eth0 192.0.2.12/24 2001:db8:1::12/64
lan_attach lan2 mid eth1 203.0.113.1/24 2001:db8:2::1/64
lan_attach lan2 rtr eth0 203.0.113.2/24 2001:db8:2::2/64
lan_attach lan2 frr eth0 203.0.113.3/24 2001:db8:2::3/64
for n in n1 n2; do
	route_add $n 203.0.113.0/24 192.0.2.1
	route_add $n 2001:db8:2::/64 2001:db8:1::1
done
for n in rtr frr; do
	route_add $n 192.0.2.0/24 203.0.113.1
	route_add $n 2001:db8:1::/64 2001:db8:2::1
done
nsx n1 ping -c 1 -W 2 203.0.113.2 >/dev/null || die "no IPv4 path n1 -> rtr"
nsx n1 ping -c 1 -W 2 2001:db8:2::3 >/dev/null || die "no IPv6 path n1 -> frr"

# ---- BIRD, AS 64500: the nodes' networks resolve through static routes
bird_mh() {  # NAME NEIGHBOR FAMILY LOCAL
	cat <<EOF
protocol bgp $1 {
	local $4 as 64500;
	neighbor $2 as 64512;
	multihop 4;
	hold time 6; keepalive time 2;
	connect delay time 1; connect retry time 1; error wait time 1, 2;
	$3 { import all; export none; };
}
EOF
}
{
	bird_head 203.0.113.2
	cat <<EOF
protocol static { ipv4; route 192.0.2.0/24 via 203.0.113.1; }
protocol static { ipv6; route 2001:db8:1::/64 via 2001:db8:2::1; }
EOF
	bird_mh node1 192.0.2.11 ipv4 203.0.113.2
	bird_mh node1_6 2001:db8:1::11 ipv6 2001:db8:2::2
	bird_mh node2 192.0.2.12 ipv4 203.0.113.2
} >"$E2E_TMP/bird.conf"

# ---- FRR, AS 64501
cat >"$E2E_TMP/frr.conf" <<EOF
hostname frr
router bgp 64501
 bgp router-id 203.0.113.3
 no bgp ebgp-requires-policy
 no bgp default ipv4-unicast
 neighbor 192.0.2.11 remote-as 64512
 neighbor 192.0.2.11 ebgp-multihop 4
 neighbor 192.0.2.11 timers 2 6
 neighbor 192.0.2.11 timers connect 1
 neighbor 2001:db8:1::11 remote-as 64512
 neighbor 2001:db8:1::11 ebgp-multihop 4
 neighbor 2001:db8:1::11 timers 2 6
 neighbor 2001:db8:1::11 timers connect 1
 address-family ipv4 unicast
  neighbor 192.0.2.11 activate
 exit-address-family
 address-family ipv6 unicast
  neighbor 2001:db8:1::11 activate
 exit-address-family
EOF

# ---- vipcast: node1 multihop to both routers, node2 without ebgpMultiHop
C1=$E2E_TMP/config1 C2=$E2E_TMP/config2
mkdir -p "$C1" "$C2"
cfg_node node1 192.0.2.11 2001:db8:1::11 | cfg_write "$C1" nodes.yaml
cfg_node node2 192.0.2.12 2001:db8:1::12 | cfg_write "$C2" nodes.yaml
for C in "$C1" "$C2"; do
	cfg_pool vips 198.51.100.0/24 2001:db8:100::/120 | cfg_write "$C" pool.yaml
	cfg_adv adv pools=vips communities=64500:100,large:64512:1:2 | cfg_write "$C" adv.yaml
done
{
	cfg_peer bird4 64512 64500 203.0.113.2 ebgpMultiHop=true connectTime=1s
	cfg_peer bird6 64512 64500 2001:db8:2::2 ebgpMultiHop=true connectTime=1s
	cfg_peer frr4 64512 64501 203.0.113.3 ebgpMultiHop=true connectTime=1s
	cfg_peer frr6 64512 64501 2001:db8:2::3 ebgpMultiHop=true connectTime=1s
} | cfg_write "$C1" peers.yaml
cfg_peer bird4 64512 64500 203.0.113.2 connectTime=1s | cfg_write "$C2" peers.yaml
{
	cfg_service web 198.51.100.10 Cluster node1
	cfg_service web6 2001:db8:100::10 Cluster node1
} | cfg_write "$C1" svc.yaml
cfg_service web 198.51.100.20 Cluster node2 | cfg_write "$C2" svc.yaml
cfg_check "$C1"
cfg_check "$C2"

start_bird rtr rtr "$E2E_TMP/bird.conf"
start_frr frr frr "$E2E_TMP/frr.conf"
start_speaker s1 n1 "$C1" node1
start_speaker s2 n2 "$C2" node2
CM="64500:100 64512:1:2 64512"

scenario "multihop to BIRD"
check_within 20 "IPv4 session Established" bird_established rtr node1
check_within 20 "IPv6 session Established" bird_established rtr node1_6
check_within 10 "198.51.100.10/32 next hop 192.0.2.11 (not the middle router), AS path 64512" \
	has_route "bird_rib rtr" 198.51.100.10/32 192.0.2.11 '*' $CM
check_within 10 "2001:db8:100::10/128 next hop 2001:db8:1::11, AS path 64512" \
	has_route "bird_rib rtr" 2001:db8:100::10/128 2001:db8:1::11 '*' $CM

scenario "multihop to FRR"
check_within 20 "IPv4 session Established" frr_established frr 192.0.2.11
check_within 20 "IPv6 session Established" frr_established frr 2001:db8:1::11
check_within 10 "198.51.100.10/32 next hop 192.0.2.11, AS path 64512" \
	has_route "frr_rib frr ipv4" 198.51.100.10/32 192.0.2.11 '*' $CM
check_within 10 "2001:db8:100::10/128 next hop 2001:db8:1::11, AS path 64512" \
	has_route "frr_rib frr ipv6" 2001:db8:100::10/128 2001:db8:1::11 '*' $CM

scenario "no ebgpMultiHop: single-hop eBGP does not cross the router"
check "node2's speaker is running" is_running s2
check_holds 8 "node2's session to BIRD never Established" not bird_established rtr node2
check "no route from node2" no_route "bird_rib rtr" '*' 192.0.2.12

e2e_finish
