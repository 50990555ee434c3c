#!/bin/sh
# vipcastctl against two file-mode speakers peering with BIRD and sharing L2 VIPs:
#   - the control socket is mode 0600; a bad or oversized request gets an error
#     answer, a 9th client at once "busy", a silent one is closed after 5 s, and
#     the daemon keeps answering; exit codes 0 / 1 / 2;
#   - status, routes [PEER], services, why VIP: text and -o json, checked against
#     BIRD's own table and the L2 owner both speakers agree on;
#   - why gives each reason the lab can produce (no Service, Service not served,
#     no pool, no advertisement, nodeSelectors, serviceSelectors, no ready
#     endpoint, Local without an endpoint here, no peer, named peers absent,
#     session down, excluded node, L2 owner / not the owner, announced);
#   - drain withdraws every route of that node at BIRD; the daemon still answers.
#
#   LAN -- rtr: BIRD AS 64512 (protocols node1, node2)
#       -- n1: vipcast-speaker --node node1 --socket $TMP/node1.sock
#       -- n2: vipcast-speaker --node node2 --socket $TMP/node2.sock
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/l2lib.sh"
e2e_init ctl "$1" bird birdc
CTL=$BUILD/vipcastctl
[ -x "$CTL" ] || die "vipcastctl is not built ($CTL)"

ns_add rtr n1 n2
lan_add lan
lan_attach lan rtr eth0 192.0.2.1/24
lan_attach lan n1 eth0 192.0.2.11/24
lan_attach lan n2 eth0 192.0.2.12/24
{
	bird_head 192.0.2.1
	for n in 1 2; do
		cat <<EOF
protocol bgp node$n {
	local 192.0.2.1 as 64512;
	neighbor 192.0.2.1$n as 64512;
	direct;
	hold time 6; keepalive time 2;
	connect delay time 1; connect retry time 1; error wait time 1, 2;
	ipv4 { import all; export none; };
}
EOF
	done
} >"$E2E_TMP/bird.conf"

VWEB=198.51.100.10 VLOC=198.51.100.11 VNOEP=198.51.100.12 VLONE=198.51.100.130 VZB=198.51.100.200
VNAMED=203.0.113.5 VNOPOOL=203.0.113.100 VOTHER=198.51.100.50 FOREIGN=203.0.113.200
VL2=192.0.2.200 VL2SEL=192.0.2.220 VL2N3=192.0.2.230
C=$E2E_TMP/config
mkdir -p "$C"
nodes_yaml() {  # [LABELS for node2...]
	{ cfg_node node1 192.0.2.11 - zone=a; cfg_node node2 192.0.2.12 - zone=b "$@"; cfg_node node3 192.0.2.13 - zone=c; } |
		cfg_write "$C" nodes.yaml
}
nodes_yaml
{
	cfg_pool vips 198.51.100.0/25
	cfg_pool lonely 198.51.100.128/26
	cfg_pool zoneb 198.51.100.192/27
	cfg_pool named 203.0.113.0/28
	cfg_pool l2 192.0.2.200-192.0.2.210
	cfg_pool l2sel 192.0.2.220-192.0.2.225
	cfg_pool l2n3 192.0.2.230-192.0.2.235
} | cfg_write "$C" pools.yaml
peers_yaml() {  # [node=NAME for rtr]
	{ cfg_peer rtr 64512 64512 192.0.2.1 "$@"; cfg_peer ghost 64512 64512 192.0.2.99 node=node1 connectTime=1s; } |
		cfg_write "$C" peers.yaml
}
peers_yaml
{
	cfg_adv adv pools=vips localPref=200 communities=64500:100
	cfg_adv toghost pools=named peers=ghost
	cat <<EOF
---
apiVersion: metallb.io/v1beta1
kind: BGPAdvertisement
metadata:
  name: onlyb
  namespace: metallb-system
spec:
  ipAddressPools: [zoneb]
  nodeSelectors:
    - matchLabels:
        zone: b
---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata:
  name: front
  namespace: metallb-system
spec:
  ipAddressPools: [l2sel]
  serviceSelectors:
    - matchLabels:
        tier: front
EOF
	cfg_l2adv l2 pools=l2 interfaces=eth0
	cfg_l2adv l2n3 pools=l2n3 nodes=node3
	cfg_memberlist "e2e-vipcastctl-memberlist-key-0123456789"
} | cfg_write "$C" advs.yaml
{
	cfg_service web $VWEB Cluster node1,node2
	cfg_service local $VLOC Local node1
	cfg_service noep $VNOEP Cluster -
	cfg_service lone $VLONE Cluster node1,node2
	cfg_service zb $VZB Cluster node1,node2
	cfg_service named $VNAMED Cluster node1,node2
	cfg_service nopool $VNOPOOL Cluster node1,node2
	cfg_service l2web $VL2 Cluster node1,node2
	cfg_service l2sel $VL2SEL Cluster node1,node2
	cfg_service l2n3 $VL2N3 Cluster node1,node2
	cat <<EOF
---
apiVersion: v1
kind: Service
metadata:
  name: other
  namespace: default
spec:
  type: LoadBalancer
  loadBalancerClass: example.com/other
  ports:
    - port: 80
status:
  loadBalancer:
    ingress:
      - ip: $VOTHER
EOF
} | cfg_write "$C" services.yaml
cfg_check "$C"

start_bird rtr rtr "$E2E_TMP/bird.conf"
for i in 1 2; do
	start_speaker "node$i" "n$i" "$C" "node$i" --socket "$E2E_TMP/node$i.sock"
done

ctl() { local n=$1; shift; "$CTL" --socket "$E2E_TMP/$n.sock" "$@"; }
# jtrue EXPR < JSON -> the Python expression over d (the parsed reply) is true
jtrue() { "$E2E_PY" -c 'import json, sys; d = json.load(sys.stdin); sys.exit(0 if eval(sys.argv[1]) else 1)' "$1"; }
jval() { "$E2E_PY" -c 'import json, sys; d = json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }
rib() { bird_rib rtr; }
# why_has NODE VIP CODE [TEXT] -> "why" in JSON gives that reason (and its text holds TEXT),
# and the text output shows it too
why_has() {
	ctl "$1" -o json why "$2" | jtrue "any(r['code'] == '$3' and '${4:-}' in r['text'] for r in d['data']['reasons'])" &&
		ctl "$1" why "$2" | grep -q "\[$3\]"
}
why_only() {  # NODE VIP CODE -> the only reason
	ctl "$1" -o json why "$2" | jtrue "[r['code'] for r in d['data']['reasons']] == ['$3']"
}
status_est() { ctl "$1" -o json status | jtrue "any(s['peer'] == 'metallb-system/rtr' and s['state'] == 'Established' for s in d['data']['sessions'])"; }

scenario "socket, sessions up"
check "node1's socket is mode 0600" test "$(stat -c %a "$E2E_TMP/node1.sock")" = 600
check "node1's socket is a socket" test -S "$E2E_TMP/node1.sock"
require_within 15 "node1: rtr Established (vipcastctl status -o json)" status_est node1
require_within 15 "node2: rtr Established (vipcastctl status -o json)" status_est node2
require_within 10 "BIRD has $VWEB/32 from both nodes" paths_are rib $VWEB/32 192.0.2.11 192.0.2.12

scenario "status"
out=$(ctl node1 status); rc=$?
check "status: exit 0" test $rc = 0
check "status text: a row for rtr, Established" grep -qE '^metallb-system/rtr +192\.0\.2\.1 +Established' <<<"$out"
check "status text: ghost not Established" grep -qE '^metallb-system/ghost +192\.0\.2\.99 +(Connect|Active|Idle)' <<<"$out"
check "status text: L2 VIP $VL2 row" grep -qE "^$VL2 " <<<"$out"
check "status text: liveness peer node2 up" grep -qE '^node2 +up ' <<<"$out"
js=$(ctl node1 -o json status)
check "status json: ok, node1, file mode" jtrue "d['ok'] and d['data']['node'] == 'node1' and d['data']['mode'] == 'file'" <<<"$js"
check "status json: rtr up, 2 routes sent ($VWEB, $VLOC), 0 received" \
	jtrue "[(s['routes_sent'], s['prefixes_received'], s['uptime_s'] >= 0) for s in d['data']['sessions'] if s['peer'] == 'metallb-system/rtr'] == [(2, 0, True)]" <<<"$js"
ghost_err() { ctl node1 -o json status | jtrue "[s for s in d['data']['sessions'] if s['peer'] == 'metallb-system/ghost'][0].get('last_error')"; }
check_within 10 "status json: ghost has a last error" ghost_err
check "status json: liveness peers" jtrue "[p['node'] for p in d['data']['l2']['speakers'] if p['state'] == 'up'] == ['node2']" <<<"$js"
birdc_ rtr disable node1 >/dev/null
wait_until 10 not status_est node1
birdc_ rtr enable node1 >/dev/null
check_within 15 "after BIRD disabled node1: last NOTIFICATION received is Cease / Administrative Shutdown" sh -c \
	"'$CTL' --socket '$E2E_TMP/node1.sock' -o json status | '$E2E_PY' -c 'import json,sys; d=json.load(sys.stdin); s=[s for s in d[\"data\"][\"sessions\"] if s[\"peer\"]==\"metallb-system/rtr\"][0]; n=s[\"last_notification_received\"]; sys.exit(0 if n and n[\"code\"]==6 and n[\"subcode\"]==2 and s[\"state\"]==\"Established\" else 1)'"
check "status text: the NOTIFICATION line" sh -c "'$CTL' --socket '$E2E_TMP/node1.sock' status | grep -q 'rtr: last NOTIFICATION received: Cease / '"
require_within 15 "BIRD has $VWEB/32 from both nodes again" paths_are rib $VWEB/32 192.0.2.11 192.0.2.12

scenario "routes"
out=$(ctl node1 routes)
check "routes text: rtr Established, $VWEB/32 lp 200 community 64500:100" \
	grep -qE "^ +$VWEB/32 +200 +64500:100 " <<<"$out"
check "routes text: ghost holds $VNAMED/32" sh -c "printf '%s\n' \"\$1\" | awk '/^metallb-system\\/ghost/{g=1} g && \$1==\"$VNAMED/32\"{f=1} END{exit !f}'" _ "$out"
js=$(ctl node1 -o json routes rtr)
check "routes rtr json: only rtr, what BIRD holds from node1" jtrue \
	"[p['peer'] for p in d['data']['peers']] == ['metallb-system/rtr'] and sorted(r['prefix'] for r in d['data']['peers'][0]['routes']) == sorted(['$VWEB/32', '$VLOC/32'])" <<<"$js"
check "BIRD holds exactly those from node1" test "$(rib | awk '$2 == "192.0.2.11" { print $1 }' | sort | tr '\n' ' ')" = "$VWEB/32 $VLOC/32 "
check "routes json: attributes" jtrue "d['data']['peers'][0]['routes'][0]['local_pref'] == 200 and d['data']['peers'][0]['routes'][0]['communities'] == ['64500:100']" <<<"$js"
check "routes 192.0.2.99 (by address) -> ghost" sh -c "'$CTL' --socket '$E2E_TMP/node1.sock' routes 192.0.2.99 | grep -q '^metallb-system/ghost'"
ctl node1 routes nosuchpeer >/dev/null 2>&1; rc=$?
check "routes of an unknown peer: exit 1" test $rc = 1

scenario "services"
out=$(ctl node1 services)
check "services text: web, pool vips, BGP from every node (node3 has no speaker here)" grep -qE "^default/web +$VWEB +vips +node1,node2,node3 " <<<"$out"
check "services text: local announced from node1 only" grep -qE "^default/local +$VLOC +vips +node1 " <<<"$out"
js=$(ctl node1 -o json services)
o1=$(jval "[i for s in d['data']['services'] for i in s['ips'] if i['ip'] == '$VL2'][0]['l2_owner']" <<<"$js")
o2=$(ctl node2 -o json services | jval "[i for s in d['data']['services'] for i in s['ips'] if i['ip'] == '$VL2'][0]['l2_owner']")
check "services json: $VL2 has an L2 owner ($o1), the same from both speakers ($o2)" test "$o1" != None -a "$o1" = "$o2"
check "services text: $VL2 shows owner $o1" grep -qE "^default/l2web +$VL2 +l2 +- +$o1\$" <<<"$out"
check "services json: zb BGP from node2 only" jtrue "[i for s in d['data']['services'] for i in s['ips'] if i['ip'] == '$VZB'][0]['bgp_nodes'] == ['node2']" <<<"$js"

scenario "why: one reason each"
check "why $VWEB on node1: announced to rtr as /32" why_has node1 $VWEB announced "rtr as $VWEB/32"
check "why $VWEB text: BGP announced" sh -c "'$CTL' --socket '$E2E_TMP/node1.sock' why $VWEB | grep -q '^$VWEB on node node1: BGP announced'"
check "why $FOREIGN: no Service" why_only node1 $FOREIGN no-service
check "why $VOTHER: Service of another class" why_has node1 $VOTHER service-not-served example.com/other
check "why $VNOPOOL: in no pool" why_only node1 $VNOPOOL no-pool
check "why $VLONE: no advertisement selects pool lonely" why_has node1 $VLONE no-advertisement lonely
check "why $VZB on node1: BGPAdvertisement nodeSelectors" why_has node1 $VZB advertisement-node-selectors onlyb
check "why $VZB on node2: announced" why_has node2 $VZB announced
check "why $VNOEP: no ready endpoint" why_only node1 $VNOEP no-ready-endpoint
check "why $VLOC on node2: Local, no endpoint here" why_only node2 $VLOC no-local-endpoint
check "why $VLOC on node1: announced" why_has node1 $VLOC announced
check "why $VNAMED on node2: named peers absent" why_has node2 $VNAMED peers-not-named ghost
check "why $VNAMED on node1: announced to ghost, session down" why_has node1 $VNAMED session-down ghost
check "why $VL2SEL: L2Advertisement serviceSelectors" why_has node1 $VL2SEL advertisement-service-selectors front
check "why $VL2N3 on node1: L2Advertisement nodeSelectors" why_has node1 $VL2N3 advertisement-node-selectors l2n3
on=${o1#node} off=$((3 - on))
# The owner answers once past its startup hold (l2.h): the status may name it a moment before.
check_within 5 "why $VL2 on $o1: the owner, on eth0" why_has "node$on" $VL2 l2-owner "on eth0"
check_within 5 "why $VL2 on node$off: not the owner, $o1 is" why_has "node$off" $VL2 l2-not-owner "$o1 is"
check "why $VL2 json on $o1: l2 true" sh -c "'$CTL' --socket '$E2E_TMP/node$on.sock' -o json why $VL2 | grep -q '\"l2\":true'"

scenario "why: no peer, excluded node (configuration changes)"
peers_yaml node=node1
check_within 10 "why $VWEB on node2 once rtr selects node1 only: no peer" why_has node2 $VWEB no-peer
check_within 10 "BIRD loses $VWEB from node2" paths_are rib $VWEB/32 192.0.2.11
peers_yaml
require_within 15 "node2: rtr Established again" status_est node2
nodes_yaml node.kubernetes.io/exclude-from-external-load-balancers=true
check_within 10 "why $VWEB on node2 labelled excluded: node-excluded" why_only node2 $VWEB node-excluded
nodes_yaml NetworkUnavailable=True
check_within 10 "why $VWEB on node2 with NetworkUnavailable: node-excluded" why_has node2 $VWEB node-excluded NetworkUnavailable
nodes_yaml
check_within 10 "node2 announces $VWEB again" why_has node2 $VWEB announced
require_within 15 "BIRD has $VWEB/32 from both nodes again" paths_are rib $VWEB/32 192.0.2.11 192.0.2.12

scenario "bad requests, exit codes"
bad() {  # BYTES -> the raw reply of node1's socket
	"$E2E_PY" -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(5)
s.connect(sys.argv[1])
try:  # the daemon may answer and close before it read everything (an oversized request)
    s.sendall(sys.argv[2].encode())
    s.shutdown(socket.SHUT_WR)
except OSError:
    pass
out = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    out += b
print(out.decode())' "$E2E_TMP/node1.sock" "$1"
}
check "not JSON: error answer" jtrue "d['ok'] is False and 'not JSON' in d['error']" <<<"$(bad 'hello')"
check "unknown command: error answer" jtrue "d['ok'] is False and 'unknown command' in d['error']" <<<"$(bad '{"cmd":"reboot"}')"
check "args not strings: error answer" jtrue "d['ok'] is False" <<<"$(bad '{"cmd":"why","args":[1]}')"
check "oversized request: error answer" jtrue "d['ok'] is False and '4096' in d['error']" <<<"$(bad "$(head -c 6000 /dev/zero | tr '\0' x)")"
check "why of a non-address: error answer" jtrue "d['ok'] is False and 'not an IP' in d['error']" <<<"$(bad '{"cmd":"why","args":["x"]}')"
# crowd -> "busy" when a 9th client comes while 8 say nothing, then the seconds until the
# daemon closes a client that never asks
crowd() {
	"$E2E_PY" -c '
import socket, subprocess, sys, time
def conn():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(sys.argv[1])
    return s
idle = [conn() for _ in range(8)]
# A loaded daemon may not have accepted all 8 yet: ask again, a bounded number of times.
answer = "served"
for _ in range(10):
    time.sleep(0.3)
    s = conn()
    try:
        s.sendall(b"{\"cmd\":\"status\"}\n")
    except (BrokenPipeError, ConnectionResetError):
        pass  # "busy" may come, and the socket close, before the request is sent
    if b"busy" in s.recv(65536):
        answer = "busy"
        break
    s.close()
print(answer)
# vipcastctl as the 9th client, 10 times: "busy" each time, whether its request went out or not;
# 8 new idle clients, the first ones may be near their 5 s
for c in idle:
    c.close()
idle = [conn() for _ in range(8)]
time.sleep(0.5)
said = []
for _ in range(10):
    r = subprocess.run([sys.argv[2], "--socket", sys.argv[1], "status"], capture_output=True, text=True, timeout=15)
    said.append("busy" if r.returncode == 1 and "busy" in r.stderr + r.stdout else repr(r.stderr.strip()))
print(",".join(sorted(set(said))))
for c in idle:
    c.close()
c = conn()
t = time.monotonic()
c.recv(1)
print("%.1f" % (time.monotonic() - t))' "$E2E_TMP/node1.sock" "$CTL"
}
out=$(crowd)
check "a 9th client while 8 are connected: answered busy" test "$(head -n 1 <<<"$out")" = busy
check "vipcastctl as the 9th client: busy, exit 1, 10 times ($(sed -n 2p <<<"$out"))" test "$(sed -n 2p <<<"$out")" = busy
check "a client that never asks is closed after 5 s ($(tail -n 1 <<<"$out") s)" \
	awk -v t="$(tail -n 1 <<<"$out")" 'BEGIN { exit !(t >= 4.5 && t < 7) }'
check "the daemon still answers status" status_est node1
ctl node1 frobnicate >/dev/null 2>&1; rc=$?
check "unknown command: exit 1" test $rc = 1
"$CTL" --socket "$E2E_TMP/none.sock" status >/dev/null 2>&1; rc=$?
check "no daemon on the socket: exit 2" test $rc = 2
"$CTL" >/dev/null 2>&1; rc=$?
check "no command: exit 2" test $rc = 2

scenario "drain"
out=$(ctl node2 drain); rc=$?
check "drain: exit 0" test $rc = 0
check_within 10 "BIRD keeps $VWEB from node1 only" paths_are rib $VWEB/32 192.0.2.11
check "BIRD holds nothing from node2" test "$(rib | awk '$2 == "192.0.2.12"' | wc -l)" = 0
check "node2 still answers status: drained, no sessions" jtrue "d['data']['drained'] and not d['data']['stopped'] and d['data']['sessions'] == []" <<<"$(ctl node2 -o json status)"
check "status text says drained" sh -c "'$CTL' --socket '$E2E_TMP/node2.sock' status | grep -q drained"
check_within 10 "node1 takes $VL2 over" why_has node1 $VL2 l2-owner
why_drained() { why_has node2 "$VL2" node-excluded drained && why_has node2 "$VL2" l2-off; }
check "why on the drained node2: drained, and L2 is off" why_drained
kill -TERM "$(pid_of node2)"
node2_gone() { ! is_running node2; }
check_within 5 "a drained speaker ends on SIGTERM" node2_gone
stop node1
check "node1's socket file removed at exit" test ! -e "$E2E_TMP/node1.sock"
e2e_finish
