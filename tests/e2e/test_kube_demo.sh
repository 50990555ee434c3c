#!/bin/bash
# End-to-end test of the lab demo in Kubernetes mode, as the README tells it:
# `scripts/demo.sh --kube` (scripts/kube-demo.sh) run whole, its output checked.
#   - it ends with 0 and shows what the README says: kubectl apply of the
#     examples, the Services' addresses in `kubectl get svc`, the router's table
#     with the VIPs (ECMP over the nodes), the client's HTTP answers, a Pod move;
#   - afterwards nothing of it is left: every process seen in its namespaces or
#     naming its directory is gone (by PID and start time), its namespaces, its
#     veth and its directory too;
#   - Ctrl-C (SIGINT to its process group) midway cleans up the same way;
#   - without the control plane built it says how to build it and exits 1.
#
# Usage: test_kube_demo.sh BUILD_DIR
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
. "$(dirname "$0")/kubelib.sh"
kube_require kube_demo
. "$(dirname "$0")/lib.sh"
e2e_init kdt "$1" curl
set -m  # the demo runs in a process group of its own, as from a terminal: Ctrl-C reaches all of it

# demo_start OUT [ENV=VALUE...] -> scripts/demo.sh --kube --no-build in the background;
# DEMO is its PID (the same through demo.sh's exec), its process group's id too
demo_start() {
	local out=$1
	shift
	env VIPCAST_BUILD="$BUILD" "$@" sh "$SRC/scripts/demo.sh" --kube --no-build >"$out" 2>&1 </dev/null &
	DEMO=$!
	track "demo$DEMO" "$DEMO" demo -
	: >"$E2E_TMP/seen.$DEMO"
}
demo_tmp() { sed -n 's/.*temporary directory //p' "$1" | head -n 1; }
# demo_watch OUT -> records PID:START of every process in the demo's namespaces or
# naming its directory, every 0.3 s, while the demo runs (at most 400 times)
demo_watch() {
	local out=$1 tmp n p pids
	for n in $(seq 400); do
		pid_alive "$DEMO" "$(pid_start "$DEMO")" || return 0
		tmp=$(demo_tmp "$out")
		pids=$(for p in $(ip netns list | awk -v id="vckdemo$DEMO-" 'index($1, id) == 1 { print $1 }'); do
			ip netns pids "$p"; done 2>/dev/null)
		[ -n "$tmp" ] && pids="$pids $(grep -lF "$tmp" /proc/[0-9]*/cmdline 2>/dev/null | cut -d/ -f3)"
		for p in $pids; do echo "$p:$(pid_start "$p")"; done >>"$E2E_TMP/seen.$DEMO"
		sleep 0.3
	done
	return 1
}
# demo_wait SECONDS -> DEMO's exit status, or 124 when it ran longer (then it is stopped)
demo_wait() {
	local i
	for i in $(seq $(($1 * 5))); do
		kill -0 "$DEMO" 2>/dev/null || break
		sleep 0.2
	done
	if kill -0 "$DEMO" 2>/dev/null; then stop "demo$DEMO"; return 124; fi
	wait "$DEMO"
}
# left_over -> what the demo left: processes seen (PID:START still alive), namespaces, veth
left_over() {
	local ps
	ps=$(sort -u "$E2E_TMP/seen.$DEMO" | grep -v ':$' | while IFS=: read -r p st; do
		pid_alive "$p" "$st" && echo "$p"; done)
	[ -n "$ps" ] && echo "processes: $ps"
	ip netns list | grep -q "^vckdemo$DEMO-" && echo "namespaces: $(ip netns list | grep "^vckdemo$DEMO-" | tr '\n' ' ')"
	ip link show "vk$DEMO" >/dev/null 2>&1 && echo "veth vk$DEMO"
	return 0
}
says() { sed 's/\x1b\[[0-9;]*m//g' "$OUT" | grep -qE -- "$1"; }

scenario "the demo, whole"
OUT=$E2E_TMP/demo.out
t0=$(now)
demo_start "$OUT"
demo_watch "$OUT"
demo_wait 240
rc=$?
log "demo ended with $rc after $(elapsed "$t0") s; its output: $OUT"
check "it ends with 0" [ "$rc" = 0 ]
check "it saw its processes (control plane, router, speakers, controller, web servers)" \
	[ "$(sort -u "$E2E_TMP/seen.$DEMO" | wc -l)" -ge 10 ]
check "kubectl applies the pool, the BGP objects and the application" eval \
	'says "ipaddresspool.metallb.io/lab-pool created" && says "bgppeer.metallb.io/router-v4 created" &&
	 says "bgpadvertisement.metallb.io/lab-vips created" && says "service/web created" && says "pod/web-local-1 created"'
check "kubectl get svc shows the addresses the Services asked for" \
	says '^ +web +LoadBalancer +[0-9.]+ +198\.51\.100\.10 '
check "and the dual-stack one the controller picked" \
	says '^ +api +LoadBalancer +[0-9.]+ +198\.51\.100\.[0-9]+,2001:db8:100::[0-9a-f]* '
check "the router learned the VIPs with their communities" eval \
	'says "^ +198\.51\.100\.10/32 +unicast \[node[123] " && says "BGP\.community: \(64500,100\) \(64500,200\)"'
check "and installed web as one ECMP route over the three nodes" eval \
	'[ "$(sed -n "/route show proto bird/,/^\$/p" "$OUT" | grep -cE "nexthop via 192\.0\.2\.1[123] ")" -ge 6 ]'
check "the client fetched every VIP over HTTP" eval \
	'says "http://198\.51\.100\.10:8080/ +-> hello from node[123]$" && says "http://198\.51\.100\.11:8080/ +-> hello from node2$" &&
	 says "http://\[2001:db8:100::[0-9a-f]*\]:8080/ +-> hello from node[123]$"'
check "web-local followed its Pod to node3" says "6 connections to web-local: node3=6"
check "it passed" says "PASS: lab demo in Kubernetes mode"
check "nothing is left: processes, namespaces, veth" [ -z "$(left_over)" ]
check "its directory is removed" eval '! [ -e "$(demo_tmp "$OUT")" ]'

scenario "Ctrl-C midway"
OUT=$E2E_TMP/demo-int.out
demo_start "$OUT"
demo_watch "$OUT" &
watcher=$!
wait_until 120 says "== the application:" || record fail "the demo did not reach the application"
sleep 1
kill -INT -- "-$DEMO"
demo_wait 60
rc=$?
wait "$watcher"
check "SIGINT to the process group: it stops within 60 s with 130" [ "$rc" = 130 ]
check "it had started the control plane, router, controller and speakers" \
	[ "$(sort -u "$E2E_TMP/seen.$DEMO" | wc -l)" -ge 7 ]
check "nothing is left: processes, namespaces, veth" [ -z "$(left_over)" ]
tmp=$(demo_tmp "$OUT")
case $tmp in /tmp/vipcast-e2e-kdemo.*) rm -rf "$tmp" ;; esac  # kept by the interrupted demo, for its logs

scenario "the control plane not built"
OUT=$E2E_TMP/demo-nokube.out
demo_start "$OUT" VIPCAST_KUBE_CACHE="$E2E_TMP/no-cache"
demo_wait 30
rc=$?
check "it exits 1" [ "$rc" = 1 ]
check "and says how to build it" says "sh scripts/kube-build.sh"
check "having started nothing" eval '! ip netns list | grep -q "^vckdemo$DEMO-"'

e2e_finish
