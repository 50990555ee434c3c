#!/bin/sh
# vipcast-speaker's /metrics (file mode, --metrics-address) against BIRD 2:
# metallb_bgp_session_up goes 0 -> 1 when BIRD comes, announced prefixes equal
# the routes BIRD holds from the speaker, UPDATEs counted go up after a change,
# and the whole text parses with the reference parser (prometheus_client).
#
#   LAN -- rtr: BIRD, AS 64512, scrapes http://192.0.2.11:7472/metrics
#       -- n1: vipcast-speaker --node node1 --metrics-address :7472
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
e2e_init metrics_bgp "$1" bird birdc curl
"$E2E_PY" -c 'import prometheus_client' 2>/dev/null ||
	die "the prometheus_client module is missing: apt-get install python3-prometheus-client (scripts/install-deps.sh)"

ns_add rtr n1
lan_add lan
lan_attach lan rtr eth0 192.0.2.1/24
lan_attach lan n1 eth0 192.0.2.11/24

{
	bird_head 192.0.2.1
	cat <<EOF
protocol bgp node1 {
	local 192.0.2.1 as 64512;
	neighbor 192.0.2.11 as 64512;
	direct;
	hold time 6; keepalive time 2;
	connect delay time 1; connect retry time 1; error wait time 1, 2;
	ipv4 { import all; export none; };
}
EOF
} >"$E2E_TMP/bird.conf"

C=$E2E_TMP/config
mkdir -p "$C"
cfg_node node1 192.0.2.11 | cfg_write "$C" nodes.yaml
cfg_pool vips 198.51.100.0/24 | cfg_write "$C" pool.yaml
cfg_peer rtr 64512 64512 192.0.2.1 connectTime=1s | cfg_write "$C" peer.yaml
cfg_adv adv pools=vips | cfg_write "$C" adv.yaml
cfg_service web 198.51.100.10 Cluster node1 | cfg_write "$C" svc-web.yaml
cfg_service api 198.51.100.11 Cluster node1 | cfg_write "$C" svc-api.yaml
cfg_check "$C"

URL=http://192.0.2.11:7472
PEER='peer="192.0.2.1"'
# scrape -> the parsed samples (metrics_scrape.py; a counter's samples end in _total), from the router's namespace as Prometheus would
scrape() { nsx rtr "$E2E_PY" "$E2E_DIR/metrics_scrape.py" "$URL/metrics"; }
# sample NAME LABELS -> its value, or nothing
sample() { scrape 2>/dev/null | awk -v k="$1{$2}" '$1 == k { print $2; exit }'; }
sample_is() { [ "$(sample "$1" "$2")" = "$3" ]; }
bird_count() { route_count "bird_rib rtr"; }

# The speaker first, the router later: the session is seen down, then up.
start_speaker s1 n1 "$C" node1 --metrics-address :7472

scenario "before the router: the session is down, the routes pending"
check_within 10 "/metrics answers and parses (prometheus_client)" eval 'scrape >"$E2E_TMP/scrape0" 2>&1'
sed 's/^/    /' "$E2E_TMP/scrape0" >&2
check "metallb_bgp_session_up{$PEER} 0" sample_is metallb_bgp_session_up "$PEER" 0
check "metallb_bgp_pending_prefixes_total{$PEER} 2" sample_is metallb_bgp_pending_prefixes_total "$PEER" 2
check "metallb_bgp_announced_prefixes_total{$PEER} 0" sample_is metallb_bgp_announced_prefixes_total "$PEER" 0
check "the families have MetalLB's types" eval 'grep -qx "type metallb_bgp_session_up gauge" "$E2E_TMP/scrape0" &&
	grep -qx "type metallb_bgp_updates counter" "$E2E_TMP/scrape0" &&
	grep -qx "type metallb_bgp_announced_prefixes_total gauge" "$E2E_TMP/scrape0" &&
	grep -qx "type metallb_bgp_pending_prefixes_total gauge" "$E2E_TMP/scrape0" &&
	grep -qx "type metallb_layer2_requests_received counter" "$E2E_TMP/scrape0"'
check "/healthz answers 200 on the same port" eval 'nsx rtr curl -sf -o /dev/null "$URL/healthz"'
check "/readyz answers 200 (configuration loaded)" eval 'nsx rtr curl -sf -o /dev/null "$URL/readyz"'

start_bird rtr rtr "$E2E_TMP/bird.conf"

scenario "the router comes: the session is up, the announced prefixes are BIRD's"
require_within 20 "BIRD has node1 Established" bird_established rtr node1
check_within 10 "BIRD holds the two VIPs" eval '[ "$(bird_count)" = 2 ]'
check_within 5 "metallb_bgp_session_up{$PEER} 1" sample_is metallb_bgp_session_up "$PEER" 1
check "metallb_bgp_announced_prefixes_total{$PEER} = BIRD's routes (2)" \
	eval '[ "$(sample metallb_bgp_announced_prefixes_total "$PEER")" = "$(bird_count)" ]'
check "metallb_bgp_pending_prefixes_total{$PEER} 2" sample_is metallb_bgp_pending_prefixes_total "$PEER" 2
u1=$(sample metallb_bgp_updates_total "$PEER")
log "UPDATEs counted: $u1"
check "metallb_bgp_updates_total{$PEER} counts the first UPDATE and End-of-RIB (>= 2)" eval '[ "${u1:-0}" -ge 2 ]'

ge() { local v; v=$(sample "$1" "$PEER"); [ -n "$v" ] && awk -v v="$v" -v m="$2" 'BEGIN { exit !(v + 0 >= m + 0) }'; }
check "FRR-mode counters: metallb_bgp_opens_sent >= 1, opens_received >= 1" eval 'ge metallb_bgp_opens_sent_total 1 && ge metallb_bgp_opens_received_total 1'
k1=$(sample metallb_bgp_keepalives_received_total "$PEER")
check_within 10 "metallb_bgp_keepalives_received goes up (BIRD's keepalive time 2 s)" \
	eval 'ge metallb_bgp_keepalives_received_total $((${k1:-0} + 1))'
check "metallb_bgp_total_sent >= opens + keepalives + UPDATEs sent" \
	eval 'ge metallb_bgp_total_sent_total $(( $(sample metallb_bgp_opens_sent_total "$PEER") + $(sample metallb_bgp_keepalives_sent_total "$PEER") + $(sample metallb_bgp_updates_total "$PEER") ))'
check "metallb_bgp_route_refresh_sent 0 (vipcast asks for no refresh)" sample_is metallb_bgp_route_refresh_sent_total "$PEER" 0

scenario "a change: a third VIP"
cfg_service db 198.51.100.12 Cluster node1 | cfg_write "$C" svc-db.yaml
check_within 10 "BIRD holds three VIPs" eval '[ "$(bird_count)" = 3 ]'
check_within 5 "metallb_bgp_announced_prefixes_total{$PEER} = BIRD's routes (3)" \
	eval '[ "$(sample metallb_bgp_announced_prefixes_total "$PEER")" = "$(bird_count)" ]'
u2=$(sample metallb_bgp_updates_total "$PEER")
check "metallb_bgp_updates_total{$PEER} went up ($u1 -> $u2)" eval '[ "${u2:-0}" -gt "${u1:-0}" ]'

scenario "the router goes: the session is down again"
stop rtr
check_within 15 "metallb_bgp_session_up{$PEER} 0" sample_is metallb_bgp_session_up "$PEER" 0
check "metallb_bgp_announced_prefixes_total{$PEER} 0" sample_is metallb_bgp_announced_prefixes_total "$PEER" 0
check "the whole text still parses" eval 'scrape >/dev/null'

e2e_finish
