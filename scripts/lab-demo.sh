#!/bin/sh
# The lab demo: a BGP router learns the VIPs that vipcast-speaker announces from
# three Kubernetes nodes, and a client behind the router reaches them.
#
#   client 203.0.113.10 ---- router (BIRD 2, AS 64500) ---- fabric LAN 192.0.2.0/24
#          2001:db8:2::10     kernel routes with ECMP          |       |       |
#                                                            node1   node2   node3
#                                                      vipcast-speaker (AS 64512) each,
#                                                      the VIPs on lo and a web server
#                                                      standing in for kube-proxy + pods
#
# Everything runs in network namespaces created here and removed at the end (also
# on failure or Ctrl-C); only documentation addresses are used. The configuration
# is deploy/examples/lab/ (Nodes, IPAddressPool, BGPPeers, BGPAdvertisement with
# communities, Services and EndpointSlices), copied to a temporary directory that
# the demo then edits the way Kubernetes would change it.
#
# usage: scripts/lab-demo.sh [--no-build] [--pause]
#   --no-build  skip installing packages and building (use build-release/ as it is)
#   --pause     wait for Enter before cleaning up, to look around
# Run as root.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
cd "$(dirname "$0")/.." || exit 1
ROOT=$(pwd)
BUILD_DIR=${VIPCAST_BUILD:-$ROOT/build-release}
. "$ROOT/scripts/lab-common.sh"
lab_options lab-demo "$@"
lab_build "$BUILD_DIR"

. "$ROOT/tests/e2e/lib.sh"
e2e_init lab "$BUILD_DIR" bird birdc curl
SPEAKER_LOG_LEVEL=info
fail() { printf '\nlab-demo: FAILED: %s\n' "$*" >&2; record fail "$*"; e2e_finish; }

# ---------------------------------------------------------------- the network
say "network: router, three nodes on a fabric LAN, a client behind the router"
lab_net router client node fabric
for n in router node1 node2 node3 client; do echo "    $(ns $n)"; done

# ---------------------------------------------------------------- the configuration
C=$E2E_TMP/config
mkdir -p "$C"
cp deploy/examples/lab/*.yaml "$C/"
say "configuration: deploy/examples/lab/ (copied to $C)"
run "$CONTROLLER" --check --config "$C" 2>&1 | indent
say "the VIPs the Services get (api has none in its status: the allocator picks)"
run "$CONTROLLER" --dry-run --config "$C" 2>&1 | indent
VIPS=$("$CONTROLLER" --dry-run -o json --config "$C" | $E2E_PY -c '
import json, sys
print(" ".join(ip for s in json.load(sys.stdin)["services"] for ip in s["ips"]))')
API4=$(dry_run_ip "$C" default/api)
API6=$("$CONTROLLER" --dry-run -o json --config "$C" | $E2E_PY -c '
import json, sys
print([ip for s in json.load(sys.stdin)["services"] if s["name"] == "api" for ip in s["ips"] if ":" in ip][0])')

# ---------------------------------------------------------------- the router
lab_router_conf "$E2E_TMP/router-bird.log" >"$E2E_TMP/bird.conf"
say "router: BIRD 2, one eBGP session per node and family"
start_bird router router "$E2E_TMP/bird.conf"
run birdc -s "$E2E_TMP/router/bird.ctl" show protocols | indent

# ---------------------------------------------------------------- the nodes
say "nodes: the VIPs on lo and a web server on port 80 (kube-proxy and the pods, in miniature)"
for i in 1 2 3; do
	for v in $VIPS; do
		case $v in
		*:*) ip -n "$(ns node$i)" addr add "$v/128" dev lo ;;
		*) ip -n "$(ns node$i)" addr add "$v/32" dev lo ;;
		esac
	done
	mkdir -p "$E2E_TMP/www$i"
	echo "hello from node$i" >"$E2E_TMP/www$i/index.html"
	ip netns exec "$(ns node$i)" $E2E_PY -m http.server 80 --bind :: --directory "$E2E_TMP/www$i" \
		>"$E2E_TMP/www$i.log" 2>&1 &
	track www$i $! web node$i
	disown $!
done
echo "    VIPs on every node's lo: $VIPS"

say "vipcast-speaker on each node"
for i in 1 2 3; do start_speaker speaker$i node$i "$C" node$i; done
for i in 1 2 3; do
	wait_until 20 bird_established router node$i || fail "node$i's IPv4 session did not come up"
	wait_until 20 bird_established router node${i}_v6 || fail "node$i's IPv6 session did not come up"
done
run birdc -s "$E2E_TMP/router/bird.ctl" show protocols | indent

# ---------------------------------------------------------------- what the router learned
RIB="bird_rib router"
lab_routes_in 15 "$API4" "$API6"
lab_show_router

# ---------------------------------------------------------------- the client
say "client: HTTP to the VIPs through the router"
lab_fetch http://198.51.100.10/ http://198.51.100.11/ "http://$API4/" "http://[$API6]/"
s=$(lab_spread http://198.51.100.10/ 12)
echo "    12 connections to web (ETP Cluster, ECMP over 3 nodes): $s"
s=$(lab_spread http://198.51.100.11/ 6)
echo "    6 connections to web-local (ETP Local, pod on node2):   $s"
[ "$s" = "node2=6 " ] || fail "web-local was not served by node2 alone"

# ---------------------------------------------------------------- changes
say "the web-local pod moves to node3: the EndpointSlice changes, node3 announces, node2 withdraws"
sed -i 's/    nodeName: node2$/    nodeName: node3/' "$C/services.yaml"
wait_until 15 paths_are "$RIB" 198.51.100.11/32 192.0.2.13 || fail "198.51.100.11/32 did not move to node3"
bird_rib router 198.51.100.11/32 | indent
s=$(lab_spread http://198.51.100.11/ 6)
echo "    6 connections to web-local: $s"
[ "$s" = "node3=6 " ] || fail "web-local was not served by node3 alone"

say "node1 is drained (label node.kubernetes.io/exclude-from-external-load-balancers)"
$E2E_PY - "$C/nodes.yaml" <<'EOF'
import sys
p = sys.argv[1]
s = open(p).read()
s = s.replace("    kubernetes.io/hostname: node1\n",
              "    kubernetes.io/hostname: node1\n"
              "    node.kubernetes.io/exclude-from-external-load-balancers: \"\"\n", 1)
open(p + ".tmp", "w").write(s)
EOF
mv "$C/nodes.yaml.tmp" "$C/nodes.yaml"
wait_until 15 no_route "$RIB" '*' 192.0.2.11 || fail "node1's routes did not go"
bird_rib router 198.51.100.10/32 | indent
s=$(lab_spread http://198.51.100.10/ 8)
echo "    8 connections to web: $s"
case $s in *node1*) fail "node1 still serves web after the drain" ;; esac

say "node2's speaker stops (SIGTERM: it closes its sessions with a Cease)"
stop speaker2
wait_until 15 no_route "$RIB" '*' 192.0.2.12 || fail "node2's routes did not go"
bird_rib router 198.51.100.10/32 | indent
s=$(lab_spread http://198.51.100.10/ 4)
echo "    4 connections to web: $s"
[ "$s" = "node3=4 " ] || fail "web was not served by node3 alone"

say "the speakers' logs (node1)"
grep -E ' (info|warn|error) ' "$(speaker_log speaker1)" | tail -n 12 | indent

record pass "lab demo"
lab_pause "the namespaces are $E2E_ID-*"
say "done: cleaning up (namespaces and processes of this demo only)"
e2e_finish
