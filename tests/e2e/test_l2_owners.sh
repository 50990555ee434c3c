#!/bin/sh
# L2 mode, who answers: three speakers on one LAN (and a second LAN on eth1), a
# client asking with arping and ndisc6.
#   - every VIP is answered by exactly one node, the one the owner rule gives
#     (computed here in Python from SHA-256, independently of the C code), over
#     IPv4 (ARP) and IPv6 (NDP), and a TCP connection to it reaches that node;
#   - all three speakers' status files agree on every owner;
#   - Services sharing an IP share its owner; externalTrafficPolicy Local and
#     nodeSelectors restrict the owner to the nodes they allow;
#   - a VIP with no ready endpoint, a free pool address and a foreign address
#     are never answered;
#   - an L2Advertisement naming eth1 is answered on the second LAN only;
#   - without the memberlist Secret, a speaker answers only the VIPs no other
#     node may own; with it back, the rule again;
#   - Nodes with only an IPv6 InternalIP: heartbeats over IPv6 keep everyone up;
#   - a speaker with another key is never counted up.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/l2lib.sh"
e2e_init l2own "$1"

N=3
l2_lab $N
l2_second_lan $N
ALL=(node1 node2 node3)
V4=(192.0.2.200 192.0.2.201 192.0.2.202 192.0.2.203 192.0.2.204 192.0.2.205)
V6=(2001:db8::200 2001:db8::201 2001:db8::202)
SHARED=192.0.2.206 LOCAL=192.0.2.207 SOLO=192.0.2.230 NOEP=192.0.2.208 FREE=192.0.2.219 FOREIGN=192.0.2.250
LAN2=(198.51.100.200 198.51.100.201)
for i in 1 2 3; do
	l2_vips_on_lo "n$i" "${V4[@]}" "${V6[@]}" $SHARED $LOCAL $SOLO "${LAN2[@]}"
	l2_listener "n$i" "node$i"
done

C=$E2E_TMP/config
mkdir -p "$C"
{ for i in 1 2 3; do cfg_node "node$i" "192.0.2.1$i" "2001:db8::1$i"; done; } | cfg_write "$C" nodes.yaml
{
	cfg_pool vips 192.0.2.200-192.0.2.220 2001:db8::200/124
	cfg_pool solo 192.0.2.230-192.0.2.239
	cfg_pool lan2 198.51.100.200-198.51.100.210
} | cfg_write "$C" pools.yaml
{
	cfg_l2adv l2 pools=vips interfaces=eth0
	cfg_l2adv only3 pools=solo nodes=node3 interfaces=eth0
	cfg_l2adv second pools=lan2 interfaces=eth1
} | cfg_write "$C" l2.yaml
cfg_memberlist "e2e-owners-memberlist-key-0123456789" | cfg_write "$C" secret.yaml
{
	k=0
	for v in "${V4[@]}" "${V6[@]}"; do cfg_service "s$k" "$v" Cluster node1,node2,node3; k=$((k + 1)); done
	cfg_service local "$LOCAL" Local node2
	cfg_service solo "$SOLO" Cluster node1
	cfg_service noep "$NOEP" Cluster -
	cfg_service l2a "${LAN2[0]}" Cluster node1
	cfg_service l2b "${LAN2[1]}" Cluster node1
	for n in web tls; do
		cat <<EOF
---
apiVersion: v1
kind: Service
metadata:
  name: $n
  namespace: default
  annotations:
    metallb.io/allow-shared-ip: front
spec:
  type: LoadBalancer
  ports:
    - port: $([ $n = web ] && echo 80 || echo 443)
status:
  loadBalancer:
    ingress:
      - ip: $SHARED
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: $n-x
  namespace: default
  labels:
    kubernetes.io/service-name: $n
addressType: IPv4
endpoints:
  - addresses: ["198.18.255.9"]
    nodeName: node3
EOF
	done
} | cfg_write "$C" services.yaml
cfg_check "$C"

for i in 1 2 3; do start_l2_speaker $i "$C"; done

# owner_mac VIP NODES... -> the MAC of eth0 of the node the rule picks
owner_mac() { local o; o=$(l2_expected_owner "$@"); l2_node_mac "${o#node}"; }
statuses_agree() {  # VIP OWNER
	local i want
	for i in 1 2 3; do
		want=$2
		[ "node$i" = "$2" ] && want="$2*"
		[ "$(l2_status_owner "node$i" "$1")" = "$want" ] || return 1
	done
}

scenario "every VIP answered by the rule's owner alone"
first=${V4[0]}
require_within 10 "$first answered by $(l2_expected_owner "$first" "${ALL[@]}")" \
	l2_answered_by "$first" "$(owner_mac "$first" "${ALL[@]}")"
declare -A seen=()
for v in "${V4[@]}" "${V6[@]}"; do
	o=$(l2_expected_owner "$v" "${ALL[@]}")
	seen[$o]=1
	check_within 5 "$v: ARP/NDP answered by $o only" l2_answered_by "$v" "$(l2_node_mac "${o#node}")"
	check_within 3 "$v: every speaker's status says $o" statuses_agree "$v" "$o"
	check "$v: TCP reaches $o" test "$(l2_tcp_who "$v")" = "$o"
done
check "the VIPs are spread over more than one node (${!seen[*]})" test "${#seen[@]}" -ge 2

scenario "sharing, Local and nodeSelectors"
o=$(l2_expected_owner $SHARED "${ALL[@]}")
check_within 5 "$SHARED (two Services): answered by $o only" l2_answered_by $SHARED "$(l2_node_mac "${o#node}")"
check "$SHARED: TCP reaches $o" test "$(l2_tcp_who $SHARED)" = "$o"
check_within 5 "$LOCAL (Local, endpoint on node2): answered by node2 only" l2_answered_by $LOCAL "$(l2_node_mac 2)"
check_within 5 "$SOLO (nodeSelectors node3): answered by node3 only" l2_answered_by $SOLO "$(l2_node_mac 3)"
check "$SOLO: TCP reaches node3" test "$(l2_tcp_who $SOLO)" = node3

scenario "never answered"
check "$NOEP (no ready endpoint)" l2_unanswered $NOEP
check "$FREE (pool address held by no Service)" l2_unanswered $FREE
check "$FOREIGN (in no pool)" l2_unanswered $FOREIGN
check "2001:db8::20f (free IPv6 pool address)" l2_unanswered 2001:db8::20f

scenario "interfaces: eth1 only"
for v in "${LAN2[@]}"; do
	o=$(l2_expected_owner "$v" "${ALL[@]}")
	check_within 5 "$v: answered on the second LAN by $o's eth1 only" l2_answered_by "$v" "02:00:5e:00:02:0${o#node}" eth1
	check "$v: not answered on the first LAN" l2_unanswered "$v" eth0
done
check "${V4[0]} (interfaces: eth0) not answered on the second LAN" l2_unanswered "${V4[0]}" eth1

scenario "no memberlist key"
cfg_rm "$C" secret.yaml
check_within 5 "every speaker says it has no key" \
	bash -c "grep -q 'no Secret memberlist' '$(speaker_log node1)' && grep -q 'no Secret memberlist' '$(speaker_log node2)' && grep -q 'no Secret memberlist' '$(speaker_log node3)'"
for v in "${V4[0]}" "${V6[0]}" $SHARED; do
	check_within 3 "$v (three eligible nodes): not answered by anyone" l2_unanswered "$v"
done
check_within 3 "$SOLO (only node3 eligible): still answered by node3" l2_answered_by $SOLO "$(l2_node_mac 3)"
check_within 3 "$LOCAL (only node2 eligible): still answered by node2" l2_answered_by $LOCAL "$(l2_node_mac 2)"
cfg_memberlist "e2e-owners-memberlist-key-0123456789" | cfg_write "$C" secret.yaml
for v in "${V4[@]}" "${V6[0]}"; do
	o=$(l2_expected_owner "$v" "${ALL[@]}")
	check_within 5 "key back: $v answered by $o only" l2_answered_by "$v" "$(l2_node_mac "${o#node}")"
done

scenario "heartbeats over IPv6 alone"
# The Nodes now list only their IPv6 InternalIP: heartbeats go over IPv6 only, and
# every speaker keeps seeing the others up (any gap of 300 ms would show).
{ for i in 1 2 3; do cfg_node "node$i" - "2001:db8::1$i"; done; } | cfg_write "$C" nodes.yaml
t=$EPOCHREALTIME
check_within 5 "every speaker ready, all peers up (status written after the change)" \
	l2_settled "$t" node1.status node2.status node3.status
check_holds 3 "and they stay so" l2_settled "$t" node1.status node2.status node3.status
o=$(l2_expected_owner "${V4[0]}" "${ALL[@]}")
check "${V4[0]}: still answered by $o only" l2_answered_by "${V4[0]}" "$(l2_node_mac "${o#node}")"
{ for i in 1 2 3; do cfg_node "node$i" "192.0.2.1$i" "2001:db8::1$i"; done; } | cfg_write "$C" nodes.yaml

scenario "a wrong key is refused"
# node3's speaker restarts with another key in a configuration of its own: node1
# and node2 drop its heartbeats and never count it up again.
C3=$E2E_TMP/config3
cp -r "$C" "$C3"
cfg_memberlist "a-different-key-for-node3-only-9876" | cfg_write "$C3" secret.yaml
stop node3
start_l2_speaker 3 "$C3"
check_within 5 "node1 drops node3's heartbeats: authentication failed" \
	grep -Eq "heartbeat from (192.0.2.13|2001:db8::13) dropped: authentication failed" "$(speaker_log node1)"
check_within 3 "node1's status shows node3 gone (it stopped cleanly)" l2_status_speaker node1 node3 "left|down"
check_holds 2 "and never up again" l2_status_speaker node1 node3 "left|down"

e2e_finish
