# shellcheck shell=bash
# Helpers for the BFD end-to-end tests (sourced after lib.sh).

# cfg_bfd_profile NAME RX_MS TX_MS MULT [FIELD=VALUE...] -> a BFDProfile
cfg_bfd_profile() {
	local kv
	printf -- '---\napiVersion: metallb.io/v1beta1\nkind: BFDProfile\nmetadata:\n  name: %s\n  namespace: metallb-system\nspec:\n  receiveInterval: %s\n  transmitInterval: %s\n  detectMultiplier: %s\n' \
		"$1" "$2" "$3" "$4"
	shift 4
	for kv in "$@"; do printf '  %s: %s\n' "${kv%%=*}" "${kv#*=}"; done
}

# bfd_block SHORT -> drops BFD (UDP to 3784 and 4784, IPv4 and IPv6) in and out of namespace
# SHORT with blackhole policy routing rules, leaving BGP's TCP alone. The local table's rule
# moves behind them (pref 0 -> 100) so that they also catch what is addressed to SHORT.
bfd_block() {
	local n f port
	n=$(ns "$1")
	for f in -4 -6; do
		if ip -n "$n" "$f" rule show pref 0 | grep -q 'lookup local'; then
			ip -n "$n" "$f" rule add pref 100 lookup local || die "ip rule local"
			ip -n "$n" "$f" rule del pref 0 || die "ip rule del"
		fi
		for port in 3784 4784; do
			ip -n "$n" "$f" rule add pref 10 ipproto udp dport "$port" blackhole || die "ip rule"
		done
	done
}
bfd_unblock() {
	local f port
	for f in -4 -6; do
		for port in 3784 4784; do ip -n "$(ns "$1")" "$f" rule del pref 10 ipproto udp dport "$port" blackhole; done
	done
}

# ctl_json SPEAKER -> vipcastctl -o json status
ctl_json() { "$BUILD/vipcastctl" --socket "$E2E_TMP/$1.sock" -o json status 2>/dev/null; }

# speaker_bfd_state SPEAKER PEERADDR -> the speaker's BFD state for that peer (Up, Down, Init, AdminDown, none)
speaker_bfd_state() {
	ctl_json "$1" | $E2E_PY -c '
import json, sys
try:
    d = json.load(sys.stdin)["data"]
    print(next((b["state"] for b in d["bfd"] if b["address"] == sys.argv[1]), "none"))
except Exception:
    print("none")' "$2"
}
speaker_bfd_up() { [ "$(speaker_bfd_state "$1" "$2")" = Up ]; }

# speaker_bgp_state SPEAKER PEERADDR -> the speaker's BGP session state for that peer
speaker_bgp_state() {
	ctl_json "$1" | $E2E_PY -c '
import json, sys
try:
    d = json.load(sys.stdin)["data"]
    print(next((s["state"] for s in d["sessions"] if s["address"] == sys.argv[1]), "none"))
except Exception:
    print("none")' "$2"
}
speaker_bgp_established() { [ "$(speaker_bgp_state "$1" "$2")" = Established ]; }

# speaker_sent_bfd_down SPEAKER PEERADDR -> the last NOTIFICATION the speaker sent that peer is
# Cease / BFD Down (6/10, RFC 9384)
speaker_sent_bfd_down() {
	ctl_json "$1" | $E2E_PY -c '
import json, sys
d = json.load(sys.stdin)["data"]
s = [s for s in d["sessions"] if s["address"] == sys.argv[1]]
n = s and s[0]["last_notification_sent"]
sys.exit(0 if n and n["code"] == 6 and n["subcode"] == 10 else 1)' "$2"
}

# speaker_metric SPEAKER METRIC PEERADDR -> its value from the speaker's /metrics (started with
# --metrics-address 127.0.0.1:7472); 0 when absent
speaker_metric() {
	local port=7472
	nsx "${E2E_NSOF[$1]}" $E2E_PY -c '
import sys, urllib.request
t = urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=3).read().decode()
v = 0
for l in t.splitlines():
    if l.startswith(sys.argv[2] + "{") and ("peer=\"%s\"" % sys.argv[3]) in l:
        v = float(l.rsplit(" ", 1)[1])
print(int(v))' "$port" "$2" "$3"
}

# start_frr_bfd NAME SHORT BGPD_CONF BFDD_CONF -> FRR zebra, bfdd and bgpd in namespace SHORT
# (bgpd reaches bfdd through zebra). They run as user frr (privileges dropped by FRR), from
# $E2E_TMP/NAME owned by frr; bgpd is registered as NAME (kind frr: frr_vtysh works), the
# others as NAME-zebra and NAME-bfdd.
start_frr_bfd() {
	local name=$1 s=$2 d="$E2E_TMP/$1" dm
	mkdir -p "$d"
	cp "$3" "$d/bgpd.conf"
	cp "$4" "$d/bfdd.conf"
	printf 'hostname %s\n' "$name" >"$d/zebra.conf"
	chown -R frr:frr "$d"
	chmod 755 "$d"
	for dm in zebra bfdd bgpd; do
		local extra=()
		[ "$dm" = bfdd ] && extra=(--bfdctl "$d/bfdd.sock")
		ip netns exec "$(ns "$s")" "/usr/lib/frr/$dm" -f "$d/$dm.conf" -i "$d/$dm.pid" -z "$d/zserv.api" \
			--vty_socket "$d" -A 127.0.0.1 -P 0 "${extra[@]}" >>"$d/$dm.log" 2>&1 &
		if [ "$dm" = bgpd ]; then track "$name" $! frr "$s"; else track "$name-$dm" $! frrd "$s"; fi
		disown $!
		wait_until 10 vtysh --vty_socket "$d" -d "$dm" -c 'show version' ||
			{ tail -n 20 "$d/$dm.log" >&2; die "FRR $dm of $name did not start"; }
	done
	log "FRR $name (zebra, bfdd, bgpd) running in $s (bgpd pid $(pid_of "$name"))"
}

# frr_bfd_state NAME PEERADDR -> bfdd's status for that peer (up, down, init, none)
frr_bfd_state() {
	vtysh --vty_socket "$E2E_TMP/$1" -d bfdd -c 'show bfd peers json' 2>/dev/null | $E2E_PY -c '
import json, sys
try:
    print(next((p["status"] for p in json.load(sys.stdin) if p["peer"] == sys.argv[1]), "none"))
except Exception:
    print("none")' "$2"
}
frr_bfd_up() { [ "$(frr_bfd_state "$1" "$2")" = up ]; }
