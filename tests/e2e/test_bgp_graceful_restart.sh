#!/bin/sh
# Rolling restart of vipcast-speaker with graceful restart (RFC 4724, RFC 8538),
# against BIRD 2 and FRR 8.4 (bgpd with zebra, so that the router forwards):
#
#   cl (client, 203.0.113.10) -- rtr (router) -- n1 (node 192.0.2.11, VIPs on lo)
#
# A client pings VIP_A every 10 ms through the router while the speaker gets
# SIGTERM and is started again. With enableGracefulRestart: at most one probe
# lost, the router's route never goes (sampled every 100 ms), the new process
# sends End-of-RIB, and VIP_B, removed from the configuration while the speaker
# was down, is kept (stale) until then and removed after it. Without it: the
# route is withdrawn and comes back; the loss is printed for contrast.
# Helper side: BIRD killed by PID and started again: the routes come back on
# the same speaker process, session configuration untouched.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
e2e_init gr "$1" bird birdc /usr/lib/frr/bgpd /usr/lib/frr/zebra vtysh ping

VIP_A=198.51.100.10
VIP_B=198.51.100.20
PROBES=800  # 8 s of pings at 10 ms

ns_add rtr n1 cl
ns_forward rtr
link_add rtr eth0 192.0.2.1/24 n1 eth0 192.0.2.11/24
link_add rtr eth1 203.0.113.1/24 cl eth0 203.0.113.10/24
route_add n1 203.0.113.0/24 192.0.2.1
route_add cl 198.51.100.0/24 203.0.113.1
addr_add n1 lo "$VIP_A/32" "$VIP_B/32"

# ---- routers
{
	bird_head 192.0.2.1
	echo 'protocol kernel { ipv4 { import none; export all; }; }'
	bird_gr_node node1 192.0.2.11
} >"$E2E_TMP/bird.conf"

FRR_DIR=$E2E_TMP/frr
mkdir -p "$FRR_DIR"
cat >"$FRR_DIR/zebra.conf" <<EOF
hostname rtr
EOF
cat >"$FRR_DIR/bgpd.conf" <<EOF
hostname rtr
log file $FRR_DIR/bgpd.log debugging
router bgp 64512
 bgp router-id 192.0.2.1
 no bgp ebgp-requires-policy
 no bgp default ipv4-unicast
 bgp graceful-restart
 bgp graceful-restart notification
 neighbor 192.0.2.11 remote-as 64512
 neighbor 192.0.2.11 timers 2 6
 neighbor 192.0.2.11 timers connect 1
 address-family ipv4 unicast
  neighbor 192.0.2.11 activate
 exit-address-family
EOF
chown -R frr:frr "$FRR_DIR"
chmod 755 "$FRR_DIR"

# start_frr_zebra NAME SHORT DIR -> zebra and bgpd as user frr (zebra installs
# bgpd's routes in the kernel); NAME is bgpd, NAME-zebra is zebra
start_frr_zebra() {
	local name=$1 s=$2 d=$3
	ip netns exec "$(ns "$s")" /usr/lib/frr/zebra -f "$d/zebra.conf" -i "$d/zebra.pid" -z "$d/zserv.api" \
		--vty_socket "$d" -A 127.0.0.1 -P 0 -u frr -g frr >>"$d/zebra.out" 2>&1 &
	track "$name-zebra" $! zebra "$s"
	disown $!
	wait_until 10 test -S "$d/zserv.api" || { tail -n 20 "$d/zebra.out" >&2; die "zebra did not start"; }
	ip netns exec "$(ns "$s")" /usr/lib/frr/bgpd -f "$d/bgpd.conf" -i "$d/bgpd.pid" -z "$d/zserv.api" \
		--vty_socket "$d" -A 127.0.0.1 -P 0 -u frr -g frr >>"$d/bgpd.out" 2>&1 &
	track "$name" $! frr "$s"
	disown $!
	wait_until 10 vtysh --vty_socket "$d" -d bgpd -c 'show version' ||
		{ tail -n 20 "$d/bgpd.out" >&2; die "FRR bgpd $name did not start"; }
	log "FRR zebra and bgpd running in $s (pids $(pid_of "$name-zebra") $(pid_of "$name"))"
}
frrv() { vtysh --vty_socket "$FRR_DIR" -d bgpd -c "$1"; }

ROUTER=""
# rib_has PREFIX -> the router's BGP table holds PREFIX (BIRD: any path, stale ones too)
rib_has() {
	case $ROUTER in
	bird) birdc -s "$E2E_TMP/rtr/bird.ctl" show route "$1" 2>/dev/null | grep -q "^$1 " ;;
	frr) frrv "show bgp ipv4 unicast $1 json" 2>/dev/null | grep -q '"paths"' ;;
	esac
}
router_up() {
	case $ROUTER in
	bird) bird_established rtr node1 ;;
	frr) [ "$(frrv 'show bgp neighbors 192.0.2.11 json' 2>/dev/null | $E2E_PY -c '
import json, sys
print(json.load(sys.stdin)["192.0.2.11"]["bgpState"])' 2>/dev/null)" = Established ] ;;
	esac
}
fwd_has() { ip -n "$(ns rtr)" route show "$1/32" | grep -q .; }

# ---- vipcast configuration
mkcfg() {  # DIR GR(true|false)
	local C=$1
	mkdir -p "$C"
	cfg_node node1 192.0.2.11 | cfg_write "$C" nodes.yaml
	cfg_pool vips 198.51.100.0/24 | cfg_write "$C" pool.yaml
	cfg_peer rtr 64512 64512 192.0.2.1 connectTime=1s enableGracefulRestart="$2" | cfg_write "$C" peer.yaml
	cfg_adv adv pools=vips | cfg_write "$C" adv.yaml
	cfg_service a "$VIP_A" Cluster node1 | cfg_write "$C" svc-a.yaml
	cfg_service b "$VIP_B" Cluster node1 | cfg_write "$C" svc-b.yaml
	cfg_check "$C"
}

SEQ=0
SP=""
speaker_start() {  # CONFIGDIR
	SEQ=$((SEQ + 1))
	SP=s$SEQ
	start_speaker "$SP" n1 "$1" node1 --bgp-port 0
}
# speaker_sigterm -> SIGTERM to the running speaker, waits until it is gone (bounded)
speaker_sigterm() {
	local i
	signal_proc "$SP" TERM
	for i in $(seq 1 100); do is_running "$SP" || break; sleep 0.05; done
	! is_running "$SP"
}

# start_sampler NAME FILE SECONDS -> every 100 ms one line "MS present|absent" for VIP_A at the router
start_sampler() {
	local f=$2 n=$(( $3 * 10 ))
	(
		for _ in $(seq 1 "$n"); do
			if rib_has "$VIP_A/32"; then echo "$(date +%s%3N) present"; else echo "$(date +%s%3N) absent"; fi
			sleep 0.1
		done
	) >"$f" 2>/dev/null &
	track "$1" $! sampler rtr
	disown $!
}

# ping_loss FILE -> probes sent minus replies received (ping -c summary)
ping_loss() {
	awk '/packets transmitted/ { print $1 - $4; f = 1 } END { if (!f) print "unknown" }' "$1"
}

# restart_run ROUTER GR -> the measured scenario; sets LOSS and ABSENT
restart_run() {
	local router=$1 gr=$2 C="$E2E_TMP/config-$1-$2" pf sf i old pinger=ping-$1-$2 sampler=sampler-$1-$2
	mkcfg "$C" "$gr"
	speaker_start "$C"
	require_within 30 "$router: session Established (enableGracefulRestart $gr)" router_up
	require_within 15 "$router: $VIP_A and $VIP_B at the router" eval "rib_has $VIP_A/32 && rib_has $VIP_B/32"
	require_within 10 "$router: $VIP_A in the router's forwarding table" fwd_has "$VIP_A"
	nsx cl ping -c 3 -W 1 "$VIP_A" >/dev/null 2>&1 || { record fail "$router: the client cannot ping $VIP_A"; return; }

	pf=$E2E_TMP/ping-$router-$gr.out
	sf=$E2E_TMP/sample-$router-$gr.out
	start_sampler "$sampler" "$sf" 15
	nsx cl ping -i 0.01 -c "$PROBES" -W 1 "$VIP_A" >"$pf" 2>&1 &
	track "$pinger" $! ping cl
	disown $!
	sleep 2
	old=$SP
	check "$router: SIGTERM stops the speaker" speaker_sigterm
	if [ "$gr" = true ]; then
		grep -E "stopping for a restart, graceful restart" "$(speaker_log "$old")" | tail -n 1 |
			sed "s/^/    [$router] /" >&2
	fi
	cfg_rm "$C" svc-b.yaml  # gone from the configuration while the speaker is down
	sleep 0.5
	[ "$gr" = true ] && check "$router: $VIP_B still at the router while the speaker is down (stale)" rib_has "$VIP_B/32"
	speaker_start "$C"
	# ping -i 0.01 sends a probe every 10-20 ms here: 800 take up to 16 s
	for i in $(seq 1 300); do is_running "$pinger" || break; sleep 0.1; done
	LOSS=$(ping_loss "$pf")
	for i in $(seq 1 200); do is_running "$sampler" || break; sleep 0.1; done
	ABSENT=$(grep -c absent "$sf")
	log "RESULT $router enableGracefulRestart=$gr: $LOSS of $PROBES probes lost, route absent in $ABSENT of $(wc -l <"$sf") samples"
	E2E_RESULTS+=("INFO  $router enableGracefulRestart=$gr: $LOSS of $PROBES probes lost (ping -i 0.01), route absent in $ABSENT samples at 100 ms")
	if [ "$gr" = true ]; then
		check "$router: at most one probe lost ($LOSS)" test "$LOSS" != unknown -a "$LOSS" -le 1
		check "$router: the route stayed at the router in every sample" test "$ABSENT" = 0
		check_within 10 "$router: the new process sent End-of-RIB" \
			grep -q "then End-of-RIB" "$(speaker_log "$SP")"
		check "$router: the new process opened with the Restarting bit, graceful restart negotiated" \
			grep -q "graceful restart negotiated.*; our OPEN had the Restarting bit" "$(speaker_log "$SP")"
		check_within 10 "$router: stale $VIP_B removed after End-of-RIB" not rib_has "$VIP_B/32"
		check "$router: $VIP_A stays" rib_has "$VIP_A/32"
	else
		check "$router: without graceful restart the route was withdrawn (absent in $ABSENT samples)" test "$ABSENT" -gt 0
		check_within 15 "$router: $VIP_A restored" rib_has "$VIP_A/32"
		check_within 10 "$router: $VIP_B (removed from the configuration) not announced again" not rib_has "$VIP_B/32"
	fi
	speaker_sigterm
}

# ---- BIRD
ROUTER=bird
start_bird rtr rtr "$E2E_TMP/bird.conf"
scenario "BIRD, without enableGracefulRestart (contrast)"
restart_run bird false
scenario "BIRD, enableGracefulRestart"
restart_run bird true

scenario "BIRD restarts (helper side): routes come back on the same speaker process"
C=$E2E_TMP/config-helper
mkcfg "$C" true
speaker_start "$C"
require_within 30 "session Established" router_up
require_within 15 "$VIP_A and $VIP_B at the router" eval "rib_has $VIP_A/32 && rib_has $VIP_B/32"
pid=$(pid_of "$SP")
crash rtr
start_bird rtr rtr "$E2E_TMP/bird.conf"
check_within 30 "session Established again" router_up
check_within 15 "$VIP_A and $VIP_B at the new BIRD" eval "rib_has $VIP_A/32 && rib_has $VIP_B/32"
check "the same speaker process ($pid)" test "$(pid_of "$SP")" = "$pid" -a -n "$(is_running "$SP" && echo y)"
check "its session configuration did not change" not grep -q "changed (" "$(speaker_log "$SP")"
check "it sent the table and End-of-RIB twice (first connection, then after BIRD's restart)" \
	test "$(grep -c "then End-of-RIB" "$(speaker_log "$SP")")" -ge 2
speaker_sigterm
stop rtr

# ---- FRR with zebra
ROUTER=frr
start_frr_zebra frr rtr "$FRR_DIR"
scenario "FRR, without enableGracefulRestart (contrast)"
restart_run frr false
scenario "FRR, enableGracefulRestart (N bit negotiated: Cease / Administrative Shutdown)"
restart_run frr true
check "FRR: the speaker took the RFC 8538 path" \
	grep -q "with notification (RFC 8538) negotiated: Cease" "$E2E_TMP/s$((SEQ - 1)).log"

e2e_finish
