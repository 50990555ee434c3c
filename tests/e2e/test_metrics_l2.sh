#!/bin/sh
# vipcast's own metrics in L2 mode, three speakers with --metrics-address,
# scraped from the client and parsed whole with prometheus_client:
#   - at rest: vipcast_liveness_peers_up 2 everywhere, no failover, the first
#     load timed (vipcast_reload_duration_seconds_count >= 1), no refusal,
#     heartbeat gaps timed (vipcast_l2_heartbeat_gap_seconds), 100 ms apart
#     on average (two peers, each heartbeat once per address: only the first counts);
#   - kill -9 of an owner: each survivor counts as failovers at least the
#     victim's VIPs the rule gives it, and exactly the takeovers its log gives
#     as from an owner that "stopped answering heartbeats" (on this shared
#     machine a loaded speaker may miss 300 ms of heartbeats now and then: a
#     real failover too), in vipcast_l2_failovers_total and the histogram's
#     count; each timed from the lost owner's last heartbeat to the first
#     gratuitous ARP / NA: at least the detection time (3 x 100 ms), under
#     1 s; peers up 2 -> 1;
#   - the victim comes back and takes its VIPs back from live owners: a
#     handover, not counted (the counters still equal the logged losses);
#     peers up 2 again;
#   - a gratuitous ARP for a VIP from the client's MAC: the owner's
#     vipcast_l2_conflicting_macs_total{ip} goes up;
#   - one requester asking 80 times in 0.2 s: vipcast_l2_requests_dropped_total{reason="requester"}
#     goes up, {reason="global"} stays 0;
#   - SIGHUP: the reload is timed (count + 1); an invalid file in the
#     configuration: vipcast_config_load_errors_total + 1, and timed too.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/l2lib.sh"
e2e_init metrics_l2 "$1" arping
"$E2E_PY" -c 'import prometheus_client' 2>/dev/null ||
	die "the prometheus_client module is missing: apt-get install python3-prometheus-client (scripts/install-deps.sh)"

N=3
l2_lab $N
ALL=(node1 node2 node3)
VIPS=(192.0.2.200 192.0.2.201 192.0.2.202 192.0.2.203 192.0.2.204 192.0.2.205 2001:db8::200 2001:db8::201)
C=$E2E_TMP/config
mkdir -p "$C"
{ for i in 1 2 3; do cfg_node "node$i" "192.0.2.1$i" "2001:db8::1$i"; done; } | cfg_write "$C" nodes.yaml
cfg_pool vips 192.0.2.200-192.0.2.220 2001:db8::200/124 | cfg_write "$C" pools.yaml
cfg_l2adv l2 pools=vips | cfg_write "$C" l2.yaml
cfg_memberlist "e2e-metrics-l2-memberlist-key-0123456" | cfg_write "$C" secret.yaml
{ k=0; for v in "${VIPS[@]}"; do cfg_service "s$k" "$v" Cluster node1,node2,node3; k=$((k + 1)); done; } |
	cfg_write "$C" services.yaml
cfg_check "$C"
for i in 1 2 3; do start_l2_speaker $i "$C" --metrics-address :7472; done

# scrape NODE -> the parsed samples of NODE's /metrics, from the client as Prometheus would
scrape() { nsx "$L2_CLIENT" "$E2E_PY" "$E2E_DIR/metrics_scrape.py" "http://192.0.2.1${1#node}:7472/metrics"; }
# sample NODE NAME [LABELS] -> its value, or nothing
sample() { scrape "$1" 2>/dev/null | awk -v k="$2{$3}" '$1 == k { print $2; exit }'; }
sample_is() { [ "$(sample "$1" "$2" "${4:-}")" = "$3" ]; }
# num_in V LO HI -> LO <= V <= HI
num_in() { [ -n "$1" ] && awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v + 0 >= lo + 0 && v + 0 <= hi + 0) }'; }
owners_are() {
	local v o
	for v in "${VIPS[@]}"; do
		o=$(l2_expected_owner "$v" "$@")
		l2_answered_by "$v" "$(l2_node_mac "${o#node}")" || return 1
	done
}
others() { local nd; for nd in "${ALL[@]}"; do [ "$nd" = "$1" ] || printf '%s ' "$nd"; done; }
# taken NODE VICTIM -> how many of VICTIM's VIPs the rule gives NODE once VICTIM is gone
taken() {
	local me=$1 victim=$2 v n=0
	# shellcheck disable=SC2207
	local rest=($(others "$victim"))
	for v in "${VIPS[@]}"; do
		[ "$(l2_expected_owner "$v" "${ALL[@]}")" = "$victim" ] &&
			[ "$(l2_expected_owner "$v" "${rest[@]}")" = "$me" ] && n=$((n + 1))
	done
	echo "$n"
}
# lost NODE -> the VIPs NODE's log says its running instance took over from an owner that was lost
lost() {
	awk '/ l2: heartbeats every / { n = 0 } /, answering here \(was [^ :]+: [^ ]+ (stopped answering heartbeats|stopped cleanly)/ { n++ }
	     END { print n + 0 }' "$(speaker_log "$1")"
}
F=vipcast_l2_failovers_total
H=vipcast_l2_failover_duration_seconds
R=vipcast_reload_duration_seconds
G=vipcast_l2_heartbeat_gap_seconds

require_within 10 "all VIPs answered by the rule's owners" owners_are "${ALL[@]}"

scenario "at rest"
check_within 10 "node1's /metrics answers and parses (prometheus_client)" eval 'scrape node1 >"$E2E_TMP/scrape0" 2>&1'
grep '^type vipcast_\|^vipcast_' "$E2E_TMP/scrape0" | sed 's/^/    /' >&2
check "the vipcast_ families have their types" eval 'grep -qx "type vipcast_l2_failovers counter" "$E2E_TMP/scrape0" &&
	grep -qx "type vipcast_l2_failover_duration_seconds histogram" "$E2E_TMP/scrape0" &&
	grep -qx "type vipcast_l2_heartbeat_gap_seconds histogram" "$E2E_TMP/scrape0" &&
	grep -qx "type vipcast_liveness_peers_up gauge" "$E2E_TMP/scrape0" &&
	grep -qx "type vipcast_l2_conflicting_macs counter" "$E2E_TMP/scrape0" &&
	grep -qx "type vipcast_reload_duration_seconds histogram" "$E2E_TMP/scrape0" &&
	grep -qx "type vipcast_config_load_errors counter" "$E2E_TMP/scrape0"'
for nd in "${ALL[@]}"; do
	check_within 5 "$nd: vipcast_liveness_peers_up 2" sample_is "$nd" vipcast_liveness_peers_up 2
	got=$(sample "$nd" $F)
	check "$nd: $F = ${H}_count = the takeovers from a lost owner in its log ($(lost "$nd"); 0 but for a missed heartbeat)" \
		eval '[ "$got" = "$(lost $nd)" ] && sample_is $nd ${H}_count "$got"'
	n=$(sample "$nd" ${G}_count) sum=$(sample "$nd" ${G}_sum)
	check "$nd: heartbeat gaps timed (${G}_count $n > 10), their mean near the 100 ms interval (50..200 ms)" \
		eval 'num_in "$n" 11 1000000 && num_in "$(awk -v s="$sum" -v n="$n" "BEGIN { print s / n }")" 0.05 0.2'
	check "$nd: ${R}_count >= 1 (the first load)" eval 'num_in "$(sample $nd ${R}_count)" 1 1000'
	check "$nd: vipcast_config_load_errors_total 0" sample_is "$nd" vipcast_config_load_errors_total 0
done

scenario "kill -9 of an owner"
victim=$(l2_expected_owner "${VIPS[0]}" "${ALL[@]}")
# shellcheck disable=SC2207
rest=($(others "$victim"))
is_running "$victim" || die "$victim is not running"
kill -KILL "$(pid_of "$victim")"
crash "$victim"
check_within 5 "every VIP answered by the rule's owner among ${rest[*]}" owners_are "${rest[@]}"
for nd in "${rest[@]}"; do
	want=$(taken "$nd" "$victim")
	check_within 3 "$nd: $F >= $want (the VIPs it took from $victim)" eval 'num_in "$(sample $nd $F)" $want 1000'
	got=$(sample "$nd" $F)
	check "$nd: $F $got = the takeovers from a lost owner in its log ($(lost "$nd"))" test "$got" = "$(lost "$nd")"
	check "$nd: ${H}_count $got" sample_is "$nd" "${H}_count" "$got"
	if [ "$got" -gt 0 ]; then
		sum=$(sample "$nd" "${H}_sum")
		log "$nd: $got failovers, ${sum} s in all"
		check "$nd: each failover took at least the detection time (${H}_bucket{le=\"0.2\"} 0)" \
			sample_is "$nd" "${H}_bucket" 0 'le="0.2"'
		check "$nd: each under 1 s (${H}_bucket{le=\"1\"} $got)" sample_is "$nd" "${H}_bucket" "$got" 'le="1"'
		check "$nd: mean failover time within 0.25..1 s" eval 'num_in "$(awk -v s="$sum" -v n="$got" "BEGIN { print s / n }")" 0.25 1'
	fi
	check_within 3 "$nd: vipcast_liveness_peers_up 1" sample_is "$nd" vipcast_liveness_peers_up 1
done

scenario "the killed speaker comes back: a handover from live owners, no failover"
start_l2_speaker "${victim#node}" "$C" --metrics-address :7472
check_within 10 "every VIP answered by the rule's owner among all three again" owners_are "${ALL[@]}"
for nd in "${ALL[@]}"; do
	check_within 5 "$nd: vipcast_liveness_peers_up 2" sample_is "$nd" vipcast_liveness_peers_up 2
done
for nd in "${ALL[@]}"; do
	got=$(sample "$nd" $F)
	check "$nd: $F $got = the takeovers from a lost owner in its log ($(lost "$nd"): handovers not counted)" \
		test "$got" = "$(lost "$nd")"
done

scenario "a gratuitous ARP for a VIP from another MAC"
v=${VIPS[1]}
o=$(l2_expected_owner "$v" "${ALL[@]}")
c0=$(sample "$o" vipcast_l2_conflicting_macs_total "ip=\"$v\"")
check "$o: vipcast_l2_conflicting_macs_total{ip=\"$v\"} 0 before" test "${c0:-}" = 0
nsx "$L2_CLIENT" arping -q -U -c 2 -W 0.1 -i eth0 -S "$v" "$v" >/dev/null 2>&1
check_within 3 "$o: vipcast_l2_conflicting_macs_total{ip=\"$v\"} went up" \
	eval 'num_in "$(sample $o vipcast_l2_conflicting_macs_total "ip=\"$v\"")" 1 100'
check_within 5 "and $o still answers for $v" l2_answered_by "$v" "$(l2_node_mac "${o#node}")"

scenario "one requester over its reply rate"
D=vipcast_l2_requests_dropped_total
check "$o: $D{reason=\"requester\"} 0 before" sample_is "$o" $D 0 'reason="requester"'
nsx "$L2_CLIENT" arping -q -c 80 -W 0.002 -i eth0 "$v" >/dev/null 2>&1
check_within 3 "$o: $D{reason=\"requester\"} went up (80 requests in 0.2 s, 20/s burst 20)" \
	eval 'num_in "$(sample $o $D "reason=\"requester\"")" 1 80'
check "$o: $D{reason=\"global\"} still 0" sample_is "$o" $D 0 'reason="global"'

scenario "reloads"
nd=node1
r0=$(sample $nd "${R}_count")
kill -HUP "$(pid_of $nd)"
check_within 5 "$nd: SIGHUP: ${R}_count $r0 -> $((r0 + 1))" sample_is $nd "${R}_count" $((r0 + 1))
cfg_pool broken 192.0.2.999/24 | cfg_write "$C" broken.yaml
for nd in "${ALL[@]}"; do
	check_within 5 "$nd: an invalid pool: vipcast_config_load_errors_total 1" sample_is "$nd" vipcast_config_load_errors_total 1
done
check "node1's reload of the invalid configuration was timed too (${R}_count >= $((r0 + 2)))" \
	eval 'num_in "$(sample node1 ${R}_count)" $((r0 + 2)) 1000'
cfg_rm "$C" broken.yaml
check_within 5 "fixed: node1 loads again, errors stay 1" eval 'num_in "$(sample node1 ${R}_count)" $((r0 + 3)) 1000 &&
	sample_is node1 vipcast_config_load_errors_total 1'
check "the whole text still parses" eval 'scrape node1 >/dev/null'

e2e_finish
