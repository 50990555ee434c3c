# shellcheck shell=bash
# The real control plane in an e2e test (scripts/kube-env.sh): the built binaries,
# kubectl against it, its processes stopped by PID at exit, its API server
# restarted. Source it before lib.sh; call kube_require first (it may skip the
# test), and set KDIR (kube-env.sh's directory) after e2e_init.

KUBE_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
KUBE_ENV=${KUBE_ENV:-$KUBE_SRC/scripts/kube-env.sh}

# kube_require NAME -> sets KUBE_BIN and ETCD_BIN; without the built control plane
# the test fails, or is skipped (exit 77) with VIPCAST_KUBE_OPTIONAL=1
kube_require() {
	local why=""
	if [ ! -f "$KUBE_ENV" ]; then
		why="no $KUBE_ENV (the test control plane)"
	else
		eval "$(bash "$(dirname "$KUBE_ENV")/kube-build.sh" --print-dirs)"
		[ -x "$KUBE_BIN/kube-apiserver" ] && [ -x "$ETCD_BIN/etcd" ] && [ -x "$ETCD_BIN/etcdctl" ] ||
			why="control plane not built ($KUBE_BIN, $ETCD_BIN): run scripts/kube-build.sh"
	fi
	[ -z "$why" ] && return 0
	echo "$1: $why" >&2
	[ "${VIPCAST_KUBE_OPTIONAL:-}" = 1 ] && exit 77
	exit 1
}

# lib.sh calls this at exit: every control plane process kube-env.sh (or api_restart) recorded
e2e_cleanup_extra() {
	local name pid st
	[ -f "$KDIR/pids" ] || return 0
	while read -r name pid st; do stop_pidst "$pid:$st"; done < <(tac "$KDIR/pids")
}
kc() { "$KDIR/kubectl" --kubeconfig "$KDIR/kubeconfig" "$@"; }
# kube_sa_kubeconfig NS SA FILE [SERVER] -> FILE: a kubeconfig with a token (TokenRequest, 4 h) of
# ServiceAccount NS/SA, for SERVER (default: the admin kubeconfig's), trusting the test CA
kube_sa_kubeconfig() {
	local token server=${4:-$(sed -n 's|^ *server: ||p' "$KDIR/kubeconfig")}
	token=$(kc -n "$1" create token "$2" --duration 4h) || die "no token for $1/$2"
	cat >"$3" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: "$server", certificate-authority: "$KDIR/pki/ca.crt"}
users:
- name: u
  user: {token: "$token"}
contexts:
- name: c
  context: {cluster: c, user: u}
current-context: c
EOF
}
etcdctl_() { "$ETCD_BIN/etcdctl" --endpoints "$(cat "$KDIR/etcd-endpoint")" "$@"; }

# kube_audit RULE -> the API server restarted with an audit log ($E2E_TMP/audit.log, JSON, one line
# a request as received) of the requests RULE selects (a line of an audit Policy rule, e.g.
# 'userGroups: ["system:serviceaccounts:ns"]'), the rest unlogged
kube_audit() {
	cat >"$E2E_TMP/audit-policy.yaml" <<EOF
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [ResponseStarted, ResponseComplete, Panic]
rules:
- level: Metadata
  $1
- level: None
EOF
	api_restart --audit-policy-file "$E2E_TMP/audit-policy.yaml" --audit-log-path "$E2E_TMP/audit.log" \
		--audit-log-maxsize 0 --audit-log-format json
}
# kube_up_audited RULE -> the control plane of $KUBE_ENV up on $API_ADDR in $KDIR, with kube_audit RULE
kube_up_audited() {
	bash "$KUBE_ENV" up --addr "$API_ADDR" "$KDIR" >"$E2E_TMP/kube-env.log" 2>&1 ||
		{ tail -n 20 "$E2E_TMP/kube-env.log" >&2; die "kube-env.sh up failed"; }
	kube_audit "$1"
}

# kube_install_vipcast -> deploy/'s CRDs (established) and RBAC applied
kube_install_vipcast() {
	kc apply --server-side -f "$ROOT/deploy/crds" >/dev/null || die "applying deploy/crds"
	kc wait --for condition=established --timeout=30s crd/bgppeers.metallb.io crd/ipaddresspools.metallb.io >/dev/null ||
		die "CRDs not established"
	kc apply -f "$ROOT/deploy/rbac/speaker.yaml" -f "$ROOT/deploy/rbac/controller.yaml" >/dev/null || die "RBAC"
}

# kube_subnet_crd -> a minimal kubeovn.io/v1 Subnet CRD (any spec), established; the controller
# and the speakers look for kubeovn.io when they start
kube_subnet_crd() {
	kc apply -f - >/dev/null <<EOF || die "Subnet CRD"
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: subnets.kubeovn.io}
spec:
  group: kubeovn.io
  scope: Cluster
  names: {kind: Subnet, plural: subnets, singular: subnet, listKind: SubnetList}
  versions:
  - name: v1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
EOF
	kc wait --for condition=established --timeout=30s crd/subnets.kubeovn.io >/dev/null || die "Subnet CRD not established"
}

api_pid() { awk '$1 == "kube-apiserver" { p = $2 } END { print p }' "$KDIR/pids"; }
api_ready() { kc get --raw /readyz >/dev/null 2>&1; }
# api_restart [ARGS...] -> SIGKILL the API server and start it again with its own
# command line (plus ARGS, which win over earlier flags); recorded in KDIR/pids so
# that cleanup and `kube-env.sh down` stop the new one
api_restart() {
	local pid args i
	pid=$(api_pid)
	mapfile -d '' args <"/proc/$pid/cmdline"
	kill -KILL "$pid"
	for i in $(seq 50); do [ -d "/proc/$pid" ] || break; sleep 0.1; done
	nohup "${args[@]}" "$@" </dev/null >>"$KDIR/kube-apiserver.log" 2>&1 &
	pid=$!
	disown "$pid"
	echo "kube-apiserver $pid $(pid_start "$pid")" >>"$KDIR/pids"
	wait_until 60 api_ready || die "kube-apiserver did not come back"
}
