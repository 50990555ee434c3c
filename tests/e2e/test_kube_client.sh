#!/bin/bash
# End-to-end test of the API client (kube/) against a real control plane:
# etcd, kube-apiserver and kube-controller-manager from scripts/kube-env.sh, on
# loopback. tests/e2e/kube_client_driver.c lists and watches through the
# library and prints every change as a line; the test changes objects with
# kubectl and checks that each change arrives exactly once, and nothing else:
#   - paged list (limit 10 over 25 Services), synced, then watch; creates,
#     updates, deletes of Services and EndpointSlices; a failed page (a
#     failpoint) asked for again with its continue token, not the whole list;
#   - the API server killed (SIGKILL) and started again: the watch resumes,
#     changes made meanwhile arrive once, the unchanged objects cause nothing;
#   - 410 Gone: the driver frozen while objects change, the API server
#     restarted without its watch cache and etcd compacted, the driver thawed:
#     it relists and reports only the real differences;
#   - the API server stopped (SIGSTOP) for a while: the driver idles (CPU
#     time measured) and carries on after SIGCONT;
#   - in-cluster mode: the token file replaced (read before the next request)
#     and rewritten in place with its old mtime (found by the 401);
#   - an event larger than --max-event refused with a log line and a relist;
#   - a status write from a stale resourceVersion: 409, read again, written;
#     one from inside the watch callback (as the controller will write);
#   - Events counted up, and paced (4 in flight, 20/s, 1000 waiting, then dropped);
#     Leases created, renewed, taken over, and a stale
#     update refused (409); discovery of kubeovn.io before and after its CRD;
#     metallb.io IPAddressPools decoded by the configuration decoders.
# Needs root only for lib.sh's conventions; no network namespace is used.
#
# Usage: test_kube_client.sh BUILD_DIR. KUBE_ENV may name kube-env.sh (default:
# scripts/kube-env.sh of this tree); KC_STOP_S the SIGSTOP time (default 20).
# Exit 77 (skipped) only when the control plane is not built and
# VIPCAST_KUBE_OPTIONAL=1 says that is acceptable.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
. "$(dirname "$0")/kubelib.sh"
kube_require kube_client
. "$(dirname "$0")/lib.sh"
e2e_init kube_client "$1" openssl curl  # openssl and curl: kube-env.sh

DRIVER=$BUILD/kube_client_driver
STOP_S=${KC_STOP_S:-20}
KDIR=$E2E_TMP/kube
NS=kc

[ -x "$DRIVER" ] || die "$DRIVER is not built"

# ------------------------------------------------------------------ the driver
# start_driver NAME ARGS... -> commands go to fd of DRV_FD[NAME]; lines to NAME.out
declare -A DRV_FD=()
start_driver() {
	local name=$1 fd
	shift
	mkfifo "$E2E_TMP/$name.in"
	"$DRIVER" "$@" --log-level debug <"$E2E_TMP/$name.in" >"$E2E_TMP/$name.out" 2>"$E2E_TMP/$name.log" &
	track "$name" $! driver -
	exec {fd}>"$E2E_TMP/$name.in"
	DRV_FD[$name]=$fd
}
cmd() { local n=$1; shift; printf '%s\n' "$*" >&"${DRV_FD[$n]}"; }
out() { cat "$E2E_TMP/$1.out"; }
lines() { wc -l <"$E2E_TMP/$1.out"; }
# since NAME START -> the lines printed after line START
since() { tail -n "+$(($2 + 1))" "$E2E_TMP/$1.out"; }
has_line() { grep -qE "$2" "$E2E_TMP/$1.out"; }
# events NAME START RES -> "TYPE ns/name" of each event of RES since START, sorted
events() { since "$1" "$2" | awk -v r="$3" '$1 == "EVENT" && $2 == r { print $3, $4 }' | sort; }
# wstat NAME RES FIELD -> FIELD=value of the last STATS line for RES (print stats first)
wstat() {
	awk -v r="$2" -v f="$3" '$1 == "STATS" && $2 == r { for (i = 3; i <= NF; i++) { split($i, kv, "="); if (kv[1] == f) v = kv[2] } } END { print v }' "$E2E_TMP/$1.out"
}
http_stat() {
	awk -v f="$2" '$1 == "HTTP" { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == f) v = kv[2] } } END { print v }' "$E2E_TMP/$1.out"
}
# fresh_stats NAME -> asks for STATS and waits for the answer
http_lines_over() { [ "$(grep -c '^HTTP ' "$E2E_TMP/$1.out")" -gt "$2" ]; }
fresh_stats() {
	local n0
	n0=$(grep -c '^HTTP ' "$E2E_TMP/$1.out")
	cmd "$1" stats
	wait_until 10 http_lines_over "$1" "$n0"
}
# want_events NAME START RES "TYPE ns/name"... -> exactly these events since START
want_events() {
	local n=$1 s=$2 r=$3 got want
	shift 3
	got=$(events "$n" "$s" "$r")
	want=$(printf '%s\n' "$@" | sed '/^$/d' | sort)
	[ "$got" = "$want" ] && return 0
	log "events of $r: got [$(echo "$got" | tr '\n' ';')] want [$(echo "$want" | tr '\n' ';')]"
	return 1
}
cpu_ticks() { awk '{ s = $0; sub(/.*\) /, "", s); split(s, f, " "); print f[12] + f[13] }' "/proc/$1/stat"; }

e2e_diag_extra() {
	local n
	for n in "${!DRV_FD[@]}"; do
		echo "[$n] last lines of $n.out and $n.log:"
		tail -n 15 "$E2E_TMP/$n.out" 2>/dev/null | sed 's/^/    /'
		tail -n 15 "$E2E_TMP/$n.log" 2>/dev/null | sed 's/^/    /'
	done
}

# service NAME [TYPE] -> a Service in $NS: headless ClusterIP (no address used) or LoadBalancer
service() {
	if [ "${2:-}" = LoadBalancer ]; then
		printf -- '---\napiVersion: v1\nkind: Service\nmetadata: {name: %s, namespace: %s}\nspec:\n  type: LoadBalancer\n  selector: {app: %s}\n  ports: [{name: http, port: 80, targetPort: 8080, protocol: TCP}]\n' "$1" "$NS" "$1"
	else
		printf -- '---\napiVersion: v1\nkind: Service\nmetadata: {name: %s, namespace: %s}\nspec: {clusterIP: None, ports: [{name: http, port: 80}]}\n' "$1" "$NS"
	fi
}
slice() {
	printf -- '---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: %s\n  namespace: %s\n  labels: {kubernetes.io/service-name: %s}\naddressType: IPv4\nports: [{name: http, port: 8080, protocol: TCP}]\nendpoints:\n- addresses: ["%s"]\n  conditions: {ready: true}\n' "$1" "$NS" "$2" "$3"
}
crd() {  # crd GROUP KIND PLURAL VERSION SCOPE
	cat <<EOF
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: $3.$1}
spec:
  group: $1
  scope: $5
  names: {kind: $2, plural: $3, singular: $(echo "$2" | tr 'A-Z' 'a-z'), listKind: ${2}List}
  versions:
  - name: $4
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
EOF
}

# ================================================================== up
scenario "control plane"
t0=$(now)
if ! bash "$KUBE_ENV" up "$KDIR" >"$E2E_TMP/kube-env.log" 2>&1; then
	rc=$?
	tail -n 20 "$E2E_TMP/kube-env.log" >&2
	[ "$rc" = 3 ] && die "the control plane is not built: run scripts/kube-build.sh"
	die "kube-env.sh up failed"
fi
record pass "etcd, kube-apiserver and kube-controller-manager up ($(elapsed "$t0") s)"
kc create namespace "$NS" >/dev/null
for i in $(seq 1 25); do service "s$i"; done | kc apply -f - >/dev/null || die "creating Services"

# ================================================================== list, page, watch
scenario "paged list and watch"
start_driver drv --kubeconfig "$KDIR/kubeconfig" --limit 10 --watch "services:$NS" --watch "endpointslices:$NS" \
	--watch "ipaddresspools:$NS"
check_within 20 "the Services list is synced" has_line drv "^SYNCED services:$NS n=25 "
fresh_stats drv
check "25 Services listed in 3 pages of 10" test "$(wstat drv "services:$NS" pages)" = 3
check "each of the 25 Services ADDED once" test "$(events drv 0 "services:$NS" | grep -c '^ADDED ')" = 25
check_within 10 "the EndpointSlice list is synced (empty)" has_line drv "^SYNCED endpointslices:$NS n=0 "

s=$(lines drv)
service w1 LoadBalancer | kc apply -f - >/dev/null
check_within 10 "a created Service is ADDED" has_line drv "^EVENT services:$NS ADDED $NS/w1 "
check_within 20 "the EndpointSlice the controller manager makes for it is ADDED" \
	has_line drv "^EVENT endpointslices:$NS ADDED $NS/w1-"
kc label service w1 -n "$NS" tier=web >/dev/null
check_within 10 "a labelled Service is MODIFIED" has_line drv "^EVENT services:$NS MODIFIED $NS/w1 "
slice manual-1 w1 198.18.0.10 | kc apply -f - >/dev/null
check_within 10 "an EndpointSlice created by hand is ADDED" has_line drv "^EVENT endpointslices:$NS ADDED $NS/manual-1 "
kc label endpointslice manual-1 -n "$NS" x=y >/dev/null
check_within 10 "...and MODIFIED" has_line drv "^EVENT endpointslices:$NS MODIFIED $NS/manual-1 "
kc delete service w1 -n "$NS" --wait=false >/dev/null
check_within 10 "a deleted Service is DELETED" has_line drv "^EVENT services:$NS DELETED $NS/w1 "
kc delete endpointslice manual-1 -n "$NS" >/dev/null
check_within 10 "...and the EndpointSlice" has_line drv "^EVENT endpointslices:$NS DELETED $NS/manual-1 "
check_within 20 "the controller manager's EndpointSlice goes with its Service" \
	has_line drv "^EVENT endpointslices:$NS DELETED $NS/w1-"
check "each Service change arrived exactly once" want_events drv "$s" "services:$NS" \
	"ADDED $NS/w1" "MODIFIED $NS/w1" "DELETED $NS/w1"

scenario "a list page that fails is asked for again, not the whole list"
# A failpoint (test builds) fails the second page as a timed-out one would; the list goes on
# from that page with its continue token (a 100k list does not start over for one slow page).
VIPCAST_FAILPOINT_LIST_PAGE_FAIL=2 start_driver pf --kubeconfig "$KDIR/kubeconfig" --limit 10 --watch "services:$NS"
check_within 20 "the Services list is synced" has_line pf "^SYNCED services:$NS n="
if grep -q "VIPCAST_FAILPOINT_LIST_PAGE_FAIL: call 2 fails" "$E2E_TMP/pf.log"; then
	n=$(sed -n "s/^SYNCED services:$NS n=\([0-9]*\) .*/\1/p" "$E2E_TMP/pf.out" | head -n 1)
	fresh_stats pf
	check "$n Services in $(((n + 9) / 10)) pages after one failed page: no page asked for twice but that one" \
		eval '[ "$(wstat pf "services:$NS" pages)" = $(((n + 9) / 10)) ] && [ "$(wstat pf "services:$NS" failures)" = 1 ]'
	check "each of them ADDED once" test "$(events pf 0 "services:$NS" | grep -c '^ADDED ')" = "$n"
else
	log "SKIP: this driver has no failpoints (a test build has them: VIPCAST_SANITIZE or VIPCAST_FAILPOINTS)"
fi
stop pf
check "pf: no sanitizer report" not grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$E2E_TMP/pf.log"

# ================================================================== API server killed
scenario "API server killed and restarted"
slice manual-2 s1 198.18.0.11 | kc apply -f - >/dev/null
wait_until 10 has_line drv "^EVENT endpointslices:$NS ADDED $NS/manual-2 "
fresh_stats drv
w0=$(wstat drv "services:$NS" watches) r0=$(wstat drv "services:$NS" relists)
s=$(lines drv)
t0=$(now)
api_restart
record pass "kube-apiserver killed and back ($(elapsed "$t0") s)"
service w2 | kc apply -f - >/dev/null
kc label service s1 -n "$NS" changed=yes >/dev/null
kc delete service s2 -n "$NS" >/dev/null
check_within 30 "the changes made after the restart arrive" has_line drv "^EVENT services:$NS DELETED $NS/s2 "
sleep 1
check "...each exactly once, and nothing for the 23 unchanged Services" want_events drv "$s" "services:$NS" \
	"ADDED $NS/w2" "MODIFIED $NS/s1" "DELETED $NS/s2"
check "no event for the unchanged EndpointSlice" test -z "$(events drv "$s" "endpointslices:$NS" | grep manual-2)"
fresh_stats drv
r1=$(wstat drv "services:$NS" relists)
check "the Services watch was started again" test "$(wstat drv "services:$NS" watches)" -gt "$w0"
log "after the restart: relists $r0 -> $r1 (a relist is the watch cache's 'too old' answer), gone=$(wstat drv "services:$NS" gone)"

# ================================================================== 410 Gone
scenario "410 Gone: etcd compacted behind a frozen client"
fresh_stats drv
g0=$(wstat drv "services:$NS" gone) r0=$(wstat drv "services:$NS" relists)
s=$(lines drv)
# Frozen before the API server goes, so no event of what follows waits in its socket.
freeze drv
# Without the watch cache, a watch is served by etcd, which answers a compacted revision with 410.
api_restart --watch-cache=false
service w3 | kc apply -f - >/dev/null
kc label service s3 -n "$NS" changed=yes >/dev/null
kc delete service s4 -n "$NS" >/dev/null
rev=$(etcdctl_ endpoint status -w json | $E2E_PY -c 'import json,sys; print(json.load(sys.stdin)[0]["Status"]["header"]["revision"])')
check "etcd compacted to revision $rev" etcdctl_ compact "$rev"
thaw drv
check_within 30 "the driver lists again after 410 Gone" has_line drv "^EVENT services:$NS DELETED $NS/s4 "
sleep 1
check "the relist reports only the real differences" want_events drv "$s" "services:$NS" \
	"ADDED $NS/w3" "MODIFIED $NS/s3" "DELETED $NS/s4"
check "no event for the unchanged EndpointSlice" test -z "$(events drv "$s" "endpointslices:$NS" | grep manual-2)"
fresh_stats drv
check "410 counted and one relist" test "$(wstat drv "services:$NS" gone)" -gt "$g0" -a \
	"$(wstat drv "services:$NS" relists)" -gt "$r0"
grep -m1 "is gone" "$E2E_TMP/drv.log" | sed 's/^/    /' >&2
s=$(lines drv)
service w5 | kc apply -f - >/dev/null
check_within 10 "and watches again from the list" has_line drv "^EVENT services:$NS ADDED $NS/w5 "

# ================================================================== SIGSTOP
scenario "API server stopped (SIGSTOP) for $STOP_S s"
s=$(lines drv)
dpid=$(pid_of drv)
c0=$(cpu_ticks "$dpid")
kill -STOP "$(api_pid)"
cmd drv "get /api/v1/namespaces/$NS/services?limit=1"
sleep "$STOP_S"
c1=$(cpu_ticks "$dpid")
kill -CONT "$(api_pid)"
record pass "driver CPU time during the outage: $((c1 - c0)) ticks of 1/$(getconf CLK_TCK) s"
check "no busy loop while the API server is stopped (< 0.5 s CPU)" test $((c1 - c0)) -lt $(($(getconf CLK_TCK) / 2))
if [ "$STOP_S" -lt 25 ]; then  # within the request timeout (30 s)
	check_within 40 "a request made during the stop completes after it" has_line drv "^GET /api/v1/namespaces/$NS/services\?limit=1 200"
fi
service w4 | kc apply -f - >/dev/null
check_within 40 "a Service created after SIGCONT is ADDED" has_line drv "^EVENT services:$NS ADDED $NS/w4 "
check "...and nothing else" want_events drv "$s" "services:$NS" "ADDED $NS/w4"

# ================================================================== status, events, leases
scenario "status write with a stale resourceVersion"
service lb1 LoadBalancer | kc apply -f - >/dev/null
rv0=$(kc get service lb1 -n "$NS" -o jsonpath='{.metadata.resourceVersion}')
kc label service lb1 -n "$NS" bump=1 >/dev/null
cmd drv "status $NS/lb1 198.51.100.7 $rv0"
check_within 15 "409 Conflict, read again, written on the second try" has_line drv "^STATUS $NS/lb1 200 writes=2 "
check "the status holds the address" \
	test "$(kc get service lb1 -n "$NS" -o jsonpath='{.status.loadBalancer.ingress[0].ip}')" = 198.51.100.7
cmd drv "status $NS/lb1 198.51.100.7"
check_within 15 "the same status again writes nothing" has_line drv "^STATUS $NS/lb1 204 writes=0 "
cmd drv "status $NS/lb1 198.51.100.8"
check_within 15 "a new address from the current version: one write" has_line drv "^STATUS $NS/lb1 200 writes=1 "

cat <<EOF | kc apply -f - >/dev/null
apiVersion: v1
kind: Service
metadata: {name: lb2, namespace: $NS, annotations: {vipcast.test/ip: 198.51.100.9}}
spec: {type: LoadBalancer, selector: {app: lb2}, ports: [{port: 80}]}
EOF
check_within 15 "a status written from inside the watch callback, from the event's version" \
	has_line drv "^STATUS $NS/lb2 200 writes=1 "
check "...is there" test "$(kc get service lb2 -n "$NS" -o jsonpath='{.status.loadBalancer.ingress[0].ip}')" = 198.51.100.9
sleep 1
check "...once: its own MODIFIED event writes nothing" test "$(grep -c "^STATUS $NS/lb2 " "$E2E_TMP/drv.out")" = 1

scenario "Events count up"
cmd drv "event $NS/lb1 IPAllocated Assigned IP [\"198.51.100.8\"]"
cmd drv "event $NS/lb1 IPAllocated Assigned IP [\"198.51.100.8\"]"
sleep 1
cmd drv "event $NS/lb1 IPAllocated Assigned IP [\"198.51.100.8\"]"
ev_counts() {
	kc get events -n "$NS" --field-selector "involvedObject.name=lb1,reason=$1" \
		-o jsonpath='{range .items[*]}{.count}{"\n"}{end}' 2>/dev/null | tr '\n' ' '
}
check_within 15 "three records of one message: one Event, count 3" test "$(ev_counts IPAllocated)" = "3 "
cmd drv "event $NS/lb1 AllocationFailed Failed to allocate IP for \"$NS/lb1\": no available IPs"
check_within 15 "another reason: a second Event" test "$(ev_counts AllocationFailed)" = "1 "
kc describe service lb1 -n "$NS" >"$E2E_TMP/describe.txt"
check "kubectl describe shows them" grep -q "IPAllocated.*Assigned IP" "$E2E_TMP/describe.txt"


scenario "Leases"
cmd drv "lease $NS vipcast-test holder-a"
check_within 10 "created" has_line drv "^LEASE $NS/vipcast-test 201 holder=holder-a transitions=0 "
lrv=$(kc get lease vipcast-test -n "$NS" -o jsonpath='{.metadata.resourceVersion}')
cmd drv "lease $NS vipcast-test holder-a"
check_within 10 "renewed" has_line drv "^LEASE $NS/vipcast-test 200 holder=holder-a transitions=0 "
cmd drv "lease $NS vipcast-test holder-b"
check_within 10 "taken over: one transition" has_line drv "^LEASE $NS/vipcast-test 200 holder=holder-b transitions=1 "
cmd drv "lease $NS vipcast-test holder-a $lrv"
check_within 10 "an update from a stale resourceVersion is refused (409)" has_line drv "^LEASE $NS/vipcast-test 409 "

# ================================================================== CRDs and discovery
scenario "metallb.io and kubeovn.io"
cmd drv "discover kubeovn.io v1"
check_within 10 "kubeovn.io is absent, and that is no error" has_line drv "^DISCOVERY kubeovn.io/v1 absent"
crd metallb.io IPAddressPool ipaddresspools v1beta1 Namespaced | kc apply -f - >/dev/null
crd kubeovn.io Subnet subnets v1 Cluster | kc apply -f - >/dev/null
kc wait --for condition=Established crd/ipaddresspools.metallb.io crd/subnets.kubeovn.io --timeout 30s >/dev/null
check_within 40 "the IPAddressPool watch, failing on 404 until now, syncs" has_line drv "^SYNCED ipaddresspools:$NS n=0 "
cat <<EOF | kc apply -f - >/dev/null
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: good, namespace: $NS}
spec: {addresses: [198.51.100.0/28]}
---
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: bad, namespace: $NS}
spec: {addresses: [198.51.100.20-198.51.100.10]}
EOF
check_within 10 "a valid pool is decoded" has_line drv "^EVENT ipaddresspools:$NS ADDED $NS/good rv=[0-9]+$"
check_within 10 "an invalid one arrives with the decoder's error" \
	has_line drv "^EVENT ipaddresspools:$NS ADDED $NS/bad rv=[0-9]+ invalid: .*spec.addresses\[0\]: .*is before its start"
cmd drv "discover kubeovn.io v1"
check_within 10 "kubeovn.io is found once its CRD exists" has_line drv "^DISCOVERY kubeovn.io/v1 present"
cmd drv "watch subnets"
check_within 10 "Subnets are watched" has_line drv "^SYNCED subnets n=0 "
printf 'apiVersion: kubeovn.io/v1\nkind: Subnet\nmetadata: {name: ext}\nspec: {cidrBlock: 198.18.64.0/24, enableExternalLBAddress: true}\n' |
	kc apply -f - >/dev/null
check_within 10 "a Subnet is ADDED" has_line drv "^EVENT subnets ADDED ext rv=[0-9]+$"

# ================================================================== steady state
scenario "steady state"
fresh_stats drv
q0=$(http_stat drv requests)
sleep 10
fresh_stats drv
check "every watch synced: no request in 10 s of quiet (watches stay open)" test "$(http_stat drv requests)" = "$q0"
log "$(grep '^HTTP ' "$E2E_TMP/drv.out" | tail -n 1)"

# ================================================================== oversized event
scenario "an event larger than --max-event"
start_driver big --kubeconfig "$KDIR/kubeconfig" --watch "services:$NS" --max-event 8192
check_within 20 "synced" has_line big "^SYNCED services:$NS "
s=$(lines big)
kc create service clusterip big1 -n "$NS" --clusterip None >/dev/null
kc annotate service big1 -n "$NS" "blob=$(head -c 12000 /dev/zero | tr '\0' x)" >/dev/null
check_within 15 "refused with a log line" grep -q "larger than 8192 bytes; refused, listing again" "$E2E_TMP/big.log"
check_within 15 "the relist brings the object" has_line big "^EVENT services:$NS MODIFIED $NS/big1 "
sleep 1
check "big1 ADDED once and MODIFIED once, nothing else" want_events big "$s" "services:$NS" \
	"ADDED $NS/big1" "MODIFIED $NS/big1"
fresh_stats big
check "one refusal, one relist" test "$(wstat big "services:$NS" refused)" = 1 -a "$(wstat big "services:$NS" relists)" = 1

# ================================================================== in-cluster, token rotation
scenario "in-cluster: the token file replaced"
SA=$E2E_TMP/sa
mkdir -p "$SA"
cp "$KDIR/pki/ca.crt" "$SA/ca.crt"
echo "$NS" >"$SA/namespace"
kc create role svc-read -n "$NS" --verb=get,list,watch --resource=services >/dev/null
for sa in vc-a vc-b vc-c; do
	kc create serviceaccount "$sa" -n "$NS" >/dev/null
	kc create rolebinding "$sa" -n "$NS" --role svc-read --serviceaccount "$NS:$sa" >/dev/null
done
kc create token vc-a -n "$NS" >"$SA/token"
server=$(sed -n 's/^ *server: https:\/\///p' "$KDIR/kubeconfig")
start_sa_driver() {
	KUBERNETES_SERVICE_HOST=${server%:*} KUBERNETES_SERVICE_PORT=${server##*:} \
		start_driver sa --in-cluster --sa-dir "$SA" --watch "services:$NS"
}
start_sa_driver
check_within 20 "synced with the service account's token" has_line sa "^SYNCED services:$NS "
# with_token FILE -> kubectl with that token alone reads the Services
with_token() {
	"$KDIR/kubectl" --kubeconfig /dev/null --server "https://$server" --certificate-authority "$SA/ca.crt" \
		--token "$(cat "$1")" get --raw "/api/v1/namespaces/$NS/services?limit=1" >/dev/null 2>&1
}
# 1. Replaced (a new file renamed over it, as the kubelet does): stat() sees it.
cp "$SA/token" "$E2E_TMP/token.a"
kc create token vc-b -n "$NS" >"$E2E_TMP/token.b"
cp "$E2E_TMP/token.b" "$SA/.token.new"
mv -f "$SA/.token.new" "$SA/token"
cmd sa "get /api/v1/namespaces/$NS/services?limit=1"
check_within 10 "after the file is replaced, a request succeeds" has_line sa "^GET /api/v1/namespaces/$NS/services\?limit=1 200"
check "...with the token read again before it" grep -q "read a new token" "$E2E_TMP/sa.log"
# 2. Rewritten in place with the same size and mtime: stat() cannot tell; the 401 does.
kc create token vc-c -n "$NS" >"$E2E_TMP/token.c"
check "tokens of vc-b and vc-c have the same size" \
	test "$(stat -c %s "$E2E_TMP/token.c")" = "$(stat -c %s "$SA/token")"
touch -r "$SA/token" "$E2E_TMP/token.ref"
cat "$E2E_TMP/token.c" >"$SA/token"
touch -r "$E2E_TMP/token.ref" "$SA/token"
# Tokens die with their service account (after the API server's 10 s authentication cache).
kc delete serviceaccount vc-a vc-b -n "$NS" >/dev/null
check_within 20 "tokens a and b are refused once their service accounts are gone" \
	eval 'not with_token "$E2E_TMP/token.a" && not with_token "$E2E_TMP/token.b"'
cmd sa "get /api/v1/namespaces/$NS/services?limit=2"
check_within 10 "a request with token b gets 401, reads the file again and succeeds with token c" \
	has_line sa "^GET /api/v1/namespaces/$NS/services\?limit=2 200"
check "...said in the log" grep -q "401 Unauthorized; sending again with the new token" "$E2E_TMP/sa.log"

scenario "Events paced: at most 4 requests in flight, 20 a second, 1000 waiting"
t0=$(now)
cmd drv "events $NS/lb1 Paced burst 100"
check_within 10 "100 distinct Events recorded at once" has_line drv "^EVENTREC burst 100 recorded"
paced() { [ "$(kc get events -n "$NS" --field-selector reason=Paced -o name 2>/dev/null | wc -l)" = 100 ]; }
check_within 30 "all 100 created" paced
took=$(elapsed "$t0")
check "not sooner than the limiter allows (30 at once, then 20 a second: >= 3.4 s; took $took s)" \
	awk -v t="$took" 'BEGIN { exit !(t >= 3.4) }'
cmd drv "events $NS/lb1 Flood burst 1200"
check_within 10 "1200 more at once" has_line drv "^EVENTREC burst 1200 recorded"
cmd drv stats
check_within 10 "beyond 1000 waiting, Events are dropped and counted (client-go's broadcaster drops too)" \
	eval 'tail -n 5 "$E2E_TMP/drv.out" | grep -E "^HTTP .*events_dropped=(1[5-9][0-9]|[2-9][0-9][0-9]) events_max_active=[1-4]$" >/dev/null'
check "the driver logged the drop" grep -q "Events dropped" "$E2E_TMP/drv.log"

# ================================================================== the end
scenario "clean exit"
for n in drv sa big; do
	stop "$n"
	check "$n: no sanitizer report" not grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$E2E_TMP/$n.log"
done
cp "$KDIR/pids" "$E2E_TMP/kube.pids"
check "kube-env.sh down stops the control plane" bash "$KUBE_ENV" down "$KDIR"
while read -r name pid st; do
	check "$name ($pid) is gone" not pid_alive "$pid" "$st"
done <"$E2E_TMP/kube.pids"

e2e_finish
