#!/bin/bash
# End-to-end test of vipcast-speaker in Kubernetes mode through API outages
# (tests/e2e/kubelab.sh): three Services (ETP Cluster and Local) announced to
# BIRD from three nodes and reached over HTTP from a client, then in turn
#   - the API server stopped (SIGSTOP) for 30 s, then continued;
#   - the API server killed and started again;
#   - the API server without its watch cache, etcd compacted and the speakers'
#     connections cut: their watches resume from a compacted revision (410)
#     and list again;
#   - every API connection of the nodes cut and new ones refused for a while
#     (ss -K and an ip rule for the API port in the node namespaces);
#   - cut off again while a Service and the BGPPeer are deleted and made again
#     under their names, etcd compacted: after the relist the new Service
#     stays announced and no session restarts;
#   - the controller stopped while a Service is deleted and made again, etcd
#     compacted: after its relist the new Service keeps its address, and
#     nobody else can have it.
# Samplers run through each outage and its recovery (tests/e2e/kube_probe.py):
# BIRD's route count for the VIPs every 100 ms never drops, an HTTP GET to each
# VIP every 50 ms from the client never fails, no BGP session restarts, /readyz
# is followed: it says 503 (caches stale) while the API server is down or
# unreachable; a stopped one goes unnoticed (open watches wait for their idle
# time, 150 s, and nothing else asks), which the test reports. After each
# recovery: /readyz 200, no UPDATE went out (the relists found no difference),
# and a change made through the API reaches BIRD.
#
# Usage: test_kube_speaker_outage.sh BUILD_DIR   (KSO_STOP_S: the SIGSTOP time, default 30)
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
. "$(dirname "$0")/kubelib.sh"
kube_require kube_speaker_outage
. "$(dirname "$0")/lib.sh"
e2e_init kso "$1" openssl curl tac bird birdc python3
. "$(dirname "$0")/kubelab.sh"
KDIR=$E2E_TMP/kube
PROBE=$SRC/tests/e2e/kube_probe.py
STOP_S=${KSO_STOP_S:-30}
e2e_diag_extra() { kubelab_diag; }
[ -x "$CONTROLLER" ] || die "$CONTROLLER is not built"

kubelab_up
stop rtr2  # one BGPPeer here: rtr
API_PORT=$(sed -n 's|.*server: https://.*:||p' "$KDIR/kubeconfig")

scenario "setup: three Services announced and reached"
for i in 1 2 3; do kubelab_speaker "$i"; done
{
	cfg_pool vips "$KL_BGP_RANGE"
	cfg_peer peer-a 64512 64512 192.0.2.1
	cfg_adv adv pools=vips
} | kc apply -f - >/dev/null || die "BGP configuration"
established_a() { bird_established rtr anode1 && bird_established rtr anode2 && bird_established rtr anode3; }
require_within 30 "BIRD: the three sessions Established" established_a
kubelab_service web Cluster
kubelab_service local Local
kubelab_service flip Local
kubelab_pod web-1 node1 True
kubelab_pod local-1 node2 True
kubelab_pod local-2 node3 True
kubelab_pod flip-1 node1 True
require_within 15 "the controller gives the three Services addresses" \
	eval '[ -n "$(svc_ip web)" ] && [ -n "$(svc_ip local)" ] && [ -n "$(svc_ip flip)" ]'
WEB=$(svc_ip web) LOC=$(svc_ip local) FLIP=$(svc_ip flip)
log "web $WEB (Cluster), local $LOC (Local, node2 and node3), flip $FLIP (Local, moved after each recovery)"
require_within 20 "web via all three nodes, local via node2 and node3, flip via node1" \
	eval '[ "$(bird_nexthops "$WEB")|$(bird_nexthops "$LOC")|$(bird_nexthops "$FLIP")" = \
		"192.0.2.11,192.0.2.12,192.0.2.13|192.0.2.12,192.0.2.13|192.0.2.11" ]'
ROUTES0=5  # web 3, local 2: what the route sampler counts
require_within 10 "the client reaches web and local over HTTP" eval '[ -n "$(http_who "$WEB")" ] && [ -n "$(http_who "$LOC")" ]'
require_within 10 "/readyz 200 on every node" \
	eval '[ "$(speaker_probe 1 /readyz)$(speaker_probe 2 /readyz)$(speaker_probe 3 /readyz)" = 200200200 ]'
conns() {  # rtr's BGP connections, "local:port peer:port" per line, sorted
	nsx rtr ss -Htn state established "( sport = :179 or dport = :179 )" | awk '{ print $3, $4 }' |
		sed -e 's/\[::ffff:\([0-9.]*\)\]/\1/g' -e 's/%[a-z0-9]*:/:/g' | sort
}
CONNS0=$(conns)
check "rtr holds three BGP connections" [ "$(wc -l <<<"$CONNS0")" = 3 ]
t0=$(now)
for n in $(seq 40); do nsx c curl -s -o /dev/null -m 2 "http://$WEB:8080/"; done
record pass "measured: 40 curl runs in the client namespace, one after another, took $(elapsed "$t0") s (the HTTP sampler is Python, one request per 50 ms per VIP)"

# ------------------------------------------------------------------ samplers

# sampling_start NAME -> the HTTP, route and /readyz samplers, to $E2E_TMP/NAME.{http,bird,readyz}
sampling_start() {
	local n=$1
	ip netns exec "$(ns c)" "$E2E_PY" "$PROBE" --duration 150 http --timeout-ms 2000 "$WEB:8080" "$LOC:8080" >"$E2E_TMP/$n.http" 2>&1 &
	track "$n-http" $! python3 c
	"$E2E_PY" "$PROBE" --duration 150 bird --socket "$E2E_TMP/rtr/bird.ctl" "$WEB/32" "$LOC/32" \
		>"$E2E_TMP/$n.bird" 2>&1 &
	track "$n-bird" $! python3 -
	"$E2E_PY" "$PROBE" --duration 150 readyz "http://$KL_NET.11:7472/readyz" "http://$KL_NET.12:7472/readyz" \
		"http://$KL_NET.13:7472/readyz" >"$E2E_TMP/$n.readyz" 2>&1 &
	track "$n-readyz" $! python3 -
	sleep 1
}
summary() { sed -n 's/^[0-9.]* SUMMARY //p' "$E2E_TMP/$1"; }
# sampling_stop NAME -> stops the samplers and checks what they saw
FIGURES=()
sampling_stop() {
	local n=$1 s t f g gmax=0
	stop "$n-http"
	stop "$n-bird"
	stop "$n-readyz"
	s=$(summary "$n.http")
	check "HTTP sampler finished ($s)" [ -n "$s" ]
	for t in $s; do
		f=$(sed -n 's/.*,fail=\([0-9]*\),.*/\1/p' <<<"$t")
		g=$(sed -n 's/.*max_gap_ms=\([0-9]*\).*/\1/p' <<<"$t")
		check "HTTP to ${t%%:*}: $(sed -n 's/.*ok=\([0-9]*\),.*/\1/p' <<<"$t") GETs answered, $f failed, longest gap between answers $g ms" \
			[ "${f:-1}" = 0 ]
		[ "${g:-0}" -gt "$gmax" ] && gmax=$g
	done
	s=$(summary "$n.bird")
	FIGURES+=("$n: longest gap between HTTP answers $gmax ms, fewest routes at BIRD $(sed -n 's/.* min=\([0-9a-zA-Z]*\) .*/\1/p' <<<"$s") of $ROUTES0")
	check "BIRD's route count for web and local never below $ROUTES0 ($s)" \
		eval '[ "$(sed -n "s/.* min=\([0-9]*\) .*/\1/p" <<<"$s")" -ge "$ROUTES0" ] 2>/dev/null &&
			[ "$(sed -n "s/.*samples=\([0-9]*\) .*/\1/p" <<<"$s")" -gt 0 ]'
	check "no BGP session restarted (rtr's TCP connections unchanged)" [ "$(conns)" = "$CONNS0" ]
	log "/readyz as the sampler saw it ($(summary "$n.readyz")):"
	grep -v SUMMARY "$E2E_TMP/$n.readyz" | sed 's/^/    /' >&2
}
# readyz_went NAME -> every node answered 503 saying its caches were stale, then 200 again
readyz_went() {
	local i u
	for i in 1 2 3; do
		u="http://$KL_NET.1$i:7472/readyz"
		grep -q " $u 503 caches stale" "$E2E_TMP/$1.readyz" || return 1
		[ "$(grep " $u " "$E2E_TMP/$1.readyz" | tail -n 1 | awk '{ print $3 }')" = 200 ] || return 1
	done
}
readyz_all() { [ "$(speaker_probe 1 /readyz)$(speaker_probe 2 /readyz)$(speaker_probe 3 /readyz)" = 200200200 ]; }

# log_mark -> the speakers' log lengths now; updates_since MARK -> "announced A withdrew W" summed over
# the UPDATE lines written since (a full table sent, as after a session restart, counts as announced)
log_mark() { for i in 1 2 3; do wc -l <"$E2E_TMP/speaker$i.log"; done | paste -sd' ' -; }
updates_since() {
	local m=($1) i
	for i in 1 2 3; do tail -n +"$((m[i - 1] + 1))" "$E2E_TMP/speaker$i.log"; done |
		awk '/announced [0-9]+, withdrew [0-9]+ routes/ { for (i = 1; i < NF; i++) { if ($i == "announced") a += $(i + 1); if ($i == "withdrew") w += $(i + 1) } }
			/sent [0-9]+ routes in/ { for (i = 1; i < NF; i++) if ($i == "sent") a += $(i + 1) }
			END { printf "announced %d withdrew %d", a, w }'
}
gone_count() { grep -c ' is gone ' "$E2E_TMP/speaker$1.log"; }

# recovered NAME MARK -> the checks after an outage: /readyz back, no UPDATE since MARK (the outage's
# start), then flip moved to the next node through the API reaches BIRD with one announce and one withdraw
FLIP_AT=1 FLIP_N=1
recovered() {
	local mark=$2 from=$FLIP_AT to m
	check_within 40 "/readyz 200 again on every node" readyz_all
	sleep 2  # what a relist changed has gone out by now (coalescing: 20 ms)
	check "no UPDATE went out through the outage and the relists ($(updates_since "$mark"))" \
		[ "$(updates_since "$mark")" = "announced 0 withdrew 0" ]
	to=$((from % 3 + 1))
	m=$(log_mark)
	FLIP_N=$((FLIP_N + 1))
	kubelab_pod "flip-$FLIP_N" "node$to" True flip
	kubelab_pod "flip-$((FLIP_N - 1))" "node$from" False flip
	check_within 20 "the cache is live: flip's endpoint moved from node$from to node$to, BIRD follows" \
		eval '[ "$(bird_nexthops "$FLIP")" = 192.0.2.1$to ]'
	FLIP_AT=$to
	sleep 1
	check "and only that went out ($(updates_since "$m"))" [ "$(updates_since "$m")" = "announced 1 withdrew 1" ]
	sampling_stop "$1"
}

# ------------------------------------------------------------------ the outages

scenario "API server stopped (SIGSTOP) for $STOP_S s"
mark=$(log_mark)
sampling_start stop
api=$(api_pid)
kill -STOP "$api"
log "kube-apiserver $api stopped"
sleep "$STOP_S"
kill -CONT "$api"
log "kube-apiserver $api continued"
check_within 30 "the API server answers again" api_ready
recovered stop "$mark"
if grep -q ' 503 caches stale' "$E2E_TMP/stop.readyz"; then
	record pass "observed: /readyz said the caches were stale during the stop"
else
	record pass "observed: /readyz stayed 200 through the stop (open watches notice a stalled server only after their idle time, 150 s; no request failed)"
fi

scenario "API server killed and started again"
mark=$(log_mark)
sampling_start restart
api_restart
log "kube-apiserver restarted: $(api_pid)"
recovered restart "$mark"
check "/readyz said 503 (caches stale) while it was down, 200 after" readyz_went restart

scenario "etcd compacted behind the watches (410, relist)"
mark=$(log_mark)
sampling_start compact
api_restart --watch-cache=false
check_within 40 "the API server without its watch cache; /readyz 200 on every node" readyz_all
for i in 1 2 3 4 5; do kc -n "$KL_NS" create configmap "move-$i" --from-literal=i="$i" >/dev/null; done
rev=$(etcdctl_ endpoint status -w json | "$E2E_PY" -c 'import json,sys; print(json.load(sys.stdin)[0]["Status"]["header"]["revision"])')
check "etcd compacted to revision $rev (ConfigMaps, which the speakers do not watch, moved it)" etcdctl_ compact "$rev"
for i in 1 2 3; do gone0[i]=$(gone_count "$i"); done
for i in 1 2 3; do
	killed=$(nsx "n$i" ss -K -Htn dst "$KL_API" dport = ":$API_PORT" | wc -l)
	log "node$i: $killed API connections cut"
done
gone_all() { for i in 1 2 3; do [ "$(gone_count "$i")" -gt "${gone0[i]}" ] || return 1; done; }
check_within 30 "every speaker's watches resumed from a compacted revision: 410, listing again" gone_all
for i in 1 2 3; do log "node$i: $(grep ' is gone \| listing again' "$E2E_TMP/speaker$i.log" | tail -n 1 | cut -c1-200)"; done
recovered compact "$mark"

scenario "every API connection of the nodes cut, new ones refused for 8 s"
mark=$(log_mark)
sampling_start cut
for i in 1 2 3; do
	ip -n "$(ns "n$i")" rule add priority 10 to "$KL_API" ipproto tcp dport "$API_PORT" prohibit ||
		die "ip rule in n$i"
	nsx "n$i" ss -K -Htn dst "$KL_API" dport = ":$API_PORT" >/dev/null
done
log "API connections cut, new ones refused"
sleep 8
for i in 1 2 3; do ip -n "$(ns "n$i")" rule del priority 10; done
log "API reachable again"
recovered cut "$mark"
check "/readyz said 503 (caches stale) while it was unreachable, 200 after" readyz_went cut

scenario "a Service deleted and made again under its name while the nodes were cut off (410, relist)"
# The relist sees the new Service (a new uid) before it finds the old one gone: the old one's delete
# must not take the new one out (it did, by name, until the watch entries held what they put in).
kubelab_service again Cluster
kubelab_pod again-1 node1 True
require_within 15 "again has an address" eval '[ -n "$(svc_ip again)" ]'
AGAIN=$(svc_ip again)
require_within 20 "again ($AGAIN) via all three nodes" eval '[ "$(bird_nexthops "$AGAIN")" = 192.0.2.11,192.0.2.12,192.0.2.13 ]'
uid0=$(kc -n "$KL_NS" get svc again -o jsonpath='{.metadata.uid}')
conns0=$(conns)
for i in 1 2 3; do
	gone0[i]=$(gone_count "$i")
	ip -n "$(ns "n$i")" rule add priority 10 to "$KL_API" ipproto tcp dport "$API_PORT" prohibit ||
		die "ip rule in n$i"
	nsx "n$i" ss -K -Htn dst "$KL_API" dport = ":$API_PORT" >/dev/null
done
kc -n "$KL_NS" delete svc again --wait=true >/dev/null || die "delete again"
kubelab_service again Cluster
peer0=$(kc -n metallb-system get bgppeer peer-a -o jsonpath='{.metadata.uid}')
kc -n metallb-system delete bgppeer peer-a --wait=true >/dev/null || die "delete peer-a"
cfg_peer peer-a 64512 64512 192.0.2.1 | kc apply -f - >/dev/null || die "peer-a again"
peer1=$(kc -n metallb-system get bgppeer peer-a -o jsonpath='{.metadata.uid}')
check "BGPPeer peer-a made again too: uid $peer0 -> $peer1" eval '[ -n "$peer1" ] && [ "$peer1" != "$peer0" ]'
require_within 15 "the new again has an address" eval '[ -n "$(svc_ip again)" ]'
AGAIN2=$(svc_ip again) uid1=$(kc -n "$KL_NS" get svc again -o jsonpath='{.metadata.uid}')
check "again made again: uid $uid0 -> $uid1, address $AGAIN -> $AGAIN2" eval '[ -n "$uid1" ] && [ "$uid1" != "$uid0" ]'
for i in 1 2 3 4 5; do kc -n "$KL_NS" create configmap "again-$i" --from-literal=i="$i" >/dev/null; done
rev=$(etcdctl_ endpoint status -w json | "$E2E_PY" -c 'import json,sys; print(json.load(sys.stdin)[0]["Status"]["header"]["revision"])')
check "etcd compacted to revision $rev" etcdctl_ compact "$rev"
for i in 1 2 3; do ip -n "$(ns "n$i")" rule del priority 10; done
check_within 40 "every speaker's watches resumed from a compacted revision: 410, listing again" gone_all
check_within 20 "the new again ($AGAIN2) via all three nodes after the relists" \
	eval '[ "$(bird_nexthops "$AGAIN2")" = 192.0.2.11,192.0.2.12,192.0.2.13 ]'
check_holds 5 "and for 5 s more (the old one's delete took nothing)" \
	eval '[ "$(bird_nexthops "$AGAIN2")" = 192.0.2.11,192.0.2.12,192.0.2.13 ]'
[ "$AGAIN2" = "$AGAIN" ] || check "the old address $AGAIN withdrawn" eval '[ "$(bird_nexthops "$AGAIN")" = - ]'
check "no BGP session restarted (peer-a's delete took nothing either)" [ "$(conns)" = "$conns0" ]

scenario "the controller stopped while a Service is deleted and made again under its name (410, relist)"
# As the speakers' caches, the controller's: the old Service's delete must not free the new one's address.
svc_asking() {  # svc_asking NAME IP -> Service NAME asking for IP (metallb.io/loadBalancerIPs)
	kc apply -f - >/dev/null <<EOF || die "Service $1"
apiVersion: v1
kind: Service
metadata: {name: $1, namespace: $KL_NS, annotations: {metallb.io/loadBalancerIPs: "$2"}}
spec:
  type: LoadBalancer
  selector: {app: $1}
  ports: [{name: http, port: 8080, targetPort: 8080, protocol: TCP}]
EOF
}
kubelab_service twice Cluster
require_within 15 "twice has an address" eval '[ -n "$(svc_ip twice)" ]'
TWICE=$(svc_ip twice) ctl=$(pid_of controller)
ctl_gone0=$(grep -c ' is gone ' "$E2E_TMP/controller.log")
kill -STOP "$ctl"
# cut before the changes: the stopped controller's sockets must not hold their watch events
killed=$(ss -K -Htn dst "$KL_API" dport = ":$API_PORT" | wc -l)
kc -n "$KL_NS" delete svc twice --wait=true >/dev/null || die "delete twice"
svc_asking twice "$TWICE"
for i in 1 2 3 4 5; do kc -n "$KL_NS" create configmap "twice-$i" --from-literal=i="$i" >/dev/null; done
rev=$(etcdctl_ endpoint status -w json | "$E2E_PY" -c 'import json,sys; print(json.load(sys.stdin)[0]["Status"]["header"]["revision"])')
check "etcd compacted to revision $rev while the controller was stopped" etcdctl_ compact "$rev"
kill -CONT "$ctl"
log "$killed API connections of the root namespace cut; twice deleted and made again asking for $TWICE; the controller continued"
check_within 30 "the controller's watches resumed from a compacted revision: 410, listing again" \
	eval '[ "$(grep -c " is gone " "$E2E_TMP/controller.log")" -gt "$ctl_gone0" ]'
check_within 15 "the new twice has $TWICE" eval '[ "$(svc_ip twice)" = "$TWICE" ]'
svc_asking third "$TWICE"
check_holds 5 "third, asking for the same address, gets none: the old twice's delete freed nothing" \
	eval '[ -z "$(svc_ip third)" ]'
check "the controller's log says why" grep -q "third.*$TWICE" "$E2E_TMP/controller.log"

log "figures: $(printf '%s; ' "${FIGURES[@]}")"
for i in 1 2 3; do
	stop "speaker$i"
	check "speaker node$i: no sanitizer report" not grep -qE 'ERROR: (Address|Leak|Thread)Sanitizer|runtime error:' "$E2E_TMP/speaker$i.log"
done
e2e_finish
