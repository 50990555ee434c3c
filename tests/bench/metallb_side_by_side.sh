#!/bin/sh
# vipcast beside MetalLB (issue 15): one control plane (scripts/kube-env.sh),
# one lab, the same objects and the same work, both systems measured in one run,
# one after the other (vipcast first; its Services are deleted before MetalLB
# starts). MetalLB is the pinned release scripts/metallb-build.sh builds; its
# controller and its native-mode speaker run as processes with a kubeconfig,
# beside Pod objects made for them (status.podIP, the labels memberlist finds
# them by), webhooks off, its own CRDs from the downloaded module.
#
#   1 allocation  N Services created at once (4 writers, one request each):
#                 create returned -> the watch shows the address: median, p99;
#                 the controller's CPU over the burst and its VmHWM
#   2 BGP         the same burst -> the route at BIRD (tcpdump on BIRD's link):
#                 median, p99, all; speaker restarted with the N Services there ->
#                 all N routes at BIRD; the speaker's VmHWM. Then the same (1 and 2,
#                 and the requests for the burst) with BENCH_N_LARGE Services
#   4 controller  restarted with the N Services allocated: addresses moved,
#     restart     restart -> a new Service has an address
#   5 API load    requests per minute at the API server (apiserver_request_total,
#                 every client) while quiet with N Services and during the burst;
#                 the same counted per system from the audit log (its ServiceAccounts)
#   3 L2 failover BENCH_FAILOVERS kill -9 of the owner's speaker and as many link
#                 cuts, two nodes, memberlist on for MetalLB: time until the
#                 client's neighbour entry for the VIP moves (l2_failover_bench.sh's
#                 method): median and worst
#
# Lab: a LAN (bridge) holding BIRD rx 192.0.2.1 (AS 64512), nodes bench
# 192.0.2.11 and bench2 192.0.2.12 (the speakers), the controllers' namespace
# ctl, a client c 192.0.2.100 and a veth to the root namespace where the API
# server listens on $API_NET.1. Each system runs with its own ServiceAccounts:
# vipcast with deploy/rbac, MetalLB bound to cluster-admin.
#
# usage: tests/bench/metallb_side_by_side.sh
# env:   BENCH_N          Services (default 1000, at most 16000)
#        BENCH_N_LARGE    Services of the large burst (default 10000, at most 16000; 0: none)
#        BENCH_FAILOVERS  crashes and link cuts of scenario 3 (default 20 each)
#        BENCH_QUIET_S    the quiet window of scenario 5 (default 60)
#        BENCH_TIMEOUT    seconds allowed for addresses and routes (default 300)
#        BENCH_TIMEOUT_LARGE  the same for the large burst (default 1200)
#        BENCH_OUT        also write the table (markdown) to this file
#        BENCH_SKIP_L2=1  no scenario 3
#        VIPCAST_REV      the revision named in the table when ROOT is not a git tree
#        VIPCAST_BUILD    build holding vipcast-controller and vipcast-speaker
#                         (default build-rel, build-release, then build): Release
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
if [ -z "${VIPCAST_BUILD:-}" ]; then
	VIPCAST_BUILD=$ROOT/build
	for b in build-release build-rel; do [ -x "$ROOT/$b/vipcast-speaker" ] && VIPCAST_BUILD=$ROOT/$b; done
fi
N=${BENCH_N:-1000}
FAILOVERS=${BENCH_FAILOVERS:-20}
QUIET_S=${BENCH_QUIET_S:-60}
TIMEOUT=${BENCH_TIMEOUT:-300}
NL=${BENCH_N_LARGE:-10000}
TIMEOUT_LARGE=${BENCH_TIMEOUT_LARGE:-1200}
[ "$N" -ge 1 ] && [ "$N" -le 16000 ] || { echo "BENCH_N: 1..16000 (the pool 198.19.0.0/18)" >&2; exit 2; }
[ "$NL" -ge 0 ] && [ "$NL" -le 16000 ] || { echo "BENCH_N_LARGE: 0..16000 (the pool 198.19.0.0/18)" >&2; exit 2; }

eval "$(sh "$ROOT/scripts/metallb-build.sh" --print-dirs)"
[ -x "$METALLB_BIN/controller" ] && [ -x "$METALLB_BIN/speaker" ] && [ -d "$METALLB_CRDS" ] ||
	{ echo "MetalLB $METALLB_VERSION is not built: run scripts/metallb-build.sh" >&2; exit 3; }

export KUBE_ENV_SERVICE_RANGE=198.18.128.0/18  # ClusterIPs for 16,384 Services
. "$ROOT/tests/e2e/kubelib.sh"
kube_require metallb_side_by_side
. "$ROOT/tests/e2e/lib.sh"
. "$ROOT/tests/e2e/l2lib.sh"
L2_CLIENT=c
e2e_init sbs "$VIPCAST_BUILD" bird birdc tcpdump tshark curl arping
KDIR=$E2E_TMP/kube
SYS=metallb-system
LOAD="$E2E_PY $ROOT/tests/bench/kube_load.py"
API_NET=198.18.$((200 + $$ % 50))
API_ADDR=$API_NET.1
VETH=vs$$
L2_VIP_POOL=192.0.2.192/28
hz=$(getconf CLK_TCK)

ticks() { awk '{ s = $0; sub(/.*\) /, "", s); split(s, f, " "); print f[12] + f[13] }' "/proc/$1/stat"; }
status_mib() { awk -v k="$2:" '$1 == k { printf "%.1f", $2 / 1024 }' "/proc/$1/status" 2>/dev/null; }
rx_count() { birdc_ rx show route count 2>/dev/null | awk '/in table master4$/ { print $1; f = 1 } END { if (!f) print 0 }'; }
calc() { awk "BEGIN { printf \"$1\", $2 }"; }
api_total() { kc get --raw /metrics | awk '/^apiserver_request_total\{/ { s += $NF } END { printf "%d", s }'; }

# ------------------------------------------------------------------ network
ns_add rx ctl c n1 n2
lan_add lan
ip link add "$VETH" type veth peer name "p$VETH" netns "$(ns sw-lan)" || die "veth to the LAN"
ip -n "$(ns sw-lan)" link set "p$VETH" master br0 up
ip addr add "$API_ADDR/24" dev "$VETH" && ip link set "$VETH" up || die "address $API_ADDR"
lan_attach lan rx eth0 192.0.2.1/24
lan_attach lan ctl eth0 "$API_NET.50/24"
lan_attach lan c eth0 192.0.2.100/24
nsx c sysctl -qw net.ipv4.conf.all.arp_accept=1 net.ipv4.conf.eth0.arp_accept=1 >/dev/null
for i in 1 2; do
	lan_attach lan "n$i" eth0 "192.0.2.1$i/24" "$API_NET.1$i/24"
	ip -n "$(ns "n$i")" link set eth0 address "02:00:5e:00:02:0$i"
done
cat >"$E2E_TMP/rx.conf" <<EOF
router id 192.0.2.1;
log stderr { warning, error, fatal };
protocol device { scan time 10; }
protocol bgp bench {
	local 192.0.2.1 as 64512;
	neighbor 192.0.2.11 as 64512;
	direct;
	hold time 9; keepalive time 3;
	connect delay time 1; connect retry time 1; error wait time 1, 2;
	ipv4 { import all; export none; };
}
EOF
start_bird rx rx "$E2E_TMP/rx.conf"

# ------------------------------------------------------------------ control plane
t0=$(now)
kube_up_audited "userGroups: [\"system:serviceaccounts:$SYS\"]"
log "control plane up on $API_ADDR in $(elapsed "$t0") s"
kc apply -f "$ROOT/deploy/namespace.yaml" >/dev/null || die "namespace"
kube_install_vipcast
server="https://$API_ADDR:$(sed -n 's|.*server: https://.*:||p' "$KDIR/kubeconfig")"
kube_sa_kubeconfig "$SYS" vipcast-speaker "$E2E_TMP/vipcast-speaker.kubeconfig" "$server"
kube_sa_kubeconfig "$SYS" vipcast-controller "$E2E_TMP/vipcast-controller.kubeconfig" "$server"
for a in controller speaker; do
	kc -n "$SYS" create serviceaccount "metallb-$a" >/dev/null || die "ServiceAccount metallb-$a"
	kc create clusterrolebinding "sbs-metallb-$a" --clusterrole cluster-admin \
		--serviceaccount "$SYS:metallb-$a" >/dev/null || die "binding metallb-$a"
	kube_sa_kubeconfig "$SYS" "metallb-$a" "$E2E_TMP/metallb-$a.kubeconfig" "$server"
done
{ cfg_node bench 192.0.2.11; cfg_node bench2 192.0.2.12; } | kc apply -f - >/dev/null || die "Nodes"
wait_until 20 kc -n "$SYS" get serviceaccount default || die "no default ServiceAccount in $SYS"
# MetalLB's processes read their own Pod (it owns their ConfigurationState); the
# speakers find each other (memberlist) by these Pods' labels and podIPs.
mlb_pod() {  # mlb_pod NAME COMPONENT NODE IP
	kc apply -f - >/dev/null <<EOF || die "Pod $1"
apiVersion: v1
kind: Pod
metadata: {name: $1, namespace: $SYS, labels: {app: metallb, component: $2}}
spec:
  nodeName: $3
  containers: [{name: $2, image: registry.invalid/$2:1}]
EOF
	kc -n "$SYS" patch pod "$1" --subresource status --type merge -p "
{\"status\": {\"phase\": \"Running\", \"podIP\": \"$4\", \"podIPs\": [{\"ip\": \"$4\"}],
  \"conditions\": [{\"type\": \"Ready\", \"status\": \"True\"}]}}" >/dev/null || die "Pod $1 status"
}
mlb_pod speaker-bench speaker bench 192.0.2.11
mlb_pod speaker-bench2 speaker bench2 192.0.2.12
mlb_pod controller controller bench "$API_NET.50"
mkdir -p "$E2E_TMP/mlsecret"
head -c 32 /dev/urandom | base64 >"$E2E_TMP/mlsecret/secretkey"

# The configuration both systems read: the same objects, applied under each one's CRDs.
# No keepaliveTime in the BGPPeer: MetalLB's native mode refuses its whole configuration
# when a peer sets it ("keepalive-time set on native bgp mode"); both then use holdTime / 3.
cat >"$E2E_TMP/objects.yaml" <<EOF
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: sbs, namespace: $SYS}
spec:
  addresses: [198.19.0.0/18]
---
apiVersion: metallb.io/v1beta1
kind: BGPAdvertisement
metadata: {name: sbs, namespace: $SYS}
spec:
  ipAddressPools: [sbs]
---
apiVersion: metallb.io/v1beta2
kind: BGPPeer
metadata: {name: rx, namespace: $SYS}
spec:
  myASN: 64512
  peerASN: 64512
  peerAddress: 192.0.2.1
  holdTime: 9s
  nodeSelectors: [{matchLabels: {kubernetes.io/hostname: bench}}]
---
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: lan, namespace: $SYS}
spec:
  addresses: [$L2_VIP_POOL]
  autoAssign: false
---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata: {name: lan, namespace: $SYS}
spec:
  ipAddressPools: [lan]
EOF
declare -A COMPAT=()
# objects_apply SYSTEM -> the objects deleted and created again under the CRDs in force
objects_apply() {
	kc delete --ignore-not-found -f "$E2E_TMP/objects.yaml" >/dev/null 2>&1
	if kc create -f "$E2E_TMP/objects.yaml" >"$E2E_TMP/objects-$1.log" 2>&1; then
		COMPAT[$1]=accepted
	else
		COMPAT[$1]="refused: $(grep -i error "$E2E_TMP/objects-$1.log" | head -n 2 | tr '\n' ' ')"
		log "$1's CRDs refuse the shared objects: ${COMPAT[$1]}"
		kc apply -f "$E2E_TMP/objects.yaml" >/dev/null 2>&1
	fi
}

# ------------------------------------------------------------------ the two systems
# start_ctl SYSTEM, start_spk SYSTEM I [ARGS...]: as their Deployment and DaemonSet run them
start_ctl() {
	if [ "$1" = vipcast ]; then
		ip netns exec "$(ns ctl)" "$CONTROLLER" --kubeconfig "$E2E_TMP/vipcast-controller.kubeconfig" --namespace "$SYS" \
			--log-level info --health-listen 127.0.0.1:0 --socket "$E2E_TMP/controller.sock" \
			>>"$E2E_TMP/vipcast-controller.log" 2>&1 &
	else
		KUBECONFIG=$E2E_TMP/metallb-controller.kubeconfig ip netns exec "$(ns ctl)" "$METALLB_BIN/controller" \
			--namespace "$SYS" --pod-name controller --webhook-mode=disabled --log-level info \
			>>"$E2E_TMP/metallb-controller.log" 2>&1 &
	fi
	track "ctl-$1" $! "$1-controller" ctl
	disown $!
}
start_spk() {
	local s=$1 i=$2 node=bench
	shift 2
	[ "$i" = 2 ] && node=bench2
	if [ "$s" = vipcast ]; then
		NODE_NAME=$node POD_NAME=speaker-$node POD_NAMESPACE=$SYS ip netns exec "$(ns "n$i")" "$SPEAKER" \
			--kubeconfig "$E2E_TMP/vipcast-speaker.kubeconfig" --health-address "192.0.2.1$i:7472" --log-level info \
			--socket "$E2E_TMP/speaker$i.sock" "$@" >>"$E2E_TMP/vipcast-speaker$i.log" 2>&1 &
	else
		# memberlist (fast dead-node detection, L2) when asked: bound to the node's address
		[ "${1:-}" = --memberlist ] && set -- --ml-bindaddr "192.0.2.1$i" --ml-labels app=metallb,component=speaker \
			--ml-secret-key-path "$E2E_TMP/mlsecret"
		KUBECONFIG=$E2E_TMP/metallb-speaker.kubeconfig ip netns exec "$(ns "n$i")" "$METALLB_BIN/speaker" \
			--namespace "$SYS" --node-name "$node" --pod-name "speaker-$node" \
			--log-level info "$@" >>"$E2E_TMP/metallb-speaker$i.log" 2>&1 &
	fi
	track "spk-$s-$i" $! "$s-speaker" "n$i"
	disown $!
}
has_ip() { [ -n "$(kc -n "$1" get svc "$2" -o jsonpath='{.status.loadBalancer.ingress[0].ip}' 2>/dev/null)" ]; }
svc_plain() {  # svc_plain NS NAME [POOL]
	kc apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Service
metadata: {name: $2, namespace: $1, annotations: {${3:+metallb.io/address-pool: $3}}}
spec: {type: LoadBalancer, allocateLoadBalancerNodePorts: false, ports: [{port: 80, protocol: TCP}]}
EOF
}

# audit_count USER T0 T1 -> requests of USER received in [T0, T1)
# (read from the offset audit_mark took: at 10,000 Services the log holds 100 MB and more)
AUDIT_FROM=0
audit_mark() { AUDIT_FROM=$(stat -c %s "$E2E_TMP/audit.log" 2>/dev/null || echo 0); }
audit_count() {
	$E2E_PY - "$E2E_TMP/audit.log" "$1" "$2" "$3" "$AUDIT_FROM" <<'EOF'
import datetime, json, sys
log, user, t0, t1, off = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
n = 0
f = open(log, "rb")
if off > 0:
    f.seek(off - 1)
    f.readline()  # the rest of the line before the mark (just its newline when the mark is at a line's start)
for line in f:
    e = json.loads(line)
    if e.get("user", {}).get("username") != user:
        continue
    t = datetime.datetime.strptime(e["requestReceivedTimestamp"][:26].rstrip("Z"), "%Y-%m-%dT%H:%M:%S.%f")
    if t0 <= t.replace(tzinfo=datetime.timezone.utc).timestamp() < t1:
        n += 1
print(n)
EOF
}
sys_requests() {  # sys_requests SYSTEM T0 T1 -> requests of its controller and speakers
	local a b
	a=$(audit_count "system:serviceaccount:$SYS:$1-controller" "$2" "$3")
	b=$(audit_count "system:serviceaccount:$SYS:$1-speaker" "$2" "$3")
	echo $((a + b))
}

cat >"$E2E_TMP/stamp.py" <<'EOF'
import signal, subprocess, sys, time
out = open(sys.argv[1], "w", buffering=1)
child = subprocess.Popen(sys.argv[2:], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
signal.signal(signal.SIGTERM, lambda s, f: (child.kill(), sys.exit(0)))
for line in child.stdout:
    out.write("%.6f %s" % (time.time(), line))
EOF
# lat.py CREATES WATCH EVENTS -> allocation (create returned -> address in the watch) and
# route (create returned -> first announcement of that address at BIRD) statistics
cat >"$E2E_TMP/lat.py" <<'EOF'
import sys
creates = {}
for l in open(sys.argv[1]):
    t, name, sent = l.split()
    creates[name] = float(t)
ip, ipt = {}, {}
for l in open(sys.argv[2]):
    f = l.split()
    if len(f) > 2 and f[1] in creates and f[1] not in ip:
        ip[f[1]], ipt[f[1]] = f[2], float(f[0])
ann = {}
for l in open(sys.argv[3]):
    t, p, s = l.split()
    if s == "1":
        a = p.split("/")[0]
        ann.setdefault(a, float(t))
def pct(v, p):
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))] if v else float("nan")
alloc = sorted((ipt[n] - creates[n]) * 1000 for n in ipt)
route = sorted((ann[ip[n]] - creates[n]) * 1000 for n in ip if ip[n] in ann)
print("alloc_n=%d alloc_med=%.1f alloc_p99=%.1f route_n=%d route_med=%.1f route_p99=%.1f" %
      (len(alloc), pct(alloc, 50), pct(alloc, 99), len(route), pct(route, 50), pct(route, 99)))
EOF
# wire_events NAME -> NAME.events: "<epoch> <prefix> <1 announced|0 withdrawn>" per prefix per UPDATE
wire_events() {
	tshark -r "$E2E_TMP/$1.pcap" -Y bgp.type==2 -T fields -E occurrence=a -E separator='|' \
		-e frame.time_epoch -e bgp.withdrawn_prefix -e bgp.nlri_prefix 2>"$E2E_TMP/$1.tshark.log" |
		awk -F'|' '{ n = split($2, w, ","); for (i = 1; i <= n; i++) print $1, w[i], 0
			n = split($3, a, ","); for (i = 1; i <= n; i++) print $1, a[i], 1 }' >"$E2E_TMP/$1.events"
}

declare -A R=()  # R[SYSTEM.row] = figure
kv() { printf '%s' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

# bench_bgp SYSTEM COUNT KEY [full] -> the burst of COUNT Services (scenarios 1 and 2) and
# the speaker restarted with them there (2), figures into R[SYSTEM.KEY...]; with "full"
# also the quiet window (5) and the controller restarted (4)
bench_bgp() {
	local s=$1 cnt=$2 p=$3 full=${4:-} ns=sbs-$1-$2 tmo=$TIMEOUT t0 c0 c1 m0 m1 q0 q1 b0 b1 t_ips t_routes first res ctl spk moved k
	[ -n "$p" ] && tmo=$TIMEOUT_LARGE
	kc create namespace "$ns" >/dev/null || die "namespace $ns"
	start_ctl "$s"
	t0=$(now)
	svc_plain "$ns" probe || die "Service probe"
	wait_until 60 has_ip "$ns" probe || die "$s: the controller gives no address (see $E2E_TMP/$s-controller.log)"
	log "$s: controller allocates $(elapsed "$t0") s after its start"
	start_spk "$s" 1
	wait_until 60 bird_established rx bench || die "$s: no BGP session with BIRD (see $E2E_TMP/$s-speaker1.log)"
	sleep 2
	ctl=$(pid_of "ctl-$s")
	# 1, 2: the burst
	ip netns exec "$(ns rx)" tcpdump -i eth0 -n -s 0 -B 65536 -w "$E2E_TMP/$s-$cnt.pcap" tcp port 179 \
		>"$E2E_TMP/$s-$cnt.tcpdump.log" 2>&1 &
	track "cap-$s" $! tcpdump rx
	wait_until 10 grep -q "listening on" "$E2E_TMP/$s-$cnt.tcpdump.log" || die "tcpdump did not start"
	"$E2E_PY" "$E2E_TMP/stamp.py" "$E2E_TMP/$s-$cnt.watch" "$KDIR/kubectl" --kubeconfig "$KDIR/kubeconfig" get svc -n "$ns" \
		-w -o jsonpath='{.metadata.name}{" "}{.status.loadBalancer.ingress[*].ip}{"\n"}' &
	track "watch-$s" $! watcher -
	sleep 1
	audit_mark
	c0=$(ticks "$ctl")
	m0=$(api_total)
	b0=$(now)
	$LOAD burst "$KDIR" "$ns" "$cnt" 4 "$E2E_TMP/$s-$cnt.creates" 2>>"$E2E_TMP/load.log" || die "$s: the burst failed"
	log "$s: $(tail -n 1 "$E2E_TMP/load.log")"
	all_ips() { [ "$(awk 'NF > 2 { print $2 }' "$E2E_TMP/$s-$cnt.watch" | sort -u | grep -c '^b')" -ge "$cnt" ]; }
	# from the first Service's create (the burst writes their EndpointSlices first); a wait
	# that ran out gives no figure but what was reached
	first=$(awk 'NR == 1 || $3 < f { f = $3 } END { printf "%.6f", f }' "$E2E_TMP/$s-$cnt.creates")
	if wait_until "$tmo" all_ips; then
		R[$s.${p}alloc_all]=$(calc %.1f "$(now) - $first")
	else
		log "$s: not every Service got an address within $tmo s"
		R[$s.${p}alloc_all]="timeout"
	fi
	all_routes() { [ "$(rx_count)" -ge "$cnt" ]; }
	if wait_until "$tmo" all_routes; then
		R[$s.${p}route_all]=$(calc %.1f "$(now) - $first")
	else
		log "$s: BIRD holds $(rx_count) of $cnt routes after $tmo s"
		R[$s.${p}route_all]="timeout: $(rx_count) at BIRD"
	fi
	is_running "spk-$s-1" || { log "$s: its speaker exited during the burst (see $E2E_TMP/$s-speaker1.log)"
		R[$s.${p}route_all]="${R[$s.${p}route_all]}; speaker exited"; }
	b1=$(now)
	sleep 1
	m1=$(api_total)
	c1=$(ticks "$ctl")
	stop "cap-$s"
	stop "watch-$s"
	wire_events "$s-$cnt"
	res=$("$E2E_PY" "$E2E_TMP/lat.py" "$E2E_TMP/$s-$cnt.creates" "$E2E_TMP/$s-$cnt.watch" "$E2E_TMP/$s-$cnt.events")
	log "$s: burst of $cnt: $res"
	R[$s.${p}alloc_med]=$(kv "$res" alloc_med)
	R[$s.${p}alloc_p99]=$(kv "$res" alloc_p99)
	R[$s.${p}route_med]=$(kv "$res" route_med)
	R[$s.${p}route_p99]=$(kv "$res" route_p99)
	R[$s.${p}alloc_n]=$(kv "$res" alloc_n)
	R[$s.${p}route_n]=$(kv "$res" route_n)
	R[$s.${p}ctl_cpu]=$(calc %.2f "($c1 - $c0) / $hz")
	R[$s.${p}ctl_hwm]=$(status_mib "$ctl" VmHWM)
	R[$s.${p}api_burst]=$(calc %.0f "($m1 - $m0) * 60 / ($b1 + 1 - $b0)")
	# The burst's tail: vipcast writes its Events for the burst (one per Service and
	# process) for up to half a minute after the last route; counted with the burst.
	idle() { [ "$(sys_requests "$s" "$(calc %.3f "$(now) - 3")" "$(now)")" = 0 ]; }
	wait_until 180 idle || log "$s: still making requests 3 minutes after the burst"
	R[$s.${p}sys_burst]=$(sys_requests "$s" "$b0" "$(now)")
	R[$s.${p}sys_tail]=$(awk -v a="$(now)" -v b="$b1" 'BEGIN { d = a - 3 - b; printf "%.1f", (d > 0 ? d : 0) }')
	if [ -n "$full" ]; then
		# 5: quiet, the Services in place
		q0=$(now)
		m0=$(api_total)
		sleep "$QUIET_S"
		m1=$(api_total)
		q1=$(now)
		R[$s.${p}api_quiet]=$(calc %.1f "($m1 - $m0) * 60 / ($q1 - $q0)")
		R[$s.${p}sys_quiet]=$(calc %.1f "$(sys_requests "$s" "$q0" "$q1") * 60 / ($q1 - $q0)")
	fi
	# 2: the speaker restarted with the Services there
	stop "spk-$s-1"
	no_routes() { [ "$(rx_count)" -eq 0 ]; }
	wait_until 30 no_routes || log "$s: BIRD still holds $(rx_count) routes after the speaker stopped"
	t0=$(now)
	start_spk "$s" 1
	spk=$(pid_of "spk-$s-1")
	if wait_until "$tmo" all_routes; then
		R[$s.${p}spk_start]=$(elapsed "$t0")
	else
		log "$s: after the restart BIRD holds $(rx_count) of $cnt routes"
		R[$s.${p}spk_start]="timeout: $(rx_count) at BIRD"
	fi
	R[$s.${p}spk_hwm]=$(status_mib "$spk" VmHWM)
	if [ -n "$full" ]; then
		# 4: the controller restarted
		kc -n "$ns" get svc -o jsonpath='{range .items[*]}{.metadata.name}{" "}{.status.loadBalancer.ingress[0].ip}{"\n"}{end}' \
			| sort >"$E2E_TMP/$s.ips0"
		stop "ctl-$s"
		t0=$(now)
		start_ctl "$s"
		svc_plain "$ns" after || die "Service after"
		wait_until 60 has_ip "$ns" after || log "$s: no address for a new Service after the controller's restart"
		R[$s.${p}ctl_restart]=$(elapsed "$t0")
		sleep 2
		kc -n "$ns" get svc -o jsonpath='{range .items[*]}{.metadata.name}{" "}{.status.loadBalancer.ingress[0].ip}{"\n"}{end}' \
			| sort >"$E2E_TMP/$s.ips1"
		moved=$(join "$E2E_TMP/$s.ips0" "$E2E_TMP/$s.ips1" | awk '$2 != $3 { n++ } END { print n + 0 }')
		R[$s.${p}moved]=$moved
	fi
	stop "spk-$s-1"
	stop "ctl-$s"
	t0=$(now)
	kc delete namespace "$ns" --wait=true --timeout=600s >/dev/null 2>&1 || log "$s: namespace $ns not gone"
	# the speaker's status objects of the Services gone (owned by its Pod, which stays)
	# (one DELETE of the collection: kubectl delete --all deletes them one by one)
	for k in servicebgpstatuses servicel2statuses; do
		kc delete --raw "/apis/metallb.io/v1beta1/namespaces/$SYS/$k" >/dev/null 2>&1 || log "$s: its $k not deleted"
	done
	log "$s: $cnt Services and their status objects deleted in $(elapsed "$t0") s"
}

# ------------------------------------------------------------------ 3: L2 failover
# The method of l2_failover_bench.sh: the client talks to the VIP once (so it has
# a neighbour entry naming the owner), the owner fails, and the kernel's own
# timestamps ("ip -ts monitor neigh") give the moment the entry names the other node.
mac_of() { printf '02:00:5e:00:02:0%s' "$1"; }

# bench_l2 SYSTEM LABEL [SPEAKER ARGS...] -> R[SYSTEM.l2_LABEL_crash], R[..._cut]: "median / worst" s
bench_l2() {
	local s=$1 label=$2 ns=sbs-l2-$1 vip kind k o want w ms
	shift 2
	kc create namespace "$ns" >/dev/null 2>&1
	start_ctl "$s"
	svc_plain "$ns" web lan
	wait_until 60 has_ip "$ns" web || die "$s: no address for the L2 Service"
	vip=$(kc -n "$ns" get svc web -o jsonpath='{.status.loadBalancer.ingress[0].ip}')
	kc apply -f - >/dev/null <<EOF
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: web-x, namespace: $ns, labels: {kubernetes.io/service-name: web}}
addressType: IPv4
ports: [{name: "", port: 80, protocol: TCP}]
endpoints:
- {addresses: [198.51.100.10], conditions: {ready: true}, nodeName: bench}
- {addresses: [198.51.100.11], conditions: {ready: true}, nodeName: bench2}
EOF
	start_spk "$s" 1 "$@"
	start_spk "$s" 2 "$@"
	announcers() {
		kc -n "$SYS" get servicel2statuses -l "metallb.io/service-name=web,metallb.io/service-namespace=$ns" \
			-o jsonpath='{range .items[*]}{.metadata.labels.metallb\.io/node}{"\n"}{end}' 2>/dev/null | sort -u | paste -sd, -
	}
	one_owner() { owner && case $(announcers) in bench) [ "$o" = 1 ] ;; bench2) [ "$o" = 2 ] ;; *) false ;; esac; }
	# owner -> o: the node the client's entry names after it talked to the VIP
	owner() {
		l2_neigh_learn "$vip"
		case $(l2_neigh_mac "$vip") in "$(mac_of 1)") o=1 ;; "$(mac_of 2)") o=2 ;; *) return 1 ;; esac
	}
	: >"$E2E_TMP/$s-$label.l2"
	for kind in crash cut; do
		for k in $(seq "$FAILOVERS"); do
			# settled: one node announces the VIP (one ServiceL2Status, both systems write
			# them alike), the client's entry names it, and so for 5 s: after a link comes
			# back MetalLB's memberlist takes a while to merge again, both nodes announcing
			settled() { one_owner && local was=$o && holds_for 5 same_owner "$was"; }
			same_owner() { one_owner && [ "$o" = "$1" ]; }
			wait_until 90 settled || { log "$s: the owner of $vip does not settle"; echo "$kind timeout" >>"$E2E_TMP/$s-$label.l2"; continue; }
			want=$(mac_of $((3 - o)))
			w=$E2E_TMP/neigh-$s-$kind-$k
			l2_neigh_watch "$w" 70 || die "neighbour watcher"
			L2_T0=$EPOCHREALTIME
			if [ "$kind" = crash ]; then
				crash "spk-$s-$o"
			else
				ip -n "$(ns "n$o")" link set eth0 down
			fi
			if ms=$(l2_wait_neigh_change "$w" "$vip" "$want" 60); then
				calc '%s %.3f\n' "\"$kind\", $ms / 1000" >>"$E2E_TMP/$s-$label.l2"
			else
				ms=timeout
				echo "$kind timeout" >>"$E2E_TMP/$s-$label.l2"
			fi
			log "$s $label: $kind $k of node $o: the client's entry moved after $ms ms"
			if [ "$kind" = crash ]; then
				start_spk "$s" "$o" "$@"
			else
				ip -n "$(ns "n$o")" link set eth0 up
			fi
			sleep 2
		done
	done
	for kind in crash cut; do
		R[$s.l2_${label}_$kind]=$(awk -v k="$kind" '$1 == k { print $2 }' "$E2E_TMP/$s-$label.l2" | sort -n |
			awk '$1 == "timeout" { t++; next } { v[++n] = $1 } END {
				if (!n) { print "-"; exit }
				printf "%.2f / %.2f%s", v[int((n + 1) / 2)], v[n], (t ? " (" t " timed out)" : "") }' )
	done
	stop "spk-$s-1"
	stop "spk-$s-2"
	stop "ctl-$s"
	kc delete namespace "$ns" --wait=true --timeout=60s >/dev/null 2>&1
}

# ------------------------------------------------------------------ the run
objects_apply vipcast
bench_bgp vipcast "$N" "" full
[ "${BENCH_SKIP_L2:-}" = 1 ] || bench_l2 vipcast def
[ "$NL" = 0 ] || bench_bgp vipcast "$NL" L.
kc apply --server-side --force-conflicts -f "$METALLB_CRDS" >/dev/null || die "applying MetalLB's CRDs"
kc wait --for condition=established --timeout=30s crd/bgppeers.metallb.io crd/ipaddresspools.metallb.io >/dev/null ||
	die "MetalLB's CRDs not established"
objects_apply metallb
bench_bgp metallb "$N" "" full
[ "${BENCH_SKIP_L2:-}" = 1 ] || bench_l2 metallb def --memberlist
[ "$NL" = 0 ] || bench_bgp metallb "$NL" L.

# ------------------------------------------------------------------ the table
row() {  # row SCENARIO MEASURE KEY [lower|higher|-]: better is lower (default)
	local v=${R[vipcast.$3]:--} m=${R[metallb.$3]:--} r=-
	if [ "${4:-lower}" != - ]; then
		r=$(awk -v v="${v%% *}" -v m="${m%% *}" 'BEGIN { if (v + 0 > 0 && m ~ /^[0-9.]+$/ && v ~ /^[0-9.]+$/) printf "%.2f", m / v; else print "-" }')
	fi
	printf '| %s | %s | %s | %s | %s |\n' "$1" "$2" "$v" "$m" "$r"
}
# burst_rows KEY COUNT -> the rows of scenarios 1 and 2 for the burst of COUNT Services
burst_rows() {
	local c=${1:+, $2}
	row "1 allocation$c" "create -> address, median ms" "$1alloc_med"
	row "1 allocation$c" "create -> address, p99 ms" "$1alloc_p99"
	row "1 allocation$c" "first create -> all $2 addressed, s" "$1alloc_all"
	row "1 allocation$c" "Services addressed (of $2)" "$1alloc_n" -
	row "1 allocation$c" "controller CPU over the burst, s" "$1ctl_cpu"
	row "1 allocation$c" "controller VmHWM, MiB" "$1ctl_hwm"
	row "2 BGP$c" "create -> route at BIRD, median ms" "$1route_med"
	row "2 BGP$c" "create -> route at BIRD, p99 ms" "$1route_p99"
	row "2 BGP$c" "first create -> all $2 routes at BIRD, s" "$1route_all"
	row "2 BGP$c" "routes seen (of $2)" "$1route_n" -
	row "2 BGP$c" "speaker start -> all $2 routes, s" "$1spk_start"
	row "2 BGP$c" "speaker VmHWM with $2, MiB" "$1spk_hwm"
	[ -n "$1" ] || row "2 BGP" "IPv6 over BGP" v6 -
}
R[vipcast.v6]="yes"
R[metallb.v6]="no (native mode has no IPv6 BGP)"
R[vipcast.objects]=${COMPAT[vipcast]}
R[metallb.objects]=${COMPAT[metallb]}
{
	echo "vipcast ($(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo "${VIPCAST_REV:-?}"), $VIPCAST_BUILD) beside MetalLB $METALLB_VERSION (native BGP," \
		"memberlist for L2); Kubernetes $("$KDIR/kubectl" version --client -o json 2>/dev/null | sed -n 's/.*"gitVersion": "\(.*\)",/\1/p' | head -n 1)," \
		"BIRD $(bird --version 2>&1 | awk '{ print $NF }'); N=$N and $NL, $FAILOVERS failovers of each kind; $(nproc) cores, $(date -u +%Y-%m-%d)"
	echo
	echo "| scenario | measure | vipcast | MetalLB | MetalLB / vipcast |"
	echo "|---|---|---|---|---|"
	row "0 config" "the same metallb.io objects under its CRDs" objects -
	burst_rows "" "$N"
	if [ "${BENCH_SKIP_L2:-}" != 1 ]; then
		row "3 L2 failover" "kill -9 of the owner's speaker -> client moved, median / worst s" l2_def_crash
		row "3 L2 failover" "owner's link cut -> client moved, median / worst s" l2_def_cut
	fi
	row "4 controller restart" "addresses moved, of $N" moved -
	row "4 controller restart" "restart -> a new Service addressed, s" ctl_restart
	row "5 API load" "API server requests/min, quiet with $N (all clients)" api_quiet
	row "5 API load" "API server requests/min during the burst of $N (all clients)" api_burst
	row "5 API load" "the system's own requests/min, quiet with $N (audit)" sys_quiet
	row "5 API load" "the system's own requests for the burst of $N (audit)" sys_burst
	row "5 API load" "requests still made after the last route, for s" sys_tail
	if [ "$NL" != 0 ]; then
		burst_rows L. "$NL"
		row "5 API load, $NL" "the system's own requests for the burst of $NL (audit)" L.sys_burst
		row "5 API load, $NL" "requests still made after the last route, for s" L.sys_tail
	fi
} >"$E2E_TMP/table.md"
cat "$E2E_TMP/table.md"
[ -z "${BENCH_OUT:-}" ] || cp "$E2E_TMP/table.md" "$BENCH_OUT"
bash "$KUBE_ENV" down "$KDIR" >>"$E2E_TMP/kube-env.log" 2>&1
exit 0
