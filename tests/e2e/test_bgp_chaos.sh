#!/bin/sh
# Chaos against one speaker (issue 9): real BIRD and FRR restarted every
# CHAOS_RESTART_MS (200) for CHAOS_SECONDS (60), misbehaving peers
# (tests/e2e/badpeer.py: flap, double, noread, garbage, collide), and the
# speaker reloaded every CHAOS_RELOAD_MS (100) meanwhile, alternately by SIGHUP
# and by rewriting a file (a BGPPeer's holdTime, a peer added or removed, a
# batch of Services added or removed, a file rewritten unchanged).
#
#  1. finding 1: a second connection while the session is Established on the
#     accepted one, then that BGPPeer edited: the speaker survives and closes
#     the Established connection with Cease / Configuration Change.
#  2. baseline: every session Established, a warm-up of reloads, then the
#     speaker's open fds and VmRSS.
#  3. chaos; the speaker must stay alive and every misbehaviour must get the
#     answer RFC 4271 / 4486 / 6608 / 7313 ask for (badpeer's verdicts).
#  4. the peers behave again (routers passive, so that only the speaker's own
#     dialling counts): each session Established within one connectTime of its
#     peer being ready; then fds and VmRSS against the baseline.
#  5. CHAOS_BULK_SERVICES (2000) Services: a peer that stops reading and asks
#     for the table ten times a second is dropped (or costs no memory); the
#     speaker stopped by SIGTERM while it still holds output for that peer
#     exits, and LeakSanitizer's report (if any) lands in its log.
# Knobs: CHAOS_SECONDS, CHAOS_MODES (a subset of "flap double noread garbage
# collide"), CHAOS_SERVICES, CHAOS_BULK_SERVICES, CHAOS_RSS_SLACK_KB,
# CHAOS_RFC6608=0 (accept FSM Error / Unspecific where RFC 6608 has a subcode).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
e2e_init bgp_chaos "$1"

CHAOS_SECONDS=${CHAOS_SECONDS:-60}
CHAOS_MODES=${CHAOS_MODES:-flap double noread garbage collide}
RESTART_MS=${CHAOS_RESTART_MS:-200}
RELOAD_MS=${CHAOS_RELOAD_MS:-100}
SERVICES=${CHAOS_SERVICES:-100}
BULK=${CHAOS_BULK_SERVICES:-2000}
CONNECT_S=2          # every BGPPeer's connectTime
RECOVERY_SLACK=1     # s beyond connectTime: TCP and OPEN exchange, the 0.1 s polls, a loaded machine
WARMUP_S=15
NOREAD_STALL=8
BP=$E2E_DIR/badpeer.py
SPK=192.0.2.11
declare -A BPADDR=([flap]=192.0.2.21 [double]=192.0.2.22 [noread]=192.0.2.23 [garbage]=192.0.2.24 [collide]=192.0.2.25)
declare -A BPASN=([flap]=64601 [double]=64602 [noread]=64603 [garbage]=64604 [collide]=64605)
SPARE=192.0.2.29     # a BGPPeer nobody answers for, added and removed by the reloads
# ASan keeps freed memory in quarantine (256 MiB by default): RSS would climb for
# minutes whatever the speaker does. 16 MiB is several seconds of the reload
# storm's frees (2-5 MB/s measured), far longer than any use-after-free here
# waits (the next KEEPALIVE comes within 0.3 s, a keepalive timer within 1 s),
# and RSS reaches its plateau (+2 MiB) within about 20 s of reloads.
export ASAN_OPTIONS=${ASAN_OPTIONS:-quarantine_size_mb=16:detect_leaks=1}

for m in $CHAOS_MODES; do [ -n "${BPADDR[$m]:-}" ] || die "unknown mode $m in CHAOS_MODES"; done
mode_on() { case " $CHAOS_MODES " in *" $1 "*) return 0 ;; esac; return 1; }

# ------------------------------------------------------------------ topology
ns_add n1 bird frr
lan_add lan
lan_attach lan n1 eth0 "$SPK/24"
lan_attach lan bird eth0 192.0.2.1/24
lan_attach lan frr eth0 192.0.2.2/24
for m in $CHAOS_MODES; do
	ns_add "bp$m"
	lan_attach lan "bp$m" eth0 "${BPADDR[$m]}/24"
done

# ------------------------------------------------------------------ routers
bird_conf() {  # active|passive
	bird_head 192.0.2.1
	cat <<EOF
protocol bgp n1 {
	local 192.0.2.1 as 64501; neighbor $SPK as 64512;
	hold time 9; connect delay time 1; connect retry time 1; error wait time 1, 2;
	$([ "$1" = passive ] && echo 'passive on;')
	ipv4 { import all; export none; };
}
EOF
}
frr_conf() {  # active|passive
	cat <<EOF
frr defaults traditional
hostname frr
log stdout
router bgp 64502
 bgp router-id 192.0.2.2
 no bgp ebgp-requires-policy
 neighbor $SPK remote-as 64512
 neighbor $SPK timers connect 1
$([ "$1" = passive ] && echo " neighbor $SPK passive")
EOF
}
bird_conf active >"$E2E_TMP/bird-active.conf"
bird_conf passive >"$E2E_TMP/bird-passive.conf"
frr_conf active >"$E2E_TMP/frr-active.conf"
frr_conf passive >"$E2E_TMP/frr-passive.conf"

# ------------------------------------------------------------------ speaker configuration
C=$E2E_TMP/config
mkdir -p "$C"
# services NAME COUNT OCTET -> COUNT Services (and EndpointSlices) NAME0.. with
# VIPs from 198.18.OCTET.1 on, 250 to a /24 (awk: thousands in a blink)
services() {
	awk -v name="$1" -v n="$2" -v o="$3" 'BEGIN { for (i = 0; i < n; i++) {
	  printf "---\napiVersion: v1\nkind: Service\nmetadata: {name: %s%d, namespace: default}\n", name, i
	  printf "spec: {type: LoadBalancer, externalTrafficPolicy: Cluster, ipFamilies: [IPv4], ipFamilyPolicy: SingleStack,"
	  printf " selector: {app: %s}, ports: [{name: http, port: 80, targetPort: 8080, protocol: TCP}]}\n", name
	  printf "status: {loadBalancer: {ingress: [{ip: 198.18.%d.%d}]}}\n", o + int(i / 250), i % 250 + 1
	  printf "---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
	  printf "metadata: {name: %s%d-x, namespace: default, labels: {kubernetes.io/service-name: %s%d}}\n", name, i, name, i
	  printf "addressType: IPv4\nports: [{name: http, port: 8080, protocol: TCP}]\n"
	  printf "endpoints: [{addresses: [198.18.255.1], conditions: {ready: true}, nodeName: n1}]\n" } }'
}
# peer NAME ADDR ASN HOLD -> peer-NAME.yaml
peer() {
	cfg_peer "$1" 64512 "$3" "$2" holdTime="$4" keepaliveTime=1s connectTime="${CONNECT_S}s" | cfg_write "$C" "peer-$1.yaml"
}
all_peers() {  # the base state: every peer, hold times as given by HOLD_<name> or 6s
	peer bird 192.0.2.1 64501 6s
	peer frr 192.0.2.2 64502 6s
	for m in $CHAOS_MODES; do
		local h=6s
		[ "$m" = noread ] && h=3s
		peer "$m" "${BPADDR[$m]}" "${BPASN[$m]}" "$h"
	done
	rm -f "$C/peer-spare.yaml" "$C/svc-churn.yaml" "$C/svc-bulk.yaml"
}
{
	cfg_node n1 "$SPK"
	cfg_pool vips 198.18.0.0/16
	cfg_adv adv pools=vips
} | cfg_write "$C" base.yaml
services many "$SERVICES" 0 | cfg_write "$C" svc-many.yaml
all_peers
cfg_check "$C"
services churn 50 100 | cfg_write "$C" svc-churn.yaml
services bulk "$BULK" 20 | cfg_write "$C" svc-bulk.yaml
cfg_check "$C"
rm -f "$C/svc-churn.yaml" "$C/svc-bulk.yaml"

# ------------------------------------------------------------------ helpers
us() { printf -v "$1" '%s' "${EPOCHREALTIME/[.,]/}"; }  # us VAR -> microseconds now
# sleep_until US -> sleeps until that moment (no fork when it is already past)
sleep_until() {
	local n d
	us n
	d=$(($1 - n))
	[ "$d" -gt 0 ] || return 0
	sleep "$(printf '%d.%06d' $((d / 1000000)) $((d % 1000000)))"
}
sp_pid() { pid_of sp; }
fd_count() { local a=(/proc/"$1"/fd/*); echo "${#a[@]}"; }
# the speaker's established TCP connections (it is alone in n1)
sp_conns() { nsx n1 ss -Htn state established | wc -l; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }
bird_has() {  # bird_has N -> BIRD holds at least N routes
	[ "$(birdc_ bird show route count 2>/dev/null | awk '/routes/ { print $1; exit }')" -ge "$1" ] 2>/dev/null
}
# the lines "loaded", with those the rate limit held back (README, Logs)
sp_reloads() {
	awk '/ info config: loaded / {
		if (match($0, /\(repeated [0-9]+ times in the last/)) n += substr($0, RSTART + 10) + 0
		else if (match($0, /\([0-9]+ such lines suppressed in the last/)) n += substr($0, RSTART + 1) + 0
		else if (match($0, /\([0-9]+ more like it suppressed in the last/)) n += 1 + substr($0, RSTART + 1)
		else n++ } END { print n + 0 }' "$(speaker_log sp)"
}

# start_badpeer MODE BEHAVIOUR TAG SECONDS [ARGS...] -> badpeer in namespace
# bpMODE, JSON lines to $E2E_TMP/bp-MODE.TAG.jsonl (new), tracked as bp-MODE
start_badpeer() {
	local m=$1 b=$2 tag=$3 secs=$4 hold=6
	shift 4
	rm -f "$E2E_TMP/bp-$m.$tag.jsonl"
	[ "$m" = noread ] && hold=3
	# ip netns exec, not nsx: $! must be the PID of badpeer itself
	ip netns exec "$(ns "bp$m")" "$E2E_PY" "$BP" --mode "$b" --local "${BPADDR[$m]}" --speaker "$SPK" --asn "${BPASN[$m]}" \
		--hold "$hold" --seconds "$secs" --out "$E2E_TMP/bp-$m.$tag.jsonl" "$@" 2>>"$E2E_TMP/bp-$m.err" &
	track "bp-$m" $! badpeer "bp$m"
	disown $!
}
# bp_q FILE EXPR -> evaluates a Python expression over the JSON lines of FILE
# (rounds: the round events, summary: the summary event or {})
bp_q() {
	$E2E_PY -c '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
rounds = [e for e in ev if e.get("event") == "round"]
summary = ([e for e in ev if e.get("event") == "summary"] or [{}])[-1]
print(eval(sys.argv[2]))' "$1" "$2" 2>/dev/null
}
# bp_established MODE -> that badpeer (good mode) holds an Established session now
bp_established() {
	grep -E '"event": "(established|down)"' "$E2E_TMP/bp-$1.good.jsonl" 2>/dev/null | tail -n 1 |
		grep -q '"event": "established"'
}

# Every session of the speaker Established, seen from each peer.
frr_est() { frr_established frr "$SPK"; }
bird_est() { bird_established bird n1; }
all_established() {
	local m
	bird_est && frr_est || return 1
	for m in $CHAOS_MODES; do bp_established "$m" || return 1; done
}
# The peers behaving: routers (CONF active or passive) and badpeer good mode
peers_behave() {
	local m
	start_bird bird bird "$E2E_TMP/bird-$1.conf"
	start_frr frr frr "$E2E_TMP/frr-$1.conf"
	for m in $CHAOS_MODES; do start_badpeer "$m" good good 600; done
}
peers_stop() {
	local m
	stop bird
	stop frr
	for m in $CHAOS_MODES; do stop "bp-$m"; done
}

# ------------------------------------------------------------------ chaos loops (subshells)
# router_chaos NAME NS KIND CONF END_US -> the router started, and killed (TERM and
# KILL in turn) every RESTART_MS until END_US; writes the count to NAME.restarts
router_chaos() {
	local name=$1 s=$2 kind=$3 conf=$4 end=$5 d="$E2E_TMP/$1" pid="" n=0 t0 now k max
	max=$(((CHAOS_SECONDS + 5) * 1000 / RESTART_MS))
	trap '[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null; echo "$n" >"$d.restarts"; exit 0' TERM
	mkdir -p "$d"
	us t0
	while us now && [ "$now" -lt "$end" ] && [ "$n" -lt "$max" ]; do
		n=$((n + 1))
		if [ "$kind" = bird ]; then
			ip netns exec "$(ns "$s")" bird -f -c "$conf" -s "$d/bird.ctl" -P "$d/bird.pid" >>"$d/out.log" 2>&1 &
		else
			ip netns exec "$(ns "$s")" /usr/lib/frr/bgpd -f "$conf" -i "$d/bgpd.pid" -z "$d/zserv.api" \
				--vty_socket "$d" -A 127.0.0.1 -P 0 -Z -S >>"$d/out.log" 2>&1 &
		fi
		pid=$!
		sleep_until $((t0 + n * RESTART_MS * 1000))
		if [ $((n % 2)) = 0 ]; then kill -KILL "$pid" 2>/dev/null; else kill -TERM "$pid" 2>/dev/null; fi
		for k in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.03
		done
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		pid=""
	done
	echo "$n" >"$d.restarts"
}

# reload_chaos END_US -> every RELOAD_MS: SIGHUP, or one file changed, in turn
# (each change comes round every 20 steps, 2 s)
reload_chaos() {
	local end=$1 k=0 t0 now max hold s
	local -A flip=()
	local churn=0 spare=0
	max=$(((CHAOS_SECONDS + 5) * 1000 / RELOAD_MS))
	us t0
	while us now && [ "$now" -lt "$end" ] && [ "$k" -lt "$max" ]; do
		k=$((k + 1))
		if [ $((k % 2)) = 1 ]; then
			signal_proc sp HUP || break
		else
			s=$(((k / 2) % 10))
			case $s in
			0 | 2 | 4 | 6 | 7 | 8)
				# A new holdTime restarts that session: a fresh session dials at
				# once, whatever backoff the old one had reached.
				local names=(bird "" double "" collide "" frr flap garbage) n addr asn
				n=${names[$s]}
				if [ "$n" = bird ] || [ "$n" = frr ] || mode_on "$n"; then
					flip[$n]=$((1 - ${flip[$n]:-0}))
					hold=6s
					[ "${flip[$n]}" = 1 ] && hold=9s
					case $n in
					bird) addr=192.0.2.1 asn=64501 ;;
					frr) addr=192.0.2.2 asn=64502 ;;
					*) addr=${BPADDR[$n]} asn=${BPASN[$n]} ;;
					esac
					peer "$n" "$addr" "$asn" "$hold"
				else
					touch "$C/base.yaml"
				fi ;;
			1)
				churn=$((1 - churn))
				if [ "$churn" = 1 ]; then services churn 50 100 | cfg_write "$C" svc-churn.yaml
				else rm -f "$C/svc-churn.yaml"; fi ;;
			3)
				spare=$((1 - spare))
				if [ "$spare" = 1 ]; then peer spare "$SPARE" 64609 6s
				else rm -f "$C/peer-spare.yaml"; fi ;;
			5 | 9)
				cfg_write "$C" base.yaml <"$C/base.yaml" ;;
			esac
		fi
		sleep_until $((t0 + k * RELOAD_MS * 1000))
	done
	echo "$k" >"$E2E_TMP/reload.count"
}

e2e_diag_extra() {
	local f
	for f in "$E2E_TMP"/bp-*.jsonl; do
		[ -f "$f" ] || continue
		echo "[$(basename "$f")] last lines:"
		tail -n 3 "$f" | cut -c1-400 | sed 's/^/    /'
	done
}

# The first sanitizer report of a speaker log, enough of it to see where.
show_report() {
	grep -m1 -B2 -A28 -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$1" | sed 's/^/    /' >&2
}

# ================================================================== 1. finding 1
scenario "finding 1: a second connection while Established on the accepted one, then the BGPPeer edited"
if mode_on double; then
	start_speaker sp0 n1 "$C" n1
	start_badpeer double double finding1 20 --variants established --max-rounds 1 --linger 3
	if wait_until 10 grep -q '"event": "second"' "$E2E_TMP/bp-double.finding1.jsonl"; then
		peer double "${BPADDR[double]}" "${BPASN[double]}" 9s
		signal_proc sp0 HUP
		wait_until 8 not is_running bp-double
		check "the speaker survives (ASan: no use of the freed session)" is_running sp0
		f=$E2E_TMP/bp-double.finding1.jsonl
		check "the Established connection got Cease / Configuration Change (6/6) when its BGPPeer changed" \
			test "$(bp_q "$f" '[s.get("notification") for r in rounds for s in r["seen"] if s["conn"] == "A"]')" = "[[6, 6]]"
		check "the duplicate got Cease / Connection Rejected (6/5)" \
			test "$(bp_q "$f" '[s.get("notification") for r in rounds for s in r["seen"] if s["conn"] == "B"]')" = "[[6, 5]]"
	else
		record fail "badpeer never got as far as its second connection"
	fi
	is_running sp0 || show_report "$(speaker_log sp0)"
	stop sp0
	stop bp-double
	peer double "${BPADDR[double]}" "${BPASN[double]}" 6s
else
	log "double not in CHAOS_MODES: skipped"
fi

# ================================================================== 2. baseline
scenario "baseline: every session Established, reloads, fds and RSS"
peers_behave active
start_speaker sp n1 "$C" n1 --status "$E2E_TMP/sp.status"
require_within 20 "every session Established (BIRD, FRR, badpeer: $CHAOS_MODES)" all_established
us w0
reload_chaos $((w0 + WARMUP_S * 1000000)) 2>>"$E2E_TMP/loops.err"
all_peers
signal_proc sp HUP
check_within 20 "after $WARMUP_S s of reloads: every session Established again" all_established
sleep 3
FD0=$(fd_count "$(sp_pid)")
CONN0=$(sp_conns)
RSS0=$(rss_kb "$(sp_pid)")
log "baseline: $FD0 fds, VmRSS $RSS0 kB, $(sp_reloads) reloads so far"

# ================================================================== 3. chaos
scenario "chaos: ${CHAOS_SECONDS} s, routers restarted every ${RESTART_MS} ms, reloads every ${RELOAD_MS} ms, badpeer: $CHAOS_MODES"
peers_stop
reloads0=$(sp_reloads)
us c0
cend=$((c0 + CHAOS_SECONDS * 1000000))
router_chaos bird bird bird "$E2E_TMP/bird-active.conf" "$cend" 2>>"$E2E_TMP/loops.err" &
track loop-bird $! loop bird
router_chaos frr frr frr "$E2E_TMP/frr-active.conf" "$cend" 2>>"$E2E_TMP/loops.err" &
track loop-frr $! loop frr
reload_chaos "$cend" 2>>"$E2E_TMP/loops.err" &
track loop-reload $! loop n1
for m in $CHAOS_MODES; do
	case $m in
	noread) start_badpeer noread noread chaos "$CHAOS_SECONDS" --stall "$NOREAD_STALL" --variants silent,talk ;;
	garbage) start_badpeer garbage garbage chaos "$CHAOS_SECONDS" $([ "${CHAOS_RFC6608:-1}" = 0 ] && echo --no-rfc6608) ;;
	*) start_badpeer "$m" "$m" chaos "$CHAOS_SECONDS" ;;
	esac
done
died=""
for i in $(seq 1 $((CHAOS_SECONDS + 30))); do
	if [ -z "$died" ] && ! is_running sp; then
		died=$(elapsed "$E2E_T0")
		log "the speaker died during the chaos"
	fi
	busy=0
	for n in loop-bird loop-frr loop-reload; do is_running "$n" && busy=1; done
	for m in $CHAOS_MODES; do is_running "bp-$m" && busy=1; done
	[ "$busy" = 0 ] && break
	sleep 1
done
for n in loop-bird loop-frr loop-reload; do stop "$n"; done
for m in $CHAOS_MODES; do stop "bp-$m"; done
log "chaos over: BIRD started $(cat "$E2E_TMP/bird.restarts" 2>/dev/null) times, FRR $(cat "$E2E_TMP/frr.restarts" 2>/dev/null)," \
	"$(cat "$E2E_TMP/reload.count" 2>/dev/null) reload steps, the speaker loaded $(($(sp_reloads) - reloads0)) configurations"
if [ -n "$died" ]; then
	record fail "the speaker died during the chaos"
	show_report "$(speaker_log sp)"
else
	record pass "the speaker lived through the chaos"
fi
for m in $CHAOS_MODES; do
	f=$E2E_TMP/bp-$m.chaos.jsonl
	log "badpeer $m: $(bp_q "$f" '"%d rounds ok, %d interrupted, %d failed" % (summary.get("ok", 0), summary.get("interrupted", 0), summary.get("fail", 0))')"
	log "  NOTIFICATIONs it got (code/subcode x count): $(bp_q "$f" \
		'" ".join("%d/%d x%d" % (k + (v,)) for k, v in sorted(__import__("collections").Counter(tuple(s["notification"]) for r in rounds for s in r["seen"] if "notification" in s).items()))')"
	fails=$(bp_q "$f" '"\n".join("%s: %s %s" % (r["variant"], r["why"], json.dumps(r["seen"])) for r in rounds if r["result"] == "fail")')
	if [ -n "$fails" ]; then
		record fail "badpeer $m: the speaker answered wrong: $(printf '%s' "$fails" | head -n 5)"
	else
		check "badpeer $m: no wrong answer, and at least one complete round" \
			test "$(bp_q "$f" 'summary.get("ok", 0) > 0')" = True
	fi
done
if mode_on garbage; then
	check "garbage: every variant answered right at least once" test \
		"$(bp_q "$E2E_TMP/bp-garbage.chaos.jsonl" 'sorted(v for v, c in summary.get("variants", {}).items() if not c["ok"])')" = "[]"
fi
if ! is_running sp; then
	log "cannot continue without the speaker"
	e2e_finish
fi

# ================================================================== 4. recovery
scenario "the peers behave: sessions back within one connectTime (${CONNECT_S} s)"
# The configuration stays as the chaos left it (a changed BGPPeer would start a
# fresh session): only the peer nobody answers for and the batch of Services go.
rm -f "$C/peer-spare.yaml" "$C/svc-churn.yaml"
signal_proc sp HUP
sleep 1
# Routers passive from now on: only the speaker's dialling brings a session back.
start_bird bird bird "$E2E_TMP/bird-passive.conf"
us tb
start_frr frr frr "$E2E_TMP/frr-passive.conf"
us tf
for m in $CHAOS_MODES; do start_badpeer "$m" good good 600; done
declare -A UP=()
limit_us=$(((CONNECT_S + RECOVERY_SLACK) * 1000000))
for i in $(seq 1 150); do  # 15 s at most
	[ -n "${UP[bird]:-}" ] || { bird_est && us t && UP[bird]=$((t - tb)); }
	[ -n "${UP[frr]:-}" ] || { frr_est && us t && UP[frr]=$((t - tf)); }
	for m in $CHAOS_MODES; do
		[ -n "${UP[$m]:-}" ] || ! bp_established "$m" ||
			UP[$m]=$(bp_q "$E2E_TMP/bp-$m.good.jsonl" \
				'int(1e6 * [e for e in ev if e.get("event") == "established"][0]["since_listen"])')
	done
	[ "${#UP[@]}" = $((2 + $(wc -w <<<"$CHAOS_MODES"))) ] && break
	sleep 0.1
done
for n in bird frr $CHAOS_MODES; do
	if [ -z "${UP[$n]:-}" ]; then
		record fail "$n: not Established 15 s after it was ready (connectTime ${CONNECT_S} s)"
	else
		t=$(awk -v u="${UP[$n]}" 'BEGIN { printf "%.2f", u / 1e6 }')
		check "$n: Established $t s after it was ready (at most ${CONNECT_S} s + ${RECOVERY_SLACK} s)" \
			test "${UP[$n]}" -le "$limit_us"
	fi
done

scenario "fds and RSS flat"
wait_until 10 all_established || log "not every session is up: the fds are compared net of connections"
sleep 3  # closing connections linger up to 2 s to flush their NOTIFICATION
FD1=$(fd_count "$(sp_pid)")
CONN1=$(sp_conns)
RSS1=$(rss_kb "$(sp_pid)")
# Net of its established connections, the speaker holds the same fds as at the
# baseline (listeners, inotify, libevent's): not one more. RSS: the allocator's
# plateau moves a little with the pattern of frees; 10% or 8 MiB.
slack=${CHAOS_RSS_SLACK_KB:-$((RSS0 / 10 > 8192 ? RSS0 / 10 : 8192))}
check "open fds net of connections: $((FD0 - CONN0)) before ($FD0 fds, $CONN0 connections), $((FD1 - CONN1)) after ($FD1, $CONN1)" \
	test $((FD1 - CONN1)) -le $((FD0 - CONN0))
check "VmRSS: $RSS0 kB before, $RSS1 kB after (at most +$slack kB)" test "$RSS1" -le $((RSS0 + slack))
# A peer that behaves never deserves an error NOTIFICATION (Cease is fine: reloads).
for m in $CHAOS_MODES; do
	check "badpeer $m behaving: no malformed message and no error NOTIFICATION from the speaker" test \
		"$(bp_q "$E2E_TMP/bp-$m.good.jsonl" 'len(rounds) + sum(1 for e in ev if (e.get("notification") or [6])[0] != 6)')" = 0
done

# ================================================================== 5. bulk, noread, SIGTERM
if mode_on noread; then
	scenario "$BULK Services; a peer that does not read and asks for the table again and again"
	stop frr
	services bulk "$BULK" 20 | cfg_write "$C" svc-bulk.yaml
	check_within 30 "BIRD has the $BULK more routes" bird_has $((SERVICES + BULK))
	stop bird  # their diagnostics (whole tables) would take minutes now
	stop bp-noread
	start_badpeer noread noread bulk $((NOREAD_STALL + 10)) --stall "$NOREAD_STALL" --variants refresh --max-rounds 1
	wait_until $((NOREAD_STALL + 15)) not is_running bp-noread
	f=$E2E_TMP/bp-noread.bulk.jsonl
	v=$(bp_q "$f" '[(r["result"], r["why"], r.get("drained_bytes")) for r in rounds if r["variant"] == "refresh"]')
	check "refresh without reading for ${NOREAD_STALL} s: dropped, or no more queued than the socket buffers hold ($v)" \
		test "$(bp_q "$f" '[r["result"] for r in rounds if r["variant"] == "refresh"]')" = "['ok']"
	scenario "SIGTERM while output is queued for a peer that does not read"
	f=$E2E_TMP/bp-noread.sigterm.jsonl
	start_badpeer noread noread sigterm 60 --stall 40 --variants refresh --max-rounds 1
	wait_until 10 grep -q '"event": "stalled"' "$f"
	sleep 3
fi
scenario "SIGTERM: the speaker exits, leak report (if any) in its log"
spid=$(sp_pid)
signal_proc sp TERM
t0=$(now)
if wait_until 10 not is_running sp; then
	record pass "the speaker exited $(elapsed "$t0") s after SIGTERM"
else
	record fail "the speaker still runs 10 s after SIGTERM (pid $spid)"
fi
check "its log ends with 'stopped' (LeakSanitizer runs after it)" grep -q 'info speaker: stopped' "$(speaker_log sp)"
stop bp-noread 2>/dev/null
if grep -q 'LeakSanitizer' "$(speaker_log sp)"; then
	grep -m1 -A20 'ERROR: LeakSanitizer' "$(speaker_log sp)" | sed 's/^/    /' >&2
fi
e2e_finish
