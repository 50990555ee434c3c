#!/bin/sh
# vipcast-speaker against BIRD 2, IPv4 and IPv6 sessions side by side, one node per
# case, each node with its own configuration directory:
#   node1  eBGP with 4-octet ASNs (4200000001 -> 4200000002): session, VIPs with
#          next hop and AS path 4200000001, communities
#   node2  TCP MD5 with the right password on both ends: Established, VIPs arrive
#   node3  TCP MD5 with a wrong password: never Established
#   node4  BGPPeer peerASN differs from the router's AS: the speaker must refuse the
#          router's OPEN with a NOTIFICATION (BIRD: "Received: Bad peer AS") and log it
#   node5  the router expects another AS than the BGPPeer's myASN: BIRD refuses; no
#          session, and the speaker logs a clear line (ASN mismatch / Bad Peer AS)
#   node6  dynamicASN: external (no peerASN) toward the router's AS 64500: Established
#   node7  dynamicASN: internal toward the same external router: refused (Bad Peer AS)
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
e2e_init bird_ebgp "$1" bird birdc

ns_add rtr n1 n2 n3 n4 n5 n6 n7
lan_add lan
lan_attach lan rtr eth0 192.0.2.1/24 2001:db8:1::1/64
for i in 1 2 3 4 5 6 7; do lan_attach lan n$i eth0 192.0.2.1$i/24 2001:db8:1::1$i/64; done

# ---- BIRD: one protocol per node and family
bird_proto() {  # NAME LOCALAS NEIGHBOR NEIGHAS FAMILY [EXTRA]
	local lo=192.0.2.1
	[ "$5" = ipv6 ] && lo=2001:db8:1::1
	cat <<EOF
protocol bgp $1 {
	local $lo as $2;
	neighbor $3 as $4;
	direct;
	hold time 6; keepalive time 2;
	connect delay time 1; connect retry time 1; error wait time 1, 2;
	$6
	$5 { import all; export none; };
}
EOF
}
{
	bird_head 192.0.2.1
	bird_proto node1 4200000002 192.0.2.11 4200000001 ipv4
	bird_proto node1_6 4200000002 2001:db8:1::11 4200000001 ipv6
	bird_proto node2 64512 192.0.2.12 64512 ipv4 'password "s3cret-md5";'
	bird_proto node2_6 64512 2001:db8:1::12 64512 ipv6 'password "s3cret-md5";'
	bird_proto node3 64512 192.0.2.13 64512 ipv4 'password "s3cret-md5";'
	bird_proto node3_6 64512 2001:db8:1::13 64512 ipv6 'password "s3cret-md5";'
	bird_proto node4 64500 192.0.2.14 64512 ipv4
	bird_proto node4_6 64500 2001:db8:1::14 64512 ipv6
	bird_proto node5 64500 192.0.2.15 64999 ipv4
	bird_proto node5_6 64500 2001:db8:1::15 64999 ipv6
	bird_proto node6 64500 192.0.2.16 64512 ipv4
	bird_proto node7 64500 192.0.2.17 64512 ipv4
} >"$E2E_TMP/bird.conf"

# ---- one configuration directory per node
mkcfg() {  # N MYASN PEERASN [PEER FIELDS...]
	local n=$1 my=$2 peer=$3 C="$E2E_TMP/config$1"
	shift 3
	mkdir -p "$C"
	cfg_node "node$n" "192.0.2.1$n" "2001:db8:1::1$n" | cfg_write "$C" nodes.yaml
	cfg_pool vips 198.51.100.0/24 2001:db8:100::/120 | cfg_write "$C" pool.yaml
	{
		cfg_peer rtr4 "$my" "$peer" 192.0.2.1 connectTime=1s "$@"
		cfg_peer rtr6 "$my" "$peer" 2001:db8:1::1 connectTime=1s "$@"
	} | cfg_write "$C" peer.yaml
	cfg_adv adv pools=vips communities=64500:100,large:4200000001:7:8 | cfg_write "$C" adv.yaml
	{
		cfg_service web "198.51.100.1$n" Cluster "node$n"
		cfg_service web6 "2001:db8:100::1$n" Cluster "node$n"
	} | cfg_write "$C" svc.yaml
	cfg_check "$C"
}
mkcfg 1 4200000001 4200000002
mkcfg 2 64512 64512 password=s3cret-md5
mkcfg 3 64512 64512 password=wrong-password
mkcfg 4 64512 64999
mkcfg 5 64512 64500
# dynamicASN has no peerASN: the BGPPeer is written out here (IPv4 only).
for n in 6 7; do
	mkcfg $n 64512 64500
	kind=external
	[ $n = 7 ] && kind=internal
	printf -- '---\napiVersion: metallb.io/v1beta2\nkind: BGPPeer\nmetadata: {name: rtr4, namespace: metallb-system}\nspec:\n  myASN: 64512\n  dynamicASN: %s\n  peerAddress: 192.0.2.1\n  connectTime: 1s\n  holdTime: 6s\n  keepaliveTime: 2s\n' \
		"$kind" | cfg_write "$E2E_TMP/config$n" peer.yaml
	cfg_check "$E2E_TMP/config$n"
done

start_bird rtr rtr "$E2E_TMP/bird.conf"
for i in 1 2 3 4 5 6 7; do start_speaker s$i n$i "$E2E_TMP/config$i" node$i; done
RIB="bird_rib rtr"

scenario "eBGP with 4-octet ASNs"
check_within 20 "IPv4 session Established (AS 4200000001 -> 4200000002)" bird_established rtr node1
check_within 20 "IPv6 session Established" bird_established rtr node1_6
check "BIRD sees neighbor AS 4200000001" test "$(bird_neighbor rtr node1 'Neighbor AS')" = 4200000001
check_within 10 "198.51.100.11/32 via 192.0.2.11, AS path 4200000001, communities" \
	has_route "$RIB" 198.51.100.11/32 192.0.2.11 '*' 64500:100 4200000001:7:8 4200000001
check_within 10 "2001:db8:100::11/128 via 2001:db8:1::11, AS path 4200000001, communities" \
	has_route "$RIB" 2001:db8:100::11/128 2001:db8:1::11 '*' 64500:100 4200000001:7:8 4200000001

scenario "TCP MD5, right password"
check_within 20 "IPv4 session Established with password on both ends" bird_established rtr node2
check_within 20 "IPv6 session Established with password on both ends" bird_established rtr node2_6
check_within 10 "198.51.100.12/32 via 192.0.2.12 arrives" has_route "$RIB" 198.51.100.12/32 192.0.2.12 '*' 64500:100
check_within 10 "2001:db8:100::12/128 via 2001:db8:1::12 arrives" has_route "$RIB" 2001:db8:100::12/128 2001:db8:1::12 '*' 64500:100

scenario "TCP MD5, wrong password"
check_holds 10 "IPv4 session never Established" not bird_established rtr node3
check "IPv6 session never Established" not bird_established rtr node3_6
check "no route from node3" no_route "$RIB" '*' 192.0.2.13

scenario "ASN mismatch: BGPPeer.peerASN is not the router's AS"
check_holds 6 "IPv4 session never Established" not bird_established rtr node4
check "IPv6 session never Established" not bird_established rtr node4_6
check_within 10 "the speaker refused BIRD's OPEN with NOTIFICATION Bad Peer AS (BIRD last error)" \
	eval 'bird_last_error rtr node4 | grep -qi "received: bad peer as"'
check "the same on IPv6" eval 'bird_last_error rtr node4_6 | grep -qi "received: bad peer as"'
check "the speaker logs a clear line (ASN mismatch / Bad Peer AS)" \
	grep -qiE 'asn mismatch|bad peer as' "$(speaker_log s4)"

scenario "ASN mismatch: the router expects another AS than myASN"
check_holds 3 "IPv4 session never Established" not bird_established rtr node5
check "IPv6 session never Established" not bird_established rtr node5_6
check "BIRD refused the speaker's OPEN (BIRD last error: Bad peer AS)" \
	eval 'bird_last_error rtr node5 | grep -qi "bad peer as"'
check_within 5 "the speaker logs a clear line (ASN mismatch / Bad Peer AS)" \
	grep -qiE 'asn mismatch|bad peer as' "$(speaker_log s5)"
scenario "dynamicASN"
check_within 20 "dynamicASN external: Established with the router's AS 64500" bird_established rtr node6
check_within 10 "198.51.100.16/32 via 192.0.2.16 arrives" has_route "$RIB" 198.51.100.16/32 192.0.2.16 '*' 64500:100
check_holds 4 "dynamicASN internal toward an external router: never Established" not bird_established rtr node7
check "the speaker refused it: ASN mismatch logged" grep -qi 'asn mismatch.*dynamicASN internal' "$(speaker_log s7)"

log "speaker s4: $(grep -iE 'asn mismatch|bad peer as' "$(speaker_log s4)" | head -n 1)"
log "speaker s5: $(grep -iE 'asn mismatch|bad peer as' "$(speaker_log s5)" | head -n 1)"

e2e_finish
