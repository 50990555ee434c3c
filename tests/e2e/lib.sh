# shellcheck shell=bash
# End-to-end test library: network namespaces, real BGP routers (BIRD 2, FRR bgpd,
# GoBGP, ExaBGP) and vipcast-speaker, with a cleanup registry.
#
# A test starts with
#     [ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
#     . "$(dirname "$0")/lib.sh"
#     e2e_init NAME "$1" [PROGRAM...]   # $1: the build directory (ctest passes it)
# and ends with e2e_finish. PROGRAMs are what the test runs beyond what this
# library runs itself (the routers: bird birdc, /usr/lib/frr/bgpd vtysh, gobgpd
# gobgp, exabgp); e2e_init fails at once, naming the Debian package, when one is
# missing (tests/e2e/deps.sh has the table). Everything it creates (namespaces, processes, the
# temporary directory) is registered here and removed on exit, failure or signal.
# Processes are stopped by PID only (checked against their start time), and
# namespaces are only the ones this test created (names carry the test name and $$).
#
# A test can define e2e_cleanup_extra (run first on exit) and e2e_diag_extra.
#
# Set E2E_KEEP=1 to keep the temporary directory (logs, configs) after a pass; it
# is always kept after a failure and its path is printed.

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$E2E_DIR/deps.sh"
# Debian's python3 (the tests use its standard library only), before any other on PATH
E2E_PY=/usr/bin/python3
[ -x "$E2E_PY" ] || E2E_PY=$(command -v python3) || E2E_PY=python3
# The programs this library runs; l2lib.sh adds its own, a test names its routers in e2e_init.
E2E_NEEDS="ip ss sysctl awk"
PEERRIB="$E2E_PY $E2E_DIR/peerrib.py"

declare -a E2E_NETNS=() E2E_PIDLIST=()
declare -A E2E_PID=() E2E_NSOF=() E2E_KIND=() E2E_PORT=()
E2E_FAILS=0
E2E_PASSES=0
declare -a E2E_RESULTS=()
E2E_SCEN=""

# ------------------------------------------------------------------ basics
log() { printf '%s [%s] %s\n' "$(date +%H:%M:%S.%3N)" "${E2E_NAME:-e2e}" "$*" >&2; }
die() { log "FATAL: $*"; exit 1; }

now() { printf '%s' "${EPOCHREALTIME/,/.}"; }
# elapsed START -> seconds since START (3 decimals)
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'; }

e2e_init() {
	E2E_NAME=$1
	[ "$(id -u)" = 0 ] || die "needs root (network namespaces)"
	[ -n "${2:-}" ] || die "usage: $0 BUILD_DIR"
	# shellcheck disable=SC2086
	e2e_require $E2E_NEEDS "$E2E_PY" "${@:3}" || die "missing programs (above)"
	BUILD=$(cd "$2" && pwd) || die "no build directory $2"
	SPEAKER=${VIPCAST_SPEAKER:-$BUILD/vipcast-speaker}
	CONTROLLER=$BUILD/vipcast-controller
	E2E_ID="vc${E2E_NAME}$$"
	E2E_TMP=$(mktemp -d "/tmp/vipcast-e2e-${E2E_NAME}.XXXXXX") || die "mktemp"
	chmod 755 "$E2E_TMP"
	trap e2e_cleanup EXIT
	trap 'log "interrupted"; exit 130' INT
	trap 'log "terminated"; exit 143' TERM
	E2E_T0=$(now)
	log "temporary directory $E2E_TMP"
}

# pid_start PID -> the process's start time (field 22 of /proc/PID/stat), or nothing
pid_start() {
	local s
	s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	s=${s##*) }
	# shellcheck disable=SC2086
	set -- $s
	shift 19
	printf '%s' "$1"
}

# pid_alive PID STARTTIME -> the very process we started still exists (not a zombie)
pid_alive() {
	local st
	st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	st=${st##*) }
	case $st in Z*|X*) return 1 ;; esac
	[ "$(pid_start "$1")" = "$2" ]
}

# track NAME PID KIND NS -> registers a process we started
track() {
	local st
	st=$(pid_start "$2") || st=gone
	E2E_PID[$1]="$2:$st"
	E2E_KIND[$1]=$3
	E2E_NSOF[$1]=$4
	E2E_PIDLIST+=("$2:$st")
}

pid_of() { local v=${E2E_PID[$1]:-}; printf '%s' "${v%%:*}"; }
is_running() {
	local v=${E2E_PID[$1]:-}
	[ -n "$v" ] && pid_alive "${v%%:*}" "${v#*:}"
}

# signal_proc NAME SIG -> sends SIG to the registered process, if it is still ours
signal_proc() {
	local v=${E2E_PID[$1]:-}
	[ -n "$v" ] || return 1
	pid_alive "${v%%:*}" "${v#*:}" || return 1
	kill -s "$2" "${v%%:*}" 2>/dev/null
}

# stop_pidst PID:START -> TERM, up to 3 s, then KILL
stop_pidst() {
	local pid=${1%%:*} st=${1#*:} i
	pid_alive "$pid" "$st" || { wait "$pid" 2>/dev/null; return 0; }
	kill -CONT "$pid" 2>/dev/null
	kill -TERM "$pid" 2>/dev/null
	for i in $(seq 1 30); do
		pid_alive "$pid" "$st" || break
		sleep 0.1
	done
	if pid_alive "$pid" "$st"; then
		kill -KILL "$pid" 2>/dev/null
		for i in $(seq 1 20); do pid_alive "$pid" "$st" || break; sleep 0.1; done
	fi
	wait "$pid" 2>/dev/null
	return 0
}

# stop NAME -> graceful stop (TERM, then KILL after 3 s)
stop() { [ -n "${E2E_PID[$1]:-}" ] && stop_pidst "${E2E_PID[$1]}"; }
# crash NAME -> SIGKILL, waits until it is gone
crash() {
	local v=${E2E_PID[$1]:-} i
	[ -n "$v" ] || return 1
	signal_proc "$1" KILL
	for i in $(seq 1 50); do pid_alive "${v%%:*}" "${v#*:}" || break; sleep 0.1; done
	wait "${v%%:*}" 2>/dev/null
	return 0
}
freeze() { signal_proc "$1" STOP; }
thaw() { signal_proc "$1" CONT; }

e2e_cleanup() {
	local rc=$? p ns i pid
	set +e
	trap - EXIT INT TERM
	# A test that starts processes the registry cannot know of (a script that
	# records their PIDs in a file) stops them in e2e_cleanup_extra.
	if declare -F e2e_cleanup_extra >/dev/null; then e2e_cleanup_extra; fi
	for ((i = ${#E2E_PIDLIST[@]} - 1; i >= 0; i--)); do
		stop_pidst "${E2E_PIDLIST[$i]}"
	done
	# Whatever still runs inside our own namespaces (children of the daemons, such
	# as ExaBGP's API process or a demo listener) was started by this test.
	for ns in "${E2E_NETNS[@]}"; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null
		done
	done
	for ((i = ${#E2E_NETNS[@]} - 1; i >= 0; i--)); do
		ip netns del "${E2E_NETNS[$i]}" 2>/dev/null
	done
	if [ "$rc" = 0 ] && [ -z "${E2E_KEEP:-}" ]; then
		rm -rf "$E2E_TMP"
	elif [ -n "${E2E_TMP:-}" ]; then
		log "logs and configuration kept in $E2E_TMP"
	fi
	exit "$rc"
}

# wait_until TIMEOUT CMD... -> runs CMD every 0.2 s until it succeeds (0) or
# TIMEOUT seconds passed (1). Bounded in time and in count.
wait_until() {
	local t=$1 end n=0 max
	shift
	end=$(awk -v a="$(now)" -v t="$t" 'BEGIN { printf "%.3f", a + t }')
	max=$(awk -v t="$t" 'BEGIN { printf "%d", t * 5 + 2 }')
	while [ "$n" -lt "$max" ]; do
		"$@" >/dev/null 2>&1 && return 0
		n=$((n + 1))
		awk -v a="$(now)" -v e="$end" 'BEGIN { exit !(a >= e) }' && break
		sleep 0.2
	done
	"$@" >/dev/null 2>&1
}

# holds_for SECONDS CMD... -> CMD is true every time it is run during SECONDS
holds_for() {
	local t=$1 end n=0 max
	shift
	end=$(awk -v a="$(now)" -v t="$t" 'BEGIN { printf "%.3f", a + t }')
	max=$(awk -v t="$t" 'BEGIN { printf "%d", t * 4 + 2 }')
	while [ "$n" -lt "$max" ]; do
		"$@" >/dev/null 2>&1 || return 1
		n=$((n + 1))
		awk -v a="$(now)" -v e="$end" 'BEGIN { exit !(a >= e) }' && return 0
		sleep 0.25
	done
	return 0
}

not() { ! "$@"; }

# ------------------------------------------------------------------ results
scenario() { E2E_SCEN=$*; log "== $*"; }

record() {  # record pass|fail DESC
	if [ "$1" = pass ]; then
		E2E_PASSES=$((E2E_PASSES + 1))
		E2E_RESULTS+=("PASS  $E2E_SCEN: $2")
		log "PASS: $2"
	else
		E2E_FAILS=$((E2E_FAILS + 1))
		E2E_RESULTS+=("FAIL  $E2E_SCEN: $2")
		log "FAIL: $2"
		e2e_diag >&2
	fi
}

# check DESC CMD... -> CMD succeeds now
check() { local d=$1; shift; if "$@"; then record pass "$d"; else record fail "$d"; return 1; fi; }
# check_within TIMEOUT DESC CMD... -> CMD succeeds within TIMEOUT seconds
check_within() {
	local t=$1 d=$2 t0
	shift 2
	t0=$(now)
	if wait_until "$t" "$@"; then record pass "$d ($(elapsed "$t0") s)"; else record fail "$d (not within $t s)"; return 1; fi
}
# check_holds SECONDS DESC CMD... -> CMD stays true for SECONDS
check_holds() {
	local t=$1 d=$2
	shift 2
	if holds_for "$t" "$@"; then record pass "$d (for $t s)"; else record fail "$d (broke within $t s)"; return 1; fi
}
# require_within: as check_within, but the test cannot go on without it
require_within() { check_within "$@" || { log "cannot continue"; e2e_finish; }; }

e2e_finish() {
	local r n f
	# Sanitizer builds (scripts/test.sh runs these tests in one): stop the speakers
	# first so that leak reports reach their logs, then no log may hold a report.
	for n in "${!E2E_KIND[@]}"; do
		[ "${E2E_KIND[$n]}" = speaker ] || continue
		stop "$n"
		f="$E2E_TMP/$n.log"
		if grep -qE 'ERROR: (Address|Leak|Thread)Sanitizer|runtime error:' "$f" 2>/dev/null; then
			E2E_SCEN="sanitizers"
			record fail "sanitizer report in $f: $(grep -m1 -E 'ERROR: |runtime error:' "$f")"
		fi
	done
	log "---- $E2E_NAME: $E2E_PASSES passed, $E2E_FAILS failed ($(elapsed "$E2E_T0") s)"
	for r in "${E2E_RESULTS[@]}"; do printf '  %s\n' "$r" >&2; done
	[ "$E2E_FAILS" = 0 ] && [ "$E2E_PASSES" -gt 0 ] && exit 0
	exit 1
}

# e2e_diag: what every peer sees and the tail of every speaker log. A test can
# define e2e_diag_extra for more.
e2e_diag() {
	local n
	echo "------- diagnostics (scenario: $E2E_SCEN)"
	for n in "${!E2E_KIND[@]}"; do
		is_running "$n" || { echo "[$n] ${E2E_KIND[$n]}: not running"; continue; }
		case ${E2E_KIND[$n]} in
		bird)
			echo "[$n] BIRD protocols:"
			birdc -s "$E2E_TMP/$n/bird.ctl" show protocols 2>&1 | sed 1d | sed 's/^/    /'
			echo "[$n] BIRD routes:"
			bird_rib "$n" 2>&1 | sed 's/^/    /' ;;
		frr)
			echo "[$n] FRR summary:"
			frr_vtysh "$n" 'show bgp summary' 2>&1 | grep -v '^$' | sed 's/^/    /'
			echo "[$n] FRR routes:"
			{ frr_rib "$n" ipv4; frr_rib "$n" ipv6; } 2>&1 | sed 's/^/    /' ;;
		gobgp)
			echo "[$n] GoBGP neighbors:"
			gobgp_ "$n" neighbor 2>&1 | sed 's/^/    /'
			echo "[$n] GoBGP routes:"
			{ gobgp_rib "$n" ipv4; gobgp_rib "$n" ipv6; } 2>&1 | sed 's/^/    /' ;;
		exabgp)
			echo "[$n] ExaBGP session events:"
			tail -n 8 "$E2E_TMP/$n/state/events" 2>&1 | sed 's/^/    /'
			echo "[$n] ExaBGP routes:"
			exabgp_rib "$n" 2>&1 | sed 's/^/    /' ;;
		speaker)
			echo "[$n] vipcast-speaker log (last 25 lines of $E2E_TMP/$n.log):"
			tail -n 25 "$E2E_TMP/$n.log" 2>&1 | sed 's/^/    /' ;;
		esac
	done
	if declare -F e2e_diag_extra >/dev/null; then e2e_diag_extra; fi
	echo "-------"
}

# ------------------------------------------------------------------ namespaces
ns() { printf '%s-%s' "$E2E_ID" "$1"; }
nsx() { local n; n=$(ns "$1"); shift; ip netns exec "$n" "$@"; }

# ns_add SHORT... -> creates namespace(s) ID-SHORT with lo up and IPv6 DAD off
ns_add() {
	local s n
	for s in "$@"; do
		n=$(ns "$s")
		ip netns add "$n" || die "ip netns add $n"
		E2E_NETNS+=("$n")
		ip -n "$n" link set lo up
		ip netns exec "$n" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
			net.ipv4.tcp_syn_retries=2 >/dev/null 2>&1
	done
}

# ns_forward SHORT -> IPv4 and IPv6 forwarding on (a router)
ns_forward() {
	ip netns exec "$(ns "$1")" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 >/dev/null
}

# lan_add LAN -> a switch: namespace ID-sw-LAN holding bridge br0
lan_add() {
	ns_add "sw-$1"
	ip -n "$(ns "sw-$1")" link add br0 type bridge || die "bridge"
	ip -n "$(ns "sw-$1")" link set br0 type bridge stp_state 0 forward_delay 0 2>/dev/null
	ip -n "$(ns "sw-$1")" link set br0 up
}

declare -A E2E_LANPORTS=()
# lan_attach LAN SHORT IFNAME [ADDR/LEN...] -> plugs namespace SHORT into LAN
lan_attach() {
	local lan=$1 s=$2 ifn=$3 sw port
	shift 3
	sw=$(ns "sw-$lan")
	E2E_LANPORTS[$lan]=$(( ${E2E_LANPORTS[$lan]:-0} + 1 ))
	port="p${E2E_LANPORTS[$lan]}"
	ip link add "$ifn" netns "$(ns "$s")" type veth peer name "$port" netns "$sw" || die "veth $s/$ifn"
	ip -n "$sw" link set "$port" master br0 up
	ip -n "$(ns "$s")" link set "$ifn" up
	addr_add "$s" "$ifn" "$@"
}

# link_add SHORT1 IF1 ADDR1 SHORT2 IF2 ADDR2 -> point-to-point veth (ADDR may be "-"
# or several addresses separated by commas)
link_add() {
	ip link add "$2" netns "$(ns "$1")" type veth peer name "$5" netns "$(ns "$4")" || die "veth $1-$4"
	ip -n "$(ns "$1")" link set "$2" up
	ip -n "$(ns "$4")" link set "$5" up
	# shellcheck disable=SC2046
	[ "$3" = - ] || addr_add "$1" "$2" $(printf '%s' "$3" | tr , ' ')
	# shellcheck disable=SC2046
	[ "$6" = - ] || addr_add "$4" "$5" $(printf '%s' "$6" | tr , ' ')
}

# addr_add SHORT IFNAME ADDR/LEN... (IPv6 without DAD)
addr_add() {
	local s=$1 ifn=$2 a
	shift 2
	for a in "$@"; do
		case $a in
		*:*) ip -n "$(ns "$s")" addr add "$a" dev "$ifn" nodad || die "addr $a" ;;
		*) ip -n "$(ns "$s")" addr add "$a" dev "$ifn" || die "addr $a" ;;
		esac
	done
}

# route_add SHORT PREFIX VIA
route_add() { ip -n "$(ns "$1")" route add "$2" via "$3" || die "route $2 via $3 in $1"; }

# ------------------------------------------------------------------ BIRD 2
# start_bird NAME SHORT CONF -> bird in the foreground inside namespace SHORT
start_bird() {
	local name=$1 s=$2 conf=$3 d="$E2E_TMP/$1"
	mkdir -p "$d"
	rm -f "$d/bird.ctl"
	ip netns exec "$(ns "$s")" bird -f -c "$conf" -s "$d/bird.ctl" -P "$d/bird.pid" >>"$d/out.log" 2>&1 &
	track "$name" $! bird "$s"
	disown $!
	wait_until 10 birdc -s "$d/bird.ctl" show status ||
		{ cat "$d/out.log" >&2; die "BIRD $name did not start"; }
	log "BIRD $name running in $s (pid $(pid_of "$name"))"
}
birdc_() { local n=$1; shift; birdc -s "$E2E_TMP/$n/bird.ctl" "$@"; }
# bird_rib NAME [show route filter words] -> normalized lines
bird_rib() { local n=$1; shift; $PEERRIB bird "$E2E_TMP/$n/bird.ctl" "$@"; }
# bird_state NAME PROTO -> Established, Active, Connect, OpenSent, Idle, Down...
bird_state() {
	birdc_ "$1" show protocols all "$2" 2>/dev/null | awk '
		/^ *BGP state:/ { sub(/^ *BGP state: */, ""); print; f = 1; exit }
		END { if (!f) print "unknown" }'
}
bird_established() { [ "$(bird_state "$1" "$2")" = Established ]; }
# bird_last_error NAME PROTO -> e.g. "Received: Bad peer AS"
bird_last_error() {
	birdc_ "$1" show protocols all "$2" 2>/dev/null | sed -n 's/^ *Last error: *//p'
}
# bird_neighbor NAME PROTO FIELD -> a value from "show protocols all", e.g.
# "Neighbor ID", "Neighbor AS", "Hold timer", "Source address"
bird_neighbor() {
	birdc_ "$1" show protocols all "$2" 2>/dev/null | sed -n "s/^ *$3: *//p" | head -n 1
}
# bird_since NAME PROTO -> the "Since" column (changes when the session restarts)
bird_since() {
	birdc_ "$1" show protocols "$2" 2>/dev/null | awk -v p="$2" '$1 == p { print $5, $6; exit }'
}

# bird_bgp_conf ...: the common head of a BIRD configuration: bird_head ROUTERID
# bird_receiver_conf FILE -> a BIRD 2 receiver for the benchmarks: AS 64512 at 192.0.2.1, one iBGP
# session from 192.0.2.2 importing IPv4 routes, logging only warnings
bird_receiver_conf() {
	cat >"$1" <<EOF
router id 192.0.2.1;
log stderr { warning, error, fatal };
timeformat protocol iso long ms;
protocol device { scan time 10; }
protocol bgp sender {
	local 192.0.2.1 as 64512;
	neighbor 192.0.2.2 as 64512;
	direct;
	hold time 90;
	connect delay time 1; connect retry time 1; error wait time 1, 2;
	ipv4 { import all; export none; };
}
EOF
}

# bird_gr_node NAME NEIGHBOR -> a BIRD protocol bgp block: iBGP AS 64512 from 192.0.2.1 to NEIGHBOR,
# fast timers, graceful restart on, IPv4 imported
bird_gr_node() {
	cat <<EOF
protocol bgp $1 {
	local 192.0.2.1 as 64512;
	neighbor $2 as 64512;
	direct;
	hold time 6; keepalive time 2;
	connect delay time 1; connect retry time 1; error wait time 1, 2;
	graceful restart on;
	ipv4 { import all; export none; };
}
EOF
}

bird_head() {
	cat <<EOF
router id $1;
log stderr all;
timeformat protocol iso long ms;
protocol device { scan time 10; }
EOF
}

# ------------------------------------------------------------------ FRR bgpd
# start_frr NAME SHORT CONF -> bgpd alone (-Z: no zebra, -S: no privilege drop)
start_frr() {
	local name=$1 s=$2 conf=$3 d="$E2E_TMP/$1"
	mkdir -p "$d"
	rm -f "$d/bgpd.vty"
	ip netns exec "$(ns "$s")" /usr/lib/frr/bgpd -f "$conf" -i "$d/bgpd.pid" -z "$d/zserv.api" \
		--vty_socket "$d" -A 127.0.0.1 -P 0 -Z -S >>"$d/out.log" 2>&1 &
	track "$name" $! frr "$s"
	disown $!
	wait_until 10 vtysh --vty_socket "$d" -d bgpd -c 'show version' ||
		{ tail -n 20 "$d/out.log" >&2; die "FRR bgpd $name did not start"; }
	log "FRR bgpd $name running in $s (pid $(pid_of "$name"))"
}
frr_vtysh() { local n=$1; shift; local a=(); for c in "$@"; do a+=(-c "$c"); done; vtysh --vty_socket "$E2E_TMP/$n" -d bgpd "${a[@]}"; }
frr_rib() { $PEERRIB frr "$E2E_TMP/$1" "$2"; }
# frr_state NAME NEIGHBOR -> bgpState (Established, Active, Connect, Idle, ...)
frr_state() {
	frr_vtysh "$1" "show bgp neighbors $2 json" 2>/dev/null | $E2E_PY -c '
import json, sys
try:
    d = json.load(sys.stdin)
    print(d[sys.argv[1]]["bgpState"])
except Exception:
    print("unknown")' "$2"
}
frr_established() { [ "$(frr_state "$1" "$2")" = Established ]; }
# frr_established_count NAME NEIGHBOR -> connectionsEstablished
frr_conn_count() {
	frr_vtysh "$1" "show bgp neighbors $2 json" 2>/dev/null | $E2E_PY -c '
import json, sys
try:
    print(json.load(sys.stdin)[sys.argv[1]].get("connectionsEstablished", 0))
except Exception:
    print(-1)' "$2"
}

# ------------------------------------------------------------------ GoBGP
# start_gobgp NAME SHORT CONF [APIPORT] -> gobgpd with its gRPC API on 127.0.0.1:APIPORT
start_gobgp() {
	local name=$1 s=$2 conf=$3 port=${4:-50051} d="$E2E_TMP/$1"
	mkdir -p "$d"
	ip netns exec "$(ns "$s")" gobgpd -f "$conf" -p --pprof-disable --api-hosts "127.0.0.1:$port" \
		>>"$d/out.log" 2>&1 &
	track "$name" $! gobgp "$s"
	disown $!
	E2E_PORT[$name]=$port
	wait_until 10 ip netns exec "$(ns "$s")" gobgp -p "$port" global ||
		{ tail -n 20 "$d/out.log" >&2; die "gobgpd $name did not start"; }
	log "gobgpd $name running in $s (pid $(pid_of "$name"), API port $port)"
}
gobgp_() { local n=$1; shift; ip netns exec "$(ns "${E2E_NSOF[$n]}")" gobgp -p "${E2E_PORT[$n]}" "$@"; }
gobgp_rib() { $PEERRIB gobgp "$(ns "${E2E_NSOF[$1]}")" "${E2E_PORT[$1]}" "$2"; }
# gobgp_state NAME NEIGHBOR -> established, active, connect, idle, ...
gobgp_state() {
	gobgp_ "$1" neighbor "$2" -j 2>/dev/null | $E2E_PY -c '
import json, sys
try:
    d = json.load(sys.stdin)
    s = d.get("state", {}).get("session_state", "unknown")
    names = {1: "idle", 2: "connect", 3: "active", 4: "opensent", 5: "openconfirm", 6: "established"}
    print(names.get(s, s) if isinstance(s, int) else str(s).lower())
except Exception:
    print("unknown")'
}
gobgp_established() { [ "$(gobgp_state "$1" "$2")" = established ]; }
# gobgp_uptime NAME NEIGHBOR -> when the session last came up (epoch seconds)
gobgp_uptime() {
	gobgp_ "$1" neighbor "$2" -j 2>/dev/null | $E2E_PY -c '
import json, sys
try:
    print(json.load(sys.stdin)["timers"]["state"]["uptime"]["seconds"])
except Exception:
    print("unknown")'
}

# ------------------------------------------------------------------ ExaBGP
# exabgp_process NAME -> the "process" block that makes ExaBGP an assertion peer;
# put it at the top of the configuration and "processes [ rib ];" in the api block
exabgp_process() {
	cat <<EOF
process rib {
	run $E2E_PY $E2E_DIR/peerrib.py exabgp-sink $E2E_TMP/$1/state;
	encoder json;
}
EOF
}
# start_exabgp NAME SHORT CONF
start_exabgp() {
	local name=$1 s=$2 conf=$3 d="$E2E_TMP/$1"
	mkdir -p "$d/state"
	rm -f "$d/state/rib"
	ip netns exec "$(ns "$s")" env exabgp.daemon.daemonize=false exabgp.api.cli=false \
		exabgp.daemon.drop=false exabgp.daemon.user=root exabgp.log.destination=stdout \
		exabgp "$conf" >>"$d/out.log" 2>&1 &
	track "$name" $! exabgp "$s"
	disown $!
	wait_until 15 test -f "$d/state/rib" ||
		{ tail -n 20 "$d/out.log" >&2; die "ExaBGP $name did not start"; }
	log "ExaBGP $name running in $s (pid $(pid_of "$name"))"
}
exabgp_rib() { $PEERRIB exabgp "$E2E_TMP/$1/state"; }
# exabgp_state NAME PEER -> the last state ExaBGP reported (connected, up, down) or none
exabgp_state() {
	awk -v p="$2" '$2 == p { s = $3 } END { print (s == "" ? "none" : s) }' \
		"$E2E_TMP/$1/state/events" 2>/dev/null
}
exabgp_established() { [ "$(exabgp_state "$1" "$2")" = up ]; }
# exabgp_ups NAME PEER -> how many times the session came up
exabgp_ups() { awk -v p="$2" '$2 == p && $3 == "up" { n++ } END { print n + 0 }' "$E2E_TMP/$1/state/events" 2>/dev/null; }

# ------------------------------------------------------------------ vipcast-speaker
speaker_built() { [ -x "$SPEAKER" ]; }
# start_speaker NAME SHORT DIR NODE [ARGS...] -> vipcast-speaker inside SHORT,
# stderr and stdout to $E2E_TMP/NAME.log, its control socket $E2E_TMP/NAME.sock
# (not the host's /run/vipcast: a lab runs several speakers)
start_speaker() {
	local name=$1 s=$2 dir=$3 node=$4
	shift 4
	if ! speaker_built; then
		record fail "vipcast-speaker is not built ($SPEAKER missing)"
		e2e_finish
	fi
	ip netns exec "$(ns "$s")" "$SPEAKER" --config "$dir" --node "$node" --log-level "${SPEAKER_LOG_LEVEL:-debug}" \
		--socket "$E2E_TMP/$name.sock" "$@" \
		>>"$E2E_TMP/$name.log" 2>&1 &
	track "$name" $! speaker "$s"
	disown $!
	sleep 0.3
	if ! is_running "$name"; then
		record fail "vipcast-speaker $name exited at start"
		cat "$E2E_TMP/$name.log" >&2
		e2e_finish
	fi
	log "vipcast-speaker $name (node $node) running in $s (pid $(pid_of "$name"))"
}
speaker_log() { printf '%s' "$E2E_TMP/$1.log"; }
# speaker_sessions NAME PEERADDR [PORT] -> the speaker's established TCP connections
# to PEERADDR:PORT, one "LOCAL PEER" line each (from the kernel, not from its log)
speaker_sessions() {
	local p=${3:-179}
	ip netns exec "$(ns "${E2E_NSOF[$1]}")" ss -Htn state established 2>/dev/null | awk -v a="$2" -v p="$p" '
		{ l = $(NF-1); r = $NF; gsub(/[][]/, "", l); gsub(/[][]/, "", r)
		  rp = r; sub(/.*:/, "", rp); ra = r; sub(/:[^:]*$/, "", ra)
		  lp = l; sub(/.*:/, "", lp)
		  if ((ra == a && rp == p) || (ra == a && lp == p)) print l, r }'
}

# session_up NAME "LOCAL PEER" -> that TCP connection (a line of speaker_sessions)
# of the speaker is still established
session_up() { local r=${2#* }; r=${r%:*}; speaker_sessions "$1" "$r" | grep -qxF "$2"; }

# ------------------------------------------------------------------ routes
# Route lines: PREFIX NEXTHOP LOCALPREF COMMUNITIES LARGECOMMUNITIES ASPATH.
# has_route "RIBCMD" PREFIX [NEXTHOP [LOCALPREF [COMMS [LCOMMS [ASPATH]]]]]
# -> some line matches; a field given as '*' (or left out) matches anything.
has_route() {
	local cmd=$1
	shift
	# shellcheck disable=SC2086
	$cmd 2>/dev/null | awk -v want="$*" '
		BEGIN { n = split(want, w, " ") }
		{ ok = 1; for (i = 1; i <= n; i++) if (w[i] != "*" && w[i] != $i) ok = 0
		  if (ok) { found = 1; exit } }
		END { exit !found }'
}
# no_route "RIBCMD" PREFIX [NEXTHOP] -> the table can be read and holds no such path
no_route() {
	local cmd=$1 out
	shift
	# shellcheck disable=SC2086
	out=$($cmd 2>/dev/null) || return 1
	! printf '%s\n' "$out" | awk -v want="$*" '
		BEGIN { n = split(want, w, " ") }
		{ ok = 1; for (i = 1; i <= n; i++) if (w[i] != "*" && w[i] != $i) ok = 0
		  if (ok) { found = 1; exit } }
		END { exit !found }'
}
# route_count "RIBCMD" [PREFIX] -> number of paths (for PREFIX)
route_count() {
	local cmd=$1
	# shellcheck disable=SC2086
	$cmd 2>/dev/null | awk -v p="${2:-}" 'p == "" || $1 == p { n++ } END { print n + 0 }'
}
# paths_are "RIBCMD" PREFIX NEXTHOP... -> PREFIX has exactly these next hops
paths_are() {
	local cmd=$1 p=$2 got want
	shift 2
	# shellcheck disable=SC2086
	got=$($cmd 2>/dev/null | awk -v p="$p" '$1 == p { print $2 }' | sort | tr '\n' ' ')
	want=$(printf '%s\n' "$@" | sort | tr '\n' ' ')
	[ "$got" = "$want" ]
}

# ------------------------------------------------------------------ speaker configuration
# cfg_write DIR FILE < YAML -> writes the file atomically (rename into DIR), so the
# speaker's inotify sees one complete file
cfg_write() {
	local tmp
	tmp=$(mktemp "$E2E_TMP/cfg.XXXXXX")
	cat >"$tmp"
	chmod 644 "$tmp"
	mv -f "$tmp" "$1/$2"
}
cfg_rm() { rm -f "$1/$2"; }
# cfg_check DIR -> vipcast-controller --check accepts it (a broken test config
# must not look like a speaker bug)
cfg_check() {
	"$CONTROLLER" --check --config "$1" >"$E2E_TMP/check.out" 2>&1 ||
		{ cat "$E2E_TMP/check.out" >&2; die "configuration $1 is invalid"; }
}

# dry_run_ip DIR NAMESPACE/NAME -> the first address vipcast-controller --dry-run
# gives that Service (what the speaker's own allocator will give it)
dry_run_ip() {
	"$CONTROLLER" --dry-run -o json --config "$1" 2>/dev/null | $E2E_PY -c '
import json, sys
ns, name = sys.argv[1].split("/")
for s in json.load(sys.stdin)["services"]:
    if s["namespace"] == ns and s["name"] == name and s.get("ips"):
        print(s["ips"][0])
        break' "$2"
}

# cfg_node NAME IPV4|- [IPV6|-] [LABEL=VALUE...] [NetworkUnavailable=True] -> a Node
# (InternalIP addresses, Ready, NetworkUnavailable False unless given)
cfg_node() {
	local name=$1 v4=$2 v6=${3:--} kv nu=False
	shift 2
	[ $# -gt 0 ] && shift
	printf -- '---\napiVersion: v1\nkind: Node\nmetadata:\n  name: %s\n  labels:\n    kubernetes.io/hostname: %s\n' "$name" "$name"
	for kv in "$@"; do
		case $kv in
		NetworkUnavailable=*) nu=${kv#*=} ;;
		*) printf "    %s: '%s'\n" "${kv%%=*}" "${kv#*=}" ;;
		esac
	done
	printf 'status:\n  addresses:\n'
	[ "$v4" = - ] || printf '    - type: InternalIP\n      address: %s\n' "$v4"
	[ "$v6" = - ] || printf '    - type: InternalIP\n      address: %s\n' "$v6"
	printf '    - type: Hostname\n      address: %s\n' "$name"
	printf '  conditions:\n    - type: Ready\n      status: "True"\n    - type: NetworkUnavailable\n      status: "%s"\n' "$nu"
}

# cfg_pool NAME ADDR... [autoAssign=false]
cfg_pool() {
	local name=$1 a auto=""
	shift
	printf -- '---\napiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata:\n  name: %s\n  namespace: metallb-system\nspec:\n  addresses:\n' "$name"
	for a in "$@"; do
		case $a in autoAssign=*) auto=${a#*=} ;; *) printf '    - %s\n' "$a" ;; esac
	done
	[ -z "$auto" ] || printf '  autoAssign: %s\n' "$auto"
}

# cfg_peer NAME MYASN PEERASN PEERADDR [FIELD=VALUE...] -> a BGPPeer (v1beta2),
# holdTime 6s and keepaliveTime 2s unless given
cfg_peer() {
	local name=$1 my=$2 peer=$3 addr=$4 kv hold=6s ka=2s
	shift 4
	printf -- '---\napiVersion: metallb.io/v1beta2\nkind: BGPPeer\nmetadata:\n  name: %s\n  namespace: metallb-system\nspec:\n  myASN: %s\n  peerASN: %s\n  peerAddress: %s\n' \
		"$name" "$my" "$peer" "$addr"
	for kv in "$@"; do
		case $kv in
		holdTime=*) hold=${kv#*=} ;;
		keepaliveTime=*) ka=${kv#*=} ;;
		node=*) printf '  nodeSelectors:\n    - matchLabels:\n        kubernetes.io/hostname: %s\n' "${kv#*=}" ;;
		*) printf '  %s: %s\n' "${kv%%=*}" "${kv#*=}" ;;
		esac
	done
	printf '  holdTime: %s\n  keepaliveTime: %s\n' "$hold" "$ka"
}

# cfg_adv NAME [pools=a,b] [peers=a,b] [communities=c1,c2] [FIELD=VALUE...]
cfg_adv() {
	local name=$1 kv k v x
	shift
	printf -- '---\napiVersion: metallb.io/v1beta1\nkind: BGPAdvertisement\nmetadata:\n  name: %s\n  namespace: metallb-system\nspec:\n' "$name"
	for kv in "$@"; do
		k=${kv%%=*} v=${kv#*=}
		case $k in
		pools | peers | communities)
			[ "$k" = pools ] && k=ipAddressPools
			printf '  %s:\n' "$k"
			for x in $(printf '%s' "$v" | tr , ' '); do printf '    - "%s"\n' "$x"; done ;;
		*) printf '  %s: %s\n' "$k" "$v" ;;
		esac
	done
}

# cfg_service NAME VIP|-|-6 ETP NODES [PORT] -> a LoadBalancer Service (VIP in its
# status, or none for the allocator: "-" IPv4, "-6" IPv6) plus its EndpointSlice with one ready endpoint
# on each node of NODES (comma-separated; "-" for none). ETP: Cluster or Local.
cfg_service() {
	local name=$1 vip=$2 etp=$3 nodes=$4 port=${5:-80} fam=IPv4 n i=0 a
	case $vip in *:* | -6) fam=IPv6 ;; esac
	cat <<EOF
---
apiVersion: v1
kind: Service
metadata:
  name: $name
  namespace: default
spec:
  type: LoadBalancer
  externalTrafficPolicy: $etp
  ipFamilies: [$fam]
  ipFamilyPolicy: SingleStack
  selector:
    app: $name
  ports:
    - name: http
      port: $port
      targetPort: 8080
      protocol: TCP
EOF
	if [ "$vip" != - ] && [ "$vip" != -6 ]; then
		printf 'status:\n  loadBalancer:\n    ingress:\n      - ip: %s\n' "$vip"
	fi
	cat <<EOF
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: $name-abcde
  namespace: default
  labels:
    kubernetes.io/service-name: $name
addressType: $fam
ports:
  - name: http
    port: 8080
    protocol: TCP
endpoints:
EOF
	[ "$nodes" = - ] && { printf '  []\n'; return; }
	for n in $(printf '%s' "$nodes" | tr , ' '); do
		i=$((i + 1))
		if [ "$fam" = IPv6 ]; then a="2001:db8:ff::$i"; else a="198.18.255.$i"; fi
		cat <<EOF
  - addresses: ["$a"]
    conditions:
      ready: true
    nodeName: $n
EOF
	done
}
