# shellcheck shell=bash
# L2-mode helpers for the end-to-end tests, on top of lib.sh (source lib.sh first).
#
# The lab: one LAN (a bridge in its own namespace), node namespaces n1..nN with
# eth0 = 192.0.2.1i/24, 2001:db8::1i/64 and a fixed MAC 02:00:5e:00:01:0i, and a
# client namespace c (192.0.2.100, 2001:db8::100, arp_accept=1 so gratuitous ARP
# creates neighbour entries). The node's interface is called eth0, not veth*:
# the responder skips container plumbing by name when a VIP names no interface.
#
# So that the node that answers ARP for a VIP also accepts its traffic, every node
# holds every VIP on lo, with arp_ignore=1 (the kernel answers ARP only for
# addresses of the interface the request came in on: never for lo's) and
# arp_announce=2 (it never uses a VIP as the source of its own ARP). IPv6 needs
# nothing more: the kernel answers a Neighbor Solicitation only for addresses of
# the interface it came in on. A Python listener on port 8080 in each node answers
# every TCP connection with the node's name, so the client sees who took it.

E2E_NEEDS="$E2E_NEEDS arping ndisc6 ping"
L2_MAC_PREFIX=02:00:5e:00:01:0
L2_CLIENT=c

# l2_node_mac I -> the MAC of node I's eth0
l2_node_mac() { printf '%s%s' "$L2_MAC_PREFIX" "$1"; }
# l2_mac_node MAC -> the node name (node I) that has this MAC, or the MAC itself
l2_mac_node() {
	case $1 in "$L2_MAC_PREFIX"[1-9]) printf 'node%s' "${1#"$L2_MAC_PREFIX"}" ;; *) printf '%s' "$1" ;; esac
}

# l2_lab N -> the LAN, nodes n1..nN and the client
l2_lab() {
	local n=$1 i s
	ns_add "$L2_CLIENT"
	for i in $(seq 1 "$n"); do ns_add "n$i"; done
	lan_add lan
	lan_attach lan "$L2_CLIENT" eth0 192.0.2.100/24 2001:db8::100/64
	nsx "$L2_CLIENT" sysctl -qw net.ipv4.conf.all.arp_accept=1 net.ipv4.conf.eth0.arp_accept=1 >/dev/null
	for i in $(seq 1 "$n"); do
		s=n$i
		lan_attach lan "$s" eth0 "192.0.2.1$i/24" "2001:db8::1$i/64"
		ip -n "$(ns "$s")" link set eth0 address "$(l2_node_mac "$i")"
		# keep_addr_on_down: a link set down and up again keeps its IPv6 addresses, as on a real node
		nsx "$s" sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2 \
			net.ipv4.conf.eth0.arp_ignore=1 net.ipv4.conf.eth0.arp_announce=2 \
			net.ipv6.conf.all.keep_addr_on_down=1 net.ipv6.conf.eth0.keep_addr_on_down=1 >/dev/null
	done
}

# l2_second_lan N -> a second LAN "lan2" on eth1 of every node (198.51.100.1i/24,
# MAC 02:00:5e:00:02:0i) and of the client (198.51.100.100/24)
l2_second_lan() {
	local n=$1 i
	lan_add lan2
	lan_attach lan2 "$L2_CLIENT" eth1 198.51.100.100/24
	nsx "$L2_CLIENT" sysctl -qw net.ipv4.conf.eth1.arp_accept=1 >/dev/null
	for i in $(seq 1 "$n"); do
		lan_attach lan2 "n$i" eth1 "198.51.100.1$i/24"
		ip -n "$(ns "n$i")" link set eth1 address "02:00:5e:00:02:0$i"
		nsx "n$i" sysctl -qw net.ipv4.conf.eth1.arp_ignore=1 net.ipv4.conf.eth1.arp_announce=2 >/dev/null
	done
}

# l2_vips_on_lo SHORT VIP... -> the node accepts traffic for these VIPs
l2_vips_on_lo() {
	local s=$1 v
	shift
	for v in "$@"; do
		case $v in
		*:*) ip -n "$(ns "$s")" addr add "$v/128" dev lo nodad 2>/dev/null ;;
		*) ip -n "$(ns "$s")" addr add "$v/32" dev lo 2>/dev/null ;;
		esac
	done
}

# l2_listener SHORT NODENAME -> TCP port 8080 (IPv4 and IPv6) answers NODENAME
l2_listener() {
	ip netns exec "$(ns "$1")" "$E2E_PY" -c '
import selectors, socket, sys
name = (sys.argv[1] + "\n").encode()
sel = selectors.DefaultSelector()
for fam, addr in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if fam == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind((addr, 8080))
    s.listen(64)
    sel.register(s, selectors.EVENT_READ)
while True:
    for key, _ in sel.select():
        c, _ = key.fileobj.accept()
        try:
            c.sendall(name)
        except OSError:
            pass
        c.close()
' "$2" >>"$E2E_TMP/listener-$1.log" 2>&1 &
	track "listener-$1" $! listener "$1"
	disown $!
}

# l2_tcp_who VIP -> the name the node that accepted a TCP connection to VIP:8080 sends
l2_tcp_who() {
	nsx "$L2_CLIENT" timeout 3 "$E2E_PY" -c '
import socket, sys
a = sys.argv[1]
s = socket.socket(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM)
s.settimeout(1.5)
s.connect((a, 8080))
print(s.recv(100).decode().strip())
' "$1" 2>/dev/null
}

# l2_expected_owner VIP NODE... -> the owner the rule gives among these nodes (no
# preferredNodeSelectors weights): the greatest first 8 bytes of
# SHA-256(node, 0, VIP text); computed here independently of the C code
l2_expected_owner() {
	"$E2E_PY" -c '
import hashlib, ipaddress, sys
vip = str(ipaddress.ip_address(sys.argv[1]))
def score(n):
    return int.from_bytes(hashlib.sha256(n.encode() + b"\0" + vip.encode()).digest()[:8], "big")
print(max(sys.argv[2:], key=lambda n: (score(n), [-ord(c) for c in n])))
' "$@"
}

# l2_arp_macs VIP [IFACE] -> the MACs that answered two ARP requests from the
# client, one per line, sorted
l2_arp_macs() {
	nsx "$L2_CLIENT" arping -c 2 -W 0.2 -i "${2:-eth0}" "$1" 2>/dev/null |
		awk '/bytes from/ { for (i = 1; i <= NF; i++) if ($i == "from") print tolower($(i + 1)) }' | sort -u
}

# l2_nd_macs VIP [IFACE] -> the link-layer addresses in every Neighbor Advertisement answering
# the client's solicitations, one per line, sorted
l2_nd_macs() {
	nsx "$L2_CLIENT" ndisc6 -m -n -r 2 -w 400 "$1" "${2:-eth0}" 2>/dev/null |
		awk '/Target link-layer address:/ { print tolower($NF) }' | sort -u
}

# l2_answered_by VIP MAC [IFACE] -> ARP (or NDP for an IPv6 VIP) is answered by MAC and nobody else
l2_answered_by() {
	local got
	case $1 in *:*) got=$(l2_nd_macs "$1" "${3:-eth0}") ;; *) got=$(l2_arp_macs "$1" "${3:-eth0}") ;; esac
	[ "$got" = "$2" ]
}
# l2_unanswered VIP [IFACE] -> nobody answers
l2_unanswered() {
	local got
	case $1 in *:*) got=$(l2_nd_macs "$1" "${2:-eth0}") ;; *) got=$(l2_arp_macs "$1" "${2:-eth0}") ;; esac
	[ -z "$got" ]
}

# l2_neigh_mac VIP -> the client's neighbour entry for VIP on eth0 (lladdr), if any
l2_neigh_mac() {
	ip -n "$(ns "$L2_CLIENT")" neigh show "$1" dev "${2:-eth0}" 2>/dev/null |
		awk '{ for (i = 1; i <= NF; i++) if ($i == "lladdr") print tolower($(i + 1)) }'
}
l2_neigh_is() { [ "$(l2_neigh_mac "$1")" = "$2" ]; }
# l2_neigh_learn VIP -> the client talks to VIP once, so it has a neighbour entry
l2_neigh_learn() {
	case $1 in
	*:*) nsx "$L2_CLIENT" ndisc6 -1 -q -r 2 -w 400 "$1" eth0 >/dev/null 2>&1
	     nsx "$L2_CLIENT" ping -6 -c 1 -W 1 "$1" >/dev/null 2>&1 ;;
	*) nsx "$L2_CLIENT" ping -c 1 -W 1 "$1" >/dev/null 2>&1 ;;
	esac
	true
}

# cfg_l2adv NAME [pools=a,b] [interfaces=a,b] [nodes=node1,node2] -> an L2Advertisement
cfg_l2adv() {
	local name=$1 kv k v x
	shift
	printf -- '---\napiVersion: metallb.io/v1beta1\nkind: L2Advertisement\nmetadata:\n  name: %s\n  namespace: metallb-system\nspec:\n' "$name"
	for kv in "$@"; do
		k=${kv%%=*} v=${kv#*=}
		case $k in
		pools) printf '  ipAddressPools:\n'; for x in $(printf '%s' "$v" | tr , ' '); do printf '    - "%s"\n' "$x"; done ;;
		interfaces) printf '  interfaces:\n'; for x in $(printf '%s' "$v" | tr , ' '); do printf '    - "%s"\n' "$x"; done ;;
		nodes)
			printf '  nodeSelectors:\n    - matchExpressions:\n        - key: kubernetes.io/hostname\n          operator: In\n          values:\n'
			for x in $(printf '%s' "$v" | tr , ' '); do printf '            - "%s"\n' "$x"; done ;;
		*) die "cfg_l2adv: unknown $k" ;;
		esac
	done
}

# cfg_memberlist KEY -> the Secret metallb-system/memberlist with secretkey KEY
cfg_memberlist() {
	printf -- '---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: memberlist\n  namespace: metallb-system\nstringData:\n  secretkey: "%s"\n' "$1"
}

# l2_status_owner NAME VIP -> the owner speaker NAME's status file shows for VIP
# ("null" for none), with "*" appended when it answers for it itself
l2_status_owner() {
	"$E2E_PY" -c '
import json, sys
try:
    st = json.load(open(sys.argv[1]))
except Exception:
    sys.exit(1)
for v in st.get("l2", {}).get("vips", []):
    if v["ip"] == sys.argv[2]:
        print((v["owner"] or "null") + ("*" if v["here"] else ""))
        sys.exit(0)
sys.exit(1)
' "$E2E_TMP/$1.status" "$2"
}

# l2_status_speaker NAME PEER STATE[|STATE...] -> speaker NAME's status shows PEER in one of
# these states (down, left, rising, up)
l2_status_speaker() {
	"$E2E_PY" -c '
import json, sys
try:
    st = json.load(open(sys.argv[1]))
except Exception:
    sys.exit(1)
sys.exit(0 if any(p["node"] == sys.argv[2] and p["state"] in sys.argv[3].split("|")
                  for p in st.get("l2", {}).get("speakers", [])) else 1)
' "$E2E_TMP/$1.status" "$2" "$3"
}

# l2_settled SINCE NAME... -> every named speaker's status, written after SINCE (an
# $EPOCHREALTIME), says it is ready and sees all its peers up (the status file is
# rewritten every second)
l2_settled() {
	local since=${1/,/.}
	shift
	"$E2E_PY" -c '
import json, os, sys
since = float(sys.argv[1])
for f in sys.argv[2:]:
    try:
        if os.stat(f).st_mtime < since:
            sys.exit(1)
        l2 = json.load(open(f))["l2"]
    except Exception:
        sys.exit(1)
    if not l2.get("ready") or any(p["state"] != "up" for p in l2.get("speakers", [])):
        sys.exit(1)
' "$since" "${@/#/$E2E_TMP/}"
}

# start_l2_speaker I DIR [ARGS...] -> vipcast-speaker for node I in nI, status in $E2E_TMP/nodeI.status
start_l2_speaker() {
	local i=$1 dir=$2
	shift 2
	start_speaker "node$i" "n$i" "$dir" "node$i" --status "$E2E_TMP/node$i.status" "$@"
}

# l2_owner_changes NAME VIP -> how many "VIP owner" lines speaker NAME has logged
l2_owner_changes() { grep -c " l2: $2 owner " "$(speaker_log "$1")" 2>/dev/null; }

# l2_neigh_watch FILE SECONDS -> in the background for SECONDS, every change of the
# client's neighbour table as "EPOCH VIP MAC|-" lines in FILE (from the kernel's
# notifications, "ip -ts monitor neigh", so with the kernel's timing, not a poll's);
# returns once the watcher is listening
l2_neigh_watch() {
	local f=$1 i
	: >"$f"
	nsx "$L2_CLIENT" "$E2E_PY" -u -c '
import datetime, subprocess, sys, threading, time
out = open(sys.argv[1], "a", buffering=1)
p = subprocess.Popen(["ip", "-ts", "monitor", "neigh"], stdout=subprocess.PIPE, text=True)
threading.Timer(float(sys.argv[2]), p.kill).start()
time.sleep(0.1)
out.write("ready\n")
for line in p.stdout:  # until the timer kills ip
    f = line.split()
    if len(f) < 2 or not f[0].startswith("["):
        continue
    t = datetime.datetime.fromisoformat(f[0].strip("[]")).timestamp()
    mac = f[f.index("lladdr") + 1].lower() if "lladdr" in f else "-"
    out.write("%.6f %s %s\n" % (t, f[1], mac))
' "$f" "$2" >>"$E2E_TMP/neigh-watch.log" 2>&1 &
	track "neigh-watch-$RANDOM" $! watcher "$L2_CLIENT"
	disown $!
	for i in $(seq 1 50); do grep -q ready "$f" 2>/dev/null && return 0; sleep 0.05; done
	return 1
}

# l2_neigh_first FILE VIP MAC [T0] -> milliseconds from T0 (default $L2_T0, an
# $EPOCHREALTIME) to the first change of VIP's entry to MAC in FILE; fails if none
l2_neigh_first() {
	local t0=${4:-$L2_T0}
	awk -v v="$2" -v m="$3" -v t0="${t0/,/.}" '$2 == v && $3 == m && $1 >= t0 { printf "%d\n", ($1 - t0) * 1000; found = 1; exit }
		END { exit !found }' "$1"
}

# l2_wait_neigh_change FILE VIP MAC SECONDS -> waits (bounded) until FILE shows it; prints the ms
l2_wait_neigh_change() {
	local i max
	max=$(awk -v t="$4" 'BEGIN { printf "%d", t * 20 + 1 }')
	for i in $(seq 1 "$max"); do
		l2_neigh_first "$1" "$2" "$3" && return 0
		sleep 0.05
	done
	return 1
}

# l2_owner_lines NAME -> every "VIP owner" line speaker NAME has logged, as "VIP OWNER"
l2_owner_lines() { awk '/ l2: [0-9a-f.:]+ owner / { for (i = 1; i <= NF; i++) if ($i == "owner") { print $(i - 1), $(i + 1); break } }' "$(speaker_log "$1")" | tr -d ','; }
