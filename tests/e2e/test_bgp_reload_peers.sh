#!/bin/sh
# Editing one of several BGPPeers restarts that session only (issue 17: the
# restart used to free the session while the reload still searched the list).
#  1. The reproduction: two peers (IPv4 and IPv6) not reachable yet, holdTime of
#     the first edited, SIGHUP: the speaker stays alive and sanitizer-clean.
#  2. With BIRD holding both sessions: every field that restarts a session is
#     edited in turn on one peer, in either order of the peers in the file; the
#     other session never flaps and the edited one comes back with its routes.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
e2e_init reload_peers "$1" bird birdc

ns_add rtr n1
link_add n1 e0 192.0.2.11/24,2001:db8:0:1::11/64 rtr e1 192.0.2.1/24,2001:db8:0:1::1/64

C=$E2E_TMP/config
mkdir -p "$C"
VIP=198.51.100.10
VIP6=2001:db8:100::10
# peers HOLD4 [PORT4] [HOLD6] [ORDER] -> both BGPPeers in one file
peers() {
	local h4=$1 port4=${2:-179} h6=${3:-9s} order=${4:-46} a b
	a=$(cfg_peer rtr 64512 64512 192.0.2.1 holdTime="$h4" keepaliveTime=1s connectTime=1s peerPort="$port4")
	b=$(cfg_peer rtr6 64512 64512 2001:db8:0:1::1 holdTime="$h6" keepaliveTime=1s connectTime=1s)
	if [ "$order" = 46 ]; then printf '%s\n%s\n' "$a" "$b"; else printf '%s\n%s\n' "$b" "$a"; fi
}
{
	cfg_node n1 192.0.2.11 2001:db8:0:1::11
	cfg_pool vips 198.51.100.0/24 2001:db8:100::/120
	cfg_adv adv pools=vips
	cfg_service web "$VIP" Cluster n1
	cfg_service web6 "$VIP6" Cluster n1
} | cfg_write "$C" base.yaml
peers 9s | cfg_write "$C" peers.yaml
cfg_check "$C"

scenario "the reproduction: peers unreachable, holdTime edited, SIGHUP"
start_speaker sp n1 "$C" n1 --bgp-port 0
peers 12s | cfg_write "$C" peers.yaml
signal_proc sp HUP
sleep 1
check "the speaker is alive after the restart of one of two sessions" is_running sp
check "it logged the restart" grep -q 'BGPPeer metallb-system/rtr changed (holdTime): restarting its session' "$(speaker_log sp)"
peers 12s 179 9s 64 | cfg_write "$C" peers.yaml
sleep 0.5
peers 15s 179 12s 64 | cfg_write "$C" peers.yaml
signal_proc sp HUP
sleep 1
check "alive after both sessions restart in one reload, peers in the other order" is_running sp
stop sp

scenario "BIRD holds both sessions; one BGPPeer edited field by field"
{
	bird_head 192.0.2.1
	cat <<EOF
protocol bgp n1v4 {
	local 192.0.2.1 as 64512; neighbor 192.0.2.11 as 64512; direct;
	hold time 9; connect delay time 1; connect retry time 1; error wait time 1, 2;
	ipv4 { import all; export none; };
}
protocol bgp n1v6 {
	local 2001:db8:0:1::1 as 64512; neighbor 2001:db8:0:1::11 as 64512; direct;
	hold time 9; connect delay time 1; connect retry time 1; error wait time 1, 2;
	ipv6 { import all; export none; };
}
EOF
} >"$E2E_TMP/bird.conf"
start_bird bird rtr "$E2E_TMP/bird.conf"
peers 9s | cfg_write "$C" peers.yaml
start_speaker sp2 n1 "$C" n1
require_within 15 "IPv4 session Established" bird_established bird n1v4
require_within 15 "IPv6 session Established" bird_established bird n1v6
RIB="bird_rib bird"
check_within 5 "the IPv4 VIP is at BIRD" has_route "$RIB" "$VIP/32" 192.0.2.11
check_within 5 "the IPv6 VIP is at BIRD" has_route "$RIB" "$VIP6/128" 2001:db8:0:1::11
both_up() { bird_established bird n1v4 && bird_established bird n1v6; }
# conn_of PEER -> the speaker's established TCP connection to PEER ("LOCAL PEER", from the
# kernel): a session that restarts gets a new connection, one that is kept keeps its own
conn_of() { speaker_sessions sp2 "$1" | head -n 1; }
# restarted PEER OLD PROTO -> a connection other than OLD is up and BIRD's session is Established
restarted() { local c; c=$(conn_of "$1"); [ -n "$c" ] && [ "$c" != "$2" ] && bird_established bird "$3"; }
# edit: the peers' fields; which sessions it restarts (4, 6, both or none)
i=0
for edit in "12s 179 9s 46:4" "12s 179 9s 64:none" "12s 179 12s 64:6" "15s 179 15s 46:both"; do
	i=$((i + 1))
	check_holds 1.2 "before edit $i: both sessions steady" both_up
	conn4=$(conn_of 192.0.2.1)
	conn6=$(conn_of 2001:db8:0:1::1)
	# shellcheck disable=SC2086
	peers ${edit%%:*} | cfg_write "$C" peers.yaml
	signal_proc sp2 HUP
	case ${edit#*:} in 4 | both) w4=restarted ;; *) w4=kept ;; esac
	case ${edit#*:} in 6 | both) w6=restarted ;; *) w6=kept ;; esac
	# A restart is waited for; only then is a kept session checked (it had the same time to flap).
	[ "$w4" = restarted ] && check_within 15 "edit $i: the IPv4 session restarted on a new connection and is Established" \
		restarted 192.0.2.1 "$conn4" n1v4
	[ "$w6" = restarted ] && check_within 15 "edit $i: the IPv6 session restarted on a new connection and is Established" \
		restarted 2001:db8:0:1::1 "$conn6" n1v6
	[ "${edit#*:}" = none ] && sleep 2
	check "edit $i (${edit%%:*}): the speaker is alive" is_running sp2
	[ "$w4" = kept ] && check "edit $i: the IPv4 session kept its connection ($conn4)" test "$(conn_of 192.0.2.1)" = "$conn4"
	[ "$w6" = kept ] && check "edit $i: the IPv6 session kept its connection ($conn6)" \
		test "$(conn_of 2001:db8:0:1::1)" = "$conn6"
	check_within 5 "edit $i: the IPv4 VIP at BIRD" has_route "$RIB" "$VIP/32" 192.0.2.11
	check_within 5 "edit $i: the IPv6 VIP at BIRD" has_route "$RIB" "$VIP6/128" 2001:db8:0:1::11
done
e2e_finish
