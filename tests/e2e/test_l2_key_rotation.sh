#!/bin/sh
# L2 mode, rotation of the memberlist key without failover. Three speakers, each
# with a configuration directory of its own (as nodes that get the Secret at
# their own times):
#   1. node1 loads the new key, node2 3 s later, node3 never: through the grace
#      (GRACE s from node1's rotation) every speaker keeps seeing every other up, no
#      VIP owner changes (no "owner" line logged, ARP/NDP answered by the same
#      nodes), and the status counts heartbeats accepted under the previous key;
#   2. after the grace node1 and node2 refuse node3, still on the old key only,
#      as any speaker with a wrong key ("authentication failed", down), keep
#      hearing each other and share node3's VIPs between them.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/l2lib.sh"
e2e_init l2key "$1"

GRACE=30  # --l2-key-grace (the default, 60 s, only makes the test longer)
OLD="e2e-rotation-old-memberlist-key-0123"
NEW="e2e-rotation-new-memberlist-key-4567"
l2_lab 3
ALL=(node1 node2 node3)
VIPS=(192.0.2.200 192.0.2.201 192.0.2.202 192.0.2.203 2001:db8::200 2001:db8::201)
C=$E2E_TMP/config
mkdir -p "$C"
{ for i in 1 2 3; do cfg_node "node$i" "192.0.2.1$i" "2001:db8::1$i"; done; } | cfg_write "$C" nodes.yaml
cfg_pool vips 192.0.2.200-192.0.2.220 2001:db8::200/124 | cfg_write "$C" pools.yaml
cfg_l2adv l2 pools=vips | cfg_write "$C" l2.yaml
cfg_memberlist "$OLD" | cfg_write "$C" secret.yaml
{ k=0; for v in "${VIPS[@]}"; do cfg_service "s$k" "$v" Cluster node1,node2,node3; k=$((k + 1)); done; } |
	cfg_write "$C" services.yaml
cfg_check "$C"
for i in 1 2 3; do
	cp -r "$C" "$E2E_TMP/config$i"
	start_l2_speaker $i "$E2E_TMP/config$i" --l2-key-grace "$GRACE"
done

# owners_are NODE... -> every VIP is answered by the rule's owner among NODE... alone
owners_are() {
	local v o
	for v in "${VIPS[@]}"; do
		o=$(l2_expected_owner "$v" "$@")
		l2_answered_by "$v" "$(l2_node_mac "${o#node}")" || { log "$v: want $o"; return 1; }
	done
}
# status_owners_are NAME NODE... -> speaker NAME's status gives every VIP to the rule's owner among NODE...
status_owners_are() {
	local me=$1 v o got
	shift
	for v in "${VIPS[@]}"; do
		o=$(l2_expected_owner "$v" "$@")
		got=$(l2_status_owner "$me" "$v") || return 1
		[ "${got%\*}" = "$o" ] || return 1
	done
}
# (192.0.2.200 and 2001:db8::201 are node3's by the rule, the others node1's and node2's)
# status_num NAME PATH -> a number from speaker NAME's L2 status, PATH as "heartbeats.sent"
status_num() {
	"$E2E_PY" -c '
import json, sys
v = json.load(open(sys.argv[1]))["l2"]
for k in sys.argv[2].split("."):
    v = v[k]
print(int(v))
' "$E2E_TMP/$1.status" "$2" 2>/dev/null
}
status_gt() { local n; n=$(status_num "$1" "$2") && [ "$n" -gt "$3" ]; }
# events NAME -> the lines speaker NAME logged so far that a failover shows: owner changes, a speaker down
events() { grep -cE " l2: [0-9a-f.:]+ owner | l2: speaker [^ ]+ is down" "$(speaker_log "$1")"; }
rotated() { grep -q "memberlist key changed" "$(speaker_log "$1")"; }
retired() { grep -q "previous memberlist key is retired" "$(speaker_log "$1")"; }

t=$EPOCHREALTIME
require_within 10 "all speakers ready, every peer up" l2_settled "$t" node1.status node2.status node3.status
require_within 10 "all VIPs answered by the rule's owners" owners_are "${ALL[@]}"
declare -A before=()
for n in "${ALL[@]}"; do before[$n]=$(events "$n"); done

scenario "node1 loads the new key, node2 3 s later, node3 never"
cfg_memberlist "$NEW" | cfg_write "$E2E_TMP/config1" secret.yaml
T0=$EPOCHREALTIME
require_within 3 "node1 took the new key" rotated node1
sleep 3
cfg_memberlist "$NEW" | cfg_write "$E2E_TMP/config2" secret.yaml
require_within 3 "node2 took the new key" rotated node2
check "node3 did not" bash -c "! grep -q 'memberlist key changed' '$(speaker_log node3)'"
check_within 3 "node1's status: the previous key accepted for a while yet" status_gt node1 previous_key_ms $(((GRACE - 10) * 1000))
check_within 3 "node1 accepts node3's heartbeats under the previous key" status_gt node1 heartbeats.accepted_previous_key 0
check_holds 8 "every speaker ready and sees every other up" l2_settled "$T0" node1.status node2.status node3.status
check_holds 3 "every VIP answered by the same owner" owners_are "${ALL[@]}"
# Until a few seconds before node1's grace ends, the logs are watched for any failover.
left=$(awk -v t0="${T0/,/.}" -v now="$(now)" -v g="$GRACE" 'BEGIN { s = t0 + g - 5 - now; printf "%d", (s > 0 ? s : 0) }')
no_events() { local n; for n in "${ALL[@]}"; do [ "$(events "$n")" = "${before[$n]}" ] || return 1; done; }
check_holds "$left" "no speaker logs an owner change or a speaker down during the grace" no_events
# node2 (until it rotated) and node3 drop the copies under the new key; node1 has both keys all along.
check "node1 dropped no heartbeat during the grace" bash -c "! grep -q 'dropped' '$(speaker_log node1)'"
for n in "${ALL[@]}"; do
	check "$n logged neither an owner change nor a speaker down ($(events "$n") lines, ${before[$n]} before)" \
		test "$(events "$n")" = "${before[$n]}"
done
check "every VIP still answered by the same owner" owners_are "${ALL[@]}"

scenario "after the grace, node3 on the old key only is refused"
check_within 8 "node1 retires the previous key (its grace ends $GRACE s after it rotated)" retired node1
check_within 8 "node2 too" retired node2
check_within 3 "node1 drops node3's heartbeats: authentication failed" \
	grep -Eq "heartbeat from (192.0.2.13|2001:db8::13) dropped: authentication failed" "$(speaker_log node1)"
check_within 3 "node1's status shows node3 down" l2_status_speaker node1 node3 down
check_within 3 "node2's status shows node3 down" l2_status_speaker node2 node3 down
check_holds 3 "and never up again" l2_status_speaker node1 node3 down
both_up() { l2_status_speaker node1 node2 up && l2_status_speaker node2 node1 up; }
check "node1 and node2 still see each other up" both_up
check "node1's status: no previous key any more" test "$(status_num node1 previous_key_ms)" = 0
check_within 3 "node1 gives node3's VIPs to node1 and node2 by the rule" status_owners_are node1 node1 node2
check_within 3 "node2 too" status_owners_are node2 node1 node2
check "node1 logs why: node3 stopped answering heartbeats" \
	grep -q "owner .*(was node3: node3 stopped answering heartbeats [0-9]* ms ago)" "$(speaker_log node1)"

e2e_finish
