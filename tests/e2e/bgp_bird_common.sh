# shellcheck shell=bash
# The iBGP scenario list against BIRD 2 (the reference router), for one address
# family. Sourced by test_bgp_bird.sh (IPv4) and test_bgp_bird_v6.sh (IPv6).
#
#   LAN (bridge) -- rtr: BIRD, AS 64512, one iBGP protocol per node
#                -- n1: vipcast-speaker --node node1
#                -- n2: vipcast-speaker --node node2
# Both speakers read the same configuration directory, which the test edits.
# Every assertion reads BIRD's own table (birdc show route all) or BIRD's own
# protocol state; the speakers' logs are only shown when something fails.

bird_ibgp_suite() {
	local fam=$1 A P RTR N1 N2 POOL VWEB VLOC VNOEP VAUTO L ip4 ip6 C
	if [ "$fam" = 6 ]; then
		RTR=2001:db8:1::1 N1=2001:db8:1::11 N2=2001:db8:1::12
		POOL=2001:db8:100::/120 L=128 A=ipv6 P=6
		VWEB=2001:db8:100::10 VLOC=2001:db8:100::11 VNOEP=2001:db8:100::12
	else
		RTR=192.0.2.1 N1=192.0.2.11 N2=192.0.2.12
		POOL=198.51.100.0/24 L=32 A=ipv4 P=4
		VWEB=198.51.100.10 VLOC=198.51.100.11 VNOEP=198.51.100.12
	fi

	ns_add rtr n1 n2
	lan_add lan
	lan_attach lan rtr eth0 192.0.2.1/24 2001:db8:1::1/64
	lan_attach lan n1 eth0 192.0.2.11/24 2001:db8:1::11/64
	lan_attach lan n2 eth0 192.0.2.12/24 2001:db8:1::12/64

	# ---- BIRD: the router
	{
		bird_head 192.0.2.1
		for n in 1 2; do
			ip=$N1
			[ $n = 2 ] && ip=$N2
			cat <<EOF
protocol bgp node$n {
	local $RTR as 64512;
	neighbor $ip as 64512;
	direct;
	hold time 6; keepalive time 2;
	connect delay time 1; connect retry time 1; error wait time 1, 2;
	$A { import all; export none; };
}
EOF
		done
	} >"$E2E_TMP/bird.conf"

	# ---- vipcast configuration
	C=$E2E_TMP/config
	mkdir -p "$C"
	nodes_yaml() {  # [LABELS for node2...] ; node1 options via N1OPTS
		# shellcheck disable=SC2086
		{ cfg_node node1 192.0.2.11 2001:db8:1::11 ${N1OPTS:-}; cfg_node node2 192.0.2.12 2001:db8:1::12 "$@"; } |
			cfg_write "$C" nodes.yaml
	}
	nodes_yaml
	cfg_pool vips "$POOL" | cfg_write "$C" pool.yaml
	# connectTime left at its default on purpose: defaults must survive reloads too
	cfg_peer rtr 64512 64512 "$RTR" | cfg_write "$C" peer.yaml
	{
		cat <<EOF
---
apiVersion: metallb.io/v1beta1
kind: Community
metadata:
  name: communities
  namespace: metallb-system
spec:
  communities:
    - name: vip-tag
      value: "64500:300"
EOF
		cfg_adv adv pools=vips localPref=200 communities=64500:100,vip-tag,no-export,large:64500:1:2
	} | cfg_write "$C" adv.yaml
	# The expected attributes (iBGP: local-pref sent; empty AS path)
	local ATTRS="200 64500:100,64500:300,65535:65281 64500:1:2 -"
	cfg_service web "$VWEB" Cluster node1,node2 | cfg_write "$C" svc-web.yaml
	cfg_service local "$VLOC" Local node1 | cfg_write "$C" svc-local.yaml
	cfg_service noep "$VNOEP" Cluster - | cfg_write "$C" svc-noep.yaml
	cfg_service auto "$([ "$fam" = 6 ] && echo -6 || echo -)" Cluster node2 | cfg_write "$C" svc-auto.yaml
	cfg_check "$C"
	VAUTO=$(dry_run_ip "$C" default/auto)
	[ -n "$VAUTO" ] || die "the controller gives Service auto no address"
	log "Service auto gets $VAUTO from the allocator (vipcast-controller --dry-run)"

	start_bird rtr rtr "$E2E_TMP/bird.conf"
	start_speaker s1 n1 "$C" node1
	start_speaker s2 n2 "$C" node2
	local RIB="bird_rib rtr"

	scenario "IPv$P iBGP session"
	require_within 20 "BIRD has node1 Established" bird_established rtr node1
	check_within 20 "BIRD has node2 Established" bird_established rtr node2
	check "node1's router ID defaults to its InternalIP (BIRD: Neighbor ID 192.0.2.11)" \
		test "$(bird_neighbor rtr node1 'Neighbor ID')" = 192.0.2.11
	check "the negotiated hold time is the BGPPeer's 6 s (BIRD: Hold timer .../6)" \
		eval 'bird_neighbor rtr node1 "Hold timer" | grep -q "/6$"'

	local since0
	since0=$(bird_since rtr node1)

	scenario "IPv$P VIPs arrive with next hop, local-pref and communities"
	check_within 15 "$VWEB/$L from node1: $N1 $ATTRS" has_route "$RIB" "$VWEB/$L" "$N1" $ATTRS
	check_within 10 "$VWEB/$L from node2: $N2 $ATTRS" has_route "$RIB" "$VWEB/$L" "$N2" $ATTRS
	check "$VWEB/$L has exactly the two paths" paths_are "$RIB" "$VWEB/$L" "$N1" "$N2"
	check_within 10 "ETP Local $VLOC/$L only from node1 (the node with the endpoint)" \
		paths_are "$RIB" "$VLOC/$L" "$N1"
	check "ETP Local $VLOC/$L carries the attributes" has_route "$RIB" "$VLOC/$L" "$N1" $ATTRS
	check_within 10 "allocated Service auto: $VAUTO/$L from both nodes (ETP Cluster)" \
		paths_are "$RIB" "$VAUTO/$L" "$N1" "$N2"
	check_holds 3 "Service noep (no ready endpoint) is not announced" no_route "$RIB" "$VNOEP/$L"

	scenario "IPv$P withdrawal when a Service is deleted (rm its file)"
	local since1
	since1=$(bird_since rtr node1)
	cfg_rm "$C" svc-web.yaml
	check_within 10 "$VWEB/$L withdrawn by both nodes" no_route "$RIB" "$VWEB/$L"
	check "the other VIPs stay" paths_are "$RIB" "$VAUTO/$L" "$N1" "$N2"
	check "the session stayed up across the reload (BIRD: same Since)" \
		test "$(bird_since rtr node1)" = "$since1"
	cfg_service web "$VWEB" Cluster node1,node2 | cfg_write "$C" svc-web.yaml
	check_within 10 "re-created: $VWEB/$L back from both nodes" paths_are "$RIB" "$VWEB/$L" "$N1" "$N2"

	scenario "IPv$P ETP Local follows the endpoints"
	cfg_service local "$VLOC" Local node2 | cfg_write "$C" svc-local.yaml
	check_within 10 "endpoint moved node1 -> node2: $VLOC/$L next hop moves to $N2" \
		paths_are "$RIB" "$VLOC/$L" "$N2"
	check "with the attributes" has_route "$RIB" "$VLOC/$L" "$N2" $ATTRS
	cfg_service local "$VLOC" Local node1,node2 | cfg_write "$C" svc-local.yaml
	check_within 10 "endpoints on both nodes: two paths" paths_are "$RIB" "$VLOC/$L" "$N1" "$N2"
	cfg_service local "$VLOC" Local node1,node2 | sed 's/ready: true/ready: false/' | cfg_write "$C" svc-local.yaml
	check_within 10 "no ready endpoint any more: $VLOC/$L withdrawn" no_route "$RIB" "$VLOC/$L"
	cfg_service local "$VLOC" Local node2 | cfg_write "$C" svc-local.yaml
	check_within 10 "ready again on node2" paths_are "$RIB" "$VLOC/$L" "$N2"

	scenario "IPv$P reload on SIGHUP"
	# Rewrite svc-noep.yaml through a descriptor that stays open: no IN_CLOSE_WRITE
	# or rename, so inotify has nothing to report; only SIGHUP makes node1 read it.
	exec 9>"$C/svc-noep.yaml"
	cfg_service noep "$VNOEP" Cluster node1 >&9
	if holds_for 2 no_route "$RIB" "$VNOEP/$L"; then
		signal_proc s1 HUP
		check_within 5 "SIGHUP to node1: it re-reads the directory and announces $VNOEP/$L (now with a ready endpoint)" \
			paths_are "$RIB" "$VNOEP/$L" "$N1"
		exec 9>&-
		check_within 5 "the file closed (inotify): node2 announces it as well" paths_are "$RIB" "$VNOEP/$L" "$N1" "$N2"
	else
		exec 9>&-
		log "SIGHUP not tested: the speaker re-read the file before it was closed (watches IN_MODIFY?)"
	fi
	cfg_service noep "$VNOEP" Cluster - | cfg_write "$C" svc-noep.yaml
	check_within 10 "$VNOEP/$L withdrawn again (no endpoint)" no_route "$RIB" "$VNOEP/$L"

	scenario "IPv$P node label and condition changes"
	nodes_yaml node.kubernetes.io/exclude-from-external-load-balancers=
	check_within 10 "node2 labelled exclude-from-external-load-balancers: its paths go" \
		no_route "$RIB" '*' "$N2"
	check "node1's paths stay" paths_are "$RIB" "$VWEB/$L" "$N1"
	check "ETP Local $VLOC/$L (endpoint only on node2) is gone" no_route "$RIB" "$VLOC/$L"
	nodes_yaml
	check_within 10 "label removed: node2's paths come back" paths_are "$RIB" "$VWEB/$L" "$N1" "$N2"
	check "node1's session was never reset by the reloads so far (Service, EndpointSlice and Node edits, SIGHUP; BIRD: same Since)" \
		test "$(bird_since rtr node1)" = "$since0"
	N1OPTS=NetworkUnavailable=True nodes_yaml
	check_within 10 "node1 NetworkUnavailable: its paths go" no_route "$RIB" '*' "$N1"
	nodes_yaml
	check_within 10 "node1 available again: its paths come back" paths_are "$RIB" "$VWEB/$L" "$N1" "$N2"

	scenario "IPv$P peer restart and reconnect"
	crash rtr
	start_bird rtr rtr "$E2E_TMP/bird.conf"
	check_within 20 "BIRD restarted: node1 Established again" bird_established rtr node1
	check_within 20 "BIRD restarted: node2 Established again" bird_established rtr node2
	check_within 10 "routes back: $VWEB/$L from both" paths_are "$RIB" "$VWEB/$L" "$N1" "$N2"
	check_within 10 "routes back: $VLOC/$L from node2 with attributes" has_route "$RIB" "$VLOC/$L" "$N2" $ATTRS
	check_within 10 "routes back: $VAUTO/$L from both" paths_are "$RIB" "$VAUTO/$L" "$N1" "$N2"

	scenario "IPv$P hold timer expiry when the peer goes silent"
	wait_until 10 bird_established rtr node1
	local conn
	conn=$(speaker_sessions s1 "$RTR" | head -n 1)
	if [ -z "$conn" ]; then
		record fail "no established TCP connection from node1 to BIRD before freezing it"
	else
		log "node1's session: $conn; freezing BIRD (SIGSTOP)"
		freeze rtr
		local t0
		t0=$(now)
		check_holds 2 "the session lives on for a while (peer kernel still ACKs)" session_up s1 "$conn"
		# hold time 6 s, counted from the last message received (a keepalive <= 2 s
		# before the freeze): the speaker must close within 6 s of the freeze + 2 s slack
		if wait_until "$(awk -v e="$(elapsed "$t0")" 'BEGIN { printf "%.1f", 8 - e }')" not session_up s1 "$conn"; then
			record pass "node1 closed the silent session $(elapsed "$t0") s after the freeze (hold time 6 s)"
		else
			record fail "node1 still holds the silent session $(elapsed "$t0") s after the freeze (hold time 6 s)"
		fi
		thaw rtr
		check_within 25 "BIRD thawed: node1 Established again" bird_established rtr node1
		check_within 10 "routes back from both nodes" paths_are "$RIB" "$VWEB/$L" "$N1" "$N2"
	fi
}
