#!/bin/sh
# Least privilege, read from the kernel (/proc/PID/status), and the speaker still
# doing everything that needs the capabilities it kept:
#   - vipcast-speaker, started as root, ends with exactly CAP_NET_BIND_SERVICE,
#     CAP_NET_ADMIN and CAP_NET_RAW permitted, effective and in the bounding set,
#     nothing inheritable or ambient, no_new_privs set;
#   - after the drop: an L2 VIP is answered (ARP from another namespace); a BGPPeer
#     with a TCP MD5 password added only now opens the listener on port 179, sets
#     the key on it, and BIRD's connection to it (the only way in: the speaker dials
#     a port BIRD does not listen on) reaches Established; an interface that appears
#     only now gets its packet socket and its VIP is answered there;
#   - vipcast-controller (no long-running mode yet) holds no capability: it is
#     caught reading its configuration from a FIFO, blocked in open().
#
#   LAN  -- rtr: BIRD 192.0.2.1, AS 64512, password, dials 192.0.2.11:179
#        -- n1: vipcast-speaker, node1, 192.0.2.11
#        -- c:  client, arping
#   LAN2 (added later) -- n1 eth1 203.0.113.11, c eth1 203.0.113.100
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/l2lib.sh"
e2e_init privileges "$1" bird birdc

SPEAKER_CAPS=0000000000003400  # bits 10, 12, 13: net_bind_service, net_admin, net_raw
NONE=0000000000000000
PASSWORD=privileges-md5-key
N1_MAC=$(l2_node_mac 1) N1_MAC2=02:00:5e:00:02:01
VIP_BGP=198.51.100.10 VIP_L2=192.0.2.200 VIP_LAN2=203.0.113.200

# proc_field PID FIELD -> the value of FIELD in /proc/PID/status
proc_field() { awk -v f="$2:" '$1 == f { print $2; exit }' "/proc/$1/status" 2>/dev/null; }
field_is() { [ "$(proc_field "$1" "$2")" = "$3" ]; }
# check_masks DESC PID EFF_PRM_BND -> CapEff, CapPrm, CapBnd are exactly that; nothing inheritable or ambient
check_masks() {
	local d=$1 pid=$2 m=$3 f
	for f in CapEff CapPrm CapBnd; do
		check "$d: $f is $m (got $(proc_field "$pid" $f))" field_is "$pid" $f "$m"
	done
	for f in CapInh CapAmb; do
		check "$d: $f is empty (got $(proc_field "$pid" $f))" field_is "$pid" $f $NONE
	done
	check "$d: NoNewPrivs is 1" field_is "$pid" NoNewPrivs 1
}
listening_179() { nsx n1 ss -Hltn 'sport = :179' 2>/dev/null | grep -q LISTEN; }
# the established connection BIRD dialled: the speaker's side is port 179
accepted_from_rtr() { nsx n1 ss -Htn state established '( sport = :179 )' 2>/dev/null | grep -q '192\.0\.2\.1:'; }

ns_add rtr n1 "$L2_CLIENT"
lan_add lan
lan_attach lan rtr eth0 192.0.2.1/24
lan_attach lan n1 eth0 192.0.2.11/24
ip -n "$(ns n1)" link set eth0 address "$N1_MAC"
lan_attach lan "$L2_CLIENT" eth0 192.0.2.100/24

{
	bird_head 192.0.2.1
	cat <<EOF
protocol bgp node1 {
	local 192.0.2.1 as 64512;
	neighbor 192.0.2.11 as 64512;
	direct;
	password "$PASSWORD";
	hold time 6; keepalive time 2;
	connect delay time 1; connect retry time 1; error wait time 1, 2;
	ipv4 { import all; export none; };
}
EOF
} >"$E2E_TMP/bird.conf"

C=$E2E_TMP/config
mkdir -p "$C"
cfg_node node1 192.0.2.11 | cfg_write "$C" nodes.yaml
{
	cfg_pool bgp 198.51.100.0/24
	cfg_pool l2 192.0.2.200-192.0.2.209
	cfg_pool lan2 203.0.113.200-203.0.113.209
} | cfg_write "$C" pools.yaml
{
	cfg_adv adv pools=bgp
	cfg_l2adv l2 pools=l2 interfaces=eth0
	cfg_l2adv second pools=lan2 interfaces=eth1
} | cfg_write "$C" adv.yaml
cfg_memberlist "privileges-memberlist-key-0123456789" | cfg_write "$C" secret.yaml
{
	cfg_service web $VIP_BGP Cluster node1
	cfg_service l2web $VIP_L2 Cluster node1
	cfg_service lan2web $VIP_LAN2 Cluster node1
} | cfg_write "$C" services.yaml
cfg_check "$C"

start_bird rtr rtr "$E2E_TMP/bird.conf"
start_speaker node1 n1 "$C" node1 --status "$E2E_TMP/node1.status"
SP=$(pid_of node1)
LOG=$(speaker_log node1)

scenario "vipcast-speaker keeps CAP_NET_BIND_SERVICE, CAP_NET_ADMIN, CAP_NET_RAW"
check_within 5 "the speaker logs what it kept" \
	grep -q 'capabilities kept: cap_net_bind_service,cap_net_admin,cap_net_raw; bounding set cut to the same' "$LOG"
check_masks "speaker" "$SP" $SPEAKER_CAPS

scenario "L2 after the drop"
check_within 10 "$VIP_L2 answered by node1 on eth0" l2_answered_by $VIP_L2 "$N1_MAC" eth0

scenario "BGP after the drop: listener on 179 with the MD5 key, BIRD's connection accepted"
check "no listener yet (no BGPPeer)" not listening_179
cfg_peer rtr 64512 64512 192.0.2.1 peerPort=1179 connectTime=1s "password=$PASSWORD" | cfg_write "$C" peer.yaml
check_within 10 "the listener on port 179 opens" listening_179
check_within 20 "BIRD's session Established (TCP MD5 on both ends)" bird_established rtr node1
check "over the connection BIRD dialled to port 179" accepted_from_rtr
check_within 10 "$VIP_BGP/32 via 192.0.2.11 reaches BIRD" has_route "bird_rib rtr" $VIP_BGP/32 192.0.2.11
check "no MD5 key error in the speaker log" not grep -q 'cannot set the TCP MD5 key' "$LOG"

scenario "an interface that appears after the drop"
lan_add lan2
lan_attach lan2 "$L2_CLIENT" eth1 203.0.113.100/24
lan_attach lan2 n1 eth1 203.0.113.11/24
ip -n "$(ns n1)" link set eth1 address "$N1_MAC2"
check_within 10 "$VIP_LAN2 answered by node1 on the new eth1" l2_answered_by $VIP_LAN2 "$N1_MAC2" eth1
check "no permission error in the speaker log" not grep -qi 'not permitted' "$LOG"
check_masks "speaker, still" "$SP" $SPEAKER_CAPS
# Capabilities are per thread: the reload thread (started by the first reload, after the drop)
# must hold no more than the main thread.
check "the speaker runs more than one thread (the reload thread)" test "$(ls /proc/"$SP"/task | wc -l)" -gt 1
for task in /proc/"$SP"/task/*; do
	check_masks "speaker thread ${task##*/}" "$SP/task/${task##*/}" $SPEAKER_CAPS
done

scenario "vipcast-controller keeps nothing"
mkfifo "$E2E_TMP/config.yaml"
"$CONTROLLER" --check --config "$E2E_TMP/config.yaml" >"$E2E_TMP/controller.log" 2>&1 &
track controller $! controller -
CP=$(pid_of controller)
wait_until 5 field_is "$CP" NoNewPrivs 1
check "the controller is blocked reading its configuration" is_running controller
check_masks "controller" "$CP" $NONE
timeout 5 sh -c ': >"$1"' sh "$E2E_TMP/config.yaml"
check_within 5 "the controller exits once the FIFO is closed" not is_running controller
check "the controller logs it kept none" grep -q 'capabilities kept: none' "$E2E_TMP/controller.log"

e2e_finish
