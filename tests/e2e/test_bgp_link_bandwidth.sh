#!/bin/sh
# Link bandwidth (draft-ietf-idr-link-bandwidth) towards FRR 8.4 (zebra and bgpd,
# `maximum-paths`, weighted ECMP from the link bandwidth community):
#   client 203.0.113.2 ---- lan2 ---- rtr 192.0.2.1 (AS 64512) ---- lan ---- node1..node3
#                                      203.0.113.1                       (192.0.2.11-13, AS 64513)
# One Service, externalTrafficPolicy: Local, VIP 198.51.100.10, announced by the three
# nodes through a BGPAdvertisement annotated vipcast.io/link-bandwidth: per-endpoint.
#   1. 1, 2 and 5 ready endpoints on node1..3: the kernel route at the router has three
#      nexthops weighted 1:2:5 (shares within 0.03 of 1/8, 2/8, 5/8); 800 TCP connections
#      from the client (the router hashes on ports, fib_multipath_hash_policy 1) reach the
#      nodes (the VIP on their lo, a small server answering its node's name) in that
#      proportion, each share within 10 points of 1/8, 2/8, 5/8 (plain ECMP: 1/3 each).
#   2. The EndpointSlice rewritten to 5, 2, 1 (file mode reloads): weights 5:2:1.
#   3. An endpoint not ready does not count: 5, 2, 1 with two of node1's not ready: 3:2:1.
#      This change comes right after the last: damped, it reaches the router only once 5 s
#      have passed since the last bandwidth-only UPDATE (LINK_BW_MIN_INTERVAL_MS).
#   4. The Service's endpoints all go from node3: withdrawn at once (no damping), 3:2 left.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/bfd_common.sh"
e2e_init bgp_link_bandwidth "$1" /usr/lib/frr/zebra /usr/lib/frr/bfdd /usr/lib/frr/bgpd vtysh ip sysctl

VIP=198.51.100.10
ns_add rtr n1 n2 n3 cl
lan_add lan
lan_add lan2
lan_attach lan rtr eth0 192.0.2.1/24
for i in 1 2 3; do lan_attach lan n$i eth0 192.0.2.1$i/24; done
lan_attach lan2 rtr eth1 203.0.113.1/24
lan_attach lan2 cl eth0 203.0.113.2/24
route_add cl 198.51.100.0/24 203.0.113.1
ns_forward rtr
nsx rtr sysctl -qw net.ipv4.fib_multipath_hash_policy=1 || die "L4 multipath hash"

# The VIP on each node's lo with a server that answers the node's name, for 120 s at most.
for i in 1 2 3; do
	route_add n$i 203.0.113.0/24 192.0.2.1
	ip -n "$(ns n$i)" addr add "$VIP/32" dev lo || die "VIP on n$i"
	nsx n$i "$E2E_PY" -c '
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 80))
s.listen(512)
s.settimeout(1)
end = time.monotonic() + 120
while time.monotonic() < end:
    try:
        c, _ = s.accept()
    except socket.timeout:
        continue
    c.sendall(sys.argv[2].encode())
    c.close()' "$VIP" "node$i" >>"$E2E_TMP/server$i.log" 2>&1 &
	track "server$i" $! http "n$i"
	disown $!
done

# connections N -> "C1 C2 C3": how many of N connections from the client each node answered
connections() {
	nsx cl "$E2E_PY" -c '
import socket, sys
n = {"node1": 0, "node2": 0, "node3": 0}
for _ in range(int(sys.argv[2])):
    try:
        c = socket.create_connection((sys.argv[1], 80), timeout=2)
        who = c.recv(16).decode()
        c.close()
    except OSError:
        continue
    n[who] = n.get(who, 0) + 1
print(n["node1"], n["node2"], n["node3"])' "$VIP" "$1"
}

{
	cat <<EOF
hostname rtr
log file $E2E_TMP/rtr/bgpd.log debugging
router bgp 64512
 bgp router-id 192.0.2.1
 no bgp ebgp-requires-policy
 bgp bestpath as-path multipath-relax
EOF
	for i in 1 2 3; do
		echo " neighbor 192.0.2.1$i remote-as 64513"
		echo " neighbor 192.0.2.1$i timers 2 6"
		echo " neighbor 192.0.2.1$i timers connect 1"
	done
	echo " address-family ipv4 unicast"
	echo "  maximum-paths 8"
	echo " exit-address-family"
} >"$E2E_TMP/bgpd.conf"
printf 'hostname rtr\n' >"$E2E_TMP/bfdd.conf"

# svc_file ENDPOINTS... -> the Service and its EndpointSlice, one endpoint per word:
# NODE (ready) or NODE:no (not ready)
svc_file() {
	local e i=0 ready
	cat <<EOF
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  type: LoadBalancer
  externalTrafficPolicy: Local
  ports: [{name: http, port: 80, targetPort: 8080, protocol: TCP}]
status: {loadBalancer: {ingress: [{ip: $VIP}]}}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: web-abcde
  namespace: default
  labels: {kubernetes.io/service-name: web}
addressType: IPv4
ports: [{name: http, port: 8080, protocol: TCP}]
endpoints:
EOF
	for e in "$@"; do
		i=$((i + 1))
		ready=true
		case $e in *:no) ready=false ;; esac
		printf '  - {addresses: ["198.18.255.%s"], conditions: {ready: %s}, nodeName: %s}\n' "$i" "$ready" "${e%%:*}"
	done
}
rep() { local k; for ((k = 0; k < $2; k++)); do printf '%s ' "$1"; done; }
set_endpoints() {  # N1 N2 N3 [EXTRA...]: ready endpoints per node, then more words for svc_file
	local i eps
	eps="$(rep node1 "$1")$(rep node2 "$2")$(rep node3 "$3")"
	shift 3
	# shellcheck disable=SC2086
	for i in 1 2 3; do svc_file $eps "$@" | cfg_write "$E2E_TMP/config$i" svc-web.yaml; done
}

for i in 1 2 3; do
	C="$E2E_TMP/config$i"
	mkdir -p "$C"
	cfg_node "node$i" "192.0.2.1$i" | cfg_write "$C" nodes.yaml
	cfg_pool vips 198.51.100.0/24 | cfg_write "$C" pool.yaml
	cfg_peer rtr 64513 64512 192.0.2.1 connectTime=1s | cfg_write "$C" peer.yaml
	cat <<EOF | cfg_write "$C" adv.yaml
---
apiVersion: metallb.io/v1beta1
kind: BGPAdvertisement
metadata:
  name: weighted
  namespace: metallb-system
  annotations:
    vipcast.io/link-bandwidth: per-endpoint
spec:
  ipAddressPools: [vips]
EOF
done
set_endpoints 1 2 5
for i in 1 2 3; do cfg_check "$E2E_TMP/config$i"; done

start_frr_bfd rtr rtr "$E2E_TMP/bgpd.conf" "$E2E_TMP/bfdd.conf"
for i in 1 2 3; do start_speaker s$i n$i "$E2E_TMP/config$i" node$i; done

# weights -> "W1 W2 W3": the kernel route's nexthop weights at the router, per node (0: none)
weights() {
	ip -n "$(ns rtr)" -4 route show "$VIP/32" 2>/dev/null | awk '
		{ for (i = 1; i < NF; i++) { if ($i == "via") nh = $(i + 1); if ($i == "weight") w[nh] = $(i + 1) } }
		/nexthop/ && !/weight/ { for (i = 1; i < NF; i++) if ($i == "via") w[$(i + 1)] = 1 }
		END { printf "%d %d %d\n", w["192.0.2.11"], w["192.0.2.12"], w["192.0.2.13"] }'
}
# weighted A B C -> the three weights are in proportion A:B:C (each share within 0.03)
weighted() {
	local w
	w=$(weights)
	echo "$w $*" | awk '{ s = $1 + $2 + $3; t = $4 + $5 + $6; if (s == 0 || $1 == 0 || $2 == 0 || $3 == 0) exit 1
		for (i = 1; i <= 3; i++) { d = $i / s - $(i + 3) / t; if (d < -0.03 || d > 0.03) exit 1 } }'
}

# two_paths -> node1 and node2 weighted 3:2, no path through node3
two_paths() {
	local w
	w=$(weights)
	echo "$w" | awk '{ s = $1 + $2; if ($3 != 0 || $1 == 0 || $2 == 0) exit 1; d = $1 / s - 0.6; exit !(d > -0.03 && d < 0.03) }'
}

scenario "sessions"
for i in 1 2 3; do require_within 20 "node$i Established" frr_established rtr 192.0.2.1$i; done

scenario "1, 2 and 5 ready endpoints"
check_within 15 "three nexthops weighted 1:2:5" weighted 1 2 5
log "route at the router: $(ip -n "$(ns rtr)" -4 route show "$VIP/32" | tr '\n' ' ')"
log "weights: $(weights)"
frr_vtysh rtr "show bgp ipv4 unicast $VIP/32" >"$E2E_TMP/bgp-route.txt" 2>&1
check "FRR shows the link bandwidth of each path" grep -q 'Extended Community: LB:64513' "$E2E_TMP/bgp-route.txt"
split=$(connections 800)
log "800 connections answered by node1, node2, node3: $split"
check "800 connections split 1:2:5 (each share within 10 points; got $split)" \
	awk -v s="$split" 'BEGIN { split(s, c, " "); t = c[1] + c[2] + c[3]; if (t < 790) exit 1
		e[1] = 1 / 8; e[2] = 2 / 8; e[3] = 5 / 8
		for (i = 1; i <= 3; i++) { d = c[i] / t - e[i]; if (d < -0.1 || d > 0.1) exit 1 } }'

scenario "endpoints moved: 5, 2 and 1"
set_endpoints 5 2 1
check_within 15 "weights follow: 5:2:1" weighted 5 2 1
moved=$(now)
log "weights: $(weights)"

scenario "endpoints not ready do not count; a second bandwidth change is damped"
set_endpoints 3 2 1 node1:no node1:no
check_within 15 "weights 3:2:1 (node1 has 5 endpoints, 3 ready)" weighted 3 2 1
took=$(elapsed "$moved")
log "weights: $(weights), $took s after the previous change"
check "held back until about 5 s after the previous bandwidth change (took $took s, want >= 4)" \
	awk -v t="$took" 'BEGIN { exit !(t >= 4) }'

scenario "a withdrawal is not damped"
set_endpoints 3 2 0 node1:no node1:no
start=$(now)
check_within 3 "node3's path gone, 3:2 left" two_paths
log "route: $(ip -n "$(ns rtr)" -4 route show "$VIP/32" | tr '\n' ' ') after $(elapsed "$start") s"

e2e_finish
