#!/bin/bash
# A real Kubernetes control plane without containers or kubelet, for tests and
# for trying vipcast without a cluster: etcd, kube-apiserver and
# kube-controller-manager as the built binaries (scripts/kube-build.sh).
#
#   kube-env.sh up [--addr ADDR] DIR    start it; prints `export KUBECONFIG=DIR/kubeconfig`
#   kube-env.sh down DIR                stop exactly what `up DIR` started, remove what it made
#
# The API server listens on ADDR only (--addr, else $KUBE_ENV_ADDR, else
# 127.0.0.1), on a free port. From the root namespace loopback is enough; for
# programs in network namespaces the caller gives an address they route to, for
# instance the root end of a veth pair in 198.18.0.0/15, created before `up`.
# Nothing listens on 0.0.0.0. etcd and the controller manager stay on loopback.
#
# Identity: TLS from a CA made here with openssl. DIR/kubeconfig is the admin
# (client certificate, O=system:masters); the controller manager has its own
# certificate and kubeconfig; authorization is Node,RBAC; service-account tokens
# are signed with a key made here (TokenRequest works: `kubectl create token`).
#
# Controllers: endpointslice, namespace, garbage-collector, serviceaccount,
# serviceaccount-token and root-ca-certificate-publisher. Deliberately not
# node-lifecycle or pod-garbage-collector: without a kubelet they would mark the
# tests' Pods not ready and delete them. Tests create Nodes and Pods with
# spec.nodeName and patch the Pods' status Ready; the endpointslice controller
# then writes EndpointSlices as in a real cluster. The ServiceAccount admission
# plugin is on, as in a cluster: a Pod needs its namespace's "default" service
# account, which the serviceaccount controller creates within a second.
#
# Processes are recorded with their start time in DIR/pids and stopped by PID,
# checked against /proc, never by name. Exit codes: 0 ok, 1 failure, 3 the
# binaries are not built (run scripts/kube-build.sh).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# KUBE_ENV_SERVICE_RANGE: one IPv4 range, or "IPV4RANGE,IPV6RANGE" for a
# dual-stack cluster (the IPv6 one at most 20 bits of hosts, e.g. a /112).
SERVICE_RANGE=${KUBE_ENV_SERVICE_RANGE:-198.18.128.0/24}
SERVICE_RANGE4=${SERVICE_RANGE%%,*}
SERVICE_IP1=${SERVICE_RANGE4%.*}.1
READY_TIMEOUT=${KUBE_ENV_TIMEOUT:-90}

# Messages go to fd 3, the caller's stderr, so that a trap that fires inside a
# redirected probe still reaches the caller; the daemons do not inherit it.
exec 3>&2
log() { printf '%s kube-env: %s\n' "$(date +%H:%M:%S.%3N)" "$*" >&3; }
die() { log "$*"; exit 1; }
usage() { echo "usage: $0 up [--addr ADDR] DIR | down DIR" >&2; exit 1; }

# pid_start PID -> field 22 of /proc/PID/stat (start time in clock ticks since boot)
pid_start() {
	local s
	s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	s=${s##*) }
	# shellcheck disable=SC2086
	set -- $s
	printf '%s' "${20}"
}

# ours PID START -> that very process still runs (not a zombie)
ours() {
	local s
	s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	case ${s##*) } in Z* | X*) return 1 ;; esac
	[ "$(pid_start "$1")" = "$2" ]
}

# stop_one NAME PID START -> TERM, up to 10 s, then KILL
stop_one() {
	local i
	ours "$2" "$3" || return 0
	kill -CONT "$2" 2>/dev/null || true
	kill -TERM "$2" 2>/dev/null || true
	for i in $(seq 50); do ours "$2" "$3" || return 0; sleep 0.2; done
	log "$1 ($2) ignored SIGTERM; SIGKILL"
	kill -KILL "$2" 2>/dev/null || true
	for i in $(seq 25); do ours "$2" "$3" || return 0; sleep 0.2; done
	log "$1 ($2) still there after SIGKILL"
	return 1
}

# free_port VAR -> sets VAR to a TCP port in 20000-32767 (below Linux's ephemeral
# range) that nothing listens on or connects from, and that no earlier call gave
# (called in this shell, not in $(...), so that PORTS_TAKEN remembers); 200 tries
free_port() {
	local p i
	for i in $(seq 200); do
		p=$((20000 + (RANDOM * 32768 + RANDOM) % 12768))
		case " ${PORTS_TAKEN:-} " in *" $p "*) continue ;; esac
		if [ -z "$(ss -Htan "( sport = :$p )" 2>/dev/null)" ]; then
			PORTS_TAKEN="${PORTS_TAKEN:-} $p"
			printf -v "$1" '%s' "$p"
			return 0
		fi
	done
	die "no free TCP port found"
}

# ------------------------------------------------------------------ certificates
# cert NAME SUBJECT EXTENSIONS -> DIR/pki/NAME.{key,crt} signed by the CA
cert() {
	local pki=$DIR/pki
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$pki/$1.key" -subj "$2" -out "$pki/$1.csr" 2>/dev/null
	printf '%s\n' "$3" >"$pki/$1.ext"
	openssl x509 -req -in "$pki/$1.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" \
		-CAcreateserial -days 30 -sha256 -extfile "$pki/$1.ext" -out "$pki/$1.crt" 2>/dev/null
	rm -f "$pki/$1.csr" "$pki/$1.ext"
}

make_pki() {
	local pki=$DIR/pki san
	mkdir -m 700 "$pki"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$pki/ca.key" -out "$pki/ca.crt" -days 30 -subj "/CN=vipcast-test-ca" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
	san="IP:$ADDR,IP:127.0.0.1,IP:$SERVICE_IP1,DNS:localhost,DNS:kubernetes"
	san="$san,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
	cert apiserver "/CN=kube-apiserver" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=$san"
	local client="basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth"
	cert admin "/O=system:masters/CN=vipcast-admin" "$client"
	cert controller-manager "/CN=system:kube-controller-manager" "$client"
	# The service-account token signing key pair.
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$pki/sa.key" 2>/dev/null
	openssl pkey -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
}

# kubeconfig FILE USER -> a kubeconfig for USER's certificate (paths, not data,
# so that it stays readable)
kubeconfig() {
	cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: vipcast-test
  cluster:
    server: https://$(url_host "$ADDR"):$API_PORT
    certificate-authority: $DIR/pki/ca.crt
users:
- name: $2
  user:
    client-certificate: $DIR/pki/$2.crt
    client-key: $DIR/pki/$2.key
contexts:
- name: vipcast-test
  context:
    cluster: vipcast-test
    user: $2
current-context: vipcast-test
EOF
}

url_host() { case $1 in *:*) printf '[%s]' "$1" ;; *) printf '%s' "$1" ;; esac; }

# ------------------------------------------------------------------ processes
# spawn NAME CMD... -> starts CMD in the background, logs in DIR/NAME.log,
# records "NAME PID START" in DIR/pids
spawn() {
	local name=$1 pid st
	shift
	nohup "$@" </dev/null >"$DIR/$name.log" 2>&1 3>&- &
	pid=$!
	st=$(pid_start "$pid") || die "$name exited at once; see $DIR/$name.log"
	echo "$name $pid $st" >>"$DIR/pids"
}

running() {
	local name pid st
	while read -r name pid st; do
		[ "$name" = "$1" ] && ours "$pid" "$st" && return 0
	done <"$DIR/pids"
	return 1
}

# wait_for WHAT CMD... -> CMD succeeds before the deadline, every process alive
wait_for() {
	local what=$1 n
	shift
	for n in etcd kube-apiserver kube-controller-manager; do
		grep -q "^$n " "$DIR/pids" && ! running "$n" && return 1
	done
	while [ "$(date +%s)" -lt "$DEADLINE" ]; do
		"$@" >/dev/null 2>&1 && return 0
		for n in etcd kube-apiserver kube-controller-manager; do
			if grep -q "^$n " "$DIR/pids" && ! running "$n"; then
				log "$n exited while waiting for $what; last lines of $DIR/$n.log:"
				tail -n 15 "$DIR/$n.log" >&3
				return 1
			fi
		done
		sleep 0.2
	done
	log "$what: not within $READY_TIMEOUT s"
	return 1
}

# https_ok URL -> 200 with body "ok", as the admin
https_ok() {
	[ "$(curl -sS --max-time 3 --cacert "$DIR/pki/ca.crt" --cert "$DIR/pki/admin.crt" \
		--key "$DIR/pki/admin.key" "$1")" = ok ]
}
insecure_ok() { [ "$(curl -sSk --max-time 3 "$1")" = ok ]; }

up() {
	local t0 bins etcd_port peer_port kcm_port
	t0=$(date +%s.%N)
	bins=$("$HERE/kube-build.sh" --print-dirs)
	KUBE_BIN=$(sed -n 's/^KUBE_BIN=//p' <<<"$bins")
	ETCD_BIN=$(sed -n 's/^ETCD_BIN=//p' <<<"$bins")
	for b in "$ETCD_BIN/etcd" "$KUBE_BIN/kube-apiserver" "$KUBE_BIN/kube-controller-manager" "$KUBE_BIN/kubectl"; do
		[ -x "$b" ] || { log "$b is not built: run scripts/kube-build.sh"; exit 3; }
	done
	for c in openssl curl ss; do command -v "$c" >/dev/null || die "needs $c (scripts/install-deps.sh)"; done

	if [ -e "$DIR" ]; then
		[ -d "$DIR" ] && [ -z "$(ls -A "$DIR")" ] || die "$DIR exists and is not empty"
	else
		mkdir -p "$DIR"
		touch "$DIR/.made-dir"
	fi
	DIR=$(cd "$DIR" && pwd)
	: >"$DIR/pids"
	echo "$ADDR" >"$DIR/addr"
	DEADLINE=$(($(date +%s) + READY_TIMEOUT))
	trap 'up_failed' EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM

	make_pki
	free_port etcd_port
	free_port peer_port
	free_port API_PORT
	free_port kcm_port
	kubeconfig "$DIR/kubeconfig" admin
	kubeconfig "$DIR/controller-manager.kubeconfig" controller-manager
	ln -s "$KUBE_BIN/kubectl" "$DIR/kubectl"

	spawn etcd "$ETCD_BIN/etcd" --name vipcast-test --data-dir "$DIR/etcd" \
		--listen-client-urls "http://127.0.0.1:$etcd_port" \
		--advertise-client-urls "http://127.0.0.1:$etcd_port" \
		--listen-peer-urls "http://127.0.0.1:$peer_port" \
		--initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
		--initial-cluster "vipcast-test=http://127.0.0.1:$peer_port" \
		--unsafe-no-fsync --log-level warn
	echo "http://127.0.0.1:$etcd_port" >"$DIR/etcd-endpoint"
	wait_for "etcd health" insecure_ok_etcd "$etcd_port"

	# The API server publishes its own address as the endpoint of Service
	# default/kubernetes, which may not be loopback: there it publishes none.
	local reconciler=lease
	case $ADDR in 127.* | ::1) reconciler=none ;; esac
	spawn kube-apiserver "$KUBE_BIN/kube-apiserver" \
		--etcd-servers "http://127.0.0.1:$etcd_port" \
		--bind-address "$ADDR" --advertise-address "$ADDR" --secure-port "$API_PORT" \
		--endpoint-reconciler-type "$reconciler" \
		--cert-dir "$DIR/pki" \
		--tls-cert-file "$DIR/pki/apiserver.crt" --tls-private-key-file "$DIR/pki/apiserver.key" \
		--client-ca-file "$DIR/pki/ca.crt" \
		--authorization-mode Node,RBAC \
		--service-cluster-ip-range "$SERVICE_RANGE" \
		--service-account-issuer https://kubernetes.default.svc.cluster.local \
		--service-account-key-file "$DIR/pki/sa.pub" \
		--service-account-signing-key-file "$DIR/pki/sa.key" \
		--allow-privileged=true --profiling=false --v=1
	wait_for "kube-apiserver /readyz" https_ok "https://$(url_host "$ADDR"):$API_PORT/readyz"

	spawn kube-controller-manager "$KUBE_BIN/kube-controller-manager" \
		--kubeconfig "$DIR/controller-manager.kubeconfig" \
		--authentication-kubeconfig "$DIR/controller-manager.kubeconfig" \
		--authorization-kubeconfig "$DIR/controller-manager.kubeconfig" \
		--bind-address 127.0.0.1 --secure-port "$kcm_port" --cert-dir "$DIR/controller-manager-certs" \
		--leader-elect=false --use-service-account-credentials=true \
		--controllers endpointslice-controller,namespace-controller,garbage-collector-controller,serviceaccount-controller,serviceaccount-token-controller,root-ca-certificate-publisher-controller \
		--service-account-private-key-file "$DIR/pki/sa.key" --root-ca-file "$DIR/pki/ca.crt" \
		--profiling=false --v=1
	wait_for "kube-controller-manager /healthz" insecure_ok "https://127.0.0.1:$kcm_port/healthz"
	wait_for "the default service account" \
		"$DIR/kubectl" --kubeconfig "$DIR/kubeconfig" -n default get serviceaccount default
	trap - EXIT INT TERM
	log "ready in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s: https://$(url_host "$ADDR"):$API_PORT (logs in $DIR)"
	echo "export KUBECONFIG=$DIR/kubeconfig"
}

up_failed() {
	local rc=$?
	[ "$rc" = 0 ] && return 0
	log "failed; stopping what it started (logs kept in $DIR; remove with: $0 down $DIR)"
	stop_all || true
	exit "$rc"
}

insecure_ok_etcd() {
	curl -sS --max-time 3 "http://127.0.0.1:$1/health" | grep -q '"health":"true"'
}

# stop_all -> stops the recorded processes, newest first
stop_all() {
	local lines=() i name pid st rc=0
	[ -f "$DIR/pids" ] || return 0
	mapfile -t lines <"$DIR/pids"
	for ((i = ${#lines[@]} - 1; i >= 0; i--)); do
		read -r name pid st <<<"${lines[$i]}"
		stop_one "$name" "$pid" "$st" || rc=1
	done
	return $rc
}

down() {
	[ -d "$DIR" ] || { log "$DIR: no such directory"; return 0; }
	[ -f "$DIR/pids" ] || die "$DIR was not made by kube-env.sh up (no pids file)"
	DIR=$(cd "$DIR" && pwd)
	stop_all || die "some processes would not stop; $DIR kept"
	rm -rf "$DIR/pki" "$DIR/etcd" "$DIR/controller-manager-certs" "$DIR/kubectl" \
		"$DIR/kubeconfig" "$DIR/controller-manager.kubeconfig" "$DIR/addr" "$DIR/etcd-endpoint" \
		"$DIR"/etcd.log "$DIR"/kube-apiserver.log "$DIR"/kube-controller-manager.log "$DIR/pids"
	if [ -f "$DIR/.made-dir" ]; then
		rm -f "$DIR/.made-dir"
		rmdir "$DIR" 2>/dev/null || log "$DIR holds files kube-env.sh did not make; kept"
	fi
	log "down"
}

cmd=${1:-}
shift || true
ADDR=${KUBE_ENV_ADDR:-127.0.0.1}
case $cmd in
up)
	if [ "${1:-}" = --addr ]; then
		[ -n "${2:-}" ] || usage
		ADDR=$2
		shift 2
	fi
	[ $# = 1 ] || usage
	DIR=$1
	up
	;;
down)
	[ $# = 1 ] || usage
	DIR=$1
	down
	;;
*) usage ;;
esac
