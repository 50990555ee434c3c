#!/bin/sh
# deploy/ against a real API server (scripts/kube-env.sh, v1.37.2, dual-stack
# Services): `kubectl apply --server-side -k deploy/` installs the namespace,
# the CRDs (each Established, with MetalLB's versions and storage version),
# RBAC, the controller Deployment and the speaker DaemonSet; every example of
# deploy/examples/ then applies, except kinds this cluster does not serve
# (IngressNginx, Kube-OVN's Subnet: skipped) and the one documentation mistake
# strict field validation refuses; every file of deploy/examples/invalid/ is
# refused by the schema naming the field its header names, or, when its header
# says vipcast refuses it (with an Event, once Kubernetes mode exists), accepted
# by the API server. Last, the service accounts' tokens do what RBAC allows and
# nothing else.
#
# Exit 77 (skipped) only when the control plane is not built and
# VIPCAST_KUBE_OPTIONAL=1; otherwise missing binaries fail.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
KUBE_ENV=$SRC/scripts/kube-env.sh

eval "$("$SRC/scripts/kube-build.sh" --print-dirs)"
if [ ! -x "$KUBE_BIN/kube-apiserver" ] || [ ! -x "$KUBE_BIN/kubectl" ] || [ ! -x "$ETCD_BIN/etcd" ]; then
	if [ "${VIPCAST_KUBE_OPTIONAL:-}" = 1 ]; then
		echo "deploy: control plane not built ($KUBE_BIN) and VIPCAST_KUBE_OPTIONAL=1: skipped" >&2
		exit 77
	fi
	echo "deploy: control plane not built ($KUBE_BIN): run scripts/kube-build.sh" >&2
	exit 1
fi

. "$(dirname "$0")/lib.sh"
e2e_init deploy "$1" openssl curl realpath tac

DEPLOY=$SRC/deploy
KDIR=$E2E_TMP/kube
KUBECTL=$KUBE_BIN/kubectl
NS=metallb-system
k() { "$KUBECTL" --kubeconfig "$KDIR/kubeconfig" "$@"; }
quiet() { "$@" >/dev/null 2>&1; }

e2e_cleanup_extra() {
	local name pid st
	[ -f "$KDIR/pids" ] || return 0
	while read -r name pid st; do stop_pidst "$pid:$st"; done < <(tac "$KDIR/pids")
}
e2e_diag_extra() {
	[ -f "$E2E_TMP/last.out" ] && { echo "[last kubectl output]"; sed 's/^/    /' "$E2E_TMP/last.out"; }
}

# out CMD... -> runs CMD, its output (both streams) kept in $E2E_TMP/last.out
out() { "$@" >"$E2E_TMP/last.out" 2>&1; }

scenario "the test control plane"
t0=$(now)
if ! check "kube-env.sh up (Services dual-stack)" eval \
	'KUBE_ENV_SERVICE_RANGE=198.18.128.0/24,2001:db8:ff80::/112 "$KUBE_ENV" up "$KDIR" >/dev/null'; then
	e2e_finish
fi
log "control plane ready in $(elapsed "$t0") s"

scenario "kubectl apply --server-side -k deploy/"
t0=$(now)
check "deploy/ applies" out k apply --server-side -k "$DEPLOY"
log "applied in $(elapsed "$t0") s"
crds=$(sed -n 's/^  name: \(.*\.metallb\.io\)$/\1/p' "$DEPLOY"/crds/*.yaml)
check "nine CRDs in deploy/crds" [ "$(echo "$crds" | wc -w)" = 9 ]
for c in $crds; do
	check "CRD $c is Established" quiet k wait --for condition=Established --timeout 30s "crd/$c"
done
# versions CRD -> "NAME:SERVED:STORAGE ..." in the CRD's order
versions() { k get crd "$1" -o 'jsonpath={range .spec.versions[*]}{.name}:{.served}:{.storage} {end}'; }
for c in ipaddresspools l2advertisements bgpadvertisements bfdprofiles communities servicel2statuses \
	servicebgpstatuses configurationstates; do
	check "$c.metallb.io serves and stores v1beta1 only" [ "$(versions "$c.metallb.io")" = "v1beta1:true:true " ]
done
check "bgppeers.metallb.io stores v1beta2 and serves v1beta1 too" \
	[ "$(versions bgppeers.metallb.io)" = "v1beta2:true:true v1beta1:true:false " ]
check "bgppeers.metallb.io converts without a webhook (strategy None)" \
	[ "$(k get crd bgppeers.metallb.io -o 'jsonpath={.spec.conversion.strategy}')" = None ]
for r in ipaddresspools servicel2statuses servicebgpstatuses configurationstates; do
	check "$r has a status subresource" \
		[ -n "$(k get crd "$r.metallb.io" -o 'jsonpath={.spec.versions[0].subresources.status}')" ]
done
check "the controller Deployment runs vipcast:dev with --leader-elect" \
	eval '[ "$(k -n $NS get deploy vipcast-controller -o "jsonpath={.spec.template.spec.containers[0].image} {.spec.template.spec.containers[0].args[1]}")" = "vipcast:dev --leader-elect" ]'
check "the controller runs as non-root with no capability" \
	eval '[ "$(k -n $NS get deploy vipcast-controller -o "jsonpath={.spec.template.spec.securityContext.runAsNonRoot} {.spec.template.spec.containers[0].securityContext.capabilities.drop}")" = "true [\"ALL\"]" ]'
sp='.spec.template.spec'
check "the speaker DaemonSet is on the host network, vipcast:dev" \
	eval '[ "$(k -n $NS get ds vipcast-speaker -o "jsonpath={$sp.hostNetwork} {$sp.containers[0].image}")" = "true vipcast:dev" ]'
check "the speaker adds only NET_RAW, NET_ADMIN, NET_BIND_SERVICE, drops ALL, read-only root" \
	eval '[ "$(k -n $NS get ds vipcast-speaker -o "jsonpath={$sp.containers[0].securityContext.capabilities.add} {$sp.containers[0].securityContext.capabilities.drop} {$sp.containers[0].securityContext.readOnlyRootFilesystem}")" = "[\"NET_RAW\",\"NET_ADMIN\",\"NET_BIND_SERVICE\"] [\"ALL\"] true" ]'
check "the speaker gets NODE_NAME from spec.nodeName" \
	eval '[ "$(k -n $NS get ds vipcast-speaker -o "jsonpath={$sp.containers[0].env[?(@.name==\"NODE_NAME\")].valueFrom.fieldRef.fieldPath}")" = spec.nodeName ]'
check "a second apply changes nothing it owns (no conflict)" out k apply --server-side -k "$DEPLOY"

scenario "the examples"
declare -A SERVED=()
# served APIVERSION KIND -> this API server serves that kind
served() {
	local path=/apis/$1
	[ "$1" = v1 ] && path=/api/v1
	[ -n "${SERVED[$1]+x}" ] || SERVED[$1]=$(k get --raw "$path" 2>/dev/null | grep -o '"kind":"[^"]*"' | sort -u)
	grep -qx "\"kind\":\"$2\"" <<<"${SERVED[$1]}"
}
# The one example strict field validation refuses: a documentation mistake
# kept as published (deploy/examples/README.md), by the real file's path.
declare -A REFUSED=([kube-ovn-underlay/underlay-ippool.yaml]='unknown field "nodeSelectors"')
for dir in "$DEPLOY"/examples/*/; do
	[ "$(basename "$dir")" = invalid ] && continue
	for f in "$dir"*.yaml; do
		rel=$(realpath --relative-to "$DEPLOY/examples" "$f")
		name=$(basename "$dir")/$(basename "$f")
		skip=""
		while read -r av kind; do
			served "$av" "$kind" || skip="$skip $kind ($av)"
		done < <(awk '/^---/ { if (kind != "") print av, kind; av = kind = "" }
			/^apiVersion:/ { av = $2 } /^kind:/ { kind = $2 }
			END { if (kind != "") print av, kind }' "$f")
		if [ -n "$skip" ]; then
			log "skipped $name: this cluster does not serve$skip"
			continue
		fi
		if [ -n "${REFUSED[$rel]:-}" ]; then
			check "$name is refused: ${REFUSED[$rel]} (documentation mistake)" \
				eval 'not out k apply -f "$f" && grep -qF -- "${REFUSED[$rel]}" "$E2E_TMP/last.out"'
		else
			check "$name applies" out k apply -f "$f"
		fi
	done
done

scenario "the invalid examples"
# absent RESOURCE NAME -> the API server answers NotFound for it in $NS
absent() { ! out k -n "$NS" get "$1" "$2" && grep -q NotFound "$E2E_TMP/last.out"; }
for f in "$DEPLOY"/examples/invalid/*.yaml; do
	by=$(sed -n 's/^# refused-by: *//p' "$f")
	field=$(sed -n 's/^# field: *//p' "$f")
	kind=$(sed -n 's/^kind: *//p' "$f")
	name=$(sed -n 's/^  name: *//p' "$f")
	case $by in
	schema)
		check "$(basename "$f") is refused, naming $field" \
			eval 'not out k apply -f "$f" && grep -qF -- "$field" "$E2E_TMP/last.out"'
		check "  and $kind $name does not exist" absent "$kind.metallb.io" "$name" ;;
	vipcast)
		check "$(basename "$f") passes the schema (vipcast refuses it; its Event is not tested yet)" \
			out k apply -f "$f"
		quiet k delete -f "$f" ;;
	*) record fail "$(basename "$f"): no '# refused-by:' header" ;;
	esac
done

scenario "MetalLB's API: every field, and BGPPeer v1beta1 as MetalLB converts it"
ALL=$SRC/tests/vectors/metallb/all-fields.yaml
check "all-fields.yaml (every field of MetalLB's newest API) applies" out k apply -f "$ALL"
quiet k delete -f "$ALL"
V1PEER='{"apiVersion":"metallb.io/v1beta1","kind":"BGPPeer","metadata":{"name":"v1-timers","namespace":"'$NS'"},
"spec":{"myASN":64500,"peerASN":64501,"peerAddress":"192.0.2.1"}}'
check "a v1beta1 BGPPeer without timers applies" eval 'out k apply -f - <<<"$V1PEER"'
check "  and is stored with holdTime and keepaliveTime 0s, as MetalLB's conversion writes them" \
	eval '[ "$(k -n $NS get bgppeers.v1beta2.metallb.io v1-timers -o "jsonpath={.spec.holdTime} {.spec.keepaliveTime}")" = "0s 0s" ]'
quiet k -n "$NS" delete bgppeers.metallb.io v1-timers

scenario "RBAC"
API=$(sed -n 's|^ *server: ||p' "$KDIR/kubeconfig")
# token_config SA -> a kubeconfig with a fresh token of service account SA
token_config() {
	local t
	t=$(k -n "$NS" create token "$1" --duration 10m) || return 1
	printf '%s' "$t" >"$E2E_TMP/$1.token"
	cat >"$E2E_TMP/$1.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: "$API", certificate-authority: "$KDIR/pki/ca.crt"}
users:
- name: u
  user: {token: "$t"}
contexts:
- name: c
  context: {cluster: c, user: u}
current-context: c
EOF
}
check "tokens for vipcast-controller and vipcast-speaker" \
	eval 'token_config vipcast-controller && token_config vipcast-speaker'
as() { local sa=$1; shift; "$KUBECTL" --kubeconfig "$E2E_TMP/$sa.kubeconfig" "$@"; }
# denied SA CMD... -> the request is refused by authorization (403), not otherwise
denied() { ! out as "$@" && grep -q 'Forbidden\|forbidden' "$E2E_TMP/last.out"; }
allowed() { out as "$@"; }
# api SA METHOD PATH [JSON] -> the HTTP status of that request as SA (what
# vipcast's own client sends: a PATCH or PUT of a status without reading it)
api() {
	local ct=application/merge-patch+json
	[ "$2" = PUT ] && ct=application/json
	curl -sS -o "$E2E_TMP/last.out" -w '%{http_code}' --max-time 10 --cacert "$KDIR/pki/ca.crt" \
		-H "Authorization: Bearer $(cat "$E2E_TMP/$1.token")" -H "Content-Type: $ct" \
		-X "$2" ${4:+--data-binary "$4"} "$API$3"
}
lb_status='{"status":{"loadBalancer":{"ingress":[{"ip":"198.51.100.10"}]}}}'
k apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Node
metadata: {name: node-a}
---
apiVersion: v1
kind: Service
metadata: {name: rbac-web, namespace: default}
spec:
  type: LoadBalancer
  ports: [{port: 80, protocol: TCP}]
EOF
check "speaker: lists Services in every namespace" allowed vipcast-speaker get services -A
check "speaker: lists EndpointSlices, Nodes, Namespaces, IPAddressPools" \
	allowed vipcast-speaker get endpointslices,nodes,namespaces,ipaddresspools.metallb.io -A
check "speaker: lists and watches Pods in every namespace (Kube-OVN's routes)" \
	eval 'allowed vipcast-speaker get pods -A && allowed vipcast-speaker auth can-i watch pods -A'
check "speaker: may not update a Service's status (403)" \
	[ "$(api vipcast-speaker PATCH /api/v1/namespaces/default/services/rbac-web/status "$lb_status")" = 403 ]
check "speaker: may not update a Service" \
	denied vipcast-speaker -n default label service rbac-web x=y
check "speaker: reads Secrets in $NS" allowed vipcast-speaker -n "$NS" get secrets
check "speaker: may not read Secrets in default" denied vipcast-speaker -n default get secrets
l2status() {
	printf 'apiVersion: metallb.io/v1beta1\nkind: ServiceL2Status\nmetadata: {name: l2-rbac, namespace: %s}\nspec: {}\n' "$1"
}
check "speaker: creates a ServiceL2Status in $NS" eval 'l2status "$NS" | allowed vipcast-speaker create -f -'
check "speaker: writes its status" allowed vipcast-speaker -n "$NS" patch servicel2status l2-rbac \
	--subresource status --type merge -p '{"status":{"node":"node-a","serviceName":"rbac-web","serviceNamespace":"default"}}'
check "speaker: deletes it" allowed vipcast-speaker -n "$NS" delete servicel2status l2-rbac
check "speaker: may not create one in default" eval 'l2status default | denied vipcast-speaker create -f -'
check "speaker: may not write an IPAddressPool" \
	denied vipcast-speaker -n "$NS" label ipaddresspools.metallb.io --all x=y
CRDS=/apis/apiextensions.k8s.io/v1/customresourcedefinitions
BY_NAME="fieldSelector=metadata.name%3Dsubnets.kubeovn.io"
for sa in vipcast-speaker vipcast-controller; do
	check "${sa#vipcast-}: lists and watches the CRD subnets.kubeovn.io by name (200, 200)" \
		eval '[ "$(api $sa GET "$CRDS?$BY_NAME")" = 200 ] &&
			[ "$(api $sa GET "$CRDS?$BY_NAME&watch=1&timeoutSeconds=1")" = 200 ]'
	check "${sa#vipcast-}: may not list every CRD (403)" [ "$(api $sa GET "$CRDS")" = 403 ]
done
check "controller: updates a Service's status (200)" \
	[ "$(api vipcast-controller PATCH /api/v1/namespaces/default/services/rbac-web/status "$lb_status")" = 200 ]
check "  and the address is there" \
	[ "$(k -n default get service rbac-web -o 'jsonpath={.status.loadBalancer.ingress[0].ip}')" = 198.51.100.10 ]
check "controller: may not delete a Node" denied vipcast-controller delete node node-a
check "  and node-a is still there" quiet k get node node-a
check "controller: may not list EndpointSlices (it has no use for them)" \
	denied vipcast-controller get endpointslices -A
check "controller: creates the memberlist Secret" \
	allowed vipcast-controller -n "$NS" create secret generic memberlist --from-literal secretkey=0123456789abcdef
check "controller: reads it" allowed vipcast-controller -n "$NS" get secret memberlist
check "controller: may not read another Secret" eval \
	'k -n "$NS" create secret generic other --from-literal a=b >/dev/null && denied vipcast-controller -n "$NS" get secret other'
check "controller: may not list all Secrets" denied vipcast-controller -n "$NS" get secrets
check "controller: may not read Secrets in default" denied vipcast-controller -n default get secrets
lease() {
	printf 'apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata: {name: %s, namespace: %s}\nspec: {holderIdentity: a, leaseDurationSeconds: 15}\n' "$1" "$NS"
}
leases=/apis/coordination.k8s.io/v1/namespaces/$NS/leases
# renew NAME SA -> SA reads Lease NAME and writes it back with another holder (PUT)
renew() {
	local body
	[ "$(api "$2" GET "$leases/$1")" = 200 ] || return 1
	body=$(sed 's/"holderIdentity": *"[^"]*"/"holderIdentity": "b"/' "$E2E_TMP/last.out")
	[ "$(api "$2" PUT "$leases/$1" "$body")" = 200 ]
}
check "controller: creates the Lease vipcast-controller" \
	eval 'lease vipcast-controller | allowed vipcast-controller create -f -'
check "controller: renews it (GET, PUT)" renew vipcast-controller vipcast-controller
check "  and the holder changed" \
	[ "$(k -n "$NS" get lease vipcast-controller -o 'jsonpath={.spec.holderIdentity}')" = b ]
check "controller: may not read another Lease" \
	eval 'lease other | k create -f - >/dev/null && [ "$(api vipcast-controller GET "$leases/other")" = 403 ]'
pool=$(k -n "$NS" get ipaddresspools.metallb.io -o 'jsonpath={.items[0].metadata.name}')
check "controller: writes IPAddressPool status (200)" \
	[ "$(api vipcast-controller PATCH "/apis/metallb.io/v1beta1/namespaces/$NS/ipaddresspools/$pool/status" \
		'{"status":{"assignedIPv4":1,"assignedIPv6":0,"availableIPv4":9,"availableIPv6":0}}')" = 200 ]
check "speaker: may not (403)" \
	[ "$(api vipcast-speaker PATCH "/apis/metallb.io/v1beta1/namespaces/$NS/ipaddresspools/$pool/status" \
		'{"status":{"assignedIPv4":2,"assignedIPv6":0,"availableIPv4":8,"availableIPv6":0}}')" = 403 ]
check "controller: may not change an IPAddressPool's spec" \
	denied vipcast-controller -n "$NS" label ipaddresspools.metallb.io --all x=y

e2e_finish
