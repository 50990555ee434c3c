#!/bin/bash
# First: a configuration refused from the start (nothing valid in force): a
# Service change plans once, and the speaker does not plan again and again.
# Then: Services patched into the plan in force while a fresh plan is built off the
# loop (tests/e2e/kubelab.sh, node1's speaker only). The fresh build is held
# 6 s by a failpoint (lib/failpoint.h: test builds only), so the order is
# fixed, not left to load:
#   1. Service s3 changes and a BGPAdvertisement gains a community, in one
#      coalescing window: a fresh plan is built, from a snapshot with s3's
#      change; the plan in force still has s3's old object, which live dropped;
#   2. during the build s4 turns externalTrafficPolicy Local (its only endpoint
#      is on node2): patched at once, node1 withdraws it;
#   3. s3 changes again: patched at once.
# Before 0489b21 the snapshot dropped s3's key, step 2's patch kept s3's old
# object (and freed it), and step 3 read it: heap-use-after-free, the speaker
# gone, BIRD without routes (the side-by-side's 10,000-Service burst). Now: no
# sanitizer report, s4 stays withdrawn through the fresh plan, and every other
# route carries the community.
#
# Usage: test_kube_patch_during_build.sh BUILD_DIR
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
. "$(dirname "$0")/kubelib.sh"
kube_require kube_patch_during_build
. "$(dirname "$0")/lib.sh"
e2e_init kpdb "$1" openssl curl tac bird birdc python3
. "$(dirname "$0")/kubelab.sh"
KDIR=$E2E_TMP/kube
e2e_diag_extra() { kubelab_diag; }
[ -x "$CONTROLLER" ] || die "$CONTROLLER is not built"

kubelab_up
stop rtr2

# builds_held -> the builds the failpoint held so far
builds_held() { grep -c "VIPCAST_FAILPOINT_BUILD_DELAY_MS: waiting" "$E2E_TMP/speaker1.log"; }
# builder_idle -> no build under way: as many ended (/metrics) as the failpoint held
builder_idle() {
	[ "$(curl -s -m 2 "http://$KL_NET.11:7472/metrics" |
		awk '$1 == "vipcast_reload_duration_seconds_count" { print $2 }')" = "$(builds_held)" ]
}

scenario "a configuration refused from the start: a Service change plans once, not again and again"
{
	cfg_pool vips "$KL_BGP_RANGE"
	cfg_peer peer-a 64512 64512 192.0.2.1 node=node1 connectTime=1s bfdProfile=missing
	cfg_adv adv pools=vips
} | kc apply -f - >/dev/null || die "BGP configuration"
# A wide coalescing window: step 1's two changes are planned together.
VIPCAST_FAILPOINT_BUILD_DELAY_MS=6000 kubelab_speaker 1 --coalesce 1000
if ! wait_until 10 speaker_says 1 "VIPCAST_FAILPOINT_BUILD_DELAY_MS: waiting 6000 ms"; then
	log "SKIP: this speaker has no failpoints (a test build has them: VIPCAST_SANITIZE or VIPCAST_FAILPOINTS)"
	exit 77
fi
require_within 20 "refused (a BFDProfile that does not exist), nothing valid before" \
	speaker_says 1 "metallb.io objects in $KL_SYS refused.*missing"
B=$(builds_held)
kubelab_service s0 Cluster
check_within 15 "the Service's change planned" eval '[ "$(builds_held)" -gt "$B" ]'
sleep 3  # the EndpointSlice and the status that follow it
check_within 30 "the builds for those changes end" builder_idle
B=$(builds_held)
sleep 8
check "no build in the next 8 s (the Service's key is not kept for a plan that cannot come)" \
	test "$(builds_held)" = "$B"

scenario "setup: five Services routed from node1"
{
	cfg_pool vips "$KL_BGP_RANGE"
	cfg_peer peer-a 64512 64512 192.0.2.1 node=node1 connectTime=1s
	cfg_adv adv pools=vips
} | kc apply -f - >/dev/null || die "BGP configuration"
require_within 30 "BIRD: node1's session Established" bird_established rtr anode1
for s in s1 s2 s3 s4 s5; do kubelab_service "$s" Cluster; done
for s in s1 s2 s3 s5; do kubelab_pod "$s-1" node1 True; done
kubelab_pod s4-1 node2 True
declare -A VIP=()
for s in s1 s2 s3 s4 s5; do
	require_within 15 "the controller gives $s an address" eval '[ -n "$(svc_ip "$s")" ]'
	VIP[$s]=$(svc_ip "$s")
done
# via_node1 S... -> BIRD routes each Service's VIP via node1 only
via_node1() {
	local s
	for s in "$@"; do [ "$(bird_nexthops "${VIP[$s]}")" = 192.0.2.11 ] || return 1; done
}
require_within 40 "BIRD: all five via node1 (a fresh plan takes 6 s)" via_node1 s1 s2 s3 s4 s5
require_within 20 "no fresh plan under way" builder_idle
# builds and patches so far
BUILDS=$(builds_held)
PATCHES=$(grep -c "config: patched" "$E2E_TMP/speaker1.log")

scenario "patches while a fresh plan is built"
kc -n "$KL_NS" annotate svc s3 vipcast.test/rev=1 >/dev/null || die "annotate s3"
cfg_adv adv pools=vips communities=64512:100 | kc apply -f - >/dev/null || die "community"
T0=$(now)
require_within 5 "a fresh plan is being built (the failpoint holds it)" \
	eval '[ "$(builds_held)" -gt "$BUILDS" ]'
kc -n "$KL_NS" patch svc s4 --type merge -p '{"spec": {"externalTrafficPolicy": "Local"}}' >/dev/null || die "s4 Local"
check_within 3 "s4 (Local, endpoint on node2) withdrawn by a patch during the build" \
	eval '[ "$(bird_nexthops "${VIP[s4]}")" = - ]'
kc -n "$KL_NS" annotate svc s3 vipcast.test/rev=2 --overwrite >/dev/null || die "annotate s3 again"
check_within 3 "s3's second change patched during the build" \
	eval '[ "$(grep -c "config: patched" "$E2E_TMP/speaker1.log")" -ge $((PATCHES + 2)) ]'
log "both patches in force $(elapsed "$T0") s after the fresh plan's changes"
check "still the same build (the patches came during it)" \
	eval '[ "$(builds_held)" = $((BUILDS + 1)) ] && ! builder_idle'
check "the fresh plan not yet in force meanwhile (no community at BIRD)" \
	eval '! birdc_ rtr show route "${VIP[s1]}/32" all | grep -q "(64512,100)"'

scenario "the fresh plan in force, with the changes since its snapshot"
with_community() {
	local s
	for s in s1 s2 s3 s5; do birdc_ rtr show route "${VIP[$s]}/32" all 2>/dev/null | grep -q "(64512,100)" || return 1; done
}
check_within 15 "s1, s2, s3, s5 carry the community (the fresh plan in force)" with_community
sleep 2
check "the speaker is running" is_running speaker1
check "no sanitizer report in its log" eval '! grep -qE "AddressSanitizer|runtime error" "$E2E_TMP/speaker1.log"'
check "s4 stays withdrawn (its change went in with the fresh plan)" test "$(bird_nexthops "${VIP[s4]}")" = -
check "s1, s2, s3, s5 still via node1" via_node1 s1 s2 s3 s5
kc -n "$KL_NS" annotate svc s3 vipcast.test/rev=3 --overwrite >/dev/null || die "annotate s3 a third time"
kc -n "$KL_NS" patch svc s4 --type merge -p '{"spec": {"externalTrafficPolicy": "Cluster"}}' >/dev/null || die "s4 Cluster"
check_within 5 "after it, patches go on: s4 Cluster again, via node1" eval '[ "$(bird_nexthops "${VIP[s4]}")" = 192.0.2.11 ]'
check "the speaker is still running, no sanitizer report" \
	eval 'is_running speaker1 && ! grep -qE "AddressSanitizer|runtime error" "$E2E_TMP/speaker1.log"'

e2e_finish
