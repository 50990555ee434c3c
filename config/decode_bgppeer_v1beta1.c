/*
 * BGPPeer metallb.io/v1beta1, read as MetalLB converts it to v1beta2 (its
 * conversion webhook; v1beta1 is deprecated but still served).
 *
 * v1beta1 has only myASN, peerASN, peerAddress, sourceAddress, peerPort,
 * holdTime, keepaliveTime, routerID, nodeSelectors, password, bfdProfile and
 * ebgpMultiHop; peerASN and peerAddress are required. The v1beta2-only fields
 * are unknown to its schema, so the API server refuses them (kubectl's strict
 * field validation); vipcast refuses them too, naming the version to use.
 *
 * The conversion copies each field; one effect is not obvious: holdTime and
 * keepaliveTime are plain values in v1beta1 and pointers in v1beta2, and the
 * conversion always sets the pointers, so a timer left out becomes 0s.
 * Without holdTime the peer gets hold time 0 (no keepalives; FRR `timers 0 0`
 * in MetalLB). vipcast does the same and warns; in a cluster its CRD's
 * v1beta1 schema defaults both timers to "0s" for the same result
 * (deploy/crds/bgppeer.yaml).
 *
 * Where v1beta1's MetalLB schema and vipcast's CRD differ, this follows the
 * CRD, so --check says what the cluster does: peerPort 0 (MetalLB: 179 after
 * conversion) is refused as in v1beta2, and a node selector's Exists and
 * DoesNotExist work as in v1beta2 (MetalLB's v1beta1 requires values, so
 * they never parse there).
 */
#include <string.h>

#include "decode_bgppeer.h"

static void v1beta2_only(struct dec *d, const struct doc_node *v, void *base)
{
	(void)base;
	dec_error(d, &v->mark,
		  "a field of metallb.io/v1beta2 BGPPeer only, not of v1beta1 (the API server refuses it as an "
		  "unknown field): write apiVersion: metallb.io/v1beta2");
}

#define V1BETA2_ONLY(name) { name, DT_FN, 0, 0, 0, v1beta2_only, NULL }

static const struct dec_field spec_fields[] = {
	{ "myASN", DT_INT, offsetof(struct bgp_peer, my_asn), 1, UINT32_MAX, NULL, NULL },
	{ "peerASN", DT_INT, offsetof(struct bgp_peer, peer_asn), 1, UINT32_MAX, NULL, NULL },
	{ "peerAddress", DT_IP, offsetof(struct bgp_peer, peer_address), 0, 0, NULL, NULL },
	{ "sourceAddress", DT_IP, offsetof(struct bgp_peer, source_address), 0, 0, NULL, NULL },
	{ "peerPort", DT_INT, offsetof(struct bgp_peer, peer_port), 1, 16384, NULL, NULL },
	{ "holdTime", DT_DURATION, offsetof(struct bgp_peer, hold_time), 0, 0, NULL, NULL },
	{ "keepaliveTime", DT_DURATION, offsetof(struct bgp_peer, keepalive_time), 0, 0, NULL, NULL },
	{ "routerID", DT_IP, offsetof(struct bgp_peer, router_id), 0, 0, NULL, NULL },
	{ "nodeSelectors", DT_SELECTORS, offsetof(struct bgp_peer, node_selectors), 0, 0, NULL, NULL },
	{ "password", DT_STR, offsetof(struct bgp_peer, password), 0, 0, NULL, NULL },
	{ "bfdProfile", DT_STR, offsetof(struct bgp_peer, bfd_profile), 0, 0, NULL, NULL },
	{ "ebgpMultiHop", DT_BOOL, offsetof(struct bgp_peer, ebgp_multihop), 0, 0, NULL, NULL },
	V1BETA2_ONLY("localASN"),
	V1BETA2_ONLY("dynamicASN"),
	V1BETA2_ONLY("interface"),
	V1BETA2_ONLY("connectTime"),
	V1BETA2_ONLY("passwordSecret"),
	V1BETA2_ONLY("enableGracefulRestart"),
	V1BETA2_ONLY("vrf"),
	V1BETA2_ONLY("disableMP"),
	V1BETA2_ONLY("dualStackAddressFamily"),
};
static const struct dec_table spec_table = DEC_TABLE(spec_fields, false);

static const struct dec_field root_fields[] = { SPEC_ROOT_FIELDS(spec_table) };
static const struct dec_table root_table = DEC_TABLE(root_fields, false);

/* What the conversion to v1beta2 does to values v1beta1 leaves unset. */
static void convert(struct dec *d, struct object *o)
{
	struct bgp_peer *p = &o->peer;

	if (!p->hold_time.set) {
		size_t saved = dec_enter(d, "spec.holdTime");
		dec_warn(d, &o->meta.mark,
			 "metallb.io/v1beta1 BGPPeer without spec.holdTime: MetalLB's conversion to v1beta2 makes it "
			 "0s%s, so no keepalives are sent and the session never times out; vipcast converts the same "
			 "way. Write holdTime (v1beta2's default is 90s), or use metallb.io/v1beta2",
			 p->keepalive_time.set ? "" : " and keepaliveTime 0s");
		dec_leave(d, saved);
		p->hold_time.set = true;
		p->hold_time.v = 0;
		p->hold_time.mark = o->meta.mark;
	}
	if (!p->keepalive_time.set) {
		p->keepalive_time.set = true;
		p->keepalive_time.v = 0;
		p->keepalive_time.mark = o->meta.mark;
	}
}

void decode_bgp_peer_v1beta1(struct dec *d, const struct doc_node *root, struct object *o)
{
	struct bgp_peer *p = &o->peer;
	unsigned before = d->errors;

	dec_map(d, root, &root_table, p);
	if (d->errors != before)
		return;
	if (!p->peer_asn.set)
		dec_error(d, &o->meta.mark, "spec.peerASN is required in metallb.io/v1beta1 BGPPeer");
	if (!p->peer_address.set)
		dec_error(d, &o->meta.mark, "spec.peerAddress is required in metallb.io/v1beta1 BGPPeer");
	if (d->errors != before)
		return;
	convert(d, o);
	bgp_peer_check(d, o);
}
