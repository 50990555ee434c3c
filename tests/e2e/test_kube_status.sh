#!/bin/bash
# End-to-end test of the speaker's status writer (speaker/kstatus.c) against a
# real control plane (scripts/kube-env.sh): tests/e2e/kstatus_driver.c hands it
# desired sets read from stdin, running as the ServiceAccount of
# deploy/rbac/speaker.yaml with exactly its permissions; kubectl checks:
#   - ServiceL2Status / ServiceBGPStatus created in metallb-system for the
#     Services of the set, generateName l2- / bgp-, the three labels, status
#     {node, serviceName, serviceNamespace, interfaces | peers}, owned by the
#     speaker's Pod;
#   - updated in place when interfaces or peers change, deleted when no longer
#     true, created again after someone deleted one;
#   - a burst of sets writes the last one only; a repeated set writes nothing;
#   - nodeAssigned Events on the Service once per transition, not per set;
#   - a restart adopts what is there (no new object), deletes duplicates and
#     stale objects of its node, leaves other nodes' alone, takes over objects
#     of an older Pod (ownerReference to the new one);
#   - 600 Services: created with at most 8 requests in flight, adopted over a
#     paged LIST after a restart, all deleted by an empty set;
#   - no request refused (RBAC sufficient), no sanitizer report.
#
# Usage: test_kube_status.sh BUILD_DIR. KUBE_ENV may name kube-env.sh.
# Exit 77 (skipped) only when the control plane is not built and
# VIPCAST_KUBE_OPTIONAL=1 says that is acceptable.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
. "$(dirname "$0")/kubelib.sh"
kube_require kube_status
. "$(dirname "$0")/lib.sh"
e2e_init kubestatus "$1" openssl curl tac  # openssl and curl: kube-env.sh

DRIVER=$BUILD/kstatus_driver
KDIR=$E2E_TMP/kube
SYS=metallb-system
APP=kst
NODE=n1
BULK=${KST_BULK:-600}
[ -x "$DRIVER" ] || die "$DRIVER is not built"

# ------------------------------------------------------------------ the driver
# drv_start NAME [ARGS...] -> a driver for node $NODE, Pod speaker-$NODE; commands to
# its FIFO (cmd NAME ...), lines to NAME.out, log NAME.log
declare -A DRV_FD=()
drv_start() {
	local name=$1 fd
	shift
	rm -f "$E2E_TMP/$name.in"
	mkfifo "$E2E_TMP/$name.in"
	"$DRIVER" --kubeconfig "$SA_KUBECONFIG" --namespace "$SYS" --node "$NODE" --pod "speaker-$NODE" \
		--log-level debug "$@" <"$E2E_TMP/$name.in" >"$E2E_TMP/$name.out" 2>"$E2E_TMP/$name.log" &
	track "$name" $! driver -
	exec {fd}>"$E2E_TMP/$name.in"
	DRV_FD[$name]=$fd
	wait_until 10 grep -q '^READY' "$E2E_TMP/$name.out" || die "driver $name did not start"
}
cmd() { local n=$1; shift; printf '%s\n' "$*" >&"${DRV_FD[$n]}"; }
# drv_stop NAME -> SIGTERM, its FIFO closed; fails if its log holds a sanitizer report
drv_stop() {
	stop "$1"
	exec {DRV_FD[$1]}>&-
	unset "DRV_FD[$1]"
	! grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$E2E_TMP/$1.log"
}
# kst_stat NAME FIELD -> FIELD of a fresh STATS line
stats_lines() { grep -c '^STATS ' "$E2E_TMP/$1.out"; }
stats_over() { [ "$(stats_lines "$1")" -gt "$2" ]; }
kst_stat() {
	local n0
	n0=$(stats_lines "$1")
	cmd "$1" stats
	wait_until 5 stats_over "$1" "$n0"
	grep '^STATS ' "$E2E_TMP/$1.out" | tail -n 1 | tr ' ' '\n' | sed -n "s/^$2=//p"
}
stat_is() { [ "$(kst_stat "$1" "$2")" = "$3" ]; }

e2e_diag_extra() {
	local n
	for n in "${!DRV_FD[@]}"; do
		echo "[$n] last lines of $n.out and $n.log:"
		tail -n 5 "$E2E_TMP/$n.out" 2>/dev/null | sed 's/^/    /'
		tail -n 20 "$E2E_TMP/$n.log" 2>/dev/null | sed 's/^/    /'
	done
	echo "[api] status objects:"
	kc get servicel2statuses,servicebgpstatuses -n "$SYS" --show-labels 2>&1 | head -20 | sed 's/^/    /'
}

# ------------------------------------------------------------------ reading the API
# objs KIND [NODE] -> "service-namespace/service-name objectname" of each object of NODE, sorted
objs() {
	kc get "$1" -n "$SYS" -l "metallb.io/node=${2:-$NODE}" -o jsonpath='{range .items[*]}{.metadata.labels.metallb\.io/service-namespace}{"/"}{.metadata.labels.metallb\.io/service-name}{" "}{.metadata.name}{"\n"}{end}' |
		sort
}
# svcs KIND [NODE] -> the Services with an object, one line
svcs() { objs "$1" "${2:-}" | awk '{ printf "%s%s", sep, $1; sep = " " } END { print "" }'; }
svcs_are() { [ "$(svcs "$1")" = "$2" ]; }
obj_of() { objs "$1" | awk -v s="$APP/$2" '$1 == s { print $2 }'; }
# jp KIND SVC PATH -> a jsonpath of the object of $APP/SVC
jp() { local o; o=$(obj_of "$1" "$2"); [ -n "$o" ] && kc get "$1" -n "$SYS" "$o" -o jsonpath="$3"; }
ifaces_of() { jp servicel2statuses "$1" '{range .status.interfaces[*]}{.name}{" "}{end}' | sed 's/ $//'; }
peers_of() { jp servicebgpstatuses "$1" '{.status.peers[*]}'; }
ifaces_are() { [ "$(ifaces_of "$1")" = "$2" ]; }
peers_are() { [ "$(peers_of "$1")" = "$2" ]; }
# status_ok KIND SVC -> status.node/serviceName/serviceNamespace and the three labels as they should be
status_ok() {
	[ "$(jp "$1" "$2" '{.status.node}/{.status.serviceNamespace}/{.status.serviceName}')" = "$NODE/$APP/$2" ]
}
owner_of() { jp "$1" "$2" '{.metadata.ownerReferences[*].kind}/{.metadata.ownerReferences[*].name}/{.metadata.ownerReferences[*].uid}'; }
pod_uid() { kc get pod -n "$SYS" "speaker-$NODE" -o jsonpath='{.metadata.uid}'; }
svc_uid() { kc get svc -n "$APP" "$1" -o jsonpath='{.metadata.uid}'; }
# assigned SVC PROTO -> the count of nodeAssigned Events on $APP/SVC for PROTO (all Events summed)
assigned() {
	kc get events -n "$APP" --field-selector "reason=nodeAssigned,involvedObject.name=$1" \
		-o jsonpath='{range .items[*]}{.message}{"|"}{.count}{"|"}{.type}{"|"}{.involvedObject.kind}{"|"}{.involvedObject.uid}{"\n"}{end}' |
		awk -F'|' -v m="announcing from node \"$NODE\" with protocol \"$2\"" '$1 == m { n += $2 } END { print n + 0 }'
}
assigned_is() { [ "$(assigned "$1" "$2")" = "$3" ]; }
count_of() { kc get "$1" -n "$SYS" -l "metallb.io/node=${2:-$NODE}" -o name | wc -l; }
with_eth0() {
	kc get servicel2statuses -n "$SYS" -o jsonpath='{range .items[*]}{.status.interfaces[0].name}{"\n"}{end}' | grep -c '^eth0$'
}
count_is() { [ "$(count_of "$1" "${3:-}")" = "$2" ]; }

pod() {
	printf -- 'apiVersion: v1\nkind: Pod\nmetadata: {name: speaker-%s, namespace: %s}\nspec: {nodeName: %s, automountServiceAccountToken: false, containers: [{name: speaker, image: vipcast}]}\n' \
		"$NODE" "$SYS" "$NODE"
}
# stray KIND NAME NODE SVC -> an object made by hand (no status: kubectl cannot write it)
stray() {
	local k=ServiceL2Status
	[ "$1" = servicebgpstatuses ] && k=ServiceBGPStatus
	printf -- 'apiVersion: metallb.io/v1beta1\nkind: %s\nmetadata:\n  name: %s\n  namespace: %s\n  labels: {metallb.io/node: %s, metallb.io/service-name: %s, metallb.io/service-namespace: %s}\n' \
		"$k" "$2" "$SYS" "$3" "$4" "$APP" | kc apply -f - >/dev/null
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
kc create namespace "$SYS" >/dev/null || die "namespace $SYS"
kc create namespace "$APP" >/dev/null || die "namespace $APP"
kc apply --server-side -f "$SRC/deploy/crds" >/dev/null || die "applying deploy/crds"
kc wait --for condition=established --timeout=30s crd/servicel2statuses.metallb.io crd/servicebgpstatuses.metallb.io \
	>/dev/null || die "CRDs not established"
kc apply -f "$SRC/deploy/rbac/speaker.yaml" >/dev/null || die "applying deploy/rbac/speaker.yaml"
wait_until 20 eval 'pod | kc apply -f -' || die "Pod speaker-$NODE"
for s in a b c; do
	printf -- 'apiVersion: v1\nkind: Service\nmetadata: {name: %s, namespace: %s}\nspec: {clusterIP: None, ports: [{port: 80}]}\n' \
		"$s" "$APP" | kc apply -f - >/dev/null || die "Service $s"
done
SA_KUBECONFIG=$E2E_TMP/sa.kubeconfig
kube_sa_kubeconfig "$SYS" vipcast-speaker "$SA_KUBECONFIG"
record pass "control plane, CRDs, deploy/rbac/speaker.yaml, Pod speaker-$NODE ($(elapsed "$t0") s)"
UID_A=$(svc_uid a) UID_C=$(svc_uid c)

# ================================================================== create
scenario "create"
drv_start d1
cmd d1 "set $APP/a,uid=$UID_A,l2=eth0 $APP/b,bgp=p1+p2 $APP/c,uid=$UID_C,l2,bgp=p1"
check_within 10 "ServiceL2Status for a and c" svcs_are servicel2statuses "$APP/a $APP/c"
check_within 10 "ServiceBGPStatus for b and c" svcs_are servicebgpstatuses "$APP/b $APP/c"
check_within 5 "a's status: node, Service, interfaces [eth0]" eval 'status_ok servicel2statuses a && ifaces_are a eth0'
check_within 5 "c's: no interfaces (all of them)" eval 'status_ok servicel2statuses c && ifaces_are c ""'
check_within 5 "b's status: peers [p1 p2]" eval 'status_ok servicebgpstatuses b && peers_are b "p1 p2"'
check "names from generateName l2- / bgp-" eval '[[ "$(obj_of servicel2statuses a)" == l2-?* && "$(obj_of servicebgpstatuses b)" == bgp-?* ]]'
check "owned by Pod speaker-$NODE (its uid)" test "$(owner_of servicel2statuses a)" = "Pod/speaker-$NODE/$(pod_uid)"
check_within 5 "nodeAssigned on a: layer2 once" assigned_is a layer2 1
check_within 5 "on b: bgp once" assigned_is b bgp 1
check_within 5 "on c: layer2 and bgp once each" eval 'assigned_is c layer2 1 && assigned_is c bgp 1'
check "the Event names the Service by uid, type Normal" eval \
	"kc get events -n $APP --field-selector reason=nodeAssigned,involvedObject.name=a -o jsonpath='{.items[0].type}/{.items[0].involvedObject.kind}/{.items[0].involvedObject.uid}' | grep -qx 'Normal/Service/$UID_A'"

# ================================================================== update
scenario "update"
L2A=$(obj_of servicel2statuses a)
u0=$(kst_stat d1 updated)
cmd d1 "set $APP/a,uid=$UID_A,l2=eth1+eth2 $APP/b,bgp=p1 $APP/c,uid=$UID_C,l2,bgp=p1"
check_within 10 "a's interfaces now [eth1 eth2]" ifaces_are a "eth1 eth2"
check_within 10 "b's peers now [p1]" peers_are b p1
check "the same object (updated, not replaced)" test "$(obj_of servicel2statuses a)" = "$L2A"
check_within 5 "two status writes" stat_is d1 updated $((u0 + 2))
cmd d1 "set $APP/a,uid=$UID_A,l2=eth1+eth2 $APP/b,bgp=p1 $APP/c,uid=$UID_C,l2,bgp=p1"
check_holds 2 "the same set again: nothing written" stat_is d1 updated $((u0 + 2))
check "no Event for a change or a repeat" eval 'assigned_is a layer2 1 && assigned_is b bgp 1 && assigned_is c layer2 1'
u0=$(kst_stat d1 updated)
burst=""
for i in $(seq 1 30); do burst+="set $APP/a,uid=$UID_A,l2=eth$((i % 7)) $APP/b,bgp=p1 $APP/c,uid=$UID_C,l2,bgp=p1"$'\n'; done
burst+="set $APP/a,uid=$UID_A,l2=eth9 $APP/b,bgp=p1 $APP/c,uid=$UID_C,l2,bgp=p1"
cmd d1 "$burst"
check_within 10 "a burst of 31 sets: the last one is written" ifaces_are a eth9
check_holds 1 "in at most 2 writes" eval '[ "$(kst_stat d1 updated)" -le $((u0 + 2)) ]'

# ================================================================== delete
scenario "delete"
cmd d1 "set $APP/a,uid=$UID_A,l2=eth9 $APP/c,uid=$UID_C,bgp=p1"
check_within 10 "b no longer announced: its ServiceBGPStatus deleted" svcs_are servicebgpstatuses "$APP/c"
check_within 10 "c no longer in L2: its ServiceL2Status deleted" svcs_are servicel2statuses "$APP/a"
cmd d1 "set $APP/a,uid=$UID_A,l2=eth9 $APP/c,uid=$UID_C,l2=eth3,bgp=p1"
check_within 10 "c in L2 again: a new ServiceL2Status" eval 'svcs_are servicel2statuses "'"$APP/a $APP/c"'" && ifaces_are c eth3'
check_within 5 "and a second nodeAssigned layer2 on c" assigned_is c layer2 2
check "none more on a or for bgp on c" eval 'assigned_is a layer2 1 && assigned_is c bgp 1'
L2A=$(obj_of servicel2statuses a)
kc delete servicel2statuses -n "$SYS" "$L2A" >/dev/null
cmd d1 "set $APP/a,uid=$UID_A,l2=eth4 $APP/c,uid=$UID_C,l2=eth3,bgp=p1"
check_within 10 "a's object deleted by someone, then a change: created again (404 handled)" eval \
	'ifaces_are a eth4 && [ "$(obj_of servicel2statuses a)" != "'"$L2A"'" ] && [ "$(count_of servicel2statuses)" = 2 ]'
check "no request failed (deploy/rbac/speaker.yaml is enough)" stat_is d1 failed 0
check "the driver stops cleanly, no sanitizer report" drv_stop d1

# ================================================================== restart
scenario "restart"
L2A=$(obj_of servicel2statuses a) L2C=$(obj_of servicel2statuses c) BGPC=$(obj_of servicebgpstatuses c)
stray servicel2statuses l2-dup-left-by-an-older-speaker "$NODE" a  # a second one for a (a name longer than generated ones)
stray servicel2statuses l2-stale "$NODE" gone     # a Service no longer announced
stray servicebgpstatuses bgp-stale-left-by-an-older-speaker "$NODE" gone
stray servicel2statuses l2-other n2 a            # another node's
old_uid=$(pod_uid)
# no kubelet: deleted at once (--force), its dependents orphaned rather than collected
kc delete pod -n "$SYS" "speaker-$NODE" --cascade=orphan --force --grace-period=0 --wait=false >/dev/null 2>&1
wait_until 20 eval 'pod | kc create -f -' || die "Pod speaker-$NODE again"
check "the Pod came back with another uid" test "$(pod_uid)" != "$old_uid"
drv_start d2
cmd d2 "set $APP/a,uid=$UID_A,l2=eth4 $APP/c,uid=$UID_C,l2=eth3,bgp=p1"
check_within 10 "the duplicate and the stale objects of $NODE deleted" eval \
	'[ "$(objs servicel2statuses | wc -l)" = 2 ] && [ "$(objs servicebgpstatuses | wc -l)" = 1 ]'
check "the objects there adopted (same names)" eval \
	'[ "$(obj_of servicel2statuses a) $(obj_of servicel2statuses c) $(obj_of servicebgpstatuses c)" = "$L2A $L2C $BGPC" ]'
check_within 10 "and owned by the new Pod" eval '[ "$(owner_of servicel2statuses a)" = "Pod/speaker-$NODE/$(pod_uid)" ] &&
	[ "$(owner_of servicebgpstatuses c)" = "Pod/speaker-$NODE/$(pod_uid)" ]'
check "another node's object left alone" test "$(count_of servicel2statuses n2)" = 1
check_holds 1 "nothing created, no status written again" eval 'stat_is d2 created 0 && [ "$(kst_stat d2 updated)" = 3 ]'
cmd d2 "set"
check_within 10 "an empty set: every object of $NODE deleted" eval 'count_is servicel2statuses 0 && count_is servicebgpstatuses 0'
check "and only those" test "$(count_of servicel2statuses n2)" = 1
check "no request failed" stat_is d2 failed 0
check "the driver stops cleanly, no sanitizer report" drv_stop d2

# ================================================================== many
scenario "$BULK Services"
drv_start d3 --no-events
t0=$(now)
cmd d3 "set $APP/s*$BULK,l2=eth0 $APP/t*50,bgp=p1"
check_within 120 "$BULK ServiceL2Status and 50 ServiceBGPStatus created" eval \
	'count_is servicel2statuses '"$BULK"' && count_is servicebgpstatuses 50'
check_within 30 "every one with its status" eval '[ "$(with_eth0)" = '"$BULK"' ]'
t1=$(elapsed "$t0")
kst_stat d3 created >/dev/null
log "created in $t1 s: $(grep '^STATS' "$E2E_TMP/d3.out" | tail -n 1)"
check "at most 8 requests in flight" eval '[ "$(kst_stat d3 max_active)" -le 8 ]'
check "the driver stops cleanly, no sanitizer report" drv_stop d3
drv_start d4 --no-events
cmd d4 "set $APP/s*$BULK,l2=eth0 $APP/t*50,bgp=p1"
check_within 30 "after a restart: adopted over a paged LIST, nothing written" eval \
	"grep -q 'ServiceL2Status of node $NODE listed' '$E2E_TMP/d4.log' && grep -q 'ServiceBGPStatus of node $NODE listed' '$E2E_TMP/d4.log'"
check_holds 2 "nothing created or written" eval 'stat_is d4 created 0 && stat_is d4 updated 0 && count_is servicel2statuses '"$BULK"
cmd d4 "set"
check_within 120 "an empty set: all deleted" eval 'count_is servicel2statuses 0 && count_is servicebgpstatuses 0'
check "no request failed" stat_is d4 failed 0
check "the driver stops cleanly, no sanitizer report" drv_stop d4

e2e_finish
