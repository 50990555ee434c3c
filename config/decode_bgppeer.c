/*
 * BGPPeer (metallb.io/v1beta2; v1beta1 is converted in decode_bgppeer_v1beta1.c
 * and then checked here).
 *
 * Timer rules follow MetalLB: holdTime defaults to 90s, or three times
 * keepaliveTime when only that is written; it is 0 (no keepalives) or at
 * least 3s (RFC 4271 4.2); keepaliveTime defaults to a third of holdTime and
 * may not exceed it.
 *
 * localASN (MetalLB 0.16, FRR mode: `neighbor X local-as N no-prepend
 * replace-as`): the session presents localASN instead of myASN, in the OPEN
 * and as the only AS of the AS_PATH; iBGP or eBGP is localASN against the
 * peer's AS (dynamicASN internal/external too). FRR refuses a local-as equal
 * to the router's AS, so localASN equal to myASN is refused here.
 *
 * disableMP is deprecated since MetalLB 0.15 and has no effect in FRR mode:
 * each session carries its own address family, and the other one too only
 * with dualStackAddressFamily. vipcast accepts it, says so, and ignores it.
 */
#include <net/if.h>
#include <string.h>

#include "decode_bgppeer.h"
#include "duration.h"
#include "object.h"

#define DEFAULT_HOLD_TIME (90 * DURATION_NS_PER_S)
#define MIN_HOLD_TIME (3 * DURATION_NS_PER_S)
#define MAX_HOLD_TIME (65535 * DURATION_NS_PER_S)  /* RFC 4271 4.2: a 2-octet field */
#define DEFAULT_PEER_PORT 179

static const struct dec_field secret_ref_fields[] = {
	{ "name", DT_STR, offsetof(struct bgp_peer, password_secret.name), 0, 0, NULL, NULL },
	{ "namespace", DT_STR, offsetof(struct bgp_peer, password_secret.namespace), 0, 0, NULL, NULL },
};
static const struct dec_table secret_ref_table = DEC_TABLE(secret_ref_fields, false);

static void dec_secret_ref(struct dec *d, const struct doc_node *v, void *base)
{
	struct bgp_peer *p = base;

	/* `passwordSecret: {}` is what Go clients write for "no Secret" (MetalLB's zero value). */
	if (v->type == DOC_NULL || (v->type == DOC_MAP && v->map.n == 0))
		return;
	p->password_secret.mark = dec_mark(d, v);
	dec_map(d, v, &secret_ref_table, base);
}

static const struct dec_field spec_fields[] = {
	{ "myASN", DT_INT, offsetof(struct bgp_peer, my_asn), 1, UINT32_MAX, NULL, NULL },
	{ "peerASN", DT_INT, offsetof(struct bgp_peer, peer_asn), 1, UINT32_MAX, NULL, NULL },
	{ "localASN", DT_INT, offsetof(struct bgp_peer, local_asn), 1, UINT32_MAX, NULL, NULL },
	{ "dynamicASN", DT_STR, offsetof(struct bgp_peer, dynamic_asn_text), 0, 0, NULL, NULL },
	{ "peerAddress", DT_IP, offsetof(struct bgp_peer, peer_address), 0, 0, NULL, NULL },
	{ "sourceAddress", DT_IP, offsetof(struct bgp_peer, source_address), 0, 0, NULL, NULL },
	{ "peerPort", DT_INT, offsetof(struct bgp_peer, peer_port), 1, 16384, NULL, NULL },
	{ "holdTime", DT_DURATION, offsetof(struct bgp_peer, hold_time), 0, 0, NULL, NULL },
	{ "keepaliveTime", DT_DURATION, offsetof(struct bgp_peer, keepalive_time), 0, 0, NULL, NULL },
	{ "connectTime", DT_DURATION, offsetof(struct bgp_peer, connect_time), 0, 0, NULL, NULL },
	{ "routerID", DT_IP, offsetof(struct bgp_peer, router_id), 0, 0, NULL, NULL },
	{ "nodeSelectors", DT_SELECTORS, offsetof(struct bgp_peer, node_selectors), 0, 0, NULL, NULL },
	{ "password", DT_STR, offsetof(struct bgp_peer, password), 0, 0, NULL, NULL },
	{ "passwordSecret", DT_FN, 0, 0, 0, dec_secret_ref, NULL },
	{ "bfdProfile", DT_STR, offsetof(struct bgp_peer, bfd_profile), 0, 0, NULL, NULL },
	{ "enableGracefulRestart", DT_BOOL, offsetof(struct bgp_peer, graceful_restart), 0, 0, NULL, NULL },
	{ "ebgpMultiHop", DT_BOOL, offsetof(struct bgp_peer, ebgp_multihop), 0, 0, NULL, NULL },
	{ "vrf", DT_STR, offsetof(struct bgp_peer, vrf), 0, 0, NULL, NULL },
	{ "disableMP", DT_BOOL, offsetof(struct bgp_peer, disable_mp), 0, 0, NULL, NULL },
	{ "dualStackAddressFamily", DT_BOOL, offsetof(struct bgp_peer, dual_stack_af), 0, 0, NULL, NULL },
	{ "interface", DT_STR, offsetof(struct bgp_peer, interface), 0, 0, NULL, NULL },
};
static const struct dec_table spec_table = DEC_TABLE(spec_fields, false);

static const struct dec_field root_fields[] = { SPEC_ROOT_FIELDS(spec_table) };
static const struct dec_table root_table = DEC_TABLE(root_fields, false);

static void check_asns(struct dec *d, struct object *o)
{
	struct bgp_peer *p = &o->peer;

	if (!p->my_asn.set)
		dec_error(d, &o->meta.mark, "spec.myASN is required");
	if (p->dynamic_asn_text.s) {
		if (strcmp(p->dynamic_asn_text.s, "internal") == 0)
			p->dynamic_asn = DYNAMIC_ASN_INTERNAL;
		else if (strcmp(p->dynamic_asn_text.s, "external") == 0)
			p->dynamic_asn = DYNAMIC_ASN_EXTERNAL;
		else
			dec_error(d, &p->dynamic_asn_text.mark,
				  "spec.dynamicASN must be \"internal\" or \"external\", not \"%s\"",
				  p->dynamic_asn_text.s);
	}
	if (p->peer_asn.set && p->dynamic_asn_text.s)
		dec_error(d, &p->dynamic_asn_text.mark, "spec.peerASN and spec.dynamicASN exclude each other");
	else if (!p->peer_asn.set && !p->dynamic_asn_text.s)
		dec_error(d, &o->meta.mark, "spec.peerASN or spec.dynamicASN is required");

	if (p->local_asn.set && p->my_asn.set && p->local_asn.v == p->my_asn.v)
		dec_error(d, &p->local_asn.mark,
			  "spec.localASN %lld equals spec.myASN: it must be another AS (FRR: \"Cannot have local-as same "
			  "as BGP AS number\"); leave localASN out to present myASN",
			  (long long)p->local_asn.v);

	const struct vint *as = p->local_asn.set ? &p->local_asn : &p->my_asn;
	bool ibgp = p->dynamic_asn == DYNAMIC_ASN_INTERNAL || (p->peer_asn.set && as->set && p->peer_asn.v == as->v);
	if (ibgp && p->ebgp_multihop.set && p->ebgp_multihop.v)
		dec_error(d, &p->ebgp_multihop.mark,
			  "spec.ebgpMultiHop applies to eBGP only, but this peer is iBGP (%s equals the peer's ASN)",
			  p->local_asn.set ? "localASN" : "myASN");
}

static void check_timers(struct dec *d, struct object *o)
{
	struct bgp_peer *p = &o->peer;
	char a[32], b[32];

	if (p->keepalive_time.set && p->keepalive_time.v < 0)
		dec_error(d, &p->keepalive_time.mark, "spec.keepaliveTime may not be negative");
	if (p->hold_time.set && p->hold_time.v != 0 && p->hold_time.v < MIN_HOLD_TIME) {
		duration_format(p->hold_time.v, a, sizeof(a));
		dec_error(d, &p->hold_time.mark, "spec.holdTime %s is invalid: it must be 0 or at least 3s", a);
	}
	if (!p->hold_time.set)  /* three keepalives, saturating: 3 * a huge keepaliveTime overflows */
		p->hold_time.v = !p->keepalive_time.set || p->keepalive_time.v <= 0 ? DEFAULT_HOLD_TIME
				 : p->keepalive_time.v > INT64_MAX / 3      ? INT64_MAX
									    : 3 * p->keepalive_time.v;
	if (!p->keepalive_time.set)
		p->keepalive_time.v = p->hold_time.v / 3;
	if (p->hold_time.v > MAX_HOLD_TIME) {
		duration_format(p->hold_time.v, a, sizeof(a));
		dec_error(d, p->hold_time.set ? &p->hold_time.mark : &p->keepalive_time.mark,
			  "spec.holdTime %s%s is invalid: BGP carries it in 16 bits of seconds, at most 65535s", a,
			  p->hold_time.set ? "" : " (three times keepaliveTime)");
	}
	if (p->keepalive_time.v > p->hold_time.v) {
		duration_format(p->keepalive_time.v, a, sizeof(a));
		duration_format(p->hold_time.v, b, sizeof(b));
		dec_error(d, mark_or(&p->keepalive_time.mark, o),
			  "spec.keepaliveTime %s is greater than holdTime %s", a, b);
	}
	if (p->connect_time.set &&
	    (p->connect_time.v < DURATION_NS_PER_S || p->connect_time.v > 65535 * DURATION_NS_PER_S ||
	     p->connect_time.v % DURATION_NS_PER_S != 0))
		dec_error(d, &p->connect_time.mark,
			  "spec.connectTime must be a whole number of seconds between 1s and 65535s");
}

/*
 * Unnumbered BGP: the session runs to the peer's IPv6 link-local address on
 * this interface. MetalLB refuses CR/LF in it; a Linux interface name is
 * also at most 15 bytes, with no '/', ':' or white space.
 */
static void check_interface(struct dec *d, struct bgp_peer *p)
{
	const char *n = p->interface.s;
	size_t len = strlen(n);

	if (len == 0 || len >= IF_NAMESIZE || strcspn(n, "/: \t\r\n") != len || strcmp(n, ".") == 0 ||
	    strcmp(n, "..") == 0) {
		dec_error(d, &p->interface.mark,
			  "spec.interface \"%.40s\" is not an interface name (1 to %d bytes, no '/', ':' or white space)",
			  n, IF_NAMESIZE - 1);
		return;
	}
	if (p->source_address.set)
		dec_warn(d, &p->source_address.mark,
			 "spec.sourceAddress has no effect with spec.interface: the session runs from this node's "
			 "link-local address on %s", n);
	if (p->ebgp_multihop.v)
		dec_warn(d, &p->interface.mark,
			 "spec.ebgpMultiHop has no effect with spec.interface: the peer is on the link");
}

static void check_addresses(struct dec *d, struct object *o)
{
	struct bgp_peer *p = &o->peer;

	if (!p->peer_address.set && !p->interface.s)
		dec_error(d, &o->meta.mark, "spec.peerAddress or spec.interface (unnumbered BGP) is required");
	if (p->peer_address.set && ipaddr_is_unspecified(&p->peer_address.a))
		dec_error(d, &p->peer_address.mark,
			  "spec.peerAddress is the unspecified address: a session needs the peer's own address");
	if (p->interface.s && p->peer_address.set)
		dec_error(d, &p->interface.mark, "spec.peerAddress and spec.interface exclude each other (as in MetalLB)");
	else if (p->interface.s)
		check_interface(d, p);
	if (p->router_id.set && p->router_id.a.family != IPF_V4)
		dec_error(d, &p->router_id.mark, "spec.routerID must be an IPv4 address");
	if (p->source_address.set && p->peer_address.set &&
	    p->source_address.a.family != p->peer_address.a.family)
		dec_error(d, &p->source_address.mark,
			  "spec.sourceAddress and spec.peerAddress are of different address families");
	if (p->password.s && (p->password_secret.name.s || p->password_secret.mark.file))
		dec_error(d, &p->password.mark, "spec.password and spec.passwordSecret exclude each other");
	if (p->password_secret.mark.file && !p->password_secret.name.s)
		dec_error(d, &p->password_secret.mark, "spec.passwordSecret.name is required");
}

void bgp_peer_check(struct dec *d, struct object *o)
{
	struct bgp_peer *p = &o->peer;

	if (!p->peer_port.set)
		p->peer_port.v = DEFAULT_PEER_PORT;
	check_asns(d, o);
	if (p->disable_mp.set && p->disable_mp.v)
		dec_warn(d, &p->disable_mp.mark,
			 "spec.disableMP is deprecated (MetalLB 0.15) and has no effect: each session carries its own "
			 "address family, and the other one too only with spec.dualStackAddressFamily");
	check_timers(d, o);
	check_addresses(d, o);
	/* Read and validated, not acted on yet: said here so --check tells, not only the speaker's log. */
	if (p->vrf.s && *p->vrf.s)
		dec_warn(d, &p->vrf.mark,
			 "spec.vrf (a host VRF) is not supported yet: the session uses the default VRF");
}

void decode_bgp_peer(struct dec *d, const struct doc_node *root, struct object *o)
{
	unsigned before = d->errors;

	if (strcmp(o->meta.api_version, BGPPEER_V1BETA1) == 0) {
		decode_bgp_peer_v1beta1(d, root, o);
		return;
	}
	dec_map(d, root, &root_table, &o->peer);
	if (d->errors == before)
		bgp_peer_check(d, o);
}
