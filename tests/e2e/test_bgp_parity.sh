#!/bin/sh
# MetalLB API parity (issue 16): the BGP fields MetalLB added last, against real routers.
# BIRD 2 (rtr, 192.0.2.1) and FRR 8.4 bgpd (frr, 192.0.2.2), one speaker per node:
#   node1  -> BIRD, eBGP: myASN 64512, localASN 64520 toward AS 64500. BIRD sees AS 64520
#          in the OPEN and AS path "64520" alone. Two BGPAdvertisements with serviceSelectors
#          (tier web / tier db) give their Services different communities; a third Service
#          (tier cache) is selected by neither and is not announced.
#   node2  -> BIRD, iBGP by localASN: myASN 64512, localASN 64501 = peerASN 64501: empty AS
#          path and the advertisement's localPref (sent over iBGP only).
#   node3..node6 -> FRR over IPv4, FRR activates both families: the families negotiated per
#          session follow MetalLB's FRR mode: default -> IPv4 only; disableMP (deprecated, no
#          effect) -> IPv4 only; dualStackAddressFamily -> IPv4 and IPv6 (the IPv6 VIP arrives
#          over the IPv4 session); both -> IPv4 and IPv6.
#   node7  -> FRR over IPv6 (default: IPv6 only), and over IPv4 with localASN 64530: FRR sees
#          remote AS 64530 and AS path "64530".
# Every configuration passes vipcast-controller --check without an unknown field.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
e2e_init bgp_parity "$1" bird birdc /usr/lib/frr/bgpd vtysh

ns_add rtr frr n1 n2 n3 n4 n5 n6 n7
lan_add lan
lan_attach lan rtr eth0 192.0.2.1/24 2001:db8:1::1/64
lan_attach lan frr eth0 192.0.2.2/24 2001:db8:1::2/64
for i in 1 2 3 4 5 6 7; do lan_attach lan n$i eth0 192.0.2.1$i/24 2001:db8:1::1$i/64; done

# ---- BIRD
{
	bird_head 192.0.2.1
	cat <<EOF
protocol bgp node1 {
	local 192.0.2.1 as 64500; neighbor 192.0.2.11 as 64520; direct;
	hold time 6; keepalive time 2; connect delay time 1; connect retry time 1; error wait time 1, 2;
	ipv4 { import all; export none; };
}
protocol bgp node2 {
	local 192.0.2.1 as 64501; neighbor 192.0.2.12 as 64501; direct;
	hold time 6; keepalive time 2; connect delay time 1; connect retry time 1; error wait time 1, 2;
	ipv4 { import all; export none; };
}
EOF
} >"$E2E_TMP/bird.conf"

# ---- FRR: every neighbor with both families activated
frr_nb() { printf ' neighbor %s remote-as %s\n neighbor %s timers 2 6\n neighbor %s timers connect 1\n' "$1" "$2" "$1" "$1"; }
FRR_NBS="192.0.2.13 192.0.2.14 192.0.2.15 192.0.2.16 2001:db8:1::17 192.0.2.17"
{
	printf 'hostname frr\nlog file %s/frr/bgpd.log debugging\nrouter bgp 64500\n bgp router-id 192.0.2.2\n' "$E2E_TMP"
	printf ' no bgp ebgp-requires-policy\n no bgp default ipv4-unicast\n no bgp network import-check\n'
	for a in 192.0.2.13 192.0.2.14 192.0.2.15 192.0.2.16 2001:db8:1::17; do frr_nb $a 64512; done
	frr_nb 192.0.2.17 64530
	for af in ipv4 ipv6; do
		printf ' address-family %s unicast\n' $af
		for a in $FRR_NBS; do printf '  neighbor %s activate\n' "$a"; done
		printf ' exit-address-family\n'
	done
} >"$E2E_TMP/frr.conf"
mkdir -p "$E2E_TMP/frr"

# frr_families NEIGHBOR -> the families negotiated on that session (both sides offered), sorted
frr_families() {
	frr_vtysh frr "show bgp neighbors $1 json" 2>/dev/null | $E2E_PY -c '
import json, sys
try:
    mp = json.load(sys.stdin)[sys.argv[1]]["neighborCapabilities"]["multiprotocolExtensions"]
    print(" ".join(sorted(k for k, v in mp.items() if v.get("advertisedAndReceived"))))
except Exception:
    print("unknown")' "$1"
}
families_are() { local got; got=$(frr_families "$1"); [ "$got" = "$2" ] || { log "$1: families \"$got\""; return 1; }; }
frr_remote_as() {
	frr_vtysh frr "show bgp neighbors $1 json" 2>/dev/null |
		$E2E_PY -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]].get("remoteAs", ""))' "$1" 2>/dev/null
}

# ---- speaker configurations
# svc_tier NAME VIP TIER NODE -> a Service labelled tier=TIER, with a ready endpoint on NODE
svc_tier() {
	cfg_service "$1" "$2" Cluster "$4" | sed "0,/^  namespace: default\$/s//  namespace: default\n  labels:\n    tier: $3/"
}
# check_cfg DIR -> --check accepts it, and knows every field written
check_cfg() {
	cfg_check "$1"
	! grep -i 'unknown field' "$E2E_TMP/check.out" >&2 || die "$1: vipcast --check reports an unknown field"
}
mknode() {  # N -> the node, the pool
	local C="$E2E_TMP/config$1"
	mkdir -p "$C"
	cfg_node "node$1" "192.0.2.1$1" "2001:db8:1::1$1" | cfg_write "$C" nodes.yaml
	cfg_pool vips 198.51.100.0/24 2001:db8:100::/120 | cfg_write "$C" pool.yaml
}

mknode 1
C="$E2E_TMP/config1"
cfg_peer rtr 64512 64500 192.0.2.1 connectTime=1s localASN=64520 | cfg_write "$C" peer.yaml
{
	cfg_adv web pools=vips communities=64500:1 serviceSelectors='[{matchLabels: {tier: web}}]'
	cfg_adv db pools=vips communities=64500:2 \
		serviceSelectors='[{matchExpressions: [{key: tier, operator: In, values: [db]}]}]'
} | cfg_write "$C" adv.yaml
{
	svc_tier web 198.51.100.11 web node1
	svc_tier db 198.51.100.12 db node1
	svc_tier cache 198.51.100.13 cache node1
} | cfg_write "$C" svc.yaml
check_cfg "$C"

mknode 2
C="$E2E_TMP/config2"
cfg_peer rtr 64512 64501 192.0.2.1 connectTime=1s localASN=64501 | cfg_write "$C" peer.yaml
cfg_adv all pools=vips localPref=150 communities=64500:3 | cfg_write "$C" adv.yaml
cfg_service web 198.51.100.21 Cluster node2 | cfg_write "$C" svc.yaml
check_cfg "$C"

fam_node() {  # N [PEER FIELDS...] -> a node peering with FRR over IPv4, IPv4 and IPv6 VIPs
	local n=$1 C="$E2E_TMP/config$1"
	shift
	mknode "$n"
	cfg_peer frr 64512 64500 192.0.2.2 connectTime=1s "$@" | cfg_write "$C" peer.yaml
	cfg_adv all pools=vips | cfg_write "$C" adv.yaml
	{
		cfg_service web "198.51.100.$((30 + n))" Cluster "node$n"
		cfg_service web6 "2001:db8:100::$((30 + n))" Cluster "node$n"
	} | cfg_write "$C" svc.yaml
	check_cfg "$C"
}
fam_node 3
fam_node 4 disableMP=true
grep -q 'spec.disableMP is deprecated' "$E2E_TMP/check.out" || die "--check does not say disableMP has no effect"
fam_node 5 dualStackAddressFamily=true
fam_node 6 disableMP=true dualStackAddressFamily=true

mknode 7
C="$E2E_TMP/config7"
{
	cfg_peer frr6 64512 64500 2001:db8:1::2 connectTime=1s
	cfg_peer frr4 64512 64500 192.0.2.2 connectTime=1s localASN=64530
} | cfg_write "$C" peer.yaml
cfg_adv all pools=vips | cfg_write "$C" adv.yaml
{
	cfg_service web 198.51.100.37 Cluster node7
	cfg_service web6 2001:db8:100::37 Cluster node7
} | cfg_write "$C" svc.yaml
check_cfg "$C"

start_bird rtr rtr "$E2E_TMP/bird.conf"
start_frr frr frr "$E2E_TMP/frr.conf"
for i in 1 2 3 4 5 6 7; do start_speaker s$i n$i "$E2E_TMP/config$i" node$i; done
RIB="bird_rib rtr"
F4="frr_rib frr ipv4"
F6="frr_rib frr ipv6"

scenario "localASN toward BIRD (eBGP)"
check_within 20 "Established: BIRD expects AS 64520, the speaker's myASN is 64512" bird_established rtr node1
check "BIRD sees neighbor AS 64520 in the OPEN" test "$(bird_neighbor rtr node1 'Neighbor AS')" = 64520
check_within 10 "198.51.100.11/32 arrives with AS path 64520 alone" \
	has_route "$RIB" 198.51.100.11/32 192.0.2.11 '*' 64500:1 - 64520

scenario "serviceSelectors: two advertisements choosing different Services"
check "tier web: community 64500:1 only" has_route "$RIB" 198.51.100.11/32 192.0.2.11 '*' 64500:1
check_within 10 "tier db: community 64500:2 only" has_route "$RIB" 198.51.100.12/32 192.0.2.11 '*' 64500:2 - 64520
check_holds 3 "tier cache: selected by neither advertisement, not announced" no_route "$RIB" 198.51.100.13/32

scenario "localASN toward BIRD: iBGP decided by localASN"
check_within 20 "Established: myASN 64512, localASN 64501 = the router's AS" bird_established rtr node2
check "BIRD sees neighbor AS 64501 (an internal peer)" test "$(bird_neighbor rtr node2 'Neighbor AS')" = 64501
check_within 10 "198.51.100.21/32 arrives with an empty AS path and localPref 150 (iBGP)" \
	has_route "$RIB" 198.51.100.21/32 192.0.2.12 150 64500:3 - -

scenario "families per session against FRR (MetalLB's FRR mode)"
for a in 192.0.2.13 192.0.2.14 192.0.2.15 192.0.2.16 2001:db8:1::17; do
	check_within 20 "FRR: $a Established" frr_established frr $a
done
check "default: IPv4 only" families_are 192.0.2.13 ipv4Unicast
check "disableMP: IPv4 only (deprecated, no effect)" families_are 192.0.2.14 ipv4Unicast
check "dualStackAddressFamily: IPv4 and IPv6" families_are 192.0.2.15 "ipv4Unicast ipv6Unicast"
check "disableMP and dualStackAddressFamily: IPv4 and IPv6" families_are 192.0.2.16 "ipv4Unicast ipv6Unicast"
check "IPv6 session, default: IPv6 only" families_are 2001:db8:1::17 ipv6Unicast
check_within 10 "dualStackAddressFamily: the IPv6 VIP arrives over the IPv4 session, next hop 2001:db8:1::15" \
	has_route "$F6" 2001:db8:100::35/128 2001:db8:1::15
check "default: no IPv6 VIP over the IPv4 session" no_route "$F6" 2001:db8:100::33/128
check "disableMP alone: no IPv6 VIP over the IPv4 session" no_route "$F6" 2001:db8:100::34/128

scenario "localASN toward FRR"
check_within 20 "Established: FRR expects remote-as 64530, the speaker's myASN is 64512" frr_established frr 192.0.2.17
check "FRR sees remote AS 64530 in the OPEN" test "$(frr_remote_as 192.0.2.17)" = 64530
check_within 10 "198.51.100.37/32 arrives from 192.0.2.17 with AS path 64530 alone" \
	has_route "$F4" 198.51.100.37/32 192.0.2.17 '*' '*' '*' 64530

e2e_finish
