#!/bin/sh
# L2 mode, failover between three speakers, seen from a client on the LAN (its
# neighbour table, arping/ndisc6, and TCP connections to the VIPs, which every
# node accepts on lo and answers with its name):
#   1. kill -9 of the owner's speaker: within the detection time (3 x 100 ms)
#      plus the announcement, the client's neighbour entries for its VIPs (IPv4
#      and IPv6) point to the new owners the rule gives, TCP reaches them, and
#      no other VIP moves;
#   2. the killed speaker comes back: it takes back exactly its VIPs, each once,
#      and then nothing moves for a while (no flapping);
#   3. the owner's link goes down: the same as 1; when the link comes back, the
#      node takes back its own VIPs only, each VIP ends with one owner;
#   4. SIGTERM of an owner: its VIPs move at once (it says it is leaving), well
#      before the detection time.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/l2lib.sh"
e2e_init l2fail "$1"

N=3
l2_lab $N
ALL=(node1 node2 node3)
VIPS=(192.0.2.200 192.0.2.201 192.0.2.202 192.0.2.203 192.0.2.204 192.0.2.205 2001:db8::200 2001:db8::201 2001:db8::202)
for i in 1 2 3; do
	l2_vips_on_lo "n$i" "${VIPS[@]}"
	l2_listener "n$i" "node$i"
done
C=$E2E_TMP/config
mkdir -p "$C"
{ for i in 1 2 3; do cfg_node "node$i" "192.0.2.1$i" "2001:db8::1$i"; done; } | cfg_write "$C" nodes.yaml
cfg_pool vips 192.0.2.200-192.0.2.220 2001:db8::200/124 | cfg_write "$C" pools.yaml
cfg_l2adv l2 pools=vips | cfg_write "$C" l2.yaml
cfg_memberlist "e2e-failover-memberlist-key-0123456" | cfg_write "$C" secret.yaml
{ k=0; for v in "${VIPS[@]}"; do cfg_service "s$k" "$v" Cluster node1,node2,node3; k=$((k + 1)); done; } |
	cfg_write "$C" services.yaml
cfg_check "$C"
for i in 1 2 3; do start_l2_speaker $i "$C"; done

mac_of() { l2_node_mac "${1#node}"; }
# owners_are NODE... -> every VIP is answered by the rule's owner among NODE... alone
owners_are() {
	local v o
	for v in "${VIPS[@]}"; do
		o=$(l2_expected_owner "$v" "$@")
		l2_answered_by "$v" "$(mac_of "$o")" || { log "$v: want $o, got $(l2_arp_macs "$v"; l2_nd_macs "$v")"; return 1; }
	done
}
learn_all() { local v; for v in "${VIPS[@]}"; do l2_neigh_learn "$v"; done; }
neigh_all_rule() {  # NODE... -> the client's entries all point to the rule's owners
	local v o
	for v in "${VIPS[@]}"; do
		o=$(l2_expected_owner "$v" "$@")
		l2_neigh_is "$v" "$(mac_of "$o")" || { log "$v: entry $(l2_neigh_mac "$v"), owner $o"; return 1; }
	done
}
others() { local n; for n in "${ALL[@]}"; do [ "$n" = "$1" ] || printf '%s ' "$n"; done; }
# vips_of NODE NODES... -> the VIPs the rule gives NODE among NODES
vips_of() {
	local me=$1 v
	shift
	for v in "${VIPS[@]}"; do [ "$(l2_expected_owner "$v" "$@")" = "$me" ] && printf '%s ' "$v"; done
}
# owner_changes NAME VIP -> lines logged so far by speaker NAME about VIP's owner
owner_changes() { l2_owner_lines "$1" | awk -v v="$2" '$1 == v { n++ } END { print n + 0 }'; }

require_within 10 "all VIPs answered by the rule's owners" owners_are "${ALL[@]}"
learn_all
require_within 5 "the client has neighbour entries for all VIPs, to the owners" neigh_all_rule "${ALL[@]}"

# failover KIND VICTIM CMD... -> runs CMD (the event) with the client's neighbour
# table watched; the victim's VIPs must reach their new owners (entry, TCP)
failover() {
	local kind=$1 victim=$2 v o ms rest mine w=$E2E_TMP/neigh.$RANDOM
	shift 2
	# shellcheck disable=SC2207
	rest=($(others "$victim"))
	mine=$(vips_of "$victim" "${ALL[@]}")
	declare -A want=()
	for v in $mine; do want[$v]=$(l2_expected_owner "$v" "${rest[@]}"); done
	log "$kind: $victim owns $mine"
	learn_all
	declare -A had=()
	for v in "${VIPS[@]}"; do had[$v]=$(l2_neigh_mac "$v"); done
	l2_neigh_watch "$w" 8 || die "neighbour watcher"
	L2_T0=$EPOCHREALTIME
	"$@"
	for v in $mine; do
		o=${want[$v]}
		if ms=$(l2_wait_neigh_change "$w" "$v" "$(mac_of "$o")" 4); then
			record pass "$kind: $v moved to $o in the client's neighbour table $ms ms after the event"
			check "$kind: $v moved within 1 s" test "$ms" -lt 1000
		else
			record fail "$kind: $v did not move to $o (entry $(l2_neigh_mac "$v"))"
		fi
		check_within 2 "$kind: TCP to $v reaches $o" test "$(l2_tcp_who "$v")" = "$o"
	done
	check_within 3 "$kind: every VIP answered by the rule's owner among ${rest[*]}" owners_are "${rest[@]}"
	local moved="" line
	for v in "${VIPS[@]}"; do
		case " $mine " in *" $v "*) continue ;; esac
		line=$(awk -v v="$v" -v m="${had[$v]}" '$2 == v && $3 != "-" && $3 != m { print; exit }' "$w")
		[ -z "$line" ] || moved="$moved [$line]"
	done
	check "$kind: no VIP of another node moved in the client's table$moved" test -z "$moved"
}

scenario "kill -9 of an owner's speaker"
victim=$(l2_expected_owner "${VIPS[0]}" "${ALL[@]}")
# The event is one plain kill(1): lib.sh's crash checks the PID first, which takes
# this slow shell more than 100 ms; crash then only reaps it.
is_running "$victim" || die "$victim is not running"
pid=$(pid_of "$victim")
failover "kill -9 $victim" "$victim" kill -KILL "$pid"
crash "$victim"

scenario "the killed speaker comes back"
# shellcheck disable=SC2207
rest=($(others "$victim"))
declare -A before=()
for n in "${rest[@]}"; do for v in "${VIPS[@]}"; do before[$n/$v]=$(owner_changes "$n" "$v"); done; done
mine=$(vips_of "$victim" "${ALL[@]}")
start_l2_speaker "${victim#node}" "$C"
check_within 5 "every VIP answered by the rule's owner among all three again" owners_are "${ALL[@]}"
check_within 3 "the client's entries point to the rule's owners again" neigh_all_rule "${ALL[@]}"
check_holds 3 "and nothing moves (no flapping)" owners_are "${ALL[@]}"
for n in "${rest[@]}"; do
	for v in "${VIPS[@]}"; do
		d=$(( $(owner_changes "$n" "$v") - ${before[$n/$v]} ))
		case " $mine " in
		*" $v "*) check "$n logged $v's owner change once ($d)" test "$d" = 1 ;;
		*) check "$n logged no owner change for $v ($d)" test "$d" = 0 ;;
		esac
	done
done

scenario "the owner's link goes down"
victim=$(l2_expected_owner "${VIPS[1]}" "${ALL[@]}")
failover "link down $victim" "$victim" ip -n "$(ns "n${victim#node}")" link set eth0 down

scenario "the link comes back"
# shellcheck disable=SC2207
rest=($(others "$victim"))
for n in "${rest[@]}"; do for v in "${VIPS[@]}"; do before[$n/$v]=$(owner_changes "$n" "$v"); done; done
mine=$(vips_of "$victim" "${ALL[@]}")
ip -n "$(ns "n${victim#node}")" link set eth0 up
check_within 5 "every VIP answered by the rule's owner among all three again" owners_are "${ALL[@]}"
check_within 3 "the client's entries point to the rule's owners" neigh_all_rule "${ALL[@]}"
check_holds 3 "and nothing moves (no flapping)" owners_are "${ALL[@]}"
for n in "${rest[@]}"; do
	for v in "${VIPS[@]}"; do
		d=$(( $(owner_changes "$n" "$v") - ${before[$n/$v]} ))
		case " $mine " in
		*" $v "*) check "$n logged $v's owner change once ($d)" test "$d" = 1 ;;
		*) check "$n logged no owner change for $v ($d)" test "$d" = 0 ;;
		esac
	done
done
check "the log says why: $victim stopped answering heartbeats" \
	grep -q "owner .*(was $victim: $victim stopped answering heartbeats [0-9]* ms ago)" "$(speaker_log "${rest[0]}")"

scenario "SIGTERM of an owner"
victim=$(l2_expected_owner "${VIPS[2]}" "${ALL[@]}")
# shellcheck disable=SC2207
rest=($(others "$victim"))
learn_all
v=$(vips_of "$victim" "${ALL[@]}" | awk '{ print $1 }')
o=$(l2_expected_owner "$v" "${rest[@]}")
w=$E2E_TMP/neigh.term
l2_neigh_watch "$w" 5 || die "neighbour watcher"
is_running "$victim" || die "$victim is not running"
pid=$(pid_of "$victim")
L2_T0=$EPOCHREALTIME
kill -TERM "$pid"
if ms=$(l2_wait_neigh_change "$w" "$v" "$(mac_of "$o")" 3); then
	record pass "clean stop of $victim: $v moved to $o $ms ms after SIGTERM"
	check "clean stop: well within the detection time (300 ms)" test "$ms" -lt 100
else
	record fail "clean stop of $victim: $v did not move to $o"
fi
check "the log says why: $victim stopped cleanly" \
	grep -q "$v owner $o.*(was $victim: $victim stopped cleanly)" "$(speaker_log "$o")"
check_within 3 "every VIP answered by the rule's owner among ${rest[*]}" owners_are "${rest[@]}"

e2e_finish
