#!/bin/bash
# The lab demo in Kubernetes mode (`scripts/demo.sh --kube`): the story of
# scripts/lab-demo.sh, told through a real API server. The test control plane
# (scripts/kube-env.sh: etcd, kube-apiserver, kube-controller-manager) listens
# on a veth into the fabric LAN; the examples are applied with kubectl;
# vipcast-controller gives the Services their addresses, and vipcast-speaker on
# each node, with the token of its ServiceAccount (deploy/rbac/speaker.yaml),
# reads them from the API and announces them to the router.
#
#   client 203.0.113.10 ---- router (BIRD 2, AS 64500) ---- fabric LAN 192.0.2.0/24
#                                                            |     |     |     |
#                                              node1..3: vipcast-speaker     the API server
#                                              (AS 64512), VIPs on lo,       198.19.N.1 (root
#                                              a web server on port 8080     namespace, a veth)
#
# Everything runs in network namespaces and processes created here and removed
# at the end, also on failure or Ctrl-C; only documentation addresses are used.
# It needs the control plane built (scripts/kube-build.sh, once) and says so.
#
# usage: scripts/kube-demo.sh [--no-build] [--pause]
#   --no-build  skip installing packages and building (use $VIPCAST_BUILD, default build-release/)
#   --pause     wait for Enter before cleaning up, to look around
# Run as root.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
cd "$(dirname "$0")/.." || exit 1
ROOT=$(pwd)
SRC=$ROOT
BUILD_DIR=${VIPCAST_BUILD:-$ROOT/build-release}
. "$ROOT/scripts/lab-common.sh"
lab_options kube-demo "$@"

# Building the control plane takes 10-25 min: never as a side effect of a demo.
eval "$(sh scripts/kube-build.sh --print-dirs)"
for b in "$KUBE_BIN/kube-apiserver" "$KUBE_BIN/kube-controller-manager" "$KUBE_BIN/kubectl" "$ETCD_BIN/etcd"; do
	[ -x "$b" ] && continue
	cat >&2 <<EOF
kube-demo: the test control plane is not built (etcd, kube-apiserver,
kube-controller-manager and kubectl in $KUBE_BIN and $ETCD_BIN).
Build it once (10-25 min on two cores; needs Go, /usr/local/go/bin/go):
    sh scripts/kube-build.sh
(scripts/install-deps.sh runs it too), then run ./scripts/demo.sh --kube again.
EOF
	exit 1
done

lab_build "$BUILD_DIR"

. "$ROOT/tests/e2e/kubelib.sh"
. "$ROOT/tests/e2e/lib.sh"
e2e_init kdemo "$BUILD_DIR" openssl curl tac bird birdc
. "$ROOT/tests/e2e/kubelab.sh"
KDIR=$E2E_TMP/kube
KL_NS=default
KL_SERVICE_RANGE=198.18.128.0/24,2001:db8:ff80::/112
KL_SPEAKER_LOG_LEVEL=info KL_CONTROLLER_LOG_LEVEL=info
EX=deploy/examples/lab
fail() { printf '\nkube-demo: FAILED: %s\n' "$*" >&2; record fail "$*"; e2e_finish; }
e2e_diag_extra() { kubelab_diag; }
kubectl() { printf '\033[2m$ kubectl %s\033[0m\n' "$*"; kc "$@" 2>&1 | indent; return "${PIPESTATUS[0]}"; }
show() { printf '\033[2m$ cat %s\033[0m\n' "$1"; grep -v '^#' "$1" | indent; }
for b in "$CONTROLLER" "$SPEAKER"; do [ -x "$b" ] || fail "$b is not built"; done

# ---------------------------------------------------------------- the network
say "network: router, three nodes on a fabric LAN, a client behind the router"
lab_net rtr c n lan
kubelab_api_port lan
for i in 1 2 3; do addr_add "n$i" eth0 "$KL_NET.1$i/24"; done
for n in rtr n1 n2 n3 c; do echo "    $(ns $n)"; done
echo "    the API server's address: $KL_API, on a veth from the root namespace into the LAN"

# ---------------------------------------------------------------- the control plane
say "control plane: etcd, kube-apiserver, kube-controller-manager (scripts/kube-env.sh up --addr $KL_API)"
KL_SHOW=$E2E_TMP/applied.txt
kubelab_control_plane
echo "    up; kubectl is $KDIR/kubectl, KUBECONFIG=$KDIR/kubeconfig (admin)"
say "the install's namespace, CRDs and RBAC (kubectl apply -f deploy/namespace.yaml -f deploy/crds -f deploy/rbac)"
indent <"$KL_SHOW"
echo "    the speaker and the controller run with tokens of their ServiceAccounts (kubectl create token):"
echo "    $KL_SPEAKER_KUBECONFIG, $KL_CONTROLLER_KUBECONFIG"
kubectl auth can-i update services/status --as system:serviceaccount:metallb-system:vipcast-speaker

say "the Nodes, as kubelets would register them"
kubectl apply -f "$EX/nodes.yaml" || fail "kubectl apply"
wait_until 20 kc get serviceaccount default || fail "no default ServiceAccount (kube-controller-manager)"

# ---------------------------------------------------------------- the router
lab_router_conf "$E2E_TMP/router-bird.log" >"$E2E_TMP/bird.conf"
say "router: BIRD 2, one eBGP session per node and family"
start_bird rtr rtr "$E2E_TMP/bird.conf"

# ---------------------------------------------------------------- vipcast
say "vipcast-controller (as its Deployment runs it)"
kubelab_controller
echo "    $CONTROLLER --kubeconfig controller.kubeconfig --namespace metallb-system"
say "vipcast-speaker on each node (as its DaemonSet runs it)"
for i in 1 2 3; do
	kubelab_speaker "$i"
	echo "    node$i: NODE_NAME=node$i vipcast-speaker --kubeconfig speaker.kubeconfig (in $(ns "n$i"))"
done

say "configuration: the pool and the BGP peering, as MetalLB users write them"
show "$EX/pool.yaml"
show "$EX/bgp.yaml"
kubectl apply -f "$EX/pool.yaml" -f "$EX/bgp.yaml" || fail "kubectl apply"
for i in 1 2 3; do
	wait_until 30 bird_established rtr "node$i" || fail "node$i's IPv4 session did not come up"
	wait_until 30 bird_established rtr "node${i}_v6" || fail "node$i's IPv6 session did not come up"
done
run birdc -s "$E2E_TMP/rtr/bird.ctl" show protocols | indent

# ---------------------------------------------------------------- the application
say "the application: three Services of type LoadBalancer and their Pods"
show "$EX/kube/services.yaml"
kubectl apply -f "$EX/kube/services.yaml" || fail "kubectl apply"
say "no kubelet here: the demo writes each Pod's status Running and Ready, as a kubelet would"
n=0
for p in web-1 web-2 web-3 web-local-1 api-1; do
	n=$((n + 1))
	kubelab_pod_status "$p" True "198.18.1.$n" "2001:db8:ff01::$n"
	echo "    $p: Ready, 198.18.1.$n 2001:db8:ff01::$n"
done
svc_ips() { kc get svc "$1" -o jsonpath='{.status.loadBalancer.ingress[*].ip}' 2>/dev/null; }
wait_until 20 eval '[ -n "$(svc_ips web)" ] && [ -n "$(svc_ips web-local)" ] && [ "$(svc_ips api | wc -w)" = 2 ]' ||
	fail "the Services did not get their addresses"
say "the Services got their addresses from vipcast-controller (kubectl get svc)"
kubectl get svc -o wide
kubectl get events --field-selector reason=IPAllocated
read -r API4 API6 <<<"$(svc_ips api)"
wait_until 20 eval '[ "$(kc get endpointslices -l kubernetes.io/service-name=web-local -o name | wc -l)" -ge 1 ]'
say "kube-controller-manager wrote the EndpointSlices from the ready Pods"
kubectl get endpointslices

say "nodes: the VIPs on lo and a web server on port 8080 (kube-proxy and the Pods, in miniature)"
for i in 1 2 3; do
	for v in 198.51.100.10/32 198.51.100.11/32 "$API4/32" "$API6/128"; do
		ip -n "$(ns "n$i")" addr add "$v" dev lo || fail "address $v on node$i"
	done
	kubelab_web "$i" :: "hello from node$i"
done
echo "    on every node's lo: 198.51.100.10 198.51.100.11 $API4 $API6"

# ---------------------------------------------------------------- what the router learned
RIB="bird_rib rtr"
lab_routes_in 20 "$API4" "$API6"
lab_show_router

# ---------------------------------------------------------------- the client
say "client: HTTP to the VIPs through the router"
lab_fetch http://198.51.100.10:8080/ http://198.51.100.11:8080/ "http://$API4:8080/" "http://[$API6]:8080/"
s=$(lab_spread http://198.51.100.10:8080/ 12)
echo "    12 connections to web (ETP Cluster, ECMP over 3 nodes): $s"

# ---------------------------------------------------------------- a change through the API
say "web-local's Pod moves: a new one Ready on node3, the one on node2 no longer Ready"
kubectl apply -f - <<EOF || fail "kubectl apply"
apiVersion: v1
kind: Pod
metadata: {name: web-local-2, namespace: default, labels: {app: web-local}}
spec:
  nodeName: node3
  containers: [{name: web, image: registry.invalid/web:1, ports: [{containerPort: 8080}]}]
EOF
kubelab_pod_status web-local-2 True 198.18.1.9 2001:db8:ff01::9
kubelab_pod_status web-local-1 False 198.18.1.4 2001:db8:ff01::4
wait_until 20 paths_are "$RIB" 198.51.100.11/32 192.0.2.13 || fail "198.51.100.11/32 did not move to node3"
bird_rib rtr 198.51.100.11/32 | indent
s=$(lab_spread http://198.51.100.11:8080/ 6)
echo "    6 connections to web-local: $s"
[ "$s" = "node3=6 " ] || fail "web-local was not served by node3 alone"

say "node1 is drained: kubectl label node node1 node.kubernetes.io/exclude-from-external-load-balancers="
kubectl label node node1 node.kubernetes.io/exclude-from-external-load-balancers=
wait_until 20 no_route "$RIB" '*' 192.0.2.11 || fail "node1's routes did not go"
bird_rib rtr 198.51.100.10/32 | indent
s=$(lab_spread http://198.51.100.10:8080/ 8)
echo "    8 connections to web: $s"
case $s in *node1*) fail "node1 still serves web after the drain" ;; esac

say "the speakers' logs (node2)"
grep -E ' (info|warn|error) ' "$E2E_TMP/speaker2.log" | tail -n 10 | indent

record pass "lab demo in Kubernetes mode"
lab_pause "the namespaces are $E2E_ID-*, KUBECONFIG=$KDIR/kubeconfig"
say "done: cleaning up (the control plane, namespaces and processes of this demo only)"
e2e_finish
