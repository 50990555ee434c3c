#!/bin/sh
# Kubernetes-mode controller benchmark: N LoadBalancer Services created at once
# against the real control plane of scripts/kube-env.sh (etcd, kube-apiserver,
# kube-controller-manager on loopback), with vipcast-controller running.
# Measured:
#   latency     per Service, from the moment a watch (kubectl get -w, its lines
#               timestamped as they arrive) first shows the Service to the moment it
#               shows an address in status.loadBalancer.ingress: median, p99, max
#   all         seconds from the first create request to the last status seen
#   CPU         the controller's user+system time over the run (from /proc/PID/stat)
#   RSS         the controller's VmHWM and VmRSS at the end
# The Services are created by 4 kubectl processes in parallel (N/4 each, one
# request per Service), from one pool 198.19.0.0/20 (4,096 addresses).
#
# usage: tests/bench/kube_controller_bench.sh [COUNT...]     (default: 1000)
# env:   VIPCAST_BUILD  build directory holding vipcast-controller (default:
#                       build-release, then build); use a build without sanitizers
#        KUBE_ENV       kube-env.sh to use (default: scripts/kube-env.sh)
#        BENCH_TIMEOUT  seconds allowed for the Services to get addresses (default 180)
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
if [ -z "${VIPCAST_BUILD:-}" ]; then
	VIPCAST_BUILD=$ROOT/build
	[ -x "$ROOT/build-release/vipcast-controller" ] && VIPCAST_BUILD=$ROOT/build-release
fi
export KUBE_ENV_SERVICE_RANGE=${KUBE_ENV_SERVICE_RANGE:-198.18.128.0/20}  # ClusterIPs for every Service
. "$ROOT/tests/e2e/kubelib.sh"
kube_require kube_controller_bench
. "$ROOT/tests/e2e/lib.sh"
e2e_init kctlbench "$VIPCAST_BUILD"
COUNTS=${*:-1000}
TIMEOUT=${BENCH_TIMEOUT:-180}
KDIR=$E2E_TMP/kube
SYS=metallb-system

ticks() { awk '{ s = $0; sub(/.*\) /, "", s); split(s, f, " "); print f[12] + f[13] }' "/proc/$1/stat"; }
status_kib() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }

bash "$KUBE_ENV" up "$KDIR" >"$E2E_TMP/kube-env.log" 2>&1 || die "kube-env.sh up failed (see $E2E_TMP/kube-env.log)"
kc apply --server-side -f "$ROOT/deploy/crds" >/dev/null || die "applying deploy/crds"
kc wait --for condition=established --timeout=30s crd/ipaddresspools.metallb.io >/dev/null
kc create namespace "$SYS" >/dev/null
printf 'apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: bench, namespace: %s}\nspec: {addresses: [198.19.0.0/20]}\n' \
	"$SYS" | kc apply -f - >/dev/null

# The watcher: every line kubectl prints, with the time it arrived.
cat >"$E2E_TMP/stamp.py" <<'EOF'
import signal, subprocess, sys, time
out = open(sys.argv[1], "w", buffering=1)
child = subprocess.Popen(sys.argv[2:], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
signal.signal(signal.SIGTERM, lambda s, f: (child.kill(), sys.exit(0)))
for line in child.stdout:
    out.write("%.6f %s" % (time.time(), line))
EOF
cat >"$E2E_TMP/stats.py" <<'EOF'
import sys
seen, ip = {}, {}
for line in open(sys.argv[1]):
    f = line.split()
    if len(f) < 2:
        continue
    t, name = float(f[0]), f[1]
    seen.setdefault(name, t)
    if len(f) > 2 and name not in ip:
        ip[name] = t
lat = sorted((ip[n] - seen[n]) * 1000 for n in ip)
if not lat:
    print("none"); sys.exit(1)
def pct(p):
    return lat[min(len(lat) - 1, int(round(p / 100.0 * (len(lat) - 1))))]
print("n=%d median=%.1f p99=%.1f max=%.1f last=%.6f" % (len(lat), pct(50), pct(99), lat[-1], max(ip.values())))
EOF

printf '%-6s %10s %10s %10s %8s %9s %10s %10s\n' services "median ms" "p99 ms" "max ms" "all s" "CPU s" "HWM MiB" "RSS MiB"
for count in $COUNTS; do
	n=$count
	ns=bench-$n
	kc create namespace "$ns" >/dev/null
	"$CONTROLLER" --kubeconfig "$KDIR/kubeconfig" --namespace "$SYS" --health-listen 127.0.0.1:0 --socket "$E2E_TMP/controller.sock" \
		>"$E2E_TMP/ctl-$n.log" 2>&1 &
	track "ctl-$n" $! controller -
	wait_until 30 grep -q "serving: " "$E2E_TMP/ctl-$n.log" || die "the controller does not serve"
	"$E2E_PY" "$E2E_TMP/stamp.py" "$E2E_TMP/watch-$n" "$KDIR/kubectl" --kubeconfig "$KDIR/kubeconfig" get svc -n "$ns" \
		-w -o jsonpath='{.metadata.name}{" "}{.status.loadBalancer.ingress[*].ip}{"\n"}' &
	track "watch-$n" $! watcher -
	sleep 1
	for part in 0 1 2 3; do
		for i in $(seq "$part" 4 $((n - 1))); do
			printf -- '---\napiVersion: v1\nkind: Service\nmetadata: {name: s%05d, namespace: %s}\nspec: {type: LoadBalancer, selector: {app: s%05d}, ports: [{port: 80, protocol: TCP}]}\n' "$i" "$ns" "$i"
		done >"$E2E_TMP/svcs-$n-$part.yaml"
	done
	pid=$(pid_of "ctl-$n")
	c0=$(ticks "$pid")
	t0=$(now)
	creators=()
	for part in 0 1 2 3; do
		kc create -f "$E2E_TMP/svcs-$n-$part.yaml" >/dev/null &
		creators+=($!)
	done
	# (wait_until has a local n: the count is passed)
	wait_all() { [ "$(awk 'NF > 2 { print $2 }' "$E2E_TMP/watch-$1" | sort -u | wc -l)" -ge "$1" ]; }
	wait_until "$TIMEOUT" wait_all "$count" || log "not every Service got an address within $TIMEOUT s"
	for c in "${creators[@]}"; do wait "$c" || die "creating the Services failed"; done
	sleep 1
	c1=$(ticks "$pid")
	res=$("$E2E_PY" "$E2E_TMP/stats.py" "$E2E_TMP/watch-$n")
	last=$(echo "$res" | sed -n 's/.*last=\([0-9.]*\).*/\1/p')
	hz=$(getconf CLK_TCK)
	printf '%-6s %10s %10s %10s %8.2f %9.2f %10.1f %10.1f\n' "$n" \
		"$(echo "$res" | sed -n 's/.*median=\([0-9.]*\).*/\1/p')" "$(echo "$res" | sed -n 's/.*p99=\([0-9.]*\).*/\1/p')" \
		"$(echo "$res" | sed -n 's/.*max=\([0-9.]*\).*/\1/p')" "$(awk -v a="$t0" -v b="$last" 'BEGIN { print b - a }')" \
		"$(awk -v a="$c0" -v b="$c1" -v hz="$hz" 'BEGIN { print (b - a) / hz }')" \
		"$(awk -v k="$(status_kib "$pid" VmHWM)" 'BEGIN { print k / 1024 }')" \
		"$(awk -v k="$(status_kib "$pid" VmRSS)" 'BEGIN { print k / 1024 }')"
	stop "watch-$n"
	stop "ctl-$n"
	log "$n: $res; controller $(grep -o 'stopped: .*' "$E2E_TMP/ctl-$n.log")"
	kc delete namespace "$ns" --wait=false >/dev/null
done
bash "$KUBE_ENV" down "$KDIR" >>"$E2E_TMP/kube-env.log" 2>&1
