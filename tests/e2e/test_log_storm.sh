#!/bin/sh
# Logs under a storm (issue 12): a peer (badpeer.py storm) sends the same
# malformed UPDATE (ORIGIN 5, RFC 7606 treat-as-withdraw) STORM_COUNT (10,000)
# times; the session stays up, and the speaker's log holds a handful of lines
# about it, whose counts of suppressed lines add up to every UPDATE. Once
# with --log-format text, once with json: then every line of the log parses
# as a JSON object with time, level, component and message, and the storm's
# lines name the peer.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
e2e_init log_storm "$1"

COUNT=${STORM_COUNT:-10000}
MAX_LINES=20  # 5 at once, one more every 2 s, and the counts: a handful
SPK=192.0.2.11
BPA=192.0.2.24
BPASN=64604

ns_add n1 bp
lan_add lan
lan_attach lan n1 eth0 "$SPK/24"
lan_attach lan bp eth0 "$BPA/24"

C=$E2E_TMP/config
mkdir -p "$C"
{
	cfg_node n1 "$SPK"
	cfg_pool vips 198.18.0.0/24
	cfg_adv adv pools=vips
	cfg_peer bp 64512 "$BPASN" "$BPA" connectTime=1s
} | cfg_write "$C" base.yaml
cfg_check "$C"

# storm FORMAT -> speaker sp-FORMAT (that log format, text by default; info level) against a
# badpeer storm; badpeer's verdict in $E2E_TMP/bp-FORMAT.jsonl
storm() {
	local f=$1 out=$E2E_TMP/bp-$1.jsonl
	ip netns exec "$(ns bp)" "$E2E_PY" "$E2E_DIR/badpeer.py" --mode storm --local "$BPA" --speaker "$SPK" \
		--asn "$BPASN" --seconds 60 --count "$COUNT" --out "$out" 2>>"$E2E_TMP/bp.err" &
	track "bp-$f" $! badpeer bp
	disown $!
	local fmt=()
	[ "$f" = text ] || fmt=(--log-format "$f")
	SPEAKER_LOG_LEVEL=info start_speaker "sp-$f" n1 "$C" n1 --bgp-port 0 "${fmt[@]}"
	check_within 90 "$f: badpeer sent $COUNT UPDATEs and is done" grep -q '"event": "summary"' "$out"
	check "$f: the session stayed up through all of them (badpeer: ok)" \
		grep -q '"result": "ok", .*"sent": '"$COUNT" "$out"
	stop "sp-$f"  # the counts still held back are written at exit
}

# lines_of LOG FORMAT -> the storm's lines of that log, one a line, as
# "UPDATES MESSAGE": how many UPDATEs the line stands for (itself and those
# it says were left out before it, or the count of a "repeated" line)
lines_of() {
	$E2E_PY -c '
import json, re, sys
for line in open(sys.argv[1], errors="replace"):
    if sys.argv[2] == "json":
        o = json.loads(line)
        if o.get("component") != "bgp" or "treated as withdraw" not in o["message"]:
            continue
        line = o["message"]
    elif "treated as withdraw" not in line:
        continue
    m = re.search(r"\((?:repeated (\d+) times|(\d+) more like it suppressed) in the last", line)
    n = int(m.group(1)) if m and m.group(1) else 1 + (int(m.group(2)) if m else 0)
    print(n, line.strip())' "$1" "$2"
}

# storm_ok LOG FORMAT -> a handful of lines, and the lines written plus the
# counts they carry are every UPDATE sent
storm_ok() {
	local n total
	lines_of "$1" "$2" >"$1.storm" || return 1
	n=$(wc -l <"$1.storm")
	total=$(awk '{ t += $1 } END { print t + 0 }' "$1.storm")
	log "$2: $n lines about the storm, accounting for $total UPDATEs; the last: $(tail -n 1 "$1.storm" | cut -c1-220)"
	[ "$n" -ge 2 ] && [ "$n" -le "$MAX_LINES" ] && [ "$total" -eq "$COUNT" ]
}

scenario "text: $COUNT malformed UPDATEs from one peer"
storm text
check "text: at most $MAX_LINES lines about them, counts adding up to $COUNT" storm_ok "$(speaker_log sp-text)" text
check "text: one of them says how many were suppressed" grep -qE '\((repeated [0-9]+ times|[0-9]+ more like it suppressed) in the last [0-9]+ s\)' "$(speaker_log sp-text)"

scenario "json: the same, every line an object"
storm json
json_ok() {
	$E2E_PY -c '
import json, sys
n = 0
for i, line in enumerate(open(sys.argv[1], "rb"), 1):
    o = json.loads(line)
    assert isinstance(o, dict), "line %d: not an object" % i
    missing = {"time", "level", "component", "message"} - set(o)
    assert not missing, "line %d: no %s" % (i, ", ".join(sorted(missing)))
    assert o["time"].endswith("Z") and len(o["time"]) == 24, "line %d: time %s" % (i, o["time"])
    if o["component"] == "bgp":
        assert o.get("peer") == sys.argv[2], "line %d: peer %r" % (i, o.get("peer"))
    n += 1
assert n > 0
print(n)' "$1" "$BPA" >/dev/null
}
check "json: every line of the log is an object with time, level, component, message (bgp: peer)" \
	json_ok "$(speaker_log sp-json)"
check "json: at most $MAX_LINES lines about the storm, counts adding up to $COUNT" storm_ok "$(speaker_log sp-json)" json

e2e_finish
