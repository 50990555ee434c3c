#!/bin/bash
# Graceful restart of vipcast-speaker in Kubernetes mode (tests/e2e/kubelab.sh):
# node1's speaker announces a Service to BIRD (graceful restart on) over a
# BGPPeer with enableGracefulRestart, and the client reaches it over HTTP.
# The speaker gets SIGTERM and starts again. The new process must open its
# session only once its caches synced and its first plan is in force, so the
# End-of-RIB it sends follows the Service's route: BIRD's route, sampled every
# 100 ms, never goes (an End-of-RIB after an empty table would flush the stale
# route), and HTTP every 50 ms from the client never fails.
#
# Usage: test_kube_graceful_restart.sh BUILD_DIR
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
. "$(dirname "$0")/kubelib.sh"
kube_require kube_graceful_restart
. "$(dirname "$0")/lib.sh"
e2e_init kgr "$1" openssl curl tac bird birdc python3
. "$(dirname "$0")/kubelab.sh"
KDIR=$E2E_TMP/kube
e2e_diag_extra() { kubelab_diag; }
[ -x "$CONTROLLER" ] || die "$CONTROLLER is not built"

kubelab_up
# One router, with graceful restart, for node1 only.
stop rtr
stop rtr2
{
	bird_head 192.0.2.1
	echo 'protocol kernel { ipv4 { export all; }; merge paths on; }'
	bird_gr_node anode1 192.0.2.11
} >"$E2E_TMP/rtr-gr.conf"
start_bird rtr rtr "$E2E_TMP/rtr-gr.conf"

scenario "setup: a Service announced with graceful restart"
kubelab_speaker 1
{
	cfg_pool vips "$KL_BGP_RANGE"
	cfg_peer peer-a 64512 64512 192.0.2.1 node=node1 connectTime=1s enableGracefulRestart=true
	cfg_adv adv pools=vips
} | kc apply -f - >/dev/null || die "BGP configuration"
require_within 30 "BIRD: node1's session Established" bird_established rtr anode1
kubelab_service web Cluster
kubelab_pod web-1 node1 True
require_within 15 "the controller gives web an address" eval '[ -n "$(svc_ip web)" ]'
WEB=$(svc_ip web)
require_within 20 "web routed via node1" eval '[ "$(bird_nexthops "$WEB")" = 192.0.2.11 ]'
require_within 10 "the client reaches web" eval '[ -n "$(http_who "$WEB")" ]'
check "graceful restart negotiated" speaker_says 1 "graceful restart negotiated"

scenario "SIGTERM and start again: the route stays, HTTP never fails"
(
	for _ in $(seq 1 300); do
		if birdc_ rtr show route "$WEB/32" 2>/dev/null | grep -q "^$WEB/32 "; then echo present; else echo absent; fi
		sleep 0.1
	done
) >"$E2E_TMP/samples" 2>/dev/null &
track sampler $! sampler rtr
disown $!
(
	for _ in $(seq 1 400); do
		if [ -n "$(nsx c curl -s -m 1 "http://$WEB:8080/" 2>/dev/null)" ]; then echo ok; else echo failed; fi
		sleep 0.05
	done
) >"$E2E_TMP/http" 2>/dev/null &
track http $! http c
disown $!
sleep 2
signal_proc speaker1 TERM
for _ in $(seq 1 100); do is_running speaker1 || break; sleep 0.05; done
check "SIGTERM stops the speaker" not is_running speaker1
check "it left the session for a restart (no NOTIFICATION: BIRD has no N bit)" \
	grep -q "stopping for a restart, graceful restart negotiated: closing the connection without a NOTIFICATION" \
	"$E2E_TMP/speaker1.log"
kubelab_speaker 1
check_within 30 "the new process sent End-of-RIB" speaker_says 1 "then End-of-RIB"
check "its first End-of-RIB followed the Service's route (not an empty table)" \
	eval 'grep -m1 "then End-of-RIB" "$E2E_TMP/speaker1.log" | grep -q "sent [1-9][0-9]* routes"'
# The order in its log: caches synced, the session made (with the first plan's routes, in the same
# step that puts the plan in force: "loaded" is logged right after), then End-of-RIB.
line_of() { grep -n -m1 -E "$1" "$E2E_TMP/speaker1.log" | cut -d: -f1; }
SYNCED=$(line_of "every cache synced") NEW=$(line_of "new session for BGPPeer") LOADED=$(line_of "config: loaded")
EOR=$(line_of "then End-of-RIB")
log "log lines: caches synced $SYNCED, session made $NEW, plan in force $LOADED, End-of-RIB $EOR"
check "the session was made only after the caches synced, with the first plan" \
	test -n "$SYNCED" -a -n "$NEW" -a -n "$LOADED" -a -n "$EOR" -a "$SYNCED" -lt "$NEW" -a "$NEW" -lt "$LOADED" -a "$LOADED" -lt "$EOR"
check "the first OPEN carried the Restarting bit with graceful restart negotiated" \
	speaker_says 1 "graceful restart negotiated; our OPEN had the Restarting bit"
for _ in $(seq 1 400); do is_running sampler || break; sleep 0.1; done
for _ in $(seq 1 400); do is_running http || break; sleep 0.1; done
ABSENT=$(grep -c absent "$E2E_TMP/samples") FAILED=$(grep -c failed "$E2E_TMP/http")
log "route absent in $ABSENT of $(wc -l <"$E2E_TMP/samples") samples; $FAILED of $(wc -l <"$E2E_TMP/http") HTTP requests failed"
check "BIRD's route never went ($ABSENT of the samples absent)" test "$ABSENT" = 0
check "HTTP never failed ($FAILED failed)" test "$FAILED" = 0
check "web still via node1" test "$(bird_nexthops "$WEB")" = 192.0.2.11

e2e_finish
