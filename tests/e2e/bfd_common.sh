# shellcheck shell=bash
# Helpers for the BFD end-to-end tests (sourced after lib.sh).

# cfg_bfd_profile NAME RX_MS TX_MS MULT [FIELD=VALUE...] -> a BFDProfile
cfg_bfd_profile() {
	local kv
	printf -- '---\napiVersion: metallb.io/v1beta1\nkind: BFDProfile\nmetadata:\n  name: %s\n  namespace: metallb-system\nspec:\n  receiveInterval: %s\n  transmitInterval: %s\n  detectMultiplier: %s\n' \
		"$1" "$2" "$3" "$4"
	shift 4
	for kv in "$@"; do printf '  %s: %s\n' "${kv%%=*}" "${kv#*=}"; done
}

# bfd_block SHORT -> drops BFD (UDP to 3784 and 4784, IPv4 and IPv6) in and out of namespace
# SHORT with blackhole policy routing rules, leaving BGP's TCP alone. The local table's rule
# moves behind them (pref 0 -> 100) so that they also catch what is addressed to SHORT.
bfd_block() {
	local n f port
	n=$(ns "$1")
	for f in -4 -6; do
		if ip -n "$n" "$f" rule show pref 0 | grep -q 'lookup local'; then
			ip -n "$n" "$f" rule add pref 100 lookup local || die "ip rule local"
			ip -n "$n" "$f" rule del pref 0 || die "ip rule del"
		fi
		for port in 3784 4784; do
			ip -n "$n" "$f" rule add pref 10 ipproto udp dport "$port" blackhole || die "ip rule"
		done
	done
}
bfd_unblock() {
	local f port
	for f in -4 -6; do
		for port in 3784 4784; do ip -n "$(ns "$1")" "$f" rule del pref 10 ipproto udp dport "$port" blackhole; done
	done
}

# ctl_json SPEAKER -> vipcastctl -o json status
ctl_json() { "$BUILD/vipcastctl" --socket "$E2E_TMP/$1.sock" -o json status 2>/dev/null; }

# ctl_peer_state SPEAKER LIST PEERADDR -> the "state" of PEERADDR's entry in the LIST ("bfd" or
# "sessions") of the speaker's vipcastctl status, or none
ctl_peer_state() {
	ctl_json "$1" | $E2E_PY -c '
import json, sys
try:
    d = json.load(sys.stdin)["data"]
    print(next((b["state"] for b in d[sys.argv[1]] if b["address"] == sys.argv[2]), "none"))
except Exception:
    print("none")' "$2" "$3"
}

# speaker_bfd_state SPEAKER PEERADDR -> the speaker's BFD state for that peer (Up, Down, Init, AdminDown, none)
speaker_bfd_state() { ctl_peer_state "$1" bfd "$2"; }
speaker_bfd_up() { [ "$(speaker_bfd_state "$1" "$2")" = Up ]; }

# speaker_bgp_state SPEAKER PEERADDR -> the speaker's BGP session state for that peer
speaker_bgp_state() { ctl_peer_state "$1" sessions "$2"; }
speaker_bgp_established() { [ "$(speaker_bgp_state "$1" "$2")" = Established ]; }

# speaker_sent_bfd_down SPEAKER PEERADDR -> the last NOTIFICATION the speaker sent that peer is
# Cease / BFD Down (6/10, RFC 9384)
speaker_sent_bfd_down() {
	ctl_json "$1" | $E2E_PY -c '
import json, sys
d = json.load(sys.stdin)["data"]
s = [s for s in d["sessions"] if s["address"] == sys.argv[1]]
n = s and s[0]["last_notification_sent"]
sys.exit(0 if n and n["code"] == 6 and n["subcode"] == 10 else 1)' "$2"
}

# speaker_metric SPEAKER METRIC PEERADDR -> its value from the speaker's /metrics (started with
# --metrics-address 127.0.0.1:7472); 0 when absent
speaker_metric() {
	local port=7472
	nsx "${E2E_NSOF[$1]}" $E2E_PY -c '
import sys, urllib.request
t = urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=3).read().decode()
v = 0
for l in t.splitlines():
    if l.startswith(sys.argv[2] + "{") and ("peer=\"%s\"" % sys.argv[3]) in l:
        v = float(l.rsplit(" ", 1)[1])
print(int(v))' "$port" "$2" "$3"
}

# start_frr_bfd NAME SHORT BGPD_CONF BFDD_CONF -> FRR zebra, bfdd and bgpd in namespace SHORT
# (bgpd reaches bfdd through zebra). They run as user frr (privileges dropped by FRR), from
# $E2E_TMP/NAME owned by frr; bgpd is registered as NAME (kind frr: frr_vtysh works), the
# others as NAME-zebra and NAME-bfdd.
start_frr_bfd() {
	local name=$1 s=$2 d="$E2E_TMP/$1" dm
	mkdir -p "$d"
	cp "$3" "$d/bgpd.conf"
	cp "$4" "$d/bfdd.conf"
	printf 'hostname %s\n' "$name" >"$d/zebra.conf"
	chown -R frr:frr "$d"
	chmod 755 "$d"
	for dm in zebra bfdd bgpd; do
		local extra=()
		[ "$dm" = bfdd ] && extra=(--bfdctl "$d/bfdd.sock")
		ip netns exec "$(ns "$s")" "/usr/lib/frr/$dm" -f "$d/$dm.conf" -i "$d/$dm.pid" -z "$d/zserv.api" \
			--vty_socket "$d" -A 127.0.0.1 -P 0 "${extra[@]}" >>"$d/$dm.log" 2>&1 &
		if [ "$dm" = bgpd ]; then track "$name" $! frr "$s"; else track "$name-$dm" $! frrd "$s"; fi
		disown $!
		wait_until 10 vtysh --vty_socket "$d" -d "$dm" -c 'show version' ||
			{ tail -n 20 "$d/$dm.log" >&2; die "FRR $dm of $name did not start"; }
	done
	log "FRR $name (zebra, bfdd, bgpd) running in $s (bgpd pid $(pid_of "$name"))"
}

# frr_bfd_state NAME PEERADDR -> bfdd's status for that peer (up, down, init, none)
frr_bfd_state() {
	vtysh --vty_socket "$E2E_TMP/$1" -d bfdd -c 'show bfd peers json' 2>/dev/null | $E2E_PY -c '
import json, sys
try:
    print(next((p["status"] for p in json.load(sys.stdin) if p["peer"] == sys.argv[1]), "none"))
except Exception:
    print("none")' "$2"
}
frr_bfd_up() { [ "$(frr_bfd_state "$1" "$2")" = up ]; }

# bfd_topology SH MH -> n1 (192.0.2.11) and router SH (192.0.2.2) on lan1, router MH (203.0.113.2)
# on lan2 behind mid, both families, checked by ping
bfd_topology() {
	ns_add mid n1 "$1" "$2"
	ns_forward mid
	lan_add lan1
	lan_add lan2
	lan_attach lan1 mid eth0 192.0.2.1/24 2001:db8:1::1/64
	lan_attach lan1 n1 eth0 192.0.2.11/24 2001:db8:1::11/64
	lan_attach lan1 "$1" eth0 192.0.2.2/24 2001:db8:1::2/64
	lan_attach lan2 mid eth1 203.0.113.1/24 2001:db8:2::1/64
	lan_attach lan2 "$2" eth0 203.0.113.2/24 2001:db8:2::2/64
	route_add n1 203.0.113.0/24 192.0.2.1
	route_add n1 2001:db8:2::/64 2001:db8:1::1
	route_add "$2" 192.0.2.0/24 203.0.113.1
	route_add "$2" 2001:db8:1::/64 2001:db8:2::1
	nsx n1 ping -c 1 -W 2 203.0.113.2 >/dev/null || die "no IPv4 path n1 -> $2"
	nsx n1 ping -c 1 -W 2 2001:db8:2::2 >/dev/null || die "no IPv6 path n1 -> $2"
}

# bfd_config [MINTTL] -> the speaker's configuration in $E2E_TMP/config (C): node1, the VIPs of
# web and web6, the four BGPPeers (hold time 90 s) with profile 100 ms x 3; the multihop
# peers' profile with minimumTtl MINTTL when given
bfd_config() {
	C=$E2E_TMP/config
	mkdir -p "$C"
	local mh=fast T="holdTime=90s keepaliveTime=30s connectTime=1s"
	[ -n "${1:-}" ] && mh=fastmh
	{
		cfg_node node1 192.0.2.11 2001:db8:1::11
		cfg_pool vips 198.51.100.0/24 2001:db8:100::/120
		cfg_adv adv pools=vips
		cfg_bfd_profile fast 100 100 3
		[ -n "${1:-}" ] && cfg_bfd_profile fastmh 100 100 3 minimumTtl="$1"
		cfg_service web 198.51.100.10 Cluster node1
		cfg_service web6 2001:db8:100::10 Cluster node1
	} | cfg_write "$C" base.yaml
	# shellcheck disable=SC2086
	{
		cfg_peer sh4 64512 64500 192.0.2.2 $T bfdProfile=fast
		cfg_peer sh6 64512 64500 2001:db8:1::2 $T bfdProfile=fast
		cfg_peer mh4 64512 64500 203.0.113.2 $T ebgpMultiHop=true bfdProfile=$mh
		cfg_peer mh6 64512 64500 2001:db8:2::2 $T ebgpMultiHop=true bfdProfile=$mh
	} | cfg_write "$C" peers.yaml
	cfg_check "$C"
}

# The speaker's four BGPPeers (single hop and multihop, IPv4 and IPv6) in both BFD tests.
PEERS="192.0.2.2 2001:db8:1::2 203.0.113.2 2001:db8:2::2"
all_bfd_up() { local p; for p in $PEERS; do speaker_bfd_up s1 "$p" || return 1; done; }
all_sent_bfd_down() { local p; for p in $PEERS; do speaker_sent_bfd_down s1 "$p" || return 1; done; }
# none_established -> no session Established, as the speaker and the routers see it
# (the test defines routers_none_established)
none_established() {
	local p
	for p in $PEERS; do [ "$(speaker_bgp_state s1 "$p")" != Established ] || return 1; done
	routers_none_established
}
# bfd_before_bgp PEER -> in the speaker's log, after BFD went Down, "BFD is Up: connecting"
# comes before the session is Established again
bfd_before_bgp() {
	awk -v a="$1" '
		index($0, "bfd " a ":") && / -> Down/ { down = 1 }
		down && index($0, "bgp " a ":") && /BFD is Up: connecting/ && !up { up = NR }
		down && index($0, "bgp " a ":") && /-> Established/ && !est { est = NR }
		END { exit !(up && est && up < est) }' "$(speaker_log s1)"
}

# bfd_scenarios -> what both tests check once the routers' own BFD sessions are Up, with the
# test's all_established, all_routes, no_routes and routers_none_established
bfd_scenarios() {
	check_within 5 "the speaker's four BFD sessions Up" all_bfd_up
	check_within 20 "BGP Established on all four sessions" all_established
	check_within 10 "the VIP routes are at both routers" all_routes
	check "vipcastctl status shows the BFD table" sh -c \
		"'$BUILD/vipcastctl' --socket '$E2E_TMP/s1.sock' status | grep -q '^metallb-system/mh6 .* multihop *Up'"
	"$BUILD/vipcastctl" --socket "$E2E_TMP/s1.sock" status 2>&1 | sed -n '/^BFD sessions/,/^$/p' >&2
	check "metallb_bfd_session_up 1" test "$(speaker_metric s1 metallb_bfd_session_up 203.0.113.2)" = 1
	check "metallb_bfd_control_packet_input counts" test "$(speaker_metric s1 metallb_bfd_control_packet_input 192.0.2.2)" -gt 0
	check "metallb_bfd_control_packet_output counts" test "$(speaker_metric s1 metallb_bfd_control_packet_output 2001:db8:2::2)" -gt 0
	# a router may restart a session once as its BGP registers with its BFD (FRR does)
	check "metallb_bfd_session_up_events counts" test "$(speaker_metric s1 metallb_bfd_session_up_events 2001:db8:1::2)" -ge 1
	downs0=$(speaker_metric s1 metallb_bfd_session_down_events 192.0.2.2)

	scenario "BFD blocked: BGP goes down at once and stays down while TCP works"
	t0=$(now)
	bfd_block n1
	check_within 3 "the speaker sent Cease / BFD Down to all four peers" all_sent_bfd_down
	check_within 3 "the routers withdrew the VIP routes (hold time is 90 s)" no_routes
	log "routes withdrawn $(elapsed "$t0") s after BFD was blocked"
	check "metallb_bfd_session_down_events one more" test "$(speaker_metric s1 metallb_bfd_session_down_events 192.0.2.2)" = $((downs0 + 1))
	check "TCP to the routers still works" nsx n1 bash -c 'exec 3<>/dev/tcp/192.0.2.2/179 && exec 4<>/dev/tcp/203.0.113.2/179'
	check_holds 8 "no BGP session Established while BFD is down" none_established

	scenario "BFD back: BFD Up first, then BGP"
	bfd_unblock n1
	check_within 10 "the speaker's BFD sessions Up again" all_bfd_up
	check_within 20 "BGP Established again on all four" all_established
	check_within 10 "the VIP routes are back" all_routes
	for p in $PEERS; do check "$p: BFD Up before BGP Established (speaker log)" bfd_before_bgp "$p"; done

	scenario "the node's link cut: the routers withdraw within seconds"
	t0=$(now)
	ip -n "$(ns n1)" link set eth0 down
	check_within 6 "both routers withdrew the VIP routes" no_routes
	log "routes withdrawn $(elapsed "$t0") s after the link was cut"
	ip -n "$(ns n1)" link set eth0 up
	# IPv6 addresses go with the link (keep_addr_on_down is 0); IPv4 routes via the link too
	ip -n "$(ns n1)" addr replace 2001:db8:1::11/64 dev eth0 nodad
	wait_until 5 ip -n "$(ns n1)" route replace 203.0.113.0/24 via 192.0.2.1 || die "IPv4 route back"
	wait_until 5 ip -n "$(ns n1)" route replace 2001:db8:2::/64 via 2001:db8:1::1 || die "IPv6 route back"
	check_within 30 "routes back after the link came up" all_routes
}
