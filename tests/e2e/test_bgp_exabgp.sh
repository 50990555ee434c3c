#!/bin/sh
# vipcast-speaker against ExaBGP 4.2 (which dials and does not listen, so the
# speaker's listener takes the sessions), IPv4 and IPv6. ExaBGP hands every UPDATE
# it receives to peerrib.py as JSON: the assertions see the attributes as sent.
#   node1  iBGP (AS 64512): session, VIPs with next hop, local-pref and communities,
#          withdrawal when the Service's file is removed; then hold timer expiry:
#          ExaBGP is frozen (SIGSTOP) and the speaker must drop the session within
#          the hold time (its TCP connection, seen by the kernel, leaves ESTABLISHED)
#   node2  eBGP (AS 64512 -> 64500): AS path 64512, next hop, communities, and no
#          LOCAL_PREF on an eBGP session (RFC 4271 5.1.5) although the
#          BGPAdvertisement sets localPref
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
e2e_init exabgp "$1" exabgp

ns_add rtr n1 n2
lan_add lan
lan_attach lan rtr eth0 192.0.2.1/24 2001:db8:1::1/64
for i in 1 2; do lan_attach lan n$i eth0 192.0.2.1$i/24 2001:db8:1::1$i/64; done

exa_nb() {  # ADDR LOCALADDR LOCALAS PEERAS FAMILY
	cat <<EOF
neighbor $1 {
	router-id 192.0.2.1;
	local-address $2;
	local-as $3;
	peer-as $4;
	hold-time 6;
	family { $5 unicast; }
	api { processes [ rib ]; receive { parsed; update; } neighbor-changes; }
}
EOF
}
{
	exabgp_process rtr
	exa_nb 192.0.2.11 192.0.2.1 64512 64512 ipv4
	exa_nb 2001:db8:1::11 2001:db8:1::1 64512 64512 ipv6
	exa_nb 192.0.2.12 192.0.2.1 64500 64512 ipv4
	exa_nb 2001:db8:1::12 2001:db8:1::1 64500 64512 ipv6
} >"$E2E_TMP/exabgp.conf"

mkcfg() {  # N PEERAS
	local n=$1 C="$E2E_TMP/config$1"
	mkdir -p "$C"
	cfg_node "node$n" "192.0.2.1$n" "2001:db8:1::1$n" | cfg_write "$C" nodes.yaml
	cfg_pool vips 198.51.100.0/24 2001:db8:100::/120 | cfg_write "$C" pool.yaml
	{
		cfg_peer rtr4 64512 "$2" 192.0.2.1 connectTime=1s
		cfg_peer rtr6 64512 "$2" 2001:db8:1::1 connectTime=1s
	} | cfg_write "$C" peer.yaml
	cfg_adv adv pools=vips localPref=300 communities=64500:100,65535:65281,large:64500:1:2 |
		cfg_write "$C" adv.yaml
	cfg_service web "198.51.100.1$n" Cluster "node$n" | cfg_write "$C" svc-web.yaml
	cfg_service web6 "2001:db8:100::1$n" Cluster "node$n" | cfg_write "$C" svc-web6.yaml
	cfg_service other "198.51.100.2$n" Cluster "node$n" | cfg_write "$C" svc-other.yaml
	cfg_check "$C"
}
mkcfg 1 64512
mkcfg 2 64500

start_exabgp rtr rtr "$E2E_TMP/exabgp.conf"
for i in 1 2; do start_speaker s$i n$i "$E2E_TMP/config$i" node$i; done
RIB="exabgp_rib rtr"
CM="64500:100,65535:65281 64500:1:2"

scenario "iBGP sessions"
check_within 25 "IPv4 session up" exabgp_established rtr 192.0.2.11
check_within 25 "IPv6 session up" exabgp_established rtr 2001:db8:1::11

scenario "iBGP VIPs with next hop, local-pref and communities"
check_within 10 "198.51.100.11/32 192.0.2.11 300 $CM -" has_route "$RIB" 198.51.100.11/32 192.0.2.11 300 $CM -
check_within 10 "2001:db8:100::11/128 2001:db8:1::11 300 $CM -" has_route "$RIB" 2001:db8:100::11/128 2001:db8:1::11 300 $CM -
check_within 10 "198.51.100.21/32 as well" has_route "$RIB" 198.51.100.21/32 192.0.2.11 300

scenario "iBGP withdrawal"
ups=$(exabgp_ups rtr 192.0.2.11)
cfg_rm "$E2E_TMP/config1" svc-web.yaml
cfg_rm "$E2E_TMP/config1" svc-web6.yaml
check_within 10 "198.51.100.11/32 withdrawn" no_route "$RIB" 198.51.100.11/32
check_within 10 "2001:db8:100::11/128 withdrawn" no_route "$RIB" 2001:db8:100::11/128
check "198.51.100.21/32 stays" has_route "$RIB" 198.51.100.21/32 192.0.2.11 300
check "the IPv4 session stayed up (no new session at ExaBGP)" \
	eval '[ "$(exabgp_ups rtr 192.0.2.11)" = "$ups" ] && exabgp_established rtr 192.0.2.11'

scenario "eBGP"
check_within 25 "IPv4 session up (AS 64512 -> 64500)" exabgp_established rtr 192.0.2.12
check_within 25 "IPv6 session up" exabgp_established rtr 2001:db8:1::12
check_within 10 "198.51.100.12/32 via 192.0.2.12, AS path 64512, no LOCAL_PREF" \
	has_route "$RIB" 198.51.100.12/32 192.0.2.12 - $CM 64512
check_within 10 "2001:db8:100::12/128 via 2001:db8:1::12, AS path 64512, no LOCAL_PREF" \
	has_route "$RIB" 2001:db8:100::12/128 2001:db8:1::12 - $CM 64512

scenario "hold timer expiry when ExaBGP goes silent"
c1=$(speaker_sessions s1 192.0.2.1 | head -n 1)
c2=$(speaker_sessions s2 192.0.2.1 | head -n 1)
if [ -z "$c1" ] || [ -z "$c2" ]; then
	record fail "no established TCP connections to ExaBGP before the freeze (node1: '$c1', node2: '$c2')"
else
	ups1=$(exabgp_ups rtr 192.0.2.11)
	log "sessions: node1 $c1, node2 $c2; freezing ExaBGP (SIGSTOP)"
	freeze rtr
	t0=$(now)
	check_holds 2 "the sessions live on for a while (peer kernel still ACKs)" \
		eval 'session_up s1 "$c1" && session_up s2 "$c2"'
	if wait_until "$(awk -v e="$(elapsed "$t0")" 'BEGIN { printf "%.1f", 8 - e }')" \
		eval '! session_up s1 "$c1" && ! session_up s2 "$c2"'; then
		record pass "both speakers closed the silent sessions $(elapsed "$t0") s after the freeze (hold time 6 s)"
	else
		record fail "after $(elapsed "$t0") s (hold time 6 s): node1 $(session_up s1 "$c1" && echo still holds || echo closed) $c1, node2 $(session_up s2 "$c2" && echo still holds || echo closed) $c2"
	fi
	thaw rtr
	check_within 25 "ExaBGP thawed: a new IPv4 session with node1" \
		eval '[ "$(exabgp_ups rtr 192.0.2.11)" -gt "$ups1" ] && exabgp_established rtr 192.0.2.11'
	check_within 10 "198.51.100.21/32 announced again" has_route "$RIB" 198.51.100.21/32 192.0.2.11 300
fi

e2e_finish
