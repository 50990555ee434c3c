# shellcheck shell=bash
# The Kubernetes-mode lab: the real control plane, the controller, three nodes
# running vipcast-speaker as the DaemonSet would, a BIRD router and a client.
# Source kubelib.sh, then lib.sh, call e2e_init, then kubelab_up. The lab demo
# in Kubernetes mode (scripts/kube-demo.sh) builds its own network and uses the
# parts: kubelab_api_port, kubelab_control_plane, kubelab_controller,
# kubelab_speaker, kubelab_web, kubelab_pod_status.
#
#   client c --(198.51.100.0/24)-- rtr (BIRD, AS 64512, forwards): eth0 192.0.2.1
#                                  rtr2 (BIRD, AS 64512, a second BGPPeer): eth0 192.0.2.2
#   LAN (bridge) --+-- n1, n2, n3: eth0 192.0.2.1i/24, 198.19.N.1i/24
#                  +-- c eth1 192.0.2.100 (L2 VIPs are on this LAN)
#                  +-- the root namespace: 198.19.N.1, where the API server listens
#
# Nodes are node1..node3 (Node objects with their InternalIPs). Every node holds
# the BGP VIP range 203.0.113.0/24 and the L2 range 192.0.2.192/27 on lo
# (arp_ignore=1, arp_announce=2: only the speaker answers ARP for them), and a
# Python HTTP server on port 8080 answers every GET with the node's name.
# Pods are objects only: kubelab_pod NAME NODE READY makes one and writes the
# status a kubelet would; kube-controller-manager writes the EndpointSlices.

KL_SYS=metallb-system
KL_NS=kl
KL_NET=198.19.$(($$ % 250 + 1))
KL_API=$KL_NET.1
KL_VETH=vk$$
KL_BGP_RANGE=203.0.113.0/24
KL_L2_RANGE=192.0.2.192/27

kubelab_diag() {
	local i
	for i in 1 2 3; do
		echo "[speaker node$i] last lines:"
		tail -n 30 "$E2E_TMP/speaker$i.log" 2>/dev/null | sed 's/^/    /'
	done
	echo "[controller] last lines:"
	tail -n 15 "$E2E_TMP/controller.log" 2>/dev/null | sed 's/^/    /'
	if is_running rtr; then
		echo "[bird] protocols and routes:"
		birdc_ rtr show protocols 2>&1 | sed 's/^/    /'
		birdc_ rtr show route 2>&1 | head -40 | sed 's/^/    /'
	fi
	echo "[api] Services:"
	kc get svc -A -o wide 2>&1 | grep -v ClusterIP | sed 's/^/    /' | head -20
	echo "[api] Events in $KL_NS:"
	kc -n "$KL_NS" get events 2>&1 | tail -n 15 | sed 's/^/    /'
}

# kubelab_api_port LAN -> a veth from the root namespace (where the API server
# listens, on $KL_API) into LAN's switch; nodes on LAN reach it from $KL_NET.0/24
kubelab_api_port() {
	ip link add "$KL_VETH" type veth peer name "p$KL_VETH" netns "$(ns "sw-$1")" || die "veth to the LAN"
	ip -n "$(ns "sw-$1")" link set "p$KL_VETH" master br0 up
	ip addr add "$KL_API/24" dev "$KL_VETH" || die "address $KL_API"
	ip link set "$KL_VETH" up
}

# kubelab_web I ADDR BODY [PORT] -> in namespace nI, an HTTP server on ADDR (0.0.0.0 or ::)
# port PORT (default 8080) answering every GET with BODY, standing in for the Pods behind a Service
kubelab_web() {
	nsx "n$1" "$E2E_PY" -c '
import http.server, socket, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = (sys.argv[2] + "\n").encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
class S(http.server.ThreadingHTTPServer):
    allow_reuse_address = True
    address_family = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
S((sys.argv[1], int(sys.argv[3])), H).serve_forever()
' "$2" "$3" "${4:-8080}" >/dev/null 2>&1 &
	track "http$1" $! python3 "n$1"
}

kubelab_net() {
	local i
	ns_add rtr rtr2 c n1 n2 n3
	lan_add lan
	kubelab_api_port lan
	lan_attach lan rtr eth0 192.0.2.1/24
	lan_attach lan rtr2 eth0 192.0.2.2/24
	lan_attach lan c eth1 192.0.2.100/24
	nsx c sysctl -qw net.ipv4.conf.all.arp_accept=1 net.ipv4.conf.eth1.arp_accept=1 >/dev/null
	link_add c eth0 198.51.100.2/24 rtr eth1 198.51.100.1/24
	route_add c "$KL_BGP_RANGE" 198.51.100.1
	ns_forward rtr
	for i in 1 2 3; do
		lan_attach lan "n$i" eth0 "192.0.2.1$i/24" "$KL_NET.1$i/24"
		ip -n "$(ns "n$i")" link set eth0 address "02:00:5e:00:01:0$i"
		nsx "n$i" sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2 \
			net.ipv4.conf.eth0.arp_ignore=1 net.ipv4.conf.eth0.arp_announce=2 >/dev/null
		ip -n "$(ns "n$i")" addr add "$KL_BGP_RANGE" dev lo
		ip -n "$(ns "n$i")" addr add "$KL_L2_RANGE" dev lo
		route_add "n$i" 198.51.100.0/24 192.0.2.1
		kubelab_web "$i" 0.0.0.0 "node$i"
	done
}

# kubelab_bird ADDR PREFIX NAME -> BIRD NAME in namespace NAME, AS 64512 at ADDR, protocols PREFIXnode1..3
kubelab_bird() {
	{
		bird_head "$1"
		cat <<EOF
protocol kernel { ipv4 { export all; }; merge paths on; }
EOF
		local i
			for i in 1 2 3; do
				cat <<EOF
protocol bgp ${2}node$i {
	local $1 as 64512;
	neighbor 192.0.2.1$i as 64512;
	direct;
	hold time 6; keepalive time 2;
	connect delay time 1; connect retry time 1; error wait time 1, 2;
	ipv4 { import all; export none; };
}
EOF
			done
	} >"$E2E_TMP/$3.conf"
	start_bird "$3" "$3" "$E2E_TMP/$3.conf"
}

# kubelab_speaker I [ARGS...] -> vipcast-speaker for node I in namespace nI, as the DaemonSet runs it
# (log level $KL_SPEAKER_LOG_LEVEL, default debug), its control socket $E2E_TMP/speakerI.sock
declare -A KL_RUNS=()
kubelab_speaker() {
	local i=$1 runs=${KL_RUNS[$1]:-0}
	shift
	[ -f "$E2E_TMP/speaker$i.log" ] && mv "$E2E_TMP/speaker$i.log" "$E2E_TMP/speaker$i.log.$runs"
	KL_RUNS[$i]=$((runs + 1))
	NODE_NAME=node$i POD_NAME=speaker-node$i POD_NAMESPACE=$KL_SYS ip netns exec "$(ns "n$i")" "$SPEAKER" \
		--kubeconfig "$KL_SPEAKER_KUBECONFIG" --health-address "$KL_NET.1$i:7472" --log-level "${KL_SPEAKER_LOG_LEVEL:-debug}" \
		--l2-interval 100 --socket "$E2E_TMP/speaker$i.sock" "$@" >"$E2E_TMP/speaker$i.log" 2>&1 &
	track "speaker$i" $! vipcast-speaker "n$i"
}
speaker_probe() { curl -s -o /dev/null -m 2 -w '%{http_code}' "http://$KL_NET.1$1:7472$2"; }
speaker_says() { grep -qE "$2" "$E2E_TMP/speaker$1.log"; }

# kubelab_sa_kubeconfig SA FILE -> a kubeconfig with a token of that ServiceAccount in $KL_SYS,
# for the API server's address on the lab network
kubelab_sa_kubeconfig() {
	kube_sa_kubeconfig "$KL_SYS" "$1" "$2" "https://$KL_API:$(sed -n 's|.*server: https://.*:||p' "$KDIR/kubeconfig")"
}

kubelab_nodes() {
	local i
	for i in 1 2 3; do cfg_node "node$i" "192.0.2.1$i"; done | kc apply -f - >/dev/null || die "Nodes"
}

# kubelab_pod_status NAME READY IP... -> Pod NAME in $KL_NS Running, its IPs and its
# Ready condition as a kubelet would write them (there is no kubelet here)
kubelab_pod_status() {
	local name=$1 ready=$2 ips="" ip
	shift 2
	for ip in "$@"; do ips="$ips${ips:+, }{\"ip\": \"$ip\"}"; done
	kc -n "$KL_NS" patch pod "$name" --subresource status --type merge -p "
{\"status\": {\"phase\": \"Running\", \"podIP\": \"$1\", \"podIPs\": [$ips],
  \"conditions\": [{\"type\": \"Ready\", \"status\": \"$ready\",
  \"lastTransitionTime\": \"$(date -u +%Y-%m-%dT%H:%M:%SZ)\"}]}}" >/dev/null || die "Pod $name status"
}

# kubelab_pod NAME NODE READY [APP] -> Pod NAME on NODE with label app=APP (default NAME without -N),
# its status as a kubelet writes it (podIP from 198.18.1.0/24)
KL_PODS=0
declare -A KL_PODIP=()
kubelab_pod() {
	local name=$1 node=$2 ready=$3 app=${4:-${1%-*}}
	if [ -z "${KL_PODIP[$name]:-}" ]; then
		KL_PODS=$((KL_PODS + 1))
		KL_PODIP[$name]=198.18.1.$KL_PODS
		kc apply -f - >/dev/null <<EOF || die "Pod $name"
apiVersion: v1
kind: Pod
metadata: {name: $name, namespace: $KL_NS, labels: {app: $app}}
spec:
  nodeName: $node
  containers: [{name: web, image: registry.invalid/web:1, ports: [{containerPort: 8080}]}]
EOF
	fi
	kubelab_pod_status "$name" "$ready" "${KL_PODIP[$name]}"
}

# kubelab_service NAME ETP [POOL] -> a LoadBalancer Service selecting app=NAME, port 8080
kubelab_service() {
	kc apply -f - >/dev/null <<EOF || die "Service $1"
apiVersion: v1
kind: Service
metadata:
  name: $1
  namespace: $KL_NS
  annotations: {${3:+metallb.io/address-pool: $3}}
spec:
  type: LoadBalancer
  externalTrafficPolicy: $2
  selector: {app: $1}
  ports: [{name: http, port: 8080, targetPort: 8080, protocol: TCP}]
EOF
}
svc_ip() { kc -n "$KL_NS" get svc "$1" -o jsonpath='{.status.loadBalancer.ingress[0].ip}' 2>/dev/null; }

# bird_nexthops VIP -> the sorted next hops BIRD installed for VIP/32 in the router's kernel ("-" none)
bird_nexthops() {
	local hops
	hops=$(ip -n "$(ns rtr)" route show "$1/32" 2>/dev/null | grep -oE '(via|nexthop via) 192\.0\.2\.1[0-9]' |
		awk '{ print $NF }' | sort -u | paste -sd, -)
	printf '%s' "${hops:--}"
}
# bird_peers_with VIP -> the BGP protocols that hold a route to VIP/32 in BIRD's table, sorted
bird_peers_with() {
	{ birdc_ rtr show route "$1/32" all; birdc_ rtr2 show route "$1/32" all; } 2>/dev/null |
		grep -oE '\[[ab]node[0-9]' | tr -d '[' | sort -u | paste -sd, -
}
# http_who VIP -> the node that answered GET http://VIP:8080/ from the client
http_who() { nsx c curl -s -m 2 "http://$1:8080/" 2>/dev/null; }

# kubelab_control_plane -> scripts/kube-env.sh up on $KL_API (the API port must exist:
# kubelab_api_port), deploy/namespace.yaml, deploy/crds and deploy/rbac applied,
# kubeconfigs with the tokens of the speaker's and the controller's ServiceAccounts
# ($KL_SPEAKER_KUBECONFIG, $KL_CONTROLLER_KUBECONFIG). kubectl's output goes to
# $KL_SHOW (default /dev/null). Service range: $KL_SERVICE_RANGE.
kubelab_control_plane() {
	local t0 show=${KL_SHOW:-/dev/null}
	t0=$(now)
	if ! KUBE_ENV_SERVICE_RANGE=${KL_SERVICE_RANGE:-198.18.128.0/22} bash "$KUBE_ENV" up --addr "$KL_API" "$KDIR" \
		>"$E2E_TMP/kube-env.log" 2>&1; then
		tail -n 20 "$E2E_TMP/kube-env.log" >&2
		die "kube-env.sh up failed"
	fi
	record pass "control plane up on $KL_API ($(elapsed "$t0") s)"
	kc apply -f "$SRC/deploy/namespace.yaml" >>"$show" || die "applying deploy/namespace.yaml"
	kc apply --server-side -f "$SRC/deploy/crds" >>"$show" || die "applying deploy/crds"
	kc wait --for condition=established --timeout=30s crd/bgppeers.metallb.io crd/servicel2statuses.metallb.io \
		>/dev/null || die "CRDs not established"
	kc apply -f "$SRC/deploy/rbac" >>"$show" || die "RBAC"
	KL_SPEAKER_KUBECONFIG=$E2E_TMP/speaker.kubeconfig
	KL_CONTROLLER_KUBECONFIG=$E2E_TMP/controller.kubeconfig
	kubelab_sa_kubeconfig vipcast-speaker "$KL_SPEAKER_KUBECONFIG"
	kubelab_sa_kubeconfig vipcast-controller "$KL_CONTROLLER_KUBECONFIG"
}

# kubelab_controller [ARGS...] -> vipcast-controller in the root namespace, as its Deployment runs it
kubelab_controller() {
	"$CONTROLLER" --kubeconfig "$KL_CONTROLLER_KUBECONFIG" --namespace "$KL_SYS" \
		--log-level "${KL_CONTROLLER_LOG_LEVEL:-debug}" --health-listen 127.0.0.1:0 --socket "$E2E_TMP/controller.sock" "$@" \
		>"$E2E_TMP/controller.log" 2>&1 &
	track controller $! vipcast-controller -
}

kubelab_up() {
	kubelab_net
	kubelab_control_plane
	kc create namespace "$KL_NS" >/dev/null
	wait_until 20 kc -n "$KL_NS" get serviceaccount default || die "no default ServiceAccount in $KL_NS"
	kubelab_nodes
	kubelab_bird 192.0.2.1 a rtr
	kubelab_bird 192.0.2.2 b rtr2
	kubelab_controller
}
