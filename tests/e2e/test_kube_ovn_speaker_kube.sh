#!/bin/bash
# vipcast-speaker as kube-ovn-speaker in Kubernetes mode (tests/e2e/kubelab.sh): the
# test control plane with a minimal kubeovn.io Subnet CRD installed here, three
# speakers with the speaker ServiceAccount's permissions, BIRD (AS 64512, iBGP):
#   - node1, node2: kube-ovn-speaker's flags (node1 with --announce-cluster-ip), no --config;
#   - node3: no such flags, a metallb.io BGPPeer selecting it annotated
#     vipcast.io/kube-ovn-routes (created through the API).
# Subnets and Pods written through the API (Pods are objects only: spec.nodeName,
# annotations, and the status a kubelet would write where needed): each case must
# arrive from the right nodes with the right next hop and go when the annotation, the
# Pod (deleted, as a kubelet confirms it: --force; or finished) or the Subnet goes. A new annotated Pod's time from the
# API write (curl POST) to the route at BIRD is measured and printed (issue 14: 100 ms);
# only a generous bound is asserted. LB VIPs share the sessions. Last, FRR in rtr2's place over IPv4 and
# IPv6 (node3 by BGPPeers, node1 by --neighbor-ipv6-address): a dual-stack Pod's /32 and /128, an
# IPv6 Subnet's CIDR, each from the right nodes with each node's IPv6 address as next hop.
#
# Usage: test_kube_ovn_speaker_kube.sh BUILD_DIR
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
. "$(dirname "$0")/kubelib.sh"
kube_require kube_ovn_speaker_kube
. "$(dirname "$0")/lib.sh"
e2e_init kovk "$1" openssl curl tac bird birdc python3 arping /usr/lib/frr/bgpd vtysh
. "$(dirname "$0")/kubelab.sh"
KDIR=$E2E_TMP/kube
e2e_diag_extra() { kubelab_diag; }
[ -x "$CONTROLLER" ] || die "$CONTROLLER is not built"

N1=192.0.2.11 N2=192.0.2.12 N3=192.0.2.13
RIB="bird_rib rtr"

kubelab_up

scenario "kubeovn.io installed, speakers started"
kube_subnet_crd
{
	cfg_pool vips "$KL_BGP_RANGE"
	cfg_adv adv pools=vips
	cfg_peer rtr-node3 64512 64512 192.0.2.1 node=node3 |
		sed 's/^  namespace: metallb-system$/  namespace: metallb-system\n  annotations:\n    vipcast.io\/kube-ovn-routes: "true"/'
} | kc apply -f - >/dev/null || die "BGP configuration"

# subnet NAME CIDR [BGP-ANNOTATION|-]
subnet() {
	printf 'apiVersion: kubeovn.io/v1\nkind: Subnet\nmetadata:\n  name: %s\n' "$1"
	[ "${3:--}" = - ] || printf '  annotations:\n    ovn.kubernetes.io/bgp: "%s"\n' "$3"
	local proto=IPv4
	case $2 in *:*) proto=IPv6 ;; esac
	printf 'spec:\n  cidrBlock: %s\n  protocol: %s\n  provider: ovn\n' "$2" "$proto"
}
# pod_json NAME NODE IP SUBNET|- [BGP-ANNOTATION|-] -> the Pod as JSON (in $KL_NS); SUBNET "-": no
# Kube-OVN address annotations (status.podIPs then, kubelab_pod_status)
pod_json() {
	local ann='"kubernetes.io/psp": "none"'
	[ "${5:--}" = - ] || ann="$ann, \"ovn.kubernetes.io/bgp\": \"$5\""
	[ "$4" = - ] || ann="$ann, \"ovn.kubernetes.io/ip_address\": \"$3\", \"ovn.kubernetes.io/logical_switch\": \"$4\""
	printf '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "%s", "namespace": "%s", "annotations": {%s}},
 "spec": {"nodeName": "%s", "restartPolicy": "Always", "containers": [{"name": "c", "image": "registry.invalid/c:1"}]}}\n' \
		"$1" "$KL_NS" "$ann" "$2"
}
pod() { pod_json "$@" | kc apply -f - >/dev/null || die "Pod $1"; }

subnet cl 198.18.16.0/24 true | kc apply -f - >/dev/null || die "Subnet cl"
subnet lo 198.18.17.0/24 local | kc apply -f - >/dev/null || die "Subnet lo"
subnet quiet 198.18.18.0/24 | kc apply -f - >/dev/null || die "Subnet quiet"
pod lo-a node1 198.18.17.10 lo
pod lo-b node2 198.18.17.11 lo
pod own-cluster node2 198.18.18.14 quiet cluster
pod plain node1 198.18.18.16 quiet
pod bare-local node3 198.18.19.18 - local
kubelab_pod_status bare-local True 198.18.19.18
kc -n "$KL_NS" apply -f - >/dev/null <<EOF || die "Service ci"
apiVersion: v1
kind: Service
metadata: {name: ci, annotations: {ovn.kubernetes.io/bgp: "true"}}
spec: {type: ClusterIP, ports: [{port: 80}]}
EOF
CI=$(kc -n "$KL_NS" get svc ci -o jsonpath='{.spec.clusterIP}')
[ -n "$CI" ] || die "no cluster IP for Service ci"
log "Service ci has cluster IP $CI"

KOVN="--neighbor-address=192.0.2.1 --neighbor-as=64512 --cluster-as=64512 --holdtime=6s"
# shellcheck disable=SC2086
kubelab_speaker 1 $KOVN --announce-cluster-ip
# shellcheck disable=SC2086
kubelab_speaker 2 $KOVN
kubelab_speaker 3
for i in 1 2 3; do
	require_within 30 "BIRD has node$i Established" bird_established rtr "anode$i"
done
check "node1 runs kube-ovn-speaker's flags in Kubernetes mode" speaker_says 1 'kube-ovn-speaker flags: 1 BGP neighbor'
check "node1 watches Pods with the field selector" speaker_says 1 'watching Subnets and Pods \(status.phase!=Succeeded'

scenario "Subnet and Pod annotations"
check_within 15 "Subnet cl (true): 198.18.16.0/24 from every speaker" paths_are "$RIB" 198.18.16.0/24 $N1 $N2 $N3
check "Subnet lo (local): no CIDR" no_route "$RIB" 198.18.17.0/24
check_within 10 "Pod lo-a inherits local: 198.18.17.10/32 only from node1" paths_are "$RIB" 198.18.17.10/32 $N1
check "Pod lo-b inherits local: 198.18.17.11/32 only from node2" paths_are "$RIB" 198.18.17.11/32 $N2
check "Pod own-cluster (its own cluster): 198.18.18.14/32 from every speaker" \
	paths_are "$RIB" 198.18.18.14/32 $N1 $N2 $N3
check "Pod plain (no annotation, Subnet none): not announced" no_route "$RIB" 198.18.18.16/32
check "Pod bare-local (status.podIPs, local): only from node3" paths_are "$RIB" 198.18.19.18/32 $N3
check "ClusterIP Service ci ($CI): from node1 only (--announce-cluster-ip)" paths_are "$RIB" "$CI/32" $N1

scenario "LB VIPs share the sessions"
kubelab_service web Cluster
kubelab_pod web-1 node1 True
check_within 20 "the controller gives web an address" eval '[ -n "$(svc_ip web)" ]'
WEB=$(svc_ip web)
check_within 20 "web $WEB (ETP Cluster) from every node" paths_are "$RIB" "$WEB/32" $N1 $N2 $N3
check "the ClusterIP Service is still announced" paths_are "$RIB" "$CI/32" $N1

scenario "a new annotated Pod: time from the API write to the route at BIRD"
API=$(sed -n 's|^ *server: ||p' "$KDIR/kubeconfig")
# post_pod JSON -> the Pod created with one HTTPS request (the admin certificate)
post_pod() {
	curl -sf -o /dev/null --cacert "$KDIR/pki/ca.crt" --cert "$KDIR/pki/admin.crt" --key "$KDIR/pki/admin.key" \
		-H 'Content-Type: application/json' -X POST --data-binary @- "$API/api/v1/namespaces/$KL_NS/pods"
}
# at_bird PREFIX -> BIRD holds a route for PREFIX
at_bird() { birdc_ rtr show route "$1" 2>/dev/null | grep -q "^$1 "; }
times=""
slow=0
for n in 1 2 3 4 5 6; do
	ip=198.18.18.$((100 + n)) json=$(pod_json "new-$n" node2 "198.18.18.$((100 + n))" quiet cluster)
	t0=$(now)
	printf '%s' "$json" | post_pod || die "POST Pod new-$n"
	t1=$(now)
	for _ in $(seq 1 2000); do at_bird "$ip/32" && break; done
	at_bird "$ip/32" || { slow=1; log "new-$n: $ip/32 never reached BIRD"; continue; }
	ms=$(awk -v a="$t0" -v b="$(now)" -v c="$t1" 'BEGIN { printf "%.0f (POST returned after %.0f)", (b - a) * 1000, (c - a) * 1000 }')
	times="$times${times:+, }$ms"
	[ "${ms%% *}" -le 2000 ] || slow=1
	sleep 0.3
done
log "Pod POSTed -> its /32 at BIRD, ms: $times"
check "6 new annotated Pods reached BIRD, each within 2 s of the POST (ms: $times)" [ "$slow" = 0 ]

scenario "withdrawals"
kc -n "$KL_NS" annotate pod own-cluster ovn.kubernetes.io/bgp- >/dev/null
check_within 10 "Pod own-cluster lost its annotation: 198.18.18.14/32 withdrawn" no_route "$RIB" 198.18.18.14/32
kc -n "$KL_NS" delete pod lo-a --grace-period=0 --force >/dev/null
check_within 10 "Pod lo-a deleted: 198.18.17.10/32 withdrawn" no_route "$RIB" 198.18.17.10/32
kc -n "$KL_NS" patch pod lo-b --subresource status --type merge -p '{"status": {"phase": "Succeeded"}}' >/dev/null
check_within 10 "Pod lo-b Succeeded (leaves the field selector): 198.18.17.11/32 withdrawn" no_route "$RIB" 198.18.17.11/32
kc -n "$KL_NS" annotate pod bare-local ovn.kubernetes.io/bgp=cluster --overwrite >/dev/null
check_within 10 "Pod bare-local turned cluster: from every speaker" paths_are "$RIB" 198.18.19.18/32 $N1 $N2 $N3
kc delete subnet cl >/dev/null
check_within 10 "Subnet cl deleted: 198.18.16.0/24 withdrawn" no_route "$RIB" 198.18.16.0/24
kc -n "$KL_NS" annotate svc ci ovn.kubernetes.io/bgp- >/dev/null
check_within 10 "Service ci lost its annotation: $CI/32 withdrawn" no_route "$RIB" "$CI/32"
check "the LB VIP stayed" paths_are "$RIB" "$WEB/32" $N1 $N2 $N3

scenario "no BGPPeer takes Kube-OVN's routes: Pod events plan nothing"
kc -n metallb-system annotate bgppeer rtr-node3 vipcast.io/kube-ovn-routes- >/dev/null
check_within 10 "node3 withdrew its Pod routes (198.18.19.18/32 only from node1, node2)" \
	paths_are "$RIB" 198.18.19.18/32 $N1 $N2
# metric N NAME -> NAME{} on node N's /metrics
metric() {
	"$E2E_PY" "$E2E_DIR/metrics_scrape.py" "http://$KL_NET.1$1:7472/metrics" 2>/dev/null |
		awk -v m="$2{}" '$1 == m { print $2; exit }'
}
builds() { metric "$1" vipcast_plan_builds_total; }
patches() { metric "$1" vipcast_plan_patch_duration_seconds_count; }
b3=$(builds 3) b1=$(builds 1) p1=$(patches 1)
pod quiet-1 node3 198.18.18.200 quiet cluster
pod quiet-2 node3 198.18.18.201 quiet cluster
kc -n "$KL_NS" delete pod quiet-1 --grace-period=0 --force >/dev/null
check_within 10 "the new Pods reach BIRD from node1 and node2" paths_are "$RIB" 198.18.18.201/32 $N1 $N2
check_holds 1 "node3 planned nothing for three Pod events (plan builds stay $b3)" eval '[ -n "$b3" ] && [ "$(builds 3)" = "$b3" ]'
check "node1, whose flags take the routes, patched its plan for them ($p1 -> $(patches 1) patches)" \
	eval '[ -n "$p1" ] && [ "$(patches 1)" -gt "$p1" ]'
check "and planned nothing afresh (builds stay $b1)" eval '[ -n "$b1" ] && [ "$(builds 1)" = "$b1" ]'
kc -n metallb-system annotate bgppeer rtr-node3 vipcast.io/kube-ovn-routes=true >/dev/null
check_within 10 "node3's peer takes the routes again: the Pod kept meanwhile is announced from node3 too" \
	paths_are "$RIB" 198.18.18.201/32 $N1 $N2 $N3
check "and the deleted one from nowhere" no_route "$RIB" 198.18.18.200/32

scenario "FRR over IPv4 and IPv6: Pod /32 and /128, an IPv6 Subnet"
# FRR takes rtr2's place (this test gives rtr2's BIRD no peer): node3 through metallb.io BGPPeers
# to 192.0.2.2 and 2001:db8:2::2, node1 through kube-ovn-speaker's --neighbor-ipv6-address.
stop rtr2
addr_add rtr2 eth0 2001:db8:2::2/64
for i in 1 2 3; do addr_add "n$i" eth0 "2001:db8:2::1$i/64"; done
{
	printf 'hostname rtr2\nlog file %s/frr/bgpd.log debugging\nrouter bgp 64512\n' "$E2E_TMP"
	printf ' bgp router-id 192.0.2.2\n no bgp ebgp-requires-policy\n no bgp default ipv4-unicast\n'
	for nb in 192.0.2.13 2001:db8:2::13 2001:db8:2::11; do
		printf ' neighbor %s remote-as 64512\n neighbor %s timers 2 6\n neighbor %s timers connect 1\n' "$nb" "$nb" "$nb"
	done
	printf ' address-family ipv4 unicast\n  neighbor 192.0.2.13 activate\n exit-address-family\n'
	printf ' address-family ipv6 unicast\n  neighbor 2001:db8:2::13 activate\n  neighbor 2001:db8:2::11 activate\n'
	printf ' exit-address-family\n'
} >"$E2E_TMP/frr.conf"
mkdir -p "$E2E_TMP/frr"
start_frr frr rtr2 "$E2E_TMP/frr.conf"
R4="frr_rib frr ipv4" R6="frr_rib frr ipv6"
{
	cfg_peer frr-node3 64512 64512 192.0.2.2 node=node3
	cfg_peer frr6-node3 64512 64512 2001:db8:2::2 node=node3
} | sed 's/^  namespace: metallb-system$/  namespace: metallb-system\n  annotations:\n    vipcast.io\/kube-ovn-routes: "true"/' |
	kc apply -f - >/dev/null || die "FRR's BGPPeers"
stop speaker1
# shellcheck disable=SC2086
kubelab_speaker 1 $KOVN --announce-cluster-ip --neighbor-ipv6-address=2001:db8:2::2
require_within 30 "FRR has node3 Established over IPv4" frr_established frr 192.0.2.13
require_within 30 "FRR has node3 Established over IPv6" frr_established frr 2001:db8:2::13
require_within 30 "FRR has node1 Established over IPv6 (--neighbor-ipv6-address)" frr_established frr 2001:db8:2::11
subnet cl6 2001:db8:16::/64 true | kc apply -f - >/dev/null || die "Subnet cl6"
pod dual node2 198.18.18.50,2001:db8:18::50 quiet cluster
pod lo6 node3 2001:db8:18::51 quiet local
check_within 10 "Pod dual (cluster): 198.18.18.50/32 at FRR from node3" paths_are "$R4" 198.18.18.50/32 192.0.2.13
check_within 10 "and 2001:db8:18::50/128 from node3 and node1, next hop each node's IPv6 address" \
	paths_are "$R6" 2001:db8:18::50/128 2001:db8:2::13 2001:db8:2::11
check "Pod lo6 (local, on node3): 2001:db8:18::51/128 from node3 only" paths_are "$R6" 2001:db8:18::51/128 2001:db8:2::13
check "Subnet cl6 (true): 2001:db8:16::/64 from node3 and node1" paths_are "$R6" 2001:db8:16::/64 2001:db8:2::13 2001:db8:2::11
check "no IPv6 route at BIRD's IPv4 sessions" no_route "$RIB" 2001:db8:18::50/128
check "and BIRD still has the IPv4 one from every speaker" paths_are "$RIB" 198.18.18.50/32 $N1 $N2 $N3
kc -n "$KL_NS" delete pod dual --grace-period=0 --force >/dev/null 2>&1
check_within 10 "Pod dual deleted: its /128 withdrawn at FRR" no_route "$R6" 2001:db8:18::50/128
check "and its /32" no_route "$R4" 198.18.18.50/32
e2e_finish
