#!/bin/sh
# vipcast-speaker as kube-ovn-speaker, file mode, against BIRD 2 and FRR 8.4 (eBGP, AS 65000
# to the router's AS 65030, as Kube-OVN's speaker DaemonSet sets it up):
#
#   LAN (bridge) -- rtr: BIRD, AS 65030
#                -- frr: FRR bgpd alone, AS 65030, 192.0.2.2: node1's second neighbor
#                -- n1: node1, kube-ovn-speaker flags, --announce-cluster-ip, and an IPv6 neighbor
#                -- n2: node2, kube-ovn-speaker flags, --node-ips 192.0.2.22 (its second address)
#                -- n3: node3, no such flags: a metallb.io BGPPeer annotated vipcast.io/kube-ovn-routes
#                -- n4: node4, the args of Kube-OVN's yamls/speaker.yaml (v1.16) unchanged but the
#                       neighbor address, NODE_NAME/POD_IP/POD_IPS from the environment
# All read one directory of Subnets, Pods and Services, which the test edits:
# each ovn.kubernetes.io/bgp case must arrive from the right nodes with the right
# next hop, and go when the annotation, the Pod or the Subnet goes. Assertions read
# BIRD's and FRR's own tables.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
e2e_init kovn "$1" bird birdc /usr/lib/frr/bgpd vtysh

RTR=192.0.2.1 N1=192.0.2.11 N2=192.0.2.22 N3=192.0.2.13 N4=192.0.2.14
ns_add rtr frr n1 n2 n3 n4
lan_add lan
lan_attach lan rtr eth0 192.0.2.1/24 2001:db8:1::1/64
lan_attach lan frr eth0 192.0.2.2/24
lan_attach lan n1 eth0 192.0.2.11/24 2001:db8:1::11/64
lan_attach lan n2 eth0 192.0.2.12/24
addr_add n2 eth0 192.0.2.22/24
lan_attach lan n3 eth0 192.0.2.13/24
lan_attach lan n4 eth0 192.0.2.14/24

{
	bird_head 192.0.2.1
	for n in 1 2 3 4; do
		eval "ip=\$N$n"
		cat <<EOF
protocol bgp node$n {
	local $RTR as 65030;
	neighbor $ip as 65000;
	direct;
	hold time 6; keepalive time 2;
	connect delay time 1; connect retry time 1; error wait time 1, 2;
	ipv4 { import all; export none; };
}
EOF
	done
	cat <<EOF
protocol bgp node1v6 {
	local 2001:db8:1::1 as 65030;
	neighbor 2001:db8:1::11 as 65000;
	direct;
	hold time 6; keepalive time 2;
	connect delay time 1; connect retry time 1; error wait time 1, 2;
	ipv6 { import all; export none; };
}
EOF
} >"$E2E_TMP/bird.conf"

mkdir -p "$E2E_TMP/frr"
cat >"$E2E_TMP/frr.conf" <<EOF
hostname frr
log file $E2E_TMP/frr/bgpd.log debugging
router bgp 65030
 bgp router-id 192.0.2.2
 no bgp ebgp-requires-policy
 no bgp default ipv4-unicast
 neighbor $N1 remote-as 65000
 neighbor $N1 timers 2 6
 neighbor $N1 timers connect 1
 address-family ipv4 unicast
  neighbor $N1 activate
 exit-address-family
EOF

C=$E2E_TMP/config
mkdir -p "$C"
{
	cfg_node node1 192.0.2.11
	cfg_node node2 192.0.2.12
	cfg_node node3 192.0.2.13
	cfg_node node4 192.0.2.14
} | cfg_write "$C" nodes.yaml
# node3's neighbor, the metallb.io way, with the opt-in (and the cluster IPs)
{
	cfg_peer rtr-node3 65000 65030 "$RTR" node=node3
	printf '  ebgpMultiHop: false\n'
} | sed 's/^  namespace: metallb-system$/  namespace: metallb-system\n  annotations:\n    vipcast.io\/kube-ovn-routes: "true"\n    vipcast.io\/kube-ovn-cluster-ips: "true"/' |
	cfg_write "$C" peer-node3.yaml
# LoadBalancer VIPs on the same sessions
{ cfg_pool vips 203.0.113.0/24; cfg_adv adv pools=vips; } | cfg_write "$C" pool.yaml
cfg_service web 203.0.113.10 Cluster node1,node2,node3,node4 | cfg_write "$C" svc-web.yaml

# subnet NAME CIDR [BGP-ANNOTATION|-] [READY]
subnet() {
	printf -- '---\napiVersion: kubeovn.io/v1\nkind: Subnet\nmetadata:\n  name: %s\n' "$1"
	[ "${3:--}" = - ] || printf '  annotations:\n    ovn.kubernetes.io/bgp: "%s"\n' "$3"
	printf 'spec:\n  cidrBlock: %s\n  protocol: IPv4\n  provider: ovn\n' "$2"
	printf 'status:\n  conditions:\n    - type: Ready\n      status: "%s"\n' "${4:-True}"
}
# pod NAME NODE IP SUBNET|- [BGP-ANNOTATION|-] [hostNetwork]: SUBNET "-": no Kube-OVN
# annotations, the address only in status.podIPs
pod() {
	printf -- '---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: %s\n  namespace: default\n  annotations:\n' "$1"
	printf '    kubernetes.io/psp: none\n'
	[ "${5:--}" = - ] || printf '    ovn.kubernetes.io/bgp: "%s"\n' "$5"
	[ "$4" = - ] || printf '    ovn.kubernetes.io/ip_address: %s\n    ovn.kubernetes.io/logical_switch: %s\n' "$3" "$4"
	printf 'spec:\n  nodeName: %s\n  restartPolicy: Always\n' "$2"
	[ -z "${6:-}" ] || printf '  hostNetwork: true\n'
	printf '  containers:\n    - name: c\n      image: example\nstatus:\n  phase: Running\n'
	printf '  podIP: %s\n  podIPs:\n' "${3%%,*}"
	# shellcheck disable=SC2046
	printf '    - ip: %s\n' $(printf '%s' "$3" | tr , ' ')
}
subnet cl 198.18.0.0/24,2001:db8:18::/64 true | sed 's/protocol: IPv4/protocol: Dual/' | cfg_write "$C" subnet-cl.yaml
subnet lo 198.18.1.0/24 local | cfg_write "$C" subnet-lo.yaml
subnet quiet 198.18.3.0/24 | cfg_write "$C" subnet-quiet.yaml
subnet down 198.18.4.0/24 true False | cfg_write "$C" subnet-down.yaml
pod lo-a node1 198.18.1.10 lo | cfg_write "$C" pod-lo-a.yaml
pod dual node1 198.18.0.20,2001:db8:18::20 cl local | cfg_write "$C" pod-dual.yaml
pod lo-b node2 198.18.1.11 lo | cfg_write "$C" pod-lo-b.yaml
pod own-cluster node2 198.18.3.14 quiet cluster | cfg_write "$C" pod-own-cluster.yaml
pod own-yes node1 198.18.3.15 quiet yes | cfg_write "$C" pod-own-yes.yaml
pod plain node1 198.18.3.16 quiet | cfg_write "$C" pod-plain.yaml
pod in-down node1 198.18.4.17 down true | cfg_write "$C" pod-in-down.yaml
pod bare-local node3 198.18.5.18 - local | cfg_write "$C" pod-bare-local.yaml
pod host node1 198.18.5.99 - true host | cfg_write "$C" pod-host.yaml
cat <<EOF | cfg_write "$C" svc-ci.yaml
---
apiVersion: v1
kind: Service
metadata:
  name: ci
  namespace: default
  annotations:
    ovn.kubernetes.io/bgp: "true"
spec:
  type: ClusterIP
  clusterIP: 198.18.6.1
  clusterIPs: [198.18.6.1]
  ports: [{port: 80}]
---
apiVersion: v1
kind: Service
metadata:
  name: headless
  namespace: default
  annotations:
    ovn.kubernetes.io/bgp: "true"
spec:
  clusterIP: None
  ports: [{port: 80}]
EOF
cfg_check "$C"

KOVN="--neighbor-address=$RTR --neighbor-as=65030 --cluster-as=65000"
start_bird rtr rtr "$E2E_TMP/bird.conf"
start_frr frr frr "$E2E_TMP/frr.conf"
# shellcheck disable=SC2086
start_speaker s1 n1 "$C" node1 $KOVN --neighbor-address=192.0.2.2 --neighbor-ipv6-address=2001:db8:1::1 --announce-cluster-ip --holdtime=6s \
	--graceful-restart
# shellcheck disable=SC2086
start_speaker s2 n2 "$C" node2 $KOVN --node-ips=$N2
start_speaker s3 n3 "$C" node3
# node4: Kube-OVN's yamls/speaker.yaml args, only the neighbor address adapted; file mode needs --config
(
	export NODE_NAME=node4 POD_IP=$N4 POD_IPS=$N4
	exec ip netns exec "$(ns n4)" "$SPEAKER" --config "$C" --socket "$E2E_TMP/s4.sock" \
		--logtostderr=false \
		--alsologtostderr=true \
		--log_file=/var/log/kube-ovn/kube-ovn-speaker.log \
		--log_file_max_size=200 \
		--neighbor-address=$RTR \
		--neighbor-as=65030 \
		--cluster-as=65000 >>"$E2E_TMP/s4.log" 2>&1
) &
track s4 $! speaker n4
disown $!
RIB="bird_rib rtr"
ALL4="$N1 $N2 $N3 $N4"

scenario "sessions"
for n in 1 2 3 4; do
	require_within 20 "BIRD has node$n Established" bird_established rtr node$n
done
require_within 20 "BIRD has node1's IPv6 session Established" bird_established rtr node1v6
require_within 20 "FRR has node1 Established (node1's second --neighbor-address)" frr_established frr "$N1"
check "node2's session comes from its --node-ips address ($N2)" \
	test "$(bird_neighbor rtr node2 'Neighbor address')" = "$N2"
check "node4's router ID is POD_IP's ($N4)" test "$(bird_neighbor rtr node4 'Neighbor ID')" = "$N4"
check "node4 took the manifest's klog flags (logged as ignored)" \
	grep -q 'accepted and ignored: --logtostderr, --alsologtostderr, --log_file, --log_file_max_size' "$E2E_TMP/s4.log"

scenario "Subnet annotations"
check_within 15 "Subnet cl (true): 198.18.0.0/24 from every speaker" paths_are "$RIB" 198.18.0.0/24 $ALL4
check "with AS path 65000 (eBGP) and next hop node1" has_route "$RIB" 198.18.0.0/24 "$N1" "*" - - 65000
check_holds 2 "Subnet lo (local): no CIDR" no_route "$RIB" 198.18.1.0/24
check "Subnet down (true, not Ready): no CIDR" no_route "$RIB" 198.18.4.0/24
check "its Pod with its own true: nothing either (Subnet not Ready)" no_route "$RIB" 198.18.4.17/32

scenario "Pod annotations"
check_within 10 "Pod lo-a inherits local: 198.18.1.10/32 only from node1" paths_are "$RIB" 198.18.1.10/32 "$N1"
check "Pod lo-b inherits local: 198.18.1.11/32 only from node2, next hop its --node-ips" \
	paths_are "$RIB" 198.18.1.11/32 "$N2"
check "Pod own-cluster (cluster, Subnet without annotation): from every speaker" \
	paths_are "$RIB" 198.18.3.14/32 $ALL4
check "Pod own-yes (\"yes\"): taken as true, from every speaker" paths_are "$RIB" 198.18.3.15/32 $ALL4
check "... with a warning" grep -q '"yes" is taken as "true"' "$(speaker_log s1)"
check "Pod plain (no annotation, Subnet none): not announced" no_route "$RIB" 198.18.3.16/32
check "Pod bare-local (no Kube-OVN annotations, status.podIPs, local): only from node3" \
	paths_are "$RIB" 198.18.5.18/32 "$N3"
check "hostNetwork Pod with true: never" no_route "$RIB" 198.18.5.99/32

check_within 10 "Pod dual (local, two addresses): 198.18.0.20/32 from node1" paths_are "$RIB" 198.18.0.20/32 "$N1"
check "... and 2001:db8:18::20/128 from node1, over the IPv6 session, next hop node1's IPv6 address" \
	paths_are "$RIB" 2001:db8:18::20/128 2001:db8:1::11
check "Subnet cl's IPv6 CIDR 2001:db8:18::/64 over the IPv6 session" paths_are "$RIB" 2001:db8:18::/64 2001:db8:1::11

FRR="frr_rib frr ipv4"
check_within 10 "FRR: Subnet cl's 198.18.0.0/24 from node1, AS path 65000" has_route "$FRR" 198.18.0.0/24 "$N1" "*" - - 65000
check "FRR: Pod lo-a (local, node1) 198.18.1.10/32 from node1" paths_are "$FRR" 198.18.1.10/32 "$N1"
check "FRR: Pod lo-b (local, node2) not from node1" no_route "$FRR" 198.18.1.11/32
check "FRR: the ClusterIP 198.18.6.1/32 (node1 has --announce-cluster-ip)" paths_are "$FRR" 198.18.6.1/32 "$N1"
check "FRR: the LB VIP 203.0.113.10/32 on the same session" paths_are "$FRR" 203.0.113.10/32 "$N1"

scenario "ClusterIP Services (--announce-cluster-ip / the cluster-ips opt-in)"
check_within 10 "Service ci 198.18.6.1/32 from node1 (flag) and node3 (annotation) only" \
	paths_are "$RIB" 198.18.6.1/32 "$N1" "$N3"

scenario "LB VIPs share the sessions"
check_within 10 "203.0.113.10/32 from every node" paths_are "$RIB" 203.0.113.10/32 $ALL4
S1=$(bird_since rtr node1) S2=$(bird_since rtr node2)

scenario "withdrawals on change (file mode reloads)"
cfg_rm "$C" pod-lo-a.yaml
check_within 10 "Pod lo-a deleted: 198.18.1.10/32 withdrawn" no_route "$RIB" 198.18.1.10/32
check_within 10 "... at FRR too" no_route "frr_rib frr ipv4" 198.18.1.10/32
pod own-cluster node2 198.18.3.14 quiet local | cfg_write "$C" pod-own-cluster.yaml
check_within 10 "Pod own-cluster turned local: 198.18.3.14/32 only from node2 now" paths_are "$RIB" 198.18.3.14/32 "$N2"
pod own-yes node1 198.18.3.15 quiet | cfg_write "$C" pod-own-yes.yaml
check_within 10 "Pod own-yes lost its annotation: withdrawn" no_route "$RIB" 198.18.3.15/32
cfg_rm "$C" subnet-lo.yaml
check_within 10 "Subnet lo deleted: its Pod lo-b's 198.18.1.11/32 withdrawn" no_route "$RIB" 198.18.1.11/32
subnet cl 198.18.0.0/24,2001:db8:18::/64 | sed 's/protocol: IPv4/protocol: Dual/' | cfg_write "$C" subnet-cl.yaml
check_within 10 "Subnet cl lost its annotation: 198.18.0.0/24 withdrawn everywhere" no_route "$RIB" 198.18.0.0/24
check_within 10 "... and 2001:db8:18::/64" no_route "$RIB" 2001:db8:18::/64
check "Pod dual keeps its own local: 2001:db8:18::20/128 stays" paths_are "$RIB" 2001:db8:18::20/128 2001:db8:1::11
subnet down 198.18.4.0/24 true True | cfg_write "$C" subnet-down.yaml
check_within 10 "Subnet down became Ready: 198.18.4.0/24 from every speaker" paths_are "$RIB" 198.18.4.0/24 $ALL4
check_within 10 "and its Pod's 198.18.4.17/32 too" paths_are "$RIB" 198.18.4.17/32 $ALL4
sed 's/"true"/"false"/' "$C/svc-ci.yaml" | cfg_write "$C" svc-ci.yaml
check_within 10 "Service ci annotation false: 198.18.6.1/32 withdrawn" no_route "$RIB" 198.18.6.1/32
check "the LB VIP stayed" paths_are "$RIB" 203.0.113.10/32 $ALL4
# Within a few seconds: birdc may not answer while BIRD takes the last UPDATEs (a flap changes Since for good).
check_within 5 "the sessions stayed up across the reloads (BIRD: same Since)" \
	eval '[ "$(bird_since rtr node1)" = "$S1" ] && [ "$(bird_since rtr node2)" = "$S2" ]'

e2e_finish
