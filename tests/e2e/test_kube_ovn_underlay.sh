#!/bin/bash
# The product documentation's "Kube-OVN Underlay + MetalLB" scenario end to end, in Kubernetes
# mode (tests/e2e/kubelab.sh): the test control plane with a kubeovn.io Subnet CRD, the
# controller, three nodes running vipcast-speaker as the DaemonSet would, and a client on the
# underlay. deploy/examples/kube-ovn-underlay is applied as written, with two changes: the
# documentation's 10.180.208.0/24 becomes 198.51.100.0/24 (pool .200-.220), and the
# L2Advertisement's top-level `nodeSelectors: []` is moved under spec, as the example's comment
# tells a user to (kubectl is shown refusing it as published).
#
#   client c eth0 198.51.100.100 --- underlay LAN (bridge) --- the root namespace: API server
#                                     |        |        |
#                              n1, n2, n3: underlay0 (the NIC) enslaved to the Linux bridge
#                              br-provider, which holds the node's addresses (198.51.100.1i,
#                              the API network), as Kube-OVN's underlay builds it
#
# br-provider is given a MAC of its own (02:00:5e:00:01:0i; the NIC has 02:00:5e:00:0a:0i), so an
# ARP reply tells which interface answered. Every node holds the pool's range on lo (arp_ignore=1:
# only the speaker answers ARP for them) and an HTTP server on port 80 answering its name.
# Pods are objects only (kubelab_pod), standing in for the Deployment's replicas.
#   - the Subnet without enableExternalLBAddress, then with excludeIps not covering the pool: the
#     Service gets no address and the controller's AllocationFailed Event says why; the Subnet
#     fixed through the API: the Service gets an address from the pool;
#   - exactly one node answers ARP for it, a node with a ready endpoint (externalTrafficPolicy
#     Local), with br-provider's MAC; ServiceL2Status names br-provider; the client reaches the VIP
#     over HTTP, answered by that node; its endpoints not ready: the other node with one answers;
#   - the Subnet broken again: the address is taken back, nobody answers.
# Not here: an L2Advertisement on a VLAN subinterface (underlay0.341); the lab's kernel has
# neither 802.1Q devices nor VLAN-filtering bridges.
#
# Usage: test_kube_ovn_underlay.sh BUILD_DIR
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
. "$(dirname "$0")/kubelib.sh"
kube_require kube_ovn_underlay
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/l2lib.sh"
e2e_init kovu "$1" openssl curl tac python3 arping
. "$(dirname "$0")/kubelab.sh"
KDIR=$E2E_TMP/kube
e2e_diag_extra() { kubelab_diag; }
[ -x "$CONTROLLER" ] || die "$CONTROLLER is not built"

UL=198.51.100
EX=$SRC/deploy/examples/kube-ovn-underlay
SVC=backend-lb-service POOL=acp-underlay-pool SUBNET=underlay-subnet

scenario "the underlay"
ns_add c n1 n2 n3
lan_add ul
kubelab_api_port ul
lan_attach ul c eth0 "$UL.100/24"
for i in 1 2 3; do
	lan_attach ul "n$i" underlay0
	n=$(ns "n$i")
	ip -n "$n" link set underlay0 address "02:00:5e:00:0a:0$i"
	ip -n "$n" link add br-provider type bridge stp_state 0 forward_delay 0 || die "br-provider in n$i"
	ip -n "$n" link set br-provider address "$(l2_node_mac "$i")"
	ip -n "$n" link set underlay0 master br-provider
	ip -n "$n" link set br-provider up
	addr_add "n$i" br-provider "$UL.1$i/24" "$KL_NET.1$i/24"
	nsx "n$i" sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2 >/dev/null
	addr_add "n$i" lo "$UL.192/27"
	kubelab_web "$i" 0.0.0.0 "node$i" 80
done
check_within 5 "the client reaches node1 on the underlay, through br-provider" nsx c ping -c 1 -W 1 "$UL.11"

scenario "control plane, kubeovn.io, controller, speakers"
kubelab_control_plane
kc create namespace "$KL_NS" >/dev/null
wait_until 20 kc -n "$KL_NS" get serviceaccount default || die "no default ServiceAccount in $KL_NS"
for i in 1 2 3; do cfg_node "node$i" "$UL.1$i"; done | kc apply -f - >/dev/null || die "Nodes"
kube_subnet_crd
kubelab_controller
for i in 1 2 3; do kubelab_speaker "$i"; done
check_within 30 "/readyz answers 200 on every node" \
	eval '[ "$(speaker_probe 1 /readyz)$(speaker_probe 2 /readyz)$(speaker_probe 3 /readyz)" = 200200200 ]'
check_within 10 "the controller watches Subnets" grep -q 'kubeovn.io/v1 is served: watching Subnets' "$E2E_TMP/controller.log"

scenario "the examples, applied"
# example FILE -> the example with the underlay's addresses instead of the documentation's
example() { sed "s/10\.180\.208\./$UL./g" "$EX/$1"; }
# ippool -> underlay-ippool.yaml with nodeSelectors under spec, as its comment says
ippool() { example underlay-ippool.yaml | sed -e '/^nodeSelectors: \[\]$/d' -e 's/^  interfaces:$/  nodeSelectors: []\n  interfaces:/'; }
check "as published, the L2Advertisement is refused: nodeSelectors is not a top-level field" \
	eval 'example underlay-ippool.yaml | kc apply --dry-run=server -f - 2>&1 | grep -q "unknown field \"nodeSelectors\""'
example underlay-subnet.yaml | sed '/enableExternalLBAddress/d' | kc apply -f - >/dev/null || die "Subnet"
ippool | kc apply -f - >/dev/null || die "pool and L2Advertisement"
example application-with-loadbalancer.yaml | kc -n "$KL_NS" apply -f - >/dev/null || die "Deployment and Service"
kubelab_pod backend-1 node2 True
kubelab_pod backend-2 node3 True
kubelab_pod backend-3 node3 True

scenario "the Subnet does not give the pool to load balancers"
# event_says REASON TEXT -> an Event of that reason on the Service says TEXT
event_says() {
	kc -n "$KL_NS" get events --field-selector "reason=$1,involvedObject.name=$SVC" \
		-o jsonpath='{range .items[*]}{.message}{"\n"}{end}' 2>/dev/null | grep -qF "$2"
}
check_within 15 "without enableExternalLBAddress: AllocationFailed says so" \
	event_says AllocationFailed "$POOL cannot serve: $UL.200-$UL.220 lies in Kube-OVN Subnet $SUBNET, which does not set enableExternalLBAddress: true"
check_holds 2 "and the Service has no address" eval '[ -z "$(svc_ip "$SVC")" ]'
kc patch subnet "$SUBNET" --type merge \
	-p "{\"spec\": {\"enableExternalLBAddress\": true, \"excludeIps\": [\"$UL.200..$UL.210\"]}}" >/dev/null
check_within 15 "enableExternalLBAddress set, excludeIps only .200-.210: AllocationFailed says the pool is not all excluded" \
	event_says AllocationFailed "$POOL cannot serve: $UL.200-$UL.220 is not all in the excludeIps of Kube-OVN Subnet $SUBNET"
check_holds 2 "and the Service has no address" eval '[ -z "$(svc_ip "$SVC")" ]'

scenario "the Subnet as the documentation writes it"
example underlay-subnet.yaml | kc apply -f - >/dev/null || die "Subnet"
in_pool() { [[ $1 =~ ^${UL//./\\.}\.(2[01][0-9]|220)$ ]]; }
check_within 15 "the Service gets an address from $POOL" eval 'in_pool "$(svc_ip "$SVC")"'
VIP=$(svc_ip "$SVC")
log "$SVC: $VIP"
check "its metallb.io/ip-allocated-from-pool names $POOL" \
	[ "$(kc -n "$KL_NS" get svc "$SVC" -o jsonpath='{.metadata.annotations.metallb\.io/ip-allocated-from-pool}')" = "$POOL" ]
# owner VIP -> the node whose br-provider alone answers the client's ARP for VIP
owner() {
	local m
	m=$(l2_arp_macs "$1")
	[[ $m == *$'\n'* ]] && { printf 'several:%s' "$(paste -sd, <<<"$m")"; return; }
	l2_mac_node "$m"
}
check_within 15 "exactly one node answers ARP for $VIP, from br-provider's MAC" eval '[[ $(owner "$VIP") == node? ]]'
OWNER=$(owner "$VIP")
log "owner of $VIP: $OWNER"
check "it has a ready endpoint (ETP Local: node2 or node3)" eval '[ "$OWNER" = node2 ] || [ "$OWNER" = node3 ]'
check_holds 2 "and keeps answering alone" eval '[[ $OWNER == node? ]] && [ "$(owner "$VIP")" = "$OWNER" ]'
# l2status SERVICE -> "node:interfaces" of each of its ServiceL2Statuses
l2status() {
	kc -n "$KL_SYS" get servicel2statuses -l "metallb.io/service-name=$1,metallb.io/service-namespace=$KL_NS" \
		-o jsonpath='{range .items[*]}{.status.node}:{.status.interfaces[*].name}{"\n"}{end}' 2>/dev/null | paste -sd' '
}
check_within 15 "its ServiceL2Status: $OWNER on br-provider" eval '[ "$(l2status "$SVC")" = "$OWNER:br-provider" ]'
check_within 5 "the client on the underlay reaches http://$VIP/, answered by $OWNER" \
	eval '[[ $OWNER == node? ]] && [ "$(nsx c curl -s -m 2 "http://$VIP/")" = "$OWNER" ]'

scenario "externalTrafficPolicy Local: the owner's endpoints not ready"
# pods_on NODE READY -> every backend Pod on NODE ready or not
pods_on() {
	local p
	for p in backend-1:node2 backend-2:node3 backend-3:node3; do
		[ "${p#*:}" = "$1" ] && kubelab_pod "${p%:*}" "$1" "$2"
	done
	true
}
OTHER=node2
[ "$OWNER" = node2 ] && OTHER=node3
pods_on "$OWNER" False
check_within 10 "$OTHER, the node with a ready endpoint left, answers ARP from its br-provider" \
	eval '[ "$(owner "$VIP")" = "$OTHER" ]'
check_within 5 "and the client reaches it there" eval '[ "$(nsx c curl -s -m 2 "http://$VIP/")" = "$OTHER" ]'
pods_on "$OWNER" True

scenario "the Subnet broken again"
kc patch subnet "$SUBNET" --type merge -p "{\"spec\": {\"excludeIps\": [\"$UL.200..$UL.219\"]}}" >/dev/null
check_within 15 "excludeIps without .220: the address is taken back" eval '[ -z "$(svc_ip "$SVC")" ]'
check "a ClearAssignment Event says why" event_says ClearAssignment "is not all in the excludeIps of Kube-OVN Subnet $SUBNET"
check_within 10 "nobody answers ARP for $VIP" l2_unanswered "$VIP"
example underlay-subnet.yaml | kc apply -f - >/dev/null || die "Subnet"
check_within 15 "fixed: served again, by one node with a ready endpoint" \
	eval 'v=$(svc_ip "$SVC"); in_pool "$v" && o=$(owner "$v") && { [ "$o" = node2 ] || [ "$o" = node3 ]; }'

e2e_finish
