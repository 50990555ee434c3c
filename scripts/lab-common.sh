# shellcheck shell=bash
# What the two lab demos share (scripts/lab-demo.sh in file mode,
# scripts/kube-demo.sh in Kubernetes mode): the way they print, and the network
# and router of their story, their options. Sourced first; the network and
# router functions need tests/e2e/lib.sh.
#
#   client 203.0.113.10 ---- router (BIRD 2, AS 64500) ---- fabric LAN 192.0.2.0/24
#          2001:db8:2::10     kernel routes with ECMP          |       |       |
#                                                            node1   node2   node3
#                                                   192.0.2.1i, 2001:db8:1::1i, AS 64512

# lab_options NAME ARGS... -> DO_BUILD and PAUSE from the demo's options; NAME runs as root only
lab_options() {
	local name=$1 a
	shift
	DO_BUILD=1 PAUSE=0
	for a in "$@"; do
		case $a in
		--no-build) DO_BUILD=0 ;;
		--pause) PAUSE=1 ;;
		*) echo "usage: $name [--no-build] [--pause]" >&2; exit 2 ;;
		esac
	done
	[ "$(id -u)" = 0 ] || { echo "$name: run as root (network namespaces)" >&2; exit 1; }
}

# lab_build DIR -> unless --no-build: the Debian packages (install-deps.sh --no-kube),
# vipcast-controller and vipcast-speaker built (Release) in DIR
lab_build() {
	[ "$DO_BUILD" = 1 ] || return 0
	echo "== installing dependencies (scripts/install-deps.sh)"
	sh scripts/install-deps.sh --no-kube || exit 1
	echo "== building (Release) in $1"
	cmake -S . -B "$1" -DCMAKE_BUILD_TYPE=Release -DVIPCAST_TESTS=OFF >/dev/null || exit 1
	cmake --build "$1" -j"$(nproc)" --target vipcast-controller vipcast-speaker >/dev/null || exit 1
}

# lab_pause WHAT -> with --pause and a terminal, waits for Enter, saying WHAT there is to look at
lab_pause() {
	[ "$PAUSE" = 1 ] && [ -t 0 ] || return 0
	say "paused: $1; press Enter to clean up"
	read -r _
}

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '\033[2m$ %s\033[0m\n' "$*"; "$@"; }
indent() { sed 's/^/    /'; }

# lab_net ROUTER CLIENT NODE LAN -> namespaces ROUTER, CLIENT and NODE1..NODE3 (short
# names), the nodes and the router on switch LAN, the client behind the router.
# The functions below use ROUTER's BIRD (start_bird ROUTER ROUTER ...) and CLIENT.
lab_net() {
	local r=$1 c=$2 n=$3 lan=$4 i
	LAB_ROUTER=$r LAB_CLIENT=$c
	ns_add "$r" "${n}1" "${n}2" "${n}3" "$c"
	ns_forward "$r"
	ip netns exec "$(ns "$r")" sysctl -qw net.ipv4.fib_multipath_hash_policy=1 \
		net.ipv6.fib_multipath_hash_policy=1 net.ipv4.conf.all.rp_filter=0 >/dev/null
	lan_add "$lan"
	lan_attach "$lan" "$r" eth0 192.0.2.1/24 2001:db8:1::1/64
	for i in 1 2 3; do
		lan_attach "$lan" "$n$i" eth0 "192.0.2.1$i/24" "2001:db8:1::1$i/64"
		ip -n "$(ns "$n$i")" route add default via 192.0.2.1
		ip -n "$(ns "$n$i")" -6 route add default via 2001:db8:1::1
	done
	link_add "$r" eth1 203.0.113.1/24,2001:db8:2::1/64 "$c" eth0 203.0.113.10/24,2001:db8:2::10/64
	ip -n "$(ns "$c")" route add default via 203.0.113.1
	ip -n "$(ns "$c")" -6 route add default via 2001:db8:2::1
}

# lab_router_conf LOGFILE -> the router's BIRD configuration: one eBGP session
# per node and family (protocols node1..node3, node1_v6..node3_v6), BGP routes
# to the kernel, equal paths from several nodes merged into one ECMP route
lab_router_conf() {
	local i
	cat <<EOF
router id 192.0.2.1;
log "$1" all;
timeformat protocol iso long ms;
protocol device { scan time 10; }
protocol kernel kernel4 { ipv4 { import none; export where source = RTS_BGP; }; merge paths on; }
protocol kernel kernel6 { ipv6 { import none; export where source = RTS_BGP; }; merge paths on; }
template bgp k8s {
	local as 64500;
	hold time 9; keepalive time 3;
	connect delay time 1; connect retry time 2; error wait time 1, 5;
}
EOF
	for i in 1 2 3; do
		cat <<EOF
protocol bgp node$i from k8s { neighbor 192.0.2.1$i as 64512; ipv4 { import all; export none; }; }
protocol bgp node${i}_v6 from k8s { neighbor 2001:db8:1::1$i as 64512; ipv6 { import all; export none; }; }
EOF
	done
}

# lab_routes_in SECONDS API4 API6 -> within SECONDS the router has web (198.51.100.10)
# and api (API4, API6) from all three nodes, web-local (198.51.100.11) from node2
# only; else the demo fails (its own fail function) naming what is missing
lab_routes_in() {
	local t=$1 rib="bird_rib $LAB_ROUTER"
	wait_until "$t" paths_are "$rib" 198.51.100.10/32 192.0.2.11 192.0.2.12 192.0.2.13 ||
		fail "the router does not have 198.51.100.10/32 (web) from all three nodes"
	wait_until "$t" paths_are "$rib" 198.51.100.11/32 192.0.2.12 ||
		fail "the router does not have 198.51.100.11/32 (web-local, ETP Local) from node2 only"
	wait_until "$t" paths_are "$rib" "$2/32" 192.0.2.11 192.0.2.12 192.0.2.13 ||
		fail "the router does not have the allocated $2/32 (api) from all three nodes"
	wait_until "$t" paths_are "$rib" "$3/128" 2001:db8:1::11 2001:db8:1::12 2001:db8:1::13 ||
		fail "the router does not have the allocated $3/128 (api) from all three nodes"
}

# lab_show_router -> the router's BGP table, as birdc and as one line per path, and its kernel routes
lab_show_router() {
	say "router's BGP table: every path, with its communities (birdc show route all)"
	run birdc -s "$E2E_TMP/$LAB_ROUTER/bird.ctl" show route all | indent
	say "the same, one line per path: PREFIX NEXTHOP LOCALPREF COMMUNITIES LARGE ASPATH"
	bird_rib "$LAB_ROUTER" | indent
	say "router's kernel table: ECMP routes to the nodes"
	run ip -n "$(ns "$LAB_ROUTER")" route show proto bird | indent
	run ip -n "$(ns "$LAB_ROUTER")" -6 route show proto bird | indent
}

# lab_get URL -> the client's GET of URL: the answer (one line) or failure
lab_get() { nsx "$LAB_CLIENT" curl -sS -g --max-time 3 "$1"; }
# lab_fetch URL... -> one line per URL, "URL -> answer"; the demo fails if one does not answer
lab_fetch() {
	local u a
	for u in "$@"; do
		a=$(lab_get "$u") || fail "the client cannot reach $u"
		printf '    %-32s -> %s\n' "$u" "$a"
	done
}
# lab_spread URL COUNT -> which nodes answered COUNT GETs, e.g. "node1=4 node2=3 node3=5 "
lab_spread() {
	local i out=""
	for i in $(seq 1 "$2"); do out="$out $(lab_get "$1" | awk '{ print $3 }')"; done
	printf '%s\n' $out | sort | uniq -c | awk '{ printf "%s=%s ", $2, $1 } END { print "" }'
}
