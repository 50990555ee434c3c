#!/bin/bash
# End-to-end test of vipcast-controller in Kubernetes mode against a real
# control plane (etcd, kube-apiserver, kube-controller-manager from
# scripts/kube-env.sh, on loopback). Objects are made with kubectl:
#   - basic: a Service gets its address in status, the pool annotation and an
#     IPAllocated Event; deleted, its address goes to the next Service; one no
#     pool can serve gets AllocationFailed with the reason; a type change clears
#     it; the IPAddressPool status counts, the memberlist Secret is created,
#     the ConfigurationState says Valid;
#   - scenarios: tests/e2e/kube_controller/*.yaml applied through the API give
#     exactly what `vipcast-controller --dry-run -o json --config FILE` gives
#     (one scenario served at startup, one Service by Service);
#   - restart: the controller killed (SIGKILL and SIGTERM in turn) and started
#     5 times while Services are created; a watch records every status: no
#     address ever changes, none is given twice;
#   - leader election: two replicas, one writes (Lease holder, Events'
#     reportingInstance, the follower logs that it waits); SIGKILL of the leader:
#     the other takes over within the lease time and keeps every address;
#     SIGTERM of a leader releases the Lease: the other takes over at once;
#   - outages: the API server killed and started again; started without its
#     watch cache and etcd compacted behind the frozen controller (410, relist);
#     stopped (SIGSTOP): Services still served after each, no address moved or
#     held twice, the controller's CPU time while the API server is stopped;
#   - invalid configuration: an overlapping pool, a range whose end is before
#     its start (past the CRD schema), every pool deleted, each example of
#     deploy/examples/invalid that the controller validates: the addresses
#     stay, the controller says why (log, Event on the object, ConfigurationState
#     Invalid) and new Services are still served from the last valid configuration.
# Before that, a controller started before the CRDs exist answers /healthz but
# not /readyz until they are applied. The controllers then run with the
# permissions of deploy/rbac/controller.yaml (a ServiceAccount token), not as
# admin. CRDs: deploy/crds of this tree.
#
# Usage: test_kube_controller.sh BUILD_DIR. KUBE_ENV may name kube-env.sh;
# KCTL_SCENARIOS picks scenarios (default: "basic files restart leader outage
# invalid"); KCTL_STOP_S the SIGSTOP time (default 10).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
SCENARIOS=${KCTL_SCENARIOS:-basic files restart leader outage invalid}
. "$(dirname "$0")/kubelib.sh"
kube_require kube_controller
. "$(dirname "$0")/lib.sh"
e2e_init kubecontroller "$1" openssl curl tac  # openssl and curl: kube-env.sh

KDIR=$E2E_TMP/kube
SYS=metallb-system
DATA=$SRC/tests/e2e/kube_controller
[ -x "$CONTROLLER" ] || die "$CONTROLLER is not built"

want() { [[ " $SCENARIOS " == *" $1 "* ]]; }

# ------------------------------------------------------------------ controllers
# ctl_start NAME ARGS... -> a controller against the test API server; its log is
# NAME.log (an earlier one is kept as NAME.log.N), its control socket NAME.sock
declare -A CTL_RUNS=()
ctl_start() {
	local n=$1 runs=${CTL_RUNS[$1]:-0}
	shift
	[ -f "$E2E_TMP/$n.log" ] && mv "$E2E_TMP/$n.log" "$E2E_TMP/$n.log.$runs"
	CTL_RUNS[$n]=$((runs + 1))
	"$CONTROLLER" --kubeconfig "${CTL_KUBECONFIG:-$KDIR/kubeconfig}" --namespace "$SYS" --log-level debug \
		--health-listen 127.0.0.1:0 --socket "$E2E_TMP/$n.sock" "$@" >"$E2E_TMP/$n.log" 2>&1 &
	track "$n" $! controller -
}
ctl_log() { cat "$E2E_TMP/$1.log"; }
ctl_says() { grep -qE "$2" "$E2E_TMP/$1.log"; }
ctl_serving() { ctl_says "$1" "info controller: serving: "; }
# probe NAME PATH -> the HTTP status of GET PATH on its health port (from its log)
probe() {
	local a
	a=$(sed -n 's/.*health endpoints .* on \([0-9.:]*\)$/\1/p' "$E2E_TMP/$1.log" | head -n 1)
	[ -n "$a" ] || { echo 000; return; }
	curl -s -o /dev/null -m 2 -w '%{http_code}' "http://$a$2"
}
# ctl_metric NAME METRIC LABELS -> the sample's value from its /metrics, parsed by prometheus_client
ctl_metric() {
	local a
	a=$(sed -n 's/.*health endpoints .* on \([0-9.:]*\)$/\1/p' "$E2E_TMP/$1.log" | head -n 1)
	[ -n "$a" ] || return 1
	"$E2E_PY" "$E2E_DIR/metrics_scrape.py" "http://$a/metrics" 2>/dev/null | awk -v k="$2{$3}" '$1 == k { print $2; exit }'
}
ctl_metric_is() { [ "$(ctl_metric "$1" "$2" "$3")" = "$4" ]; }
# ctl_no_sanitizer NAME -> no ASan/UBSan report in any of its logs
ctl_no_sanitizer() { ! grep -qsE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$E2E_TMP/$1".log*; }
cpu_ticks() { awk '{ s = $0; sub(/.*\) /, "", s); split(s, f, " "); print f[12] + f[13] }' "/proc/$1/stat"; }
rss_kib() { awk '$1 == "VmHWM:" { print $2 }' "/proc/$1/status"; }

e2e_diag_extra() {
	local n
	for n in "${!CTL_RUNS[@]}"; do
		echo "[$n] last lines of $n.log:"
		tail -n 25 "$E2E_TMP/$n.log" 2>/dev/null | sed 's/^/    /'
	done
	echo "[api] LoadBalancer Services:"
	kc get svc -A -o wide 2>&1 | grep -v ClusterIP | sed 's/^/    /' | head -40
	echo "[api] last Events:"
	kc get events -A --sort-by=.lastTimestamp 2>&1 | tail -n 15 | sed 's/^/    /'
}


# ------------------------------------------------------------------ objects
# lb NS NAME [METADATA] [SPEC] -> a LoadBalancer Service (METADATA and SPEC: extra flow-map entries)
lb() {
	printf -- '---\napiVersion: v1\nkind: Service\nmetadata: {name: %s, namespace: %s%s}\nspec: {type: LoadBalancer, ports: [{port: 80}]%s}\n' \
		"$2" "$1" "${3:+, $3}" "${4:+, $4}"
}
pool() {  # pool NAME ADDRESS... -> an IPAddressPool in $SYS
	local n=$1 a
	shift
	a=$(printf '"%s",' "$@")
	printf -- '---\napiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: %s, namespace: %s}\nspec: {addresses: [%s]}\n' \
		"$n" "$SYS" "${a%,}"
}
ns_new() { kc create namespace "$1" >/dev/null; }
# cleanup_ns NS... -> its Services deleted (waited for: their addresses are free), then the namespace
cleanup_ns() {
	local n
	for n in "$@"; do
		kc delete svc --all -n "$n" >/dev/null 2>&1
		kc delete namespace "$n" --wait=false >/dev/null 2>&1
	done
}
ips_of() { kc get svc -n "$1" "$2" -o jsonpath='{.status.loadBalancer.ingress[*].ip}' 2>/dev/null; }
has_ip() { local got; got=$(ips_of "$1" "$2"); [ -n "$got" ] && { [ -z "${3:-}" ] || [ "$got" = "$3" ]; }; }
no_ip() { [ -z "$(ips_of "$1" "$2")" ]; }
annotation_of() {
	kc get svc -n "$1" "$2" -o jsonpath='{.metadata.annotations.metallb\.io/ip-allocated-from-pool}' 2>/dev/null
}
# events NS NAME REASON -> "message|reportingInstance|count" lines
events() {
	kc get events -n "$1" --field-selector "involvedObject.name=$2,reason=$3" \
		-o jsonpath='{range .items[*]}{.message}{"|"}{.reportingInstance}{"|"}{.count}{"\n"}{end}' 2>/dev/null
}
has_event() { events "$1" "$2" "$3" | grep -qF -- "$4"; }
event_count() { events "$1" "$2" "$3" | wc -l; }
pool_status() { kc get ipaddresspool -n "$SYS" "$1" -o jsonpath='{.status.assignedIPv4}/{.status.availableIPv4}' 2>/dev/null; }
cstate() { kc get configurationstate -n "$SYS" controller -o jsonpath="{.status.$1}" 2>/dev/null; }
cstate_is() { [ "$(cstate result)" = "$1" ]; }
lease_holder() { kc get lease -n "$SYS" vipcast-controller -o jsonpath='{.spec.holderIdentity}' 2>/dev/null; }
# snapshot NS FILE -> "name ips" of every LoadBalancer Service of NS, sorted
snapshot() {
	kc get svc -n "$1" -o jsonpath='{range .items[*]}{.metadata.name}{" "}{.status.loadBalancer.ingress[*].ip}{"\n"}{end}' |
		sort >"$2"
}
# kept OLD NEW -> every Service with an address in OLD has the same one in NEW
kept() {
	awk 'FILENAME == ARGV[1] { if (NF > 1) old[$1] = $0; next } { new[$1] = $0 }
	     END { for (k in old) if ((k in new) && new[k] != old[k]) { print "changed: " old[k] " -> " new[k]; bad = 1 }
		   exit bad }' "$1" "$2" >&2
}
distinct_ips() { awk 'NF > 1 { print $2 }' "$1" | sort | uniq -d | wc -l; }
count_with_ip() { awk 'NF > 1' "$1" | wc -l; }

# ================================================================== up
scenario "control plane"
t0=$(now)
# dual-stack ClusterIPs, so that a RequireDualStack Service can be created
if ! KUBE_ENV_SERVICE_RANGE=198.18.128.0/22,2001:db8:ff80::/112 bash "$KUBE_ENV" up "$KDIR" >"$E2E_TMP/kube-env.log" 2>&1; then
	rc=$?
	tail -n 20 "$E2E_TMP/kube-env.log" >&2
	[ "$rc" = 3 ] && die "the control plane is not built: run scripts/kube-build.sh"
	die "kube-env.sh up failed"
fi
record pass "etcd, kube-apiserver and kube-controller-manager up ($(elapsed "$t0") s)"
ns_new "$SYS"
# A controller started before the CRDs exist waits for them, not ready.
ctl_start c0
check_within 10 "started before the CRDs: /healthz answers 200" eval '[ "$(probe c0 /healthz)" = 200 ]'
check_holds 2 "and /readyz 503 (the IPAddressPool cache cannot sync)" eval '[ "$(probe c0 /readyz)" = 503 ]'
kc apply --server-side -f "$SRC/deploy/crds" >/dev/null || die "applying deploy/crds"
kc wait --for condition=established --timeout=30s crd/ipaddresspools.metallb.io >/dev/null || die "CRD not established"
check_within 40 "the CRDs applied: its caches sync, /readyz answers 200" eval '[ "$(probe c0 /readyz)" = 200 ]'
check "it serves nothing without a pool (no valid configuration yet)" not ctl_serving c0
stop c0
# From here on the controllers run as the ServiceAccount of deploy/rbac/controller.yaml, with
# exactly its permissions (a token from the TokenRequest API), when this tree has it.
if [ -f "$SRC/deploy/rbac/controller.yaml" ]; then
	kc apply -f "$SRC/deploy/rbac/controller.yaml" >/dev/null || die "applying deploy/rbac/controller.yaml"
	kube_sa_kubeconfig "$SYS" vipcast-controller "$E2E_TMP/sa.kubeconfig"
	CTL_KUBECONFIG=$E2E_TMP/sa.kubeconfig
	log "controllers run as system:serviceaccount:$SYS:vipcast-controller (deploy/rbac/controller.yaml)"
fi

# ================================================================== basic
if want basic; then
	scenario "basic"
	NS=vc-basic
	ns_new "$NS"
	pool p1 198.51.100.0/28 2001:db8:100::/124 | kc apply -f - >/dev/null
	ctl_start c1
	require_within 20 "the controller syncs and serves" ctl_serving c1
	lb "$NS" web | kc apply -f - >/dev/null
	check_within 10 "a created Service gets the first address in its status" has_ip "$NS" web 198.51.100.0
	check "and the annotation naming its pool" test "$(annotation_of "$NS" web)" = p1
	check_within 10 "and an IPAllocated Event with MetalLB's message" \
		has_event "$NS" web IPAllocated 'Assigned IP ["198.51.100.0"]'
	check_within 10 "the pool's status counts it (assignedIPv4/availableIPv4 1/15)" eval '[ "$(pool_status p1)" = 1/15 ]'
	check_within 5 '/metrics: metallb_allocator_addresses_in_use_total{pool="p1"} 1' \
		ctl_metric_is c1 metallb_allocator_addresses_in_use_total 'pool="p1"' 1
	check '/metrics: metallb_allocator_addresses_total{pool="p1"} 32 (16 IPv4, 16 IPv6)' \
		ctl_metric_is c1 metallb_allocator_addresses_total 'pool="p1"' 32
	check '/metrics: metallb_k8s_client_config_loaded_bool 1, config_stale_bool 0' eval \
		'ctl_metric_is c1 metallb_k8s_client_config_loaded_bool "" 1 && ctl_metric_is c1 metallb_k8s_client_config_stale_bool "" 0'
	check '/metrics: metallb_k8s_client_updates_total counts the watch events (> 0)' \
		eval '[ "$(ctl_metric c1 metallb_k8s_client_updates_total "")" -gt 0 ]'
	check '/metrics: vipcast_reload_duration_seconds_count > 0, vipcast_config_load_errors_total 0' \
		eval '[ "$(ctl_metric c1 vipcast_reload_duration_seconds_count "")" -gt 0 ] && ctl_metric_is c1 vipcast_config_load_errors_total "" 0'
	check_within 10 "the memberlist Secret is created" kc get secret -n "$SYS" memberlist
	key=$(kc get secret -n "$SYS" memberlist -o jsonpath='{.data.secretkey}' |
		"$E2E_PY" -c 'import base64, sys; k = base64.b64decode(sys.stdin.read()); print(len(k), len(base64.b64decode(k + b"==")))')
	check "its secretkey is 128 random bits, unpadded base64 (22 characters: $key)" test "$key" = "22 16"
	check_within 10 "the ConfigurationState says Valid" cstate_is Valid

	lb "$NS" far '' 'loadBalancerIP: 203.0.113.77' | kc apply -f - >/dev/null
	check_within 10 "a Service asking for an address outside every pool gets AllocationFailed with the reason" \
		has_event "$NS" far AllocationFailed "Failed to allocate IP for \"$NS/far\": 203.0.113.77 is in no address pool"
	lb "$NS" ghost 'annotations: {metallb.io/address-pool: nope}' | kc apply -f - >/dev/null
	check_within 10 "one naming a pool that does not exist too" has_event "$NS" ghost AllocationFailed \
		"Failed to allocate IP for \"$NS/ghost\": pool nope named by metallb.io/address-pool does not exist"
	check "neither has an address" no_ip "$NS" far
	# vipcastctl NAME ARGS... against that controller's control socket
	vctl() { local n=$1; shift; "$BUILD/vipcastctl" --socket "$E2E_TMP/$n.sock" "$@"; }
	jtrue() { "$E2E_PY" -c 'import json, sys; d = json.load(sys.stdin)["data"]; sys.exit(0 if eval(sys.argv[1]) else 1)' "$1"; }
	check "vipcastctl status -o json: leader, serving, p1 has 1 IPv4 assigned, 15 free" eval \
		'vctl c1 -o json status | jtrue "d[\"leader\"] and d[\"serving\"] and [(p[\"name\"], p[\"assigned_ipv4\"], p[\"available_ipv4\"]) for p in d[\"pools\"]] == [(\"p1\", 1, 15)]"'
	check "vipcastctl status: the p1 row" eval 'vctl c1 status | grep -qE "^p1 +1 +15 "'
	check "vipcastctl services -o json: web in p1, far's allocation error" eval \
		'vctl c1 -o json services | jtrue "{s[\"name\"]: (s[\"ips\"], s.get(\"error\")) for s in d[\"services\"]}[\"web\"] == ([{\"ip\": \"198.51.100.0\", \"pool\": \"p1\"}], None) and \"is in no address pool\" in {s[\"name\"]: s.get(\"error\") for s in d[\"services\"]}[\"far\"]"'
	check "vipcastctl services: far's error line" eval 'vctl c1 services | grep -q "error: 203.0.113.77 is in no address pool"'
	check "vipcastctl why on the controller: an error answer, exit 1" eval 'vctl c1 why 198.51.100.0 >/dev/null 2>&1; [ $? = 1 ]'
	kc label svc -n "$NS" far touched=yes >/dev/null
	kc label svc -n "$NS" far touched=again --overwrite >/dev/null
	check_holds 2 "an unchanged failure is not recorded again" eval '[ "$(events "$NS" far AllocationFailed | cut -d"|" -f3)" = 1 ]'

	lb "$NS" dual '' 'ipFamilyPolicy: RequireDualStack, ipFamilies: [IPv4, IPv6]' | kc apply -f - >/dev/null
	check_within 10 "a RequireDualStack Service gets one address of each family" has_ip "$NS" dual "198.51.100.1 2001:db8:100::"
	check_within 10 "and MetalLB's message for two" has_event "$NS" dual IPAllocated 'Assigned IP ["198.51.100.1" "2001:db8:100::"]'
	check_within 5 '/metrics: metallb_allocator_addresses_in_use_total{pool="p1"} 3 (web, dual twice)' \
		ctl_metric_is c1 metallb_allocator_addresses_in_use_total 'pool="p1"' 3
	kc delete svc -n "$NS" dual >/dev/null

	pool p2 203.0.113.0/30 | kc apply -f - >/dev/null
	lb "$NS" mv 'annotations: {metallb.io/address-pool: p2}' | kc apply -f - >/dev/null
	check_within 10 "a Service naming pool p2 gets its first address" has_ip "$NS" mv 203.0.113.0
	pool p2 203.0.113.4/30 | kc apply -f - >/dev/null
	check_within 10 "p2 moved: the Service gets an address of its new range" has_ip "$NS" mv 203.0.113.4
	check_within 10 "with a ClearAssignment Event saying why" has_event "$NS" mv ClearAssignment \
		"current IP for \"$NS/mv\" not allowed by config, will attempt for new IP assignment: 203.0.113.0 is no longer in an address pool that hands it out"
	check_within 10 "and an IPAllocated Event for the new one" has_event "$NS" mv IPAllocated 'Assigned IP ["203.0.113.4"]'
	kc delete svc -n "$NS" mv >/dev/null
	kc delete ipaddresspool -n "$SYS" p2 >/dev/null

	lb "$NS" foreign '' 'loadBalancerClass: other.example/lb' | kc apply -f - >/dev/null
	check_holds 2 "a Service of another loadBalancerClass is left alone" no_ip "$NS" foreign
	check "no Event on it" test -z "$(kc get events -n "$NS" --field-selector involvedObject.name=foreign -o name)"

	kc delete svc -n "$NS" web >/dev/null
	lb "$NS" next | kc apply -f - >/dev/null
	check_within 10 "the deleted Service's address goes to the next one" has_ip "$NS" next 198.51.100.0
	kc patch svc -n "$NS" next --type merge -p '{"spec":{"type":"ClusterIP"}}' >/dev/null
	check_within 10 "a type change to ClusterIP clears the status" no_ip "$NS" next
	check_within 10 "and the annotation" eval '[ -z "$(annotation_of "$NS" next)" ]'
	kc patch svc -n "$NS" far --type merge -p '{"spec":{"loadBalancerIP":"198.51.100.0"}}' >/dev/null
	check_within 10 "the freed address can be requested" has_ip "$NS" far 198.51.100.0
	check_within 10 "the pool's status follows" eval '[ "$(pool_status p1)" = 1/15 ]'
	writes=$(events "$NS" far IPAllocated | wc -l)
	check "one IPAllocated Event for it" test "$writes" = 1
	stop c1
	check "the controller stops on SIGTERM, no sanitizer report" ctl_no_sanitizer c1
	cleanup_ns "$NS"
	kc delete ipaddresspool -n "$SYS" --all >/dev/null
fi

# ================================================================== files
# scenario_ok FILE -> the API shows what the dry run of FILE gives
scenario_ok() {
	kc get svc -A -o json >"$E2E_TMP/svcs.json" 2>/dev/null || return 1
	kc get events -A -o json >"$E2E_TMP/events.json" 2>/dev/null || return 1
	"$E2E_PY" "$DATA/compare.py" "$E2E_TMP/$1.dry.json" "$E2E_TMP/svcs.json" "$E2E_TMP/events.json" \
		>"$E2E_TMP/$1.compare" 2>&1
}
# apply_in_order FILE -> pools and Namespaces at once, then each Service in file order
apply_objects() {
	"$E2E_PY" - "$1" "$2" <<'EOF' | kc apply -f - >/dev/null
import sys
docs = open(sys.argv[1]).read().split("\n---\n")
want_svc = sys.argv[2] == "services"
for d in docs:
    if ("kind: Service\n" in d) == want_svc:
        print("---\n" + d)
EOF
}
if want files; then
	for f in choice requests; do
		scenario "file scenario $f"
		"$CONTROLLER" --config "$DATA/$f.yaml" --dry-run -o json >"$E2E_TMP/$f.dry.json" || die "dry run of $f"
		apply_objects "$DATA/$f.yaml" config
		if [ "$f" = choice ]; then
			# every object there first: the controller serves them all at startup
			apply_objects "$DATA/$f.yaml" services
			ctl_start "files-$f"
			require_within 20 "the controller serves" ctl_serving "files-$f"
		else
			# the controller running: Service by Service, in events
			ctl_start "files-$f"
			require_within 20 "the controller serves" ctl_serving "files-$f"
			apply_objects "$DATA/$f.yaml" services
		fi
		if check_within 30 "the API shows exactly what --dry-run gives for $f.yaml" scenario_ok "$f"; then
			log "$(grep -c '^ok ' "$E2E_TMP/$f.compare") Services compared, e.g. $(grep -m1 '^ok ' "$E2E_TMP/$f.compare")"
		else
			grep -v '^ok ' "$E2E_TMP/$f.compare" >&2
		fi
		stop "files-$f"
		cleanup_ns $(grep -o 'namespace: vc-[a-z]*' "$DATA/$f.yaml" | sort -u | cut -d' ' -f2)
		kc delete ipaddresspool -n "$SYS" --all >/dev/null
	done
fi

# ================================================================== restart
if want restart; then
	scenario "restart 5 times while Services are created"
	NS=vc-restart
	ns_new "$NS"
	pool pr 198.51.100.0/26 | kc apply -f - >/dev/null
	kc get svc -n "$NS" -w -o jsonpath='{.metadata.name}{" "}{.status.loadBalancer.ingress[*].ip}{"\n"}' \
		>"$E2E_TMP/restart.history" 2>/dev/null &
	track history $! watcher -
	ctl_start cr
	require_within 20 "the controller serves" ctl_serving cr
	: >"$E2E_TMP/snap.0"
	all_have_ip() { snapshot "$NS" "$E2E_TMP/snap.now"; [ "$(count_with_ip "$E2E_TMP/snap.now")" = "$1" ]; }
	total=0
	for round in 1 2 3 4 5; do
		# 10 Services created one request at a time while the controller is killed and started
		# again; one of the round before deleted, leaving a hole a new allocation from scratch
		# would close by moving the younger ones
		(for i in $(seq 1 10); do lb "$NS" "r$round-$i"; done | kc apply -f - >/dev/null) &
		creator=$!
		sleep "0.$((round * 2))"
		if [ $((round % 2)) = 1 ]; then crash cr; else stop cr; fi
		wait "$creator"
		total=$((total + 10))
		if [ "$round" -gt 1 ]; then
			kc delete svc -n "$NS" "r$((round - 1))-3" >/dev/null
			total=$((total - 1))
		fi
		ctl_start cr
		require_within 20 "round $round: the controller serves again" ctl_serving cr
		check_within 20 "round $round: all $total Services have an address" all_have_ip "$total"
		snapshot "$NS" "$E2E_TMP/snap.$round"
		check "round $round: no address changed since round $((round - 1))" \
			kept "$E2E_TMP/snap.$((round - 1))" "$E2E_TMP/snap.$round"
		check "round $round: no address given twice" test "$(distinct_ips "$E2E_TMP/snap.$round")" = 0
	done
	sleep 1
	stop history
	changed=$(awk 'NF > 1 { if ($1 in ip && ip[$1] != $2) print $1; ip[$1] = $2 }' "$E2E_TMP/restart.history" | sort -u)
	check "the watch saw no Service's address change ($(wc -l <"$E2E_TMP/restart.history") status events)" \
		test -z "$changed"
	check "the restarted controllers re-claimed and never moved (every ClearAssignment absent)" \
		test "$(kc get events -n "$NS" --field-selector reason=ClearAssignment -o name | wc -l)" = 0
	check "no sanitizer report" ctl_no_sanitizer cr
	stop cr
	cleanup_ns "$NS"
fi

# ================================================================== leader
if want leader; then
	scenario "leader election"
	stop cr 2>/dev/null
	NS=vc-leader
	ns_new "$NS"
	kc get ipaddresspool -n "$SYS" pr >/dev/null 2>&1 || pool pr 198.51.100.0/26 | kc apply -f - >/dev/null
	LE=(--leader-elect --leader-elect-lease-duration 4s --leader-elect-renew-deadline 3s --leader-elect-retry-period 500ms)
	ctl_start ctl-a "${LE[@]}" --pod-name ctl-a
	ctl_start ctl-b "${LE[@]}" --pod-name ctl-b
	lease_held() { case $(lease_holder) in ctl-a | ctl-b) return 0 ;; esac; return 1; }
	require_within 20 "one replica holds the Lease" lease_held
	L=$(lease_holder)
	F=ctl-a
	[ "$L" = ctl-a ] && F=ctl-b
	log "leader $L, follower $F"
	check_within 10 "the follower logs that it waits" ctl_says "$F" "held by $L; waiting"
	require_within 20 "the leader serves" ctl_serving "$L"
	for i in $(seq 1 10); do lb "$NS" "le$i"; done | kc apply -f - >/dev/null
	all10() { snapshot "$NS" "$E2E_TMP/le.snap"; [ "$(count_with_ip "$E2E_TMP/le.snap")" = 10 ]; }
	check_within 20 "10 Services get addresses" all10
	inst() { kc get events -n "$NS" --field-selector reason=IPAllocated -o jsonpath='{range .items[*]}{.reportingInstance}{"\n"}{end}' | sort | uniq -c | awk '{ print $2 "=" $1 }' | tr '\n' ' '; }
	check_within 10 "every IPAllocated Event comes from the leader" eval '[ "$(inst)" = "$L=10 " ]'
	check "the follower allocated nothing" not ctl_says "$F" "from pool"
	check "the follower does not serve" not ctl_serving "$F"
	snapshot "$NS" "$E2E_TMP/le.before"
	t0=$(now)
	crash "$L"
	check_within 15 "SIGKILL of the leader: the follower takes the Lease within lease + retry time" \
		eval '[ "$(lease_holder)" = "$F" ]'
	took=$(elapsed "$t0")
	check "taken over in $took s (lease 4 s, retry 0.5 s)" awk -v t="$took" 'BEGIN { exit !(t <= 6.5) }'
	check_within 10 "the new leader serves" ctl_serving "$F"
	for i in $(seq 11 15); do lb "$NS" "le$i"; done | kc apply -f - >/dev/null
	all15() { snapshot "$NS" "$E2E_TMP/le.snap"; [ "$(count_with_ip "$E2E_TMP/le.snap")" = 15 ]; }
	check_within 20 "5 more Services get addresses from the new leader" all15
	snapshot "$NS" "$E2E_TMP/le.after"
	check "no address changed with the leader" kept "$E2E_TMP/le.before" "$E2E_TMP/le.after"
	check "no address given twice" test "$(distinct_ips "$E2E_TMP/le.after")" = 0
	check "the new leader re-claimed every address before allocating" \
		ctl_says "$F" 'serving: ([0-9]+) LoadBalancer Services?, \1 kept the addresses' 
	ctl_start "$L" "${LE[@]}" --pod-name "$L"
	check_within 10 "the old leader, started again, waits" ctl_says "$L" "held by $F; waiting"
	t0=$(now)
	stop "$F"
	check "SIGTERM of the leader releases the Lease" ctl_says "$F" "Lease $SYS/vipcast-controller released"
	check_within 10 "the other takes over at once (no lease time to wait)" eval '[ "$(lease_holder)" = "$L" ]'
	took=$(elapsed "$t0")
	check "taken over in $took s (< the 4 s lease)" awk -v t="$took" 'BEGIN { exit !(t < 4) }'
	snapshot "$NS" "$E2E_TMP/le.after2"
	check_within 10 "it serves" ctl_serving "$L"
	check "and keeps every address" kept "$E2E_TMP/le.after" "$E2E_TMP/le.after2"
	stop "$L"
	check "no sanitizer report" ctl_no_sanitizer ctl-a
	check "no sanitizer report" ctl_no_sanitizer ctl-b
	cleanup_ns "$NS"
fi

# ================================================================== outage
if want outage; then
	scenario "API server outages"
	NS=vc-outage
	ns_new "$NS"
	kc delete ipaddresspool -n "$SYS" --all >/dev/null
	pool po 198.51.100.0/26 | kc apply -f - >/dev/null
	ctl_start co
	require_within 20 "the controller serves" ctl_serving co
	for i in 1 2 3 4 5; do lb "$NS" "o$i"; done | kc apply -f - >/dev/null
	n_ip() { snapshot "$NS" "$E2E_TMP/out.now"; [ "$(count_with_ip "$E2E_TMP/out.now")" = "$1" ]; }
	require_within 20 "5 Services get addresses" n_ip 5
	snapshot "$NS" "$E2E_TMP/out.0"
	pid=$(pid_of co)

	c0=$(cpu_ticks "$pid")
	api_restart
	c1=$(cpu_ticks "$pid")
	for i in 6 7 8; do lb "$NS" "o$i"; done | kc apply -f - >/dev/null
	check_within 40 "API server killed and started again: new Services are served" n_ip 8
	record pass "controller CPU while the API server was down and came back: $((c1 - c0)) ticks of 1/$(getconf CLK_TCK) s"
	snapshot "$NS" "$E2E_TMP/out.1"
	check "no address changed" kept "$E2E_TMP/out.0" "$E2E_TMP/out.1"

	# The controller frozen while the API server restarts without its watch cache, Services change
	# and etcd is compacted: its watches resume from a revision that is gone (410) and list again.
	freeze co
	api_restart --watch-cache=false
	lb "$NS" o9 | kc apply -f - >/dev/null
	kc delete svc -n "$NS" o2 >/dev/null
	rev=$(etcdctl_ endpoint status -w json | "$E2E_PY" -c 'import json,sys; print(json.load(sys.stdin)[0]["Status"]["header"]["revision"])')
	check "etcd compacted to revision $rev behind the frozen controller" etcdctl_ compact "$rev"
	gone0=$(grep -c ' is gone ' "$E2E_TMP/co.log")
	thaw co
	gone_more() { [ "$(grep -c ' is gone ' "$E2E_TMP/co.log")" -gt "$gone0" ]; }
	check_within 40 "thawed: its watches got 410 and listed again" gone_more
	check_within 20 "the Service created meanwhile is served" has_ip "$NS" o9
	snapshot "$NS" "$E2E_TMP/out.2"
	check "no other address changed" kept "$E2E_TMP/out.1" "$E2E_TMP/out.2"
	check "no address held twice" test "$(distinct_ips "$E2E_TMP/out.2")" = 0

	stop_s=${KCTL_STOP_S:-10}
	c0=$(cpu_ticks "$pid")
	kill -STOP "$(api_pid)"
	sleep "$stop_s"
	c1=$(cpu_ticks "$pid")
	kill -CONT "$(api_pid)"
	record pass "controller CPU during $stop_s s of a stopped (SIGSTOP) API server: $((c1 - c0)) ticks of 1/$(getconf CLK_TCK) s"
	check "no busy loop meanwhile (< 0.5 s CPU)" test $((c1 - c0)) -lt $(($(getconf CLK_TCK) / 2))
	lb "$NS" o10 | kc apply -f - >/dev/null
	check_within 40 "after SIGCONT a new Service is served" has_ip "$NS" o10
	snapshot "$NS" "$E2E_TMP/out.3"
	check "no other address changed" kept "$E2E_TMP/out.2" "$E2E_TMP/out.3"
	check "no address held twice" test "$(distinct_ips "$E2E_TMP/out.3")" = 0
	stop co
	check "no sanitizer report" ctl_no_sanitizer co
	cleanup_ns "$NS"
fi

# ================================================================== invalid
if want invalid; then
	scenario "invalid configuration keeps the addresses"
	NS=vc-invalid
	ns_new "$NS"
	kc delete ipaddresspool -n "$SYS" --all >/dev/null
	pool main 198.51.100.0/26 | kc apply -f - >/dev/null
	ctl_start ci
	require_within 20 "the controller serves" ctl_serving ci
	for i in 1 2 3; do lb "$NS" "v$i"; done | kc apply -f - >/dev/null
	three() { snapshot "$NS" "$E2E_TMP/inv.snap"; [ "$(count_with_ip "$E2E_TMP/inv.snap")" = 3 ]; }
	require_within 20 "3 Services get addresses" three
	snapshot "$NS" "$E2E_TMP/inv.before"

	pool overlap 198.51.100.32/27 | kc apply -f - >/dev/null
	check_within 10 "an overlapping pool is refused: Event on it" has_event "$SYS" overlap InvalidConfiguration \
		"overlaps 198.51.100.0/26 of IPAddressPool $SYS/main; not applied, the last valid configuration stays in force"
	check "and a log line" ctl_says ci "configuration not applied, the last valid one stays in force: .*overlaps"
	check_within 10 "the ConfigurationState says Invalid" cstate_is Invalid
	check "with the reason in errorSummary" eval '[[ "$(cstate errorSummary)" == *"overlaps 198.51.100.0/26"* ]]'
	check '/metrics: metallb_k8s_client_config_stale_bool 1, update_errors_total > 0' eval \
		'ctl_metric_is ci metallb_k8s_client_config_stale_bool "" 1 && [ "$(ctl_metric ci metallb_k8s_client_update_errors_total "")" -gt 0 ]'
	check '/metrics: vipcast_config_load_errors_total > 0' eval '[ "$(ctl_metric ci vipcast_config_load_errors_total "")" -gt 0 ]'
	lb "$NS" v4 | kc apply -f - >/dev/null
	check_within 10 "a new Service is still served from the last valid configuration" has_ip "$NS" v4 198.51.100.3
	kc delete ipaddresspool -n "$SYS" overlap >/dev/null
	check_within 10 "the overlap removed: Valid again" cstate_is Valid
	check '/metrics: metallb_k8s_client_config_stale_bool 0' ctl_metric_is ci metallb_k8s_client_config_stale_bool "" 0

	# A range whose end comes before its start: the CRD's schema cannot see it (deploy/README.md).
	if kc patch ipaddresspool -n "$SYS" main --type merge \
		-p '{"spec":{"addresses":["198.51.100.0/26","198.51.100.200-198.51.100.100"]}}' >/dev/null 2>"$E2E_TMP/patch.err"; then
		check_within 10 "a malformed range the schema let through is refused: Event on the pool" \
			has_event "$SYS" main InvalidConfiguration 'range end 198.51.100.100 is before its start 198.51.100.200'
		check_within 10 "the ConfigurationState says Invalid" cstate_is Invalid
		snapshot "$NS" "$E2E_TMP/inv.mal"
		check "the addresses stay" kept "$E2E_TMP/inv.before" "$E2E_TMP/inv.mal"
		kc patch ipaddresspool -n "$SYS" main --type merge -p '{"spec":{"addresses":["198.51.100.0/26"]}}' >/dev/null
		check_within 10 "repaired: Valid again" cstate_is Valid
	else
		record pass "a malformed range is refused by the CRD schema ($(head -c 150 "$E2E_TMP/patch.err"))"
	fi

	kc delete ipaddresspool -n "$SYS" main >/dev/null
	check_within 10 "every pool deleted: refused, with a log line" ctl_says ci "no IPAddressPool in namespace $SYS"
	check_within 10 "the ConfigurationState says Invalid" cstate_is Invalid
	still() { snapshot "$NS" "$E2E_TMP/inv.empty"; kept "$E2E_TMP/inv.before" "$E2E_TMP/inv.empty" 2>/dev/null; }
	check_holds 3 "the addresses stay (MetalLB #2887)" still
	pool main 198.51.100.0/26 | kc apply -f - >/dev/null
	check_within 10 "the pool back: Valid" cstate_is Valid
	snapshot "$NS" "$E2E_TMP/inv.after"
	check "every address as before" kept "$E2E_TMP/inv.before" "$E2E_TMP/inv.after"
	check "no ClearAssignment on the way" test "$(kc get events -n "$NS" --field-selector reason=ClearAssignment -o name | wc -l)" = 0

	# deploy/examples/invalid: the objects the API server accepts and vipcast must refuse with an
	# Event, of the kinds the controller validates (BGPPeers are the speaker's)
	for f in "$SRC"/deploy/examples/invalid/*.yaml; do
		grep -q '^# refused-by: vipcast' "$f" || continue
		kind=$(sed -n 's/^kind: //p' "$f")
		case $kind in IPAddressPool | L2Advertisement | BGPAdvertisement | Community) ;; *) continue ;; esac
		name=$(sed -n 's/^  name: //p' "$f" | head -n 1)
		err=$(sed -n 's/^# vipcast-error: //p' "$f")
		kc apply -f "$f" >/dev/null || { record fail "$(basename "$f"): the API server refused it"; continue; }
		check_within 10 "$(basename "$f"): refused with an Event on $kind $name ($err)" \
			has_event "$SYS" "$name" InvalidConfiguration "$err"
		check_within 10 "$(basename "$f"): the ConfigurationState says Invalid" cstate_is Invalid
		kc delete -f "$f" >/dev/null
		check_within 10 "$(basename "$f"): removed, Valid again" cstate_is Valid
	done
	snapshot "$NS" "$E2E_TMP/inv.examples"
	check "every address as before the invalid examples" kept "$E2E_TMP/inv.before" "$E2E_TMP/inv.examples"
	pid=$(pid_of ci)
	log "controller CPU $(cpu_ticks "$pid") ticks, max RSS $(rss_kib "$pid") KiB"
	stop ci
	check "no sanitizer report" ctl_no_sanitizer ci
fi

scenario "down"
if bash "$KUBE_ENV" down "$KDIR" >>"$E2E_TMP/kube-env.log" 2>&1; then
	record pass "control plane stopped"
else
	record fail "kube-env.sh down"
fi
e2e_finish
