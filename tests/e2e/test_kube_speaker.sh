#!/bin/bash
# End-to-end test of vipcast-speaker in Kubernetes mode (tests/e2e/kubelab.sh):
# the real control plane, the controller, three nodes each running the speaker
# as the DaemonSet would (the permissions of deploy/rbac/speaker.yaml, the API
# server reached over the lab network), a BIRD router, a client.
#   - a Service created through the API gets an address (controller), routes at
#     BIRD from the nodes (ETP Cluster: every node; ETP Local: the nodes with a
#     ready endpoint only), and the client reaches it over HTTP;
#   - Pods moved (status patched; kube-controller-manager rewrites the
#     EndpointSlices) move the routes; a Node labelled
#     node.kubernetes.io/exclude-from-external-load-balancers withdraws;
#   - a BGPPeer edited through the API restarts its sessions only; an invalid
#     edit is refused and everything stays;
#   - ServiceBGPStatus per node with its peers, nodeAssigned Events once per node;
#   - L2: one node answers ARP, the client reaches it; kill -9 of its speaker:
#     another answers; ServiceL2Status follows the owner, and the restarted
#     speaker deletes its stale one;
#   - readiness: /readyz 200 once the caches synced.
#
# Usage: test_kube_speaker.sh BUILD_DIR
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
. "$(dirname "$0")/kubelib.sh"
kube_require kube_speaker
. "$(dirname "$0")/lib.sh"
e2e_init kspk "$1" openssl curl tac bird birdc python3 arping
. "$(dirname "$0")/kubelab.sh"
KDIR=$E2E_TMP/kube
e2e_diag_extra() { kubelab_diag; }
[ -x "$CONTROLLER" ] || die "$CONTROLLER is not built"

kubelab_up

scenario "speakers start before any BGPPeer"
for i in 1 2 3; do kubelab_speaker "$i"; done
check_within 10 "/healthz answers 200 on every node" \
	eval '[ "$(speaker_probe 1 /healthz)$(speaker_probe 2 /healthz)$(speaker_probe 3 /healthz)" = 200200200 ]'
check_within 30 "/readyz answers 200 once the caches synced and a configuration is in force" \
	eval '[ "$(speaker_probe 1 /readyz)$(speaker_probe 2 /readyz)$(speaker_probe 3 /readyz)" = 200200200 ]'

scenario "BGP: a Service through the API, routed from the nodes with endpoints"
{
	cfg_pool vips "$KL_BGP_RANGE"
	cfg_peer peer-a 64512 64512 192.0.2.1
	cfg_peer peer-b 64512 64512 192.0.2.2
	cfg_adv adv pools=vips
} | kc apply -f - >/dev/null || die "BGP configuration"
established_all() {
	local p i
	for p in a b; do for i in 1 2 3; do bird_established "$([ $p = a ] && echo rtr || echo rtr2)" "${p}node$i" || return 1; done; done
}
check_within 30 "BIRD: all six sessions Established (two BGPPeers, three nodes)" established_all
# speaker_metric N METRIC LABELS -> the sample's value on node N's /metrics, parsed by prometheus_client
speaker_metric() {
	"$E2E_PY" "$E2E_DIR/metrics_scrape.py" "http://$KL_NET.1$1:7472/metrics" 2>/dev/null |
		awk -v k="$2{$3}" '$1 == k { print $2; exit }'
}
check_within 5 '/metrics on node1 (Kubernetes mode, same port): metallb_bgp_session_up 1 for both peers' \
	eval '[ "$(speaker_metric 1 metallb_bgp_session_up peer=\"192.0.2.1\")$(speaker_metric 1 metallb_bgp_session_up peer=\"192.0.2.2\")" = 11 ]'
kubelab_service web Cluster
kubelab_service local Local
check_within 15 "the controller gives web and local addresses" eval '[ -n "$(svc_ip web)" ] && [ -n "$(svc_ip local)" ]'
WEB=$(svc_ip web) LOC=$(svc_ip local)
log "web $WEB, local $LOC"
check_holds 2 "no route while neither has a ready endpoint" eval '[ "$(bird_nexthops "$WEB")$(bird_nexthops "$LOC")" = -- ]'
kubelab_pod web-1 node1 True
kubelab_pod local-1 node2 True
check_within 20 "web (ETP Cluster) is routed via all three nodes" \
	eval '[ "$(bird_nexthops "$WEB")" = 192.0.2.11,192.0.2.12,192.0.2.13 ]'
check_within 20 "local (ETP Local) via node2 only, where its Pod is" eval '[ "$(bird_nexthops "$LOC")" = 192.0.2.12 ]'
check "both BGPPeers carry it" [ "$(bird_peers_with "$LOC")" = anode2,bnode2 ]
check_within 10 "the client reaches web over HTTP" eval '[ -n "$(http_who "$WEB")" ]'
check "and local, answered by node2" [ "$(http_who "$LOC")" = node2 ]
# ctl_json I ARGS... -> vipcastctl -o json against node I's speaker (Kubernetes mode)
ctl_json() { local i=$1; shift; "$BUILD/vipcastctl" --socket "$E2E_TMP/speaker$i.sock" -o json "$@"; }
check "vipcastctl status -o json on node2: Kubernetes mode, both BGPPeers Established" eval \
	'ctl_json 2 status | "$E2E_PY" -c "import json, sys; d = json.load(sys.stdin)[\"data\"]; sys.exit(not (d[\"mode\"] == \"kubernetes\" and sorted(s[\"state\"] for s in d[\"sessions\"]) == [\"Established\"] * 2))"'
check "vipcastctl why $LOC on node1: Local, no ready endpoint there" eval \
	'ctl_json 1 why "$LOC" | grep -q "\"code\": *\"no-local-endpoint\""'

scenario "Pods move"
b0=$(speaker_metric 3 vipcast_plan_builds_total "")
p0=$(speaker_metric 3 vipcast_plan_patch_duration_seconds_count "")
kubelab_pod local-2 node3 True local
kubelab_pod local-1 node2 False
check_within 20 "the Pod on node2 not ready, a new one ready on node3: local moves to node3" \
	eval '[ "$(bird_nexthops "$LOC")" = 192.0.2.13 ]'
check_within 10 "the client reaches it on node3" eval '[ "$(http_who "$LOC")" = node3 ]'
check "node3 patched its plan for the endpoints (vipcast_plan_patch_duration_seconds_count ${p0:-?} -> more), planned nothing afresh (vipcast_plan_builds_total ${b0:-?})" \
	eval '[ "$(speaker_metric 3 vipcast_plan_patch_duration_seconds_count "")" -gt "$p0" ] && [ "$(speaker_metric 3 vipcast_plan_builds_total "")" = "$b0" ]'
kubelab_pod local-2 node3 False
check_within 20 "no ready endpoint left: local withdrawn" eval '[ "$(bird_nexthops "$LOC")" = - ]'
check "web stays on all three nodes" [ "$(bird_nexthops "$WEB")" = 192.0.2.11,192.0.2.12,192.0.2.13 ]
kubelab_pod local-1 node2 True

scenario "Node excluded from external load balancers"
kc label node node3 node.kubernetes.io/exclude-from-external-load-balancers= >/dev/null
check_within 15 "node3 labelled: web withdrawn from node3" \
	eval '[ "$(bird_nexthops "$WEB")" = 192.0.2.11,192.0.2.12 ]'
kc label node node3 node.kubernetes.io/exclude-from-external-load-balancers- >/dev/null
check_within 15 "label removed: node3 announces web again" \
	eval '[ "$(bird_nexthops "$WEB")" = 192.0.2.11,192.0.2.12,192.0.2.13 ]'

scenario "BGPPeer edited through the API"
conns() {  # the routers' BGP connections, "local:port peer:port" per line, sorted (BIRD binds its own to eth0)
	{
		nsx rtr ss -Htn state established "( sport = :179 or dport = :179 )"
		nsx rtr2 ss -Htn state established "( sport = :179 or dport = :179 )"
	} | awk '{ print $3, $4 }' | sed -e 's/\[::ffff:\([0-9.]*\)\]/\1/g' -e 's/%[a-z0-9]*:/:/g' | sort
}
before_a=$(conns | grep '^192\.0\.2\.1:')
before_b=$(conns | grep '^192\.0\.2\.2:')
check "the routers see three connections per BGPPeer" [ "$(wc -l <<<"$before_a") $(wc -l <<<"$before_b")" = "3 3" ]
kc -n "$KL_SYS" patch bgppeer peer-b --type merge -p '{"spec":{"holdTime":"9s"}}' >/dev/null
b_restarted() {
	local now
	now=$(conns | grep '^192\.0\.2\.2:')
	[ "$(wc -l <<<"$now")" = 3 ] && [ -z "$(comm -12 <(echo "$now") <(echo "$before_b"))" ] && established_all
}
check_within 20 "peer-b's sessions restart (new connections from all three nodes)" b_restarted
check "peer-a's sessions kept their TCP connections" [ "$(conns | grep '^192\.0\.2\.1:')" = "$before_a" ]
e0=$(speaker_metric 1 vipcast_config_load_errors_total "")
r0=$(speaker_metric 1 vipcast_reload_duration_seconds_count "")
kc -n "$KL_SYS" patch bgppeer peer-a --type merge -p '{"spec":{"bfdProfile":"missing"}}' >/dev/null
check_within 10 "an invalid edit (a BFDProfile that does not exist) is refused and logged" \
	speaker_says 1 "metallb.io objects in $KL_SYS refused.*missing"
check_within 5 "and /metrics says so: metallb_k8s_client_config_stale_bool 1, config_loaded_bool 1" \
	eval '[ "$(speaker_metric 1 metallb_k8s_client_config_stale_bool "")$(speaker_metric 1 metallb_k8s_client_config_loaded_bool "")" = 11 ]'
check "vipcast_config_load_errors_total ${e0:-?} + 1; vipcast_reload_duration_seconds_count > ${r0:-?} (the refused snapshot planned too)" \
	eval '[ "$(speaker_metric 1 vipcast_config_load_errors_total "")" = $((e0 + 1)) ] && [ "$(speaker_metric 1 vipcast_reload_duration_seconds_count "")" -gt "$r0" ]'
check_holds 3 "and nothing moves: peer-a's connections stay" [ "$(conns | grep '^192\.0\.2\.1:')" = "$before_a" ]
kubelab_service web2 Cluster
kubelab_pod web2-1 node1 True
check_within 20 "a Service created meanwhile is still announced" \
	eval 'W2=$(svc_ip web2); [ -n "$W2" ] && [ "$(bird_nexthops "$W2")" = 192.0.2.11,192.0.2.12,192.0.2.13 ]'
kc -n "$KL_SYS" patch bgppeer peer-a --type json -p '[{"op":"remove","path":"/spec/bfdProfile"}]' >/dev/null
check_within 10 "the edit undone: valid again" speaker_says 1 "metallb.io objects in $KL_SYS valid again"
check_within 5 "metallb_k8s_client_config_stale_bool 0 again; updates counted" \
	eval '[ "$(speaker_metric 1 metallb_k8s_client_config_stale_bool "")" = 0 ] && [ "$(speaker_metric 1 metallb_k8s_client_updates_total "")" -gt 10 ]'
check "peer-a's connections were kept throughout" [ "$(conns | grep '^192\.0\.2\.1:')" = "$before_a" ]
kc -n "$KL_SYS" create secret generic helm-like --from-literal=release="$(head -c 60000 /dev/zero | tr '\0' x)" >/dev/null
kc -n "$KL_SYS" patch bgppeer peer-a --type merge -p '{"spec":{"passwordSecret":{"name":"helm-like"}}}' >/dev/null
check_within 10 "a password Secret of the wrong type is refused, by its type (the speaker keeps no data of such Secrets)" \
	speaker_says 1 "refused.*helm-like has type Opaque, not kubernetes.io/basic-auth"
kc -n "$KL_SYS" patch bgppeer peer-a --type json -p '[{"op":"remove","path":"/spec/passwordSecret"}]' >/dev/null
check_within 10 "the reference removed: valid again" eval '[ "$(grep -c "valid again" "$E2E_TMP/speaker1.log")" -ge 2 ]'
check "peer-a's connections were kept throughout" [ "$(conns | grep '^192\.0\.2\.1:')" = "$before_a" ]

scenario "status objects and Events (BGP)"
bgp_status_of() {  # SERVICE -> "node:peer,peer" per ServiceBGPStatus of the Service, sorted
	kc -n "$KL_SYS" get servicebgpstatuses -l "metallb.io/service-name=$1,metallb.io/service-namespace=$KL_NS" \
		-o jsonpath='{range .items[*]}{.status.node}:{.status.peers[*]}{"\n"}{end}' 2>/dev/null | tr ' ' , | sort | paste -sd' '
}
check_within 15 "web: one ServiceBGPStatus per node, each naming both BGPPeers" \
	eval '[ "$(bgp_status_of web)" = "node1:peer-a,peer-b node2:peer-a,peer-b node3:peer-a,peer-b" ]'
check_within 15 "local: only node2's, where its Pod is ready" eval '[ "$(bgp_status_of local)" = "node2:peer-a,peer-b" ]'
check "labelled as MetalLB labels them" \
	[ "$(kc -n "$KL_SYS" get servicebgpstatuses -l metallb.io/node=node2,metallb.io/service-name=local -o name | wc -l)" = 1 ]
check_within 10 "node2's status writer has caught up: vipcast_status_writes_pending 0, creates counted" \
	eval '[ "$(speaker_metric 2 vipcast_status_writes_pending "" | cut -d. -f1)" = 0 ] && [ "$(speaker_metric 2 vipcast_status_writes_total op=\"create\" | cut -d. -f1)" -ge 2 ]'
assigned() {  # SERVICE -> the nodeAssigned Events' messages on it, sorted, with their counts
	kc -n "$KL_NS" get events --field-selector "reason=nodeAssigned,involvedObject.name=$1" \
		-o jsonpath='{range .items[*]}{.message} x{.count}{"\n"}{end}' 2>/dev/null | sort | paste -sd';'
}
# node3 stopped announcing web while excluded and started again: that is a second Event; the
# reconciles since (Pods, BGPPeer edits, other Services) are none.
check "web: nodeAssigned once per node and start of announcing (node3 twice), protocol bgp" \
	[ "$(assigned web)" = 'announcing from node "node1" with protocol "bgp" x1;announcing from node "node2" with protocol "bgp" x1;announcing from node "node3" with protocol "bgp" x2' ]

scenario "L2: one node answers, failover, ServiceL2Status follows"
kc apply -f - >/dev/null <<EOF || die "L2 configuration"
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: l2vips, namespace: $KL_SYS}
spec: {addresses: [192.0.2.200-192.0.2.210], autoAssign: false}
---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata: {name: l2, namespace: $KL_SYS}
spec: {ipAddressPools: [l2vips]}
EOF
kubelab_service l2web Cluster l2vips
kubelab_pod l2web-1 node1 True
check_within 15 "l2web gets an address from l2vips" eval '[ -n "$(svc_ip l2web)" ]'
L2V=$(svc_ip l2web)
arp_macs() {
	nsx c arping -c 2 -W 0.2 -i eth1 "$1" 2>/dev/null |
		awk '/bytes from/ { for (i = 1; i <= NF; i++) if ($i == "from") print tolower($(i + 1)) }' | sort -u | paste -sd,
}
mac_node() { case $1 in 02:00:5e:00:01:0[1-3]) printf 'node%s' "${1#02:00:5e:00:01:0}" ;; *) printf '%s' "$1" ;; esac; }
l2_owner() { local m; m=$(arp_macs "$L2V"); [[ $m == *,* ]] && { printf 'several:%s' "$m"; return; }; mac_node "$m"; }
check_within 15 "exactly one node answers ARP for $L2V" eval 'o=$(l2_owner); [[ $o == node? ]]'
OWNER=$(l2_owner)
log "owner of $L2V: $OWNER"
check_within 5 "the client reaches it over HTTP, answered by $OWNER" eval '[ "$(nsx c curl -s -m 2 "http://$L2V:8080/")" = "$OWNER" ]'
l2_status_nodes() {
	kc -n "$KL_SYS" get servicel2statuses -l "metallb.io/service-name=l2web" -o jsonpath='{.items[*].status.node}' 2>/dev/null |
		tr ' ' '\n' | sort | paste -sd,
}
check_within 15 "one ServiceL2Status, naming $OWNER" eval '[ "$(l2_status_nodes)" = "$OWNER" ]'
check "web, announced over BGP, has no ServiceL2Status" \
	[ -z "$(kc -n "$KL_SYS" get servicel2statuses -l metallb.io/service-name=web -o name)" ]
crash "speaker${OWNER#node}"
check_within 5 "kill -9 of $OWNER's speaker: another node answers" eval 'o=$(l2_owner); [[ $o == node? ]] && [ "$o" != "$OWNER" ]'
NEW=$(l2_owner)
check_within 5 "the client reaches it again, answered by $NEW" eval '[ "$(nsx c curl -s -m 2 "http://$L2V:8080/")" = "$NEW" ]'
check_within 15 "the ServiceL2Status of $NEW appears" eval '[[ ",$(l2_status_nodes)," == *",$NEW,"* ]]'
kubelab_speaker "${OWNER#node}"
check_within 20 "$OWNER's speaker back (as the DaemonSet restarts it): its stale object goes, one ServiceL2Status left" \
	eval 's=$(l2_status_nodes); [ "$s" = "$(l2_owner)" ] && [[ $s == node? ]]'

for i in 1 2 3; do
	check "speaker node$i: no sanitizer report" not grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$E2E_TMP/speaker$i.log"
done
e2e_finish
