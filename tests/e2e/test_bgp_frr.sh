#!/bin/sh
# vipcast-speaker against FRR 8.4 bgpd (run alone, no zebra), IPv4 and IPv6:
#   node1  iBGP (AS 64512): session, VIPs with next hop, local-pref and communities,
#          withdrawal when the Service's file is removed
#   node2  eBGP (AS 64513 -> 64512) with TCP MD5 on both ends: Established, VIPs
#          arrive with AS path 64513
#   node3  TCP MD5 with a wrong password: never Established
# Assertions read FRR's own table (vtysh show bgp ... json).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
e2e_init frr "$1" /usr/lib/frr/bgpd vtysh

ns_add rtr n1 n2 n3
lan_add lan
lan_attach lan rtr eth0 192.0.2.1/24 2001:db8:1::1/64
for i in 1 2 3; do lan_attach lan n$i eth0 192.0.2.1$i/24 2001:db8:1::1$i/64; done

frr_nb() {  # ADDR REMOTEAS [password]
	echo " neighbor $1 remote-as $2"
	echo " neighbor $1 timers 2 6"
	echo " neighbor $1 timers connect 1"
	[ -z "${3:-}" ] || echo " neighbor $1 password $3"
}
{
	cat <<EOF
hostname rtr
log file $E2E_TMP/rtr/bgpd.log debugging
router bgp 64512
 bgp router-id 192.0.2.1
 no bgp ebgp-requires-policy
 no bgp default ipv4-unicast
 no bgp network import-check
EOF
	frr_nb 192.0.2.11 64512
	frr_nb 2001:db8:1::11 64512
	frr_nb 192.0.2.12 64513 s3cret-md5
	frr_nb 2001:db8:1::12 64513 s3cret-md5
	frr_nb 192.0.2.13 64513 s3cret-md5
	frr_nb 2001:db8:1::13 64513 s3cret-md5
	echo " address-family ipv4 unicast"
	for i in 1 2 3; do echo "  neighbor 192.0.2.1$i activate"; done
	echo " exit-address-family"
	echo " address-family ipv6 unicast"
	for i in 1 2 3; do echo "  neighbor 2001:db8:1::1$i activate"; done
	echo " exit-address-family"
} >"$E2E_TMP/frr.conf"
mkdir -p "$E2E_TMP/rtr"

mkcfg() {  # N MYASN [PEER FIELDS...]
	local n=$1 my=$2 C="$E2E_TMP/config$1"
	shift 2
	mkdir -p "$C"
	cfg_node "node$n" "192.0.2.1$n" "2001:db8:1::1$n" | cfg_write "$C" nodes.yaml
	cfg_pool vips 198.51.100.0/24 2001:db8:100::/120 | cfg_write "$C" pool.yaml
	{
		cfg_peer rtr4 "$my" 64512 192.0.2.1 connectTime=1s "$@"
		cfg_peer rtr6 "$my" 64512 2001:db8:1::1 connectTime=1s "$@"
	} | cfg_write "$C" peer.yaml
	if [ "$my" = 64512 ]; then
		cfg_adv adv pools=vips localPref=150 communities=64500:100,65535:65282,large:64500:1:2
	else
		cfg_adv adv pools=vips communities=64500:100,large:64500:1:2
	fi | cfg_write "$C" adv.yaml
	cfg_service web "198.51.100.1$n" Cluster "node$n" | cfg_write "$C" svc-web.yaml
	cfg_service web6 "2001:db8:100::1$n" Cluster "node$n" | cfg_write "$C" svc-web6.yaml
	cfg_service other "198.51.100.2$n" Cluster "node$n" | cfg_write "$C" svc-other.yaml
	cfg_check "$C"
}
mkcfg 1 64512
mkcfg 2 64513 password=s3cret-md5
mkcfg 3 64513 password=wrong-password

start_frr rtr rtr "$E2E_TMP/frr.conf"
for i in 1 2 3; do start_speaker s$i n$i "$E2E_TMP/config$i" node$i; done
R4="frr_rib rtr ipv4"
R6="frr_rib rtr ipv6"

scenario "iBGP sessions"
check_within 20 "IPv4 session Established" frr_established rtr 192.0.2.11
check_within 20 "IPv6 session Established" frr_established rtr 2001:db8:1::11

scenario "iBGP VIPs with next hop, local-pref and communities"
check_within 10 "198.51.100.11/32 192.0.2.11 150 64500:100,65535:65282 64500:1:2 (empty AS path)" \
	has_route "$R4" 198.51.100.11/32 192.0.2.11 150 64500:100,65535:65282 64500:1:2 -
check_within 10 "198.51.100.21/32 as well" has_route "$R4" 198.51.100.21/32 192.0.2.11 150
check_within 10 "2001:db8:100::11/128 2001:db8:1::11 150 64500:100,65535:65282 64500:1:2" \
	has_route "$R6" 2001:db8:100::11/128 2001:db8:1::11 150 64500:100,65535:65282 64500:1:2 -

scenario "iBGP withdrawal"
cfg_rm "$E2E_TMP/config1" svc-web.yaml
cfg_rm "$E2E_TMP/config1" svc-web6.yaml
check_within 10 "198.51.100.11/32 withdrawn" no_route "$R4" 198.51.100.11/32
check_within 10 "2001:db8:100::11/128 withdrawn" no_route "$R6" 2001:db8:100::11/128
check "198.51.100.21/32 stays" has_route "$R4" 198.51.100.21/32 192.0.2.11 150
check "the IPv4 session stayed up (one connection established in all)" \
	test "$(frr_conn_count rtr 192.0.2.11)" = 1

scenario "eBGP with TCP MD5"
check_within 20 "IPv4 session Established (password on both ends)" frr_established rtr 192.0.2.12
check_within 20 "IPv6 session Established (password on both ends)" frr_established rtr 2001:db8:1::12
check_within 10 "198.51.100.12/32 via 192.0.2.12, AS path 64513, communities" \
	has_route "$R4" 198.51.100.12/32 192.0.2.12 '*' 64500:100 64500:1:2 64513
check_within 10 "2001:db8:100::12/128 via 2001:db8:1::12, AS path 64513" \
	has_route "$R6" 2001:db8:100::12/128 2001:db8:1::12 '*' 64500:100 64500:1:2 64513

scenario "TCP MD5, wrong password"
check_holds 10 "IPv4 session never Established" not frr_established rtr 192.0.2.13
check "IPv6 session never Established" not frr_established rtr 2001:db8:1::13
check "no route from node3" no_route "$R4" '*' 192.0.2.13

e2e_finish
