#!/bin/sh
# vipcast-speaker against GoBGP 3.10 gobgpd (passive: the speaker dials), IPv4 and IPv6:
#   node1  iBGP (AS 64512): session, VIPs with next hop, local-pref and communities,
#          withdrawal when the Service's file is removed
#   node2  eBGP with 4-octet ASNs (4200000001 -> 4200000002): session, VIPs with
#          AS path 4200000001
# Assertions read GoBGP's own table (gobgp global rib -j).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
e2e_init gobgp "$1" gobgpd gobgp

ns_add rtr n1 n2
lan_add lan
lan_attach lan rtr eth0 192.0.2.1/24 2001:db8:1::1/64
for i in 1 2; do lan_attach lan n$i eth0 192.0.2.1$i/24 2001:db8:1::1$i/64; done

gobgp_nb() {  # ADDR PEERAS LOCALAS AFISAFI
	cat <<EOF
[[neighbors]]
  [neighbors.config]
    neighbor-address = "$1"
    peer-as = $2
    local-as = $3
  [neighbors.timers.config]
    hold-time = 6
    keepalive-interval = 2
    connect-retry = 1
  [neighbors.transport.config]
    passive-mode = true
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "$4"
EOF
}
{
	printf '[global.config]\n  as = 64512\n  router-id = "192.0.2.1"\n'
	gobgp_nb 192.0.2.11 64512 64512 ipv4-unicast
	gobgp_nb 2001:db8:1::11 64512 64512 ipv6-unicast
	gobgp_nb 192.0.2.12 4200000001 4200000002 ipv4-unicast
	gobgp_nb 2001:db8:1::12 4200000001 4200000002 ipv6-unicast
} >"$E2E_TMP/gobgp.toml"

mkcfg() {  # N MYASN PEERASN [FIELD=VALUE]
	local n=$1 C="$E2E_TMP/config$1"
	mkdir -p "$C"
	cfg_node "node$n" "192.0.2.1$n" "2001:db8:1::1$n" | cfg_write "$C" nodes.yaml
	cfg_pool vips 198.51.100.0/24 2001:db8:100::/120 | cfg_write "$C" pool.yaml
	{
		cfg_peer rtr4 "$2" "$3" 192.0.2.1 connectTime=1s $4
		cfg_peer rtr6 "$2" "$3" 2001:db8:1::1 connectTime=1s $4
	} | cfg_write "$C" peer.yaml
	if [ "$2" = "$3" ]; then
		cfg_adv adv pools=vips localPref=250 communities=64500:100,64500:200,large:64500:1:2,large:64500:3:4
	else
		cfg_adv adv pools=vips communities=64500:100,large:4200000001:1:2
	fi | cfg_write "$C" adv.yaml
	cfg_service web "198.51.100.1$n" Cluster "node$n" | cfg_write "$C" svc-web.yaml
	cfg_service web6 "2001:db8:100::1$n" Cluster "node$n" | cfg_write "$C" svc-web6.yaml
	cfg_service other "198.51.100.2$n" Local "node$n" | cfg_write "$C" svc-other.yaml
	cfg_check "$C"
}
mkcfg 1 64512 64512
mkcfg 2 4200000001 4200000002 enableGracefulRestart=true

start_gobgp rtr rtr "$E2E_TMP/gobgp.toml"
for i in 1 2; do start_speaker s$i n$i "$E2E_TMP/config$i" node$i; done
R4="gobgp_rib rtr ipv4"
R6="gobgp_rib rtr ipv6"

scenario "iBGP sessions"
check_within 20 "IPv4 session Established" gobgp_established rtr 192.0.2.11
check_within 20 "IPv6 session Established" gobgp_established rtr 2001:db8:1::11

scenario "iBGP VIPs with next hop, local-pref and communities"
C4="64500:100,64500:200 64500:1:2,64500:3:4 -"
check_within 10 "198.51.100.11/32 192.0.2.11 250 $C4" has_route "$R4" 198.51.100.11/32 192.0.2.11 250 $C4
check_within 10 "198.51.100.21/32 (ETP Local, endpoint here) 192.0.2.11 250" has_route "$R4" 198.51.100.21/32 192.0.2.11 250
check_within 10 "2001:db8:100::11/128 2001:db8:1::11 250 $C4" has_route "$R6" 2001:db8:100::11/128 2001:db8:1::11 250 $C4

scenario "iBGP withdrawal"
up4=$(gobgp_uptime rtr 192.0.2.11)
cfg_rm "$E2E_TMP/config1" svc-web.yaml
cfg_rm "$E2E_TMP/config1" svc-web6.yaml
check_within 10 "198.51.100.11/32 withdrawn" no_route "$R4" 198.51.100.11/32
check_within 10 "2001:db8:100::11/128 withdrawn" no_route "$R6" 2001:db8:100::11/128
check "198.51.100.21/32 stays" has_route "$R4" 198.51.100.21/32 192.0.2.11 250
check "the IPv4 session stayed up (GoBGP: same uptime)" test "$(gobgp_uptime rtr 192.0.2.11)" = "$up4"

scenario "eBGP with 4-octet ASNs"
check_within 20 "IPv4 session Established (AS 4200000001 -> 4200000002)" gobgp_established rtr 192.0.2.12
check_within 20 "IPv6 session Established" gobgp_established rtr 2001:db8:1::12
check_within 10 "198.51.100.12/32 via 192.0.2.12, AS path 4200000001, communities" \
	has_route "$R4" 198.51.100.12/32 192.0.2.12 '*' 64500:100 4200000001:1:2 4200000001
check_within 10 "2001:db8:100::12/128 via 2001:db8:1::12, AS path 4200000001" \
	has_route "$R6" 2001:db8:100::12/128 2001:db8:1::12 '*' 64500:100 4200000001:1:2 4200000001

scenario "graceful restart (enableGracefulRestart on node2 only)"
gr_received() { gobgp_ rtr neighbor "$1" | grep -q 'graceful-restart:.*received'; }
check "GoBGP received node2's graceful restart capability" gr_received 192.0.2.12
check "node1 did not send one" not gr_received 192.0.2.11

e2e_finish
