#!/bin/sh
# Unnumbered BGP (BGPPeer spec.interface, issue 16) against FRR 8.4 (zebra + bgpd):
#   frr  eth0 --- eth0 n1      a veth with IPv6 link-local addresses only
#   frr  eth1 --- eth0 cl      the client, 203.0.113.0/24 and 2001:db8:2::/64
# FRR: `neighbor eth0 interface remote-as external` with RAs on eth0 (zebra) and the
# extended next hop capability; the speaker's BGPPeer names interface eth0 and no
# address (dynamicASN external). The VIPs sit on n1's lo.
#  1. the session comes up to FRR's link-local address (found from its RAs), FRR
#     sees the node's link-local address as the neighbor;
#  2. FRR installs both VIPs via the node's link-local address, in its BGP table and
#     in the kernel (IPv4 with an IPv6 next hop, RFC 8950);
#  3. the client reaches both VIPs (ping);
#  4. link flap on the node: down -> the session ends and FRR withdraws the routes;
#     up -> the session, the routes and the client's traffic come back;
#  5. a global address on the node's link: both families go out with the global and
#     the link-local next hop (32 bytes), and FRR still forwards via the link-local one;
#  6. FRR restarts: each side finds the other again, routes and traffic come back.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
e2e_init bgp_unnumbered "$1" /usr/lib/frr/bgpd /usr/lib/frr/zebra vtysh ping

VIP4=198.51.100.10
VIP6=2001:db8:5::10

ns_add frr n1 cl
ns_forward frr
link_add frr eth0 - n1 eth0 -
link_add frr eth1 203.0.113.1/24,2001:db8:2::1/64 cl eth0 203.0.113.10/24,2001:db8:2::10/64
route_add cl default 203.0.113.1
ip -n "$(ns cl)" -6 route add default via 2001:db8:2::1 || die "client IPv6 route"
addr_add n1 lo "$VIP4/32" "$VIP6/128"

# lladdr SHORT IFNAME -> the interface's IPv6 link-local address
lladdr() { ip -n "$(ns "$1")" -6 -o addr show dev "$2" scope link | awk '{ sub(/\/.*/, "", $4); print $4; exit }'; }
wait_until 5 test -n "$(lladdr frr eth0)" || die "no link-local address on frr eth0"
wait_until 5 test -n "$(lladdr n1 eth0)" || die "no link-local address on n1 eth0"
FRR_LL=$(lladdr frr eth0)
N1_LL=$(lladdr n1 eth0)
log "link-local addresses: frr $FRR_LL, node $N1_LL"
# The node's way back to the client: through FRR's link-local address (an IPv4 route
# with an IPv6 gateway for IPv4).
ip -n "$(ns n1)" route add 203.0.113.0/24 via inet6 "$FRR_LL" dev eth0 || die "node IPv4 route back"
ip -n "$(ns n1)" -6 route add 2001:db8:2::/64 via "$FRR_LL" dev eth0 || die "node IPv6 route back"

# ---- FRR
FRR_DIR=$E2E_TMP/frr
mkdir -p "$FRR_DIR"
cat >"$FRR_DIR/zebra.conf" <<EOF
hostname frr
interface eth0
 ipv6 nd ra-interval 1
 no ipv6 nd suppress-ra
EOF
cat >"$FRR_DIR/bgpd.conf" <<EOF
hostname frr
log file $FRR_DIR/bgpd.log debugging
router bgp 64500
 bgp router-id 203.0.113.1
 no bgp ebgp-requires-policy
 neighbor eth0 interface remote-as external
 neighbor eth0 capability extended-nexthop
 neighbor eth0 timers 2 6
 neighbor eth0 timers connect 1
 address-family ipv4 unicast
  neighbor eth0 activate
 exit-address-family
 address-family ipv6 unicast
  neighbor eth0 activate
 exit-address-family
EOF
chown -R frr:frr "$FRR_DIR"
chmod 755 "$FRR_DIR"

# start_frr_pair -> zebra, then bgpd, as user frr (zebra sends the RAs and installs the routes)
start_frr_pair() {
	ip netns exec "$(ns frr)" /usr/lib/frr/zebra -f "$FRR_DIR/zebra.conf" -i "$FRR_DIR/zebra.pid" \
		-z "$FRR_DIR/zserv.api" --vty_socket "$FRR_DIR" -A 127.0.0.1 -P 0 -u frr -g frr >>"$FRR_DIR/zebra.out" 2>&1 &
	track frr-zebra $! zebra frr
	disown $!
	wait_until 10 test -S "$FRR_DIR/zserv.api" || { tail -n 20 "$FRR_DIR/zebra.out" >&2; die "zebra did not start"; }
	ip netns exec "$(ns frr)" /usr/lib/frr/bgpd -f "$FRR_DIR/bgpd.conf" -i "$FRR_DIR/bgpd.pid" \
		-z "$FRR_DIR/zserv.api" --vty_socket "$FRR_DIR" -A 127.0.0.1 -P 0 -u frr -g frr >>"$FRR_DIR/bgpd.out" 2>&1 &
	track frr $! frr frr
	disown $!
	wait_until 10 vtysh --vty_socket "$FRR_DIR" -d bgpd -c 'show version' ||
		{ tail -n 20 "$FRR_DIR/bgpd.out" >&2; die "FRR bgpd did not start"; }
	log "FRR zebra and bgpd running (pids $(pid_of frr-zebra) $(pid_of frr))"
}
start_frr_pair
frrv() { vtysh --vty_socket "$FRR_DIR" -d bgpd -c "$1"; }

# nb FIELD -> a field of FRR's neighbor eth0 (bgpState, hostLocal... see below)
nb() {
	frrv 'show bgp neighbors eth0 json' 2>/dev/null | $E2E_PY -c '
import json, sys
try:
    n = json.load(sys.stdin)["eth0"]
    f = sys.argv[1]
    if f == "remote":
        print(n.get("bgpConnection", ""), n.get("hostForeign", ""))
    elif f == "enhe":
        c = n["neighborCapabilities"].get("extendedNexthop", "")
        print(c)
    else:
        print(n.get(f, ""))
except Exception:
    print("unknown")' "$1"
}
frr_up() { [ "$(nb bgpState)" = Established ]; }
frr_down() { [ "$(nb bgpState)" != Established ]; }
# frr_path AFI PREFIX -> "NEXTHOP ..." of the best path in FRR's BGP table
frr_path() {
	frrv "show bgp $1 unicast $2 json" 2>/dev/null | $E2E_PY -c '
import json, sys
try:
    d = json.load(sys.stdin)
    for p in d.get("paths", []):
        print(" ".join(h.get("ip", "") for h in p.get("nexthops", [])))
        break
except Exception:
    pass'
}
# frr_via AFI PREFIX -> the path's next hops include the node's link-local address
frr_via() { frr_path "$1" "$2" | tr ' ' '\n' | grep -qxF "$N1_LL"; }
frr_path_is() { [ "$(frr_path "$1" "$2")" = "$3" ]; }
frr_none() { [ -z "$(frr_path "$1" "$2")" ]; }
# kernel_via PREFIX -> FRR's kernel routes PREFIX via the node's link-local address on eth0
kernel_via() { ip -n "$(ns frr)" route show "$1" 2>/dev/null | grep -q "via inet6 $N1_LL dev eth0"; }
kernel_via6() { ip -n "$(ns frr)" -6 route show "$1" 2>/dev/null | grep -q "via $N1_LL dev eth0"; }
kernel_none() { [ -z "$(ip -n "$(ns frr)" "$@" 2>/dev/null)" ]; }
ping4() { ip netns exec "$(ns cl)" ping -c 1 -W 1 "$VIP4"; }
ping6() { ip netns exec "$(ns cl)" ping -6 -c 1 -W 1 "$VIP6"; }

e2e_diag_extra() {
	echo "[frr] neighbor eth0:"
	frrv 'show bgp neighbors eth0' 2>&1 | head -n 40 | sed 's/^/    /'
	echo "[frr] kernel routes:"
	{ ip -n "$(ns frr)" route; ip -n "$(ns frr)" -6 route; } 2>&1 | sed 's/^/    /'
	echo "[n1] speaker status (unnumbered):"
	"$BUILD/vipcastctl" --socket "$E2E_TMP/n1.sock" status 2>&1 | head -n 30 | sed 's/^/    /'
}

# ---- the speaker
C=$E2E_TMP/cfg
mkdir -p "$C"
cfg_node node1 192.0.2.11 | cfg_write "$C" nodes.yaml
cfg_pool vips 198.51.100.0/24 2001:db8:5::/64 | cfg_write "$C" pool.yaml
cfg_write "$C" peer.yaml <<EOF
---
apiVersion: metallb.io/v1beta2
kind: BGPPeer
metadata:
  name: tor
  namespace: metallb-system
spec:
  myASN: 64512
  dynamicASN: external
  interface: eth0
  holdTime: 6s
  keepaliveTime: 2s
  connectTime: 1s
EOF
cfg_adv adv pools=vips | cfg_write "$C" adv.yaml
cfg_service v4 "$VIP4" Cluster node1 | cfg_write "$C" svc-v4.yaml
cfg_service v6 "$VIP6" Cluster node1 | cfg_write "$C" svc-v6.yaml
cfg_check "$C"
grep -q ': warning: ' "$E2E_TMP/check.out" && { cat "$E2E_TMP/check.out" >&2; die "the unnumbered BGPPeer draws a warning"; }
start_speaker n1 n1 "$C" node1

scenario "session over the link-local addresses"
require_within 30 "FRR's neighbor eth0 is Established" frr_up
check "FRR's neighbor is the node's link-local address" test "$(nb hostForeign)" = "$N1_LL"
check "FRR negotiated the extended next hop" $E2E_PY -c 'import sys; sys.exit(0 if sys.argv[1] not in ("", "unknown") else 1)' "$(nb enhe)"
check "vipcastctl status: eth0 up, peer $FRR_LL found" \
	sh -c "'$BUILD/vipcastctl' --socket '$E2E_TMP/n1.sock' status | grep -Eq '^eth0 +yes +$FRR_LL '"
check "the speaker's connection is to FRR's link-local address" wait_until 5 \
	sh -c "ip netns exec '$(ns n1)' ss -Htn state established | grep -qF '$FRR_LL'"

scenario "VIPs installed via the node's link-local address"
check_within 15 "FRR's BGP table: $VIP4/32 via $N1_LL alone (IPv4 over a link-local next hop)" frr_path_is ipv4 "$VIP4/32" "$N1_LL"
check_within 15 "FRR's BGP table: $VIP6/128 via $N1_LL alone" frr_path_is ipv6 "$VIP6/128" "$N1_LL"
check_within 10 "FRR's kernel: $VIP4 via inet6 $N1_LL dev eth0" kernel_via "$VIP4"
check_within 10 "FRR's kernel: $VIP6 via $N1_LL dev eth0" kernel_via6 "$VIP6"

scenario "client traffic"
check_within 10 "the client reaches $VIP4" ping4
check_within 10 "the client reaches $VIP6" ping6

scenario "link flap on the node"
t0=$(now)
ip -n "$(ns n1)" link set eth0 down
check_within 10 "FRR's session is down" frr_down
check_within 10 "FRR withdrew $VIP4" frr_none ipv4 "$VIP4/32"
check_within 10 "FRR's kernel has no route to $VIP4" kernel_none route show "$VIP4"
check_within 5 "the speaker forgot the peer" grep -q 'eth0: peer .* forgotten: the link went down' "$(speaker_log n1)"
check "the client no longer reaches $VIP4" not ping4
ip -n "$(ns n1)" link set eth0 up
t1=$(now)
# The kernel dropped the node's IPv4 route back to the client with the link (IPv6 ones stay).
ip -n "$(ns n1)" route replace 203.0.113.0/24 via inet6 "$FRR_LL" dev eth0 || die "node IPv4 route back"
ip -n "$(ns n1)" -6 route replace 2001:db8:2::/64 via "$FRR_LL" dev eth0 || die "node IPv6 route back"
check_within 30 "FRR's session is Established again" frr_up
log "session back $(elapsed "$t1") s after link up (down at +0, up at +$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s)"
check_within 15 "FRR's BGP table: $VIP4/32 via $N1_LL again" frr_via ipv4 "$VIP4/32"
check_within 15 "FRR's BGP table: $VIP6/128 via $N1_LL again" frr_via ipv6 "$VIP6/128"
check_within 10 "the client reaches $VIP4 again" ping4
check_within 10 "the client reaches $VIP6 again" ping6

scenario "a global address on the node's link: next hops global + link-local"
addr_add n1 eth0 2001:db8:3::11/64
# The speaker reads the interface's addresses when it builds its sessions: a reload does it.
cfg_node node1 192.0.2.11 | sed 's/^  name: node1$/  name: node1\n  annotations:\n    lab: global/' | cfg_write "$C" nodes.yaml
check_within 15 "FRR's BGP table: $VIP6/128 via 2001:db8:3::11 and $N1_LL" frr_path_is ipv6 "$VIP6/128" "2001:db8:3::11 $N1_LL"
check_within 15 "FRR's BGP table: $VIP4/32 via 2001:db8:3::11 and $N1_LL" frr_path_is ipv4 "$VIP4/32" "2001:db8:3::11 $N1_LL"
check_within 10 "FRR's kernel: $VIP4 via inet6 $N1_LL dev eth0" kernel_via "$VIP4"
check_within 10 "FRR's kernel: $VIP6 via $N1_LL dev eth0" kernel_via6 "$VIP6"
check_within 10 "the client reaches $VIP4" ping4
check_within 10 "the client reaches $VIP6" ping6

scenario "FRR restarts (zebra and bgpd): each side finds the other again"
stop frr
stop frr-zebra
check_within 10 "the speaker's connection is gone" \
	sh -c "! ip netns exec '$(ns n1)' ss -Htn state established | grep -qF '$FRR_LL'"
t0=$(now)
start_frr_pair
check_within 30 "FRR's neighbor eth0 is Established again" frr_up
log "session back $(elapsed "$t0") s after FRR started"
check_within 15 "FRR's BGP table: $VIP4/32 via 2001:db8:3::11 and $N1_LL" frr_path_is ipv4 "$VIP4/32" "2001:db8:3::11 $N1_LL"
check_within 10 "the client reaches $VIP4" ping4
check_within 10 "the client reaches $VIP6" ping6

e2e_finish
