#!/bin/sh
# The randomized differential reload walk (issue 17): a speaker under the
# sanitizers with live sessions to BIRD (iBGP) and FRR (eBGP) over IPv4 and
# IPv6 and L2 on, then hundreds of random configuration edits per seed, each
# applied by SIGHUP or by a file write; after each, what the routers hold and
# who answers ARP/NDP must equal what a fresh load gives (--print-plan), no
# untouched session may flap, and descriptors and memory stay flat. The walk
# itself is tests/e2e/reload_walk.py; the lab is described in walk_lab.py.
#
#   WALK_SEEDS=1,2,3 WALK_STEPS=300   the default run (about 3 minutes)
#   SEED=n STEPS=m                    replays one seed (a failure prints its line)
#   VIPCAST_SPEAKER=PATH              another build (a release one measures memory tightly)
#
# What it found; the default seeds are its regression cases (each fails without the fix):
#   - issue 17 (a restarted session freed while the BGPPeer list was searched;
#     f325388): seeds 1, 2, 3 at steps 31, 62, 17, AddressSanitizer heap-use-after-free;
#   - a Node added after a known one (liveness_set_peers searched the list it was
#     emptying): seeds 1, 2 at steps 216, 30, UBSan null argument to strcmp (first
#     seen as seed 2 step 116, "add Node node3"; unit test test_peers_come_and_go).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
e2e_init reload_walk "$1" bird /usr/lib/frr/bgpd

ns_add rb rf n1 c
lan_add lan
lan_attach lan rb eth0 192.0.2.1/24 2001:db8::1/64
lan_attach lan rf eth0 192.0.2.2/24 2001:db8::2/64
lan_attach lan n1 eth0 192.0.2.11/24 2001:db8::11/64
lan_attach lan c eth0 192.0.2.100/24 2001:db8::100/64

lab() { (cd "$E2E_DIR" && $E2E_PY -B -c "import walk_lab; print(walk_lab.$1(), end='')"); }
lab bird_config >"$E2E_TMP/bird.conf"
lab frr_config >"$E2E_TMP/frr.conf"
start_bird rb rb "$E2E_TMP/bird.conf"
start_frr rf rf "$E2E_TMP/frr.conf"
speaker_built || { record fail "vipcast-speaker is not built ($SPEAKER missing)"; e2e_finish; }

scenario "reload walk"
if $E2E_PY -B "$E2E_DIR/reload_walk.py" --speaker "$SPEAKER" --node-netns "$(ns n1)" --client-netns "$(ns c)" \
	--bird-socket "$E2E_TMP/rb/bird.ctl" --bird-log "$E2E_TMP/rb/out.log" --frr-vty "$E2E_TMP/rf/bgpd.vty" --tmp "$E2E_TMP" \
	--seeds "${WALK_SEEDS:-1,2,3}" --steps "${WALK_STEPS:-300}"; then
	record pass "every seed: the lab equals a fresh load after each edit, no flap, descriptors and memory flat"
else
	record fail "the walk found a difference (its log above names the seed and step)"
fi
e2e_finish
