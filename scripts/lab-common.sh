# shellcheck shell=bash
# What the two lab demos share (scripts/lab-demo.sh in file mode,
# scripts/kube-demo.sh in Kubernetes mode): the way they print, and the network
# and router of their story. Sourced after tests/e2e/lib.sh.
#
#   client 203.0.113.10 ---- router (BIRD 2, AS 64500) ---- fabric LAN 192.0.2.0/24
#          2001:db8:2::10     kernel routes with ECMP          |       |       |
#                                                            node1   node2   node3
#                                                   192.0.2.1i, 2001:db8:1::1i, AS 64512

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '\033[2m$ %s\033[0m\n' "$*"; "$@"; }
indent() { sed 's/^/    /'; }

# lab_net ROUTER CLIENT NODE LAN -> namespaces ROUTER, CLIENT and NODE1..NODE3 (short
# names), the nodes and the router on switch LAN, the client behind the router
lab_net() {
	local r=$1 c=$2 n=$3 lan=$4 i
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
