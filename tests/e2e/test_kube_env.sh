#!/bin/sh
# The test control plane (scripts/kube-env.sh): etcd, kube-apiserver and
# kube-controller-manager v1.37.2 built from the Go module proxy. Brought up on
# an address a network namespace reaches over a veth pair, it must serve the
# pinned version there; with a Node and a Pod whose status the test marks Ready
# (no kubelet), kube-controller-manager must write the Service's EndpointSlice;
# RBAC must refuse a service account without a role and admit it with one; a
# second instance on loopback must come up beside it; and `down` must stop
# exactly its processes and remove what it made.
#
# Exit 77 (skipped) only when the binaries are not built and
# VIPCAST_KUBE_OPTIONAL=1 says that is acceptable; otherwise missing binaries fail.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
KUBE_ENV=$(cd "$(dirname "$0")/../../scripts" && pwd)/kube-env.sh

eval "$("$(dirname "$KUBE_ENV")/kube-build.sh" --print-dirs)"
if [ ! -x "$KUBE_BIN/kube-apiserver" ] || [ ! -x "$KUBE_BIN/kube-controller-manager" ] ||
	[ ! -x "$KUBE_BIN/kubectl" ] || [ ! -x "$ETCD_BIN/etcd" ]; then
	if [ "${VIPCAST_KUBE_OPTIONAL:-}" = 1 ]; then
		echo "kube_env: control plane not built ($KUBE_BIN, $ETCD_BIN) and VIPCAST_KUBE_OPTIONAL=1: skipped" >&2
		exit 77
	fi
	echo "kube_env: control plane not built ($KUBE_BIN, $ETCD_BIN): run scripts/kube-build.sh" >&2
	exit 1
fi

. "$(dirname "$0")/lib.sh"
e2e_init kube_env "$1" openssl curl

KDIR=$E2E_TMP/kube
LDIR=$E2E_TMP/kube-lo
KUBECTL=$KUBE_BIN/kubectl

# The API server's address: the root end of a veth pair whose other end is in
# namespace "c" (198.19.N.0/30, N from our PID, so that parallel runs differ).
N=$(($$ % 250 + 1))
API_ADDR=198.19.$N.1
VETH=vk$$
ns_add c
ip link add "$VETH" type veth peer name eth0 netns "$(ns c)" || die "veth"
ip addr add "$API_ADDR/30" dev "$VETH" || die "address $API_ADDR"
ip link set "$VETH" up
ip -n "$(ns c)" addr add "198.19.$N.2/30" dev eth0
ip -n "$(ns c)" link set eth0 up

# kube_up DIR [--addr A] -> starts a control plane
kube_up() {
	local dir=$1 out rc
	shift
	out=$("$KUBE_ENV" up "$@" "$dir" 2>"$dir.up.log")
	rc=$?
	cat "$dir.up.log" >&2
	[ "$rc" = 0 ] && [ "$out" = "export KUBECONFIG=$dir/kubeconfig" ]
}
# On exit, pass or fail, every process a control plane recorded is stopped (by
# PID and start time); its files stay for diagnosis.
e2e_cleanup_extra() {
	local d name pid st
	for d in "$LDIR" "$KDIR"; do
		[ -f "$d/pids" ] || continue
		while read -r name pid st; do stop_pidst "$pid:$st"; done < <(tac "$d/pids")
	done
}
k() { "$KUBECTL" --kubeconfig "$KDIR/kubeconfig" "$@"; }
quiet() { "$@" >/dev/null 2>&1; }

# no_process_of DIR -> none of the processes DIR/pids named (copied to
# DIR.pids before `down`) still runs
no_process_of() {
	local name pid st
	while read -r name pid st; do
		pid_alive "$pid" "$st" && { log "$name ($pid) still runs"; return 1; }
	done <"$1.pids"
	return 0
}

e2e_diag_extra() {
	local f
	for f in "$KDIR"/*.log "$LDIR"/*.log; do
		[ -f "$f" ] || continue
		echo "[$f] last 10 lines:"
		tail -n 10 "$f" | sed 's/^/    /'
	done
}

scenario "up on a veth address"
t0=$(now)
check "kube-env.sh up --addr $API_ADDR prints the KUBECONFIG export" kube_up "$KDIR" --addr "$API_ADDR" ||
	{ log "cannot continue"; e2e_finish; }
log "control plane ready in $(elapsed "$t0") s"
cp "$KDIR/pids" "$KDIR.pids"
check "DIR/kubectl is the built kubectl" [ "$(readlink "$KDIR/kubectl")" = "$KUBECTL" ]
version() { "$@" get --raw /version | sed -n 's/.*"gitVersion": *"\([^"]*\)".*/\1/p'; }
check "/version from the root namespace is v1.37.2" [ "$(version k)" = v1.37.2 ]
check "/version from namespace c over the veth is v1.37.2" \
	[ "$(version nsx c "$KUBECTL" --kubeconfig "$KDIR/kubeconfig")" = v1.37.2 ]
check "the API server listens on $API_ADDR only" \
	not quiet "$KUBECTL" --kubeconfig "$KDIR/kubeconfig" --server "https://127.0.0.1:$(sed -n 's|.*server: https://.*:||p' "$KDIR/kubeconfig")" \
	--request-timeout 3s get --raw /readyz

scenario "EndpointSlice from a Pod marked Ready (no kubelet)"
k create namespace vt >/dev/null
require_within 20 "the serviceaccount controller makes vt/default" k -n vt get serviceaccount default
k apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Node
metadata:
  name: node-a
  labels: {kubernetes.io/hostname: node-a}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: vt}
spec:
  type: LoadBalancer
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: 8080, protocol: TCP}]
---
apiVersion: v1
kind: Pod
metadata: {name: web-0, namespace: vt, labels: {app: web}}
spec:
  nodeName: node-a
  containers: [{name: web, image: registry.invalid/web:1, ports: [{containerPort: 8080}]}]
EOF
check "Node, LoadBalancer Service and Pod created" quiet k -n vt get pod web-0
check "the Service got a ClusterIP from 198.18.128.0/24" \
	grep -q '^198\.18\.128\.' <<<"$(k -n vt get service web -o 'jsonpath={.spec.clusterIP}')"
slices() { k -n vt get endpointslices -l kubernetes.io/service-name=web -o name; }
# slice -> "ADDRESS READY NODE" per endpoint of the Service's EndpointSlices
slice() {
	k -n vt get endpointslices -l kubernetes.io/service-name=web \
		-o 'jsonpath={range .items[*].endpoints[*]}{.addresses[0]} {.conditions.ready} {.nodeName}{"\n"}{end}'
}
# pod_status READY -> what a kubelet would write: Running, podIP 198.18.5.10,
# condition Ready READY
pod_status() {
	quiet k -n vt patch pod web-0 --subresource status --type merge -p "
{\"status\": {\"phase\": \"Running\", \"podIP\": \"198.18.5.10\", \"podIPs\": [{\"ip\": \"198.18.5.10\"}],
  \"conditions\": [{\"type\": \"Ready\", \"status\": \"$1\",
  \"lastTransitionTime\": \"$(date -u +%Y-%m-%dT%H:%M:%SZ)\"}]}}"
}
check_within 30 "the Service's EndpointSlice exists, without endpoints while the Pod has no IP" \
	eval '[ -n "$(slices)" ] && [ -z "$(slice)" ]'
check "the Pod's status patched: podIP 198.18.5.10, not Ready" pod_status False
check_within 30 "kube-controller-manager writes the endpoint 198.18.5.10 on node-a, not ready" \
	eval '[ "$(slice)" = "198.18.5.10 false node-a" ]'
check "the Pod's status patched Ready" pod_status True
check_within 30 "kube-controller-manager marks the endpoint ready" \
	eval '[ "$(slice)" = "198.18.5.10 true node-a" ]'
check "the EndpointSlice names port http 8080" \
	[ "$(k -n vt get endpointslices -l kubernetes.io/service-name=web -o 'jsonpath={.items[0].ports[0].name} {.items[0].ports[0].port}')" = "http 8080" ]

scenario "RBAC"
k -n vt create serviceaccount nobody >/dev/null
TOKEN=$(k -n vt create token nobody --duration 10m)
check "a TokenRequest token is minted" [ -n "$TOKEN" ]
API_URL=$(sed -n 's|^ *server: ||p' "$KDIR/kubeconfig")
# as_nobody PATH -> the HTTP status of a GET as the service account
as_nobody() {
	curl -sS -o /dev/null -w '%{http_code}' --max-time 5 --cacert "$KDIR/pki/ca.crt" \
		-H "Authorization: Bearer $TOKEN" "$API_URL$1"
}
check "the service account is authenticated (/version: 200)" [ "$(as_nobody /version)" = 200 ]
check "listing services without a role: 403" [ "$(as_nobody /api/v1/namespaces/vt/services)" = 403 ]
k -n vt create role list-services --verb list --resource services >/dev/null
k -n vt create rolebinding nobody-lists --role list-services --serviceaccount vt:nobody >/dev/null
check_within 10 "with a role bound: 200" eval '[ "$(as_nobody /api/v1/namespaces/vt/services)" = 200 ]'
check "still 403 in another namespace" [ "$(as_nobody /api/v1/namespaces/default/services)" = 403 ]

scenario "a second control plane on loopback, beside the first"
check "kube-env.sh up (default address 127.0.0.1)" kube_up "$LDIR" || { log "cannot continue"; e2e_finish; }
cp "$LDIR/pids" "$LDIR.pids"
check "its kubeconfig names 127.0.0.1" grep -q 'server: https://127\.0\.0\.1:' "$LDIR/kubeconfig"
check "/version there is v1.37.2" [ "$(version "$KUBECTL" --kubeconfig "$LDIR/kubeconfig")" = v1.37.2 ]
check "the two are apart (no namespace vt on the second)" \
	not quiet "$KUBECTL" --kubeconfig "$LDIR/kubeconfig" get namespace vt

scenario "down"
check "kube-env.sh down (loopback instance)" "$KUBE_ENV" down "$LDIR"
check "no process of the loopback instance remains" no_process_of "$LDIR"
check "its directory is gone" not test -e "$LDIR"
check "the first instance still answers" quiet k get --raw /readyz
check "kube-env.sh down (veth instance)" "$KUBE_ENV" down "$KDIR"
check "no process of it remains" no_process_of "$KDIR"
check "its directory is gone" not test -e "$KDIR"
check "nothing listens on $API_ADDR any more" \
	[ -z "$(ss -Htln "( src $API_ADDR )")" ]
check "down again is harmless" "$KUBE_ENV" down "$KDIR"

e2e_finish
