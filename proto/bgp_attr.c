/*
 * Path attributes of an UPDATE (RFC 4271 4.3, 5, 6.3) and what is done when
 * one is wrong (RFC 7606).
 *
 * attr_table has a row per attribute type the decoder knows: the Optional and
 * Transitive bits it must carry, its length rule, what RFC 7606 section 7
 * does with a malformed value, and a decoder reading the value from a
 * sub-reader cut to the attribute's length. bgp_attrs_parse() walks the list
 * and does what all attributes share: framing (RFC 7606 4), duplicates (3 g),
 * flags (3 c), length rules, the value read to its last byte, and afterwards
 * the mandatory attributes (3 d). Every fault goes through attr_fault(), the
 * one place that decides between attribute discard, treat-as-withdraw and
 * session reset, and keeps the strongest (3 i) with the NOTIFICATION RFC 4271
 * 6.3 gives it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "bgp_int.h"

enum fault {
	FAULT_VALUE,            /* a malformed value: the attribute's own rule, from the table */
	FAULT_FLAGS,            /* Optional/Transitive bits not the attribute's */
	FAULT_SEMANTIC,         /* well-formed, but an unusable next hop */
	FAULT_LIST,             /* the attribute list itself does not parse */
	FAULT_DUPLICATE,        /* second occurrence of a type */
	FAULT_UNKNOWN_WELLKNOWN,
	FAULT_MISSING,          /* a mandatory attribute is absent */
};

enum dec { DEC_OK, DEC_BAD, DEC_SKIP };

struct walk;
struct attr;

struct attr_desc {
	const char *name;
	uint8_t flags;             /* the Optional and Transitive bits it must carry */
	int16_t len;               /* fixed value length, or -1 */
	uint8_t unit;              /* else, when nonzero: the length is a nonzero multiple of unit */
	enum bgp_action on_error;  /* RFC 7606 7.x, for a malformed value */
	bool ibgp_only;            /* from an external peer: discarded unread (RFC 7606 7.5, 7.9, 7.10) */
	bool as2_only;             /* from a 4-octet peer: discarded unread (RFC 6793 4.1) */
	enum dec (*decode)(struct walk *w, struct attr *a);
};

struct attr {
	uint8_t flags, type;
	const uint8_t *raw;  /* the whole attribute (flags, type, length, value): NOTIFICATION data */
	size_t raw_len;
	struct rd v;         /* the value */
	const struct attr_desc *desc;
};

struct walk {
	struct bgp_update *u;
	struct bgp_error *err;
	bool as4, ibgp;
	size_t nlri_len;         /* bytes of IPv4 NLRI */
	enum bgp_action action;  /* the strongest so far */
	uint8_t seen[32];        /* types met, for duplicates */
};

static bool is_mp(uint8_t type)
{
	return type == BGP_ATTR_MP_REACH || type == BGP_ATTR_MP_UNREACH;
}

/* The RFC 7606 policy: what a fault of this kind on this attribute does. */
static enum bgp_action fault_action(const struct attr *a, enum fault f)
{
	switch (f) {
	case FAULT_VALUE:
		return a->desc ? a->desc->on_error : BGP_ACT_RESET;
	case FAULT_FLAGS:     /* 7606 3 c: malformed, treat-as-withdraw, whatever 7 says of the value */
	case FAULT_SEMANTIC:  /* 4271 6.3: log, ignore the route, keep the session */
	case FAULT_MISSING:   /* 7606 3 d */
		return BGP_ACT_WITHDRAW;
	case FAULT_LIST:      /* 7606 4; but an MP attribute cut short hides NLRI (3 j) */
		return is_mp(a->type) ? BGP_ACT_RESET : BGP_ACT_WITHDRAW;
	case FAULT_DUPLICATE: /* 7606 3 g */
		return is_mp(a->type) ? BGP_ACT_RESET : BGP_ACT_DISCARD;
	case FAULT_UNKNOWN_WELLKNOWN:  /* 4271 6.3, not revised by 7606 */
		return BGP_ACT_RESET;
	}
	return BGP_ACT_RESET;
}

/* RFC 4271 6.3: these subcodes carry the erroneous attribute as their data. */
static bool subcode_has_attr(uint8_t subcode)
{
	switch (subcode) {
	case BGP_UPD_UNRECOGNIZED_WELLKNOWN:
	case BGP_UPD_ATTR_FLAGS:
	case BGP_UPD_ATTR_LENGTH:
	case BGP_UPD_BAD_ORIGIN:
	case BGP_UPD_BAD_NEXT_HOP:
	case BGP_UPD_OPTIONAL_ATTR:
		return true;
	default:
		return false;
	}
}

__attribute__((format(printf, 5, 6)))
static enum dec attr_fault(struct walk *w, const struct attr *a, enum fault f, uint8_t subcode, const char *fmt,
			   ...)
{
	enum bgp_action act = fault_action(a, f);
	struct bgp_update *u = w->u;
	char why[112];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (act == BGP_ACT_DISCARD)
		u->discarded++;
	if (act == BGP_ACT_WITHDRAW && !u->treat_as_withdraw) {
		u->treat_as_withdraw = true;
		snprintf(u->why, sizeof(u->why), "%s", why);
	}
	if (act > w->action) {
		w->action = act;
		if (f == FAULT_MISSING)
			bgp_err_set(w->err, BGP_ERR_UPDATE, subcode, &a->type, 1, "%s", why);
		else if (subcode_has_attr(subcode))
			bgp_err_set(w->err, BGP_ERR_UPDATE, subcode, a->raw, a->raw_len, "%s", why);
		else
			bgp_err_set(w->err, BGP_ERR_UPDATE, subcode, NULL, 0, "%s", why);
	}
	return DEC_BAD;
}

/*
 * AS_PATH and AS4_PATH segments (RFC 4271 4.3 b, RFC 6793 3, RFC 7606 7.2).
 * vipcast is in no confederation, so a confederation segment is an error
 * from any peer (RFC 5065 5); AS4_PATH never carries one (RFC 6793 6).
 */
static bool as_path_valid(struct rd v, size_t asn_size, unsigned *count, char *why, size_t whylen)
{
	*count = 0;
	while (v.n > 0) {
		uint8_t type = 0, n = 0;

		if (!rd_u8(&v, &type) || !rd_u8(&v, &n)) {
			snprintf(why, whylen, "a lone byte after the last segment");
			return false;
		}
		if (type == BGP_AS_CONFED_SEQUENCE || type == BGP_AS_CONFED_SET) {
			snprintf(why, whylen, "confederation segment from outside any confederation");
			return false;
		}
		if (type != BGP_AS_SET && type != BGP_AS_SEQUENCE) {
			snprintf(why, whylen, "segment type %u", type);
			return false;
		}
		if (n == 0) {
			snprintf(why, whylen, "empty segment");
			return false;
		}
		if (!rd_skip(&v, n * asn_size)) {
			snprintf(why, whylen, "segment of %u ASNs runs past the attribute", n);
			return false;
		}
		/* RFC 4271 9.1.2.2 a: a set counts as one. */
		*count += type == BGP_AS_SEQUENCE ? n : 1;
	}
	return true;
}

static enum dec dec_origin(struct walk *w, struct attr *a)
{
	uint8_t o = 0;

	rd_u8(&a->v, &o);
	if (o > BGP_ORIGIN_INCOMPLETE)
		return attr_fault(w, a, FAULT_VALUE, BGP_UPD_BAD_ORIGIN, "ORIGIN %u", o);
	w->u->origin = o;
	return DEC_OK;
}

static enum dec dec_as_path(struct walk *w, struct attr *a)
{
	const uint8_t *p = a->v.p;
	size_t len = a->v.n;
	unsigned count;
	char why[80];

	if (!as_path_valid(a->v, w->as4 ? 4 : 2, &count, why, sizeof(why)))
		return attr_fault(w, a, FAULT_VALUE, BGP_UPD_MALFORMED_AS_PATH, "AS_PATH: %s", why);
	rd_skip(&a->v, len);
	w->u->as_path = p;
	w->u->as_path_len = len;
	w->u->as_path_count = count;
	return DEC_OK;
}

static enum dec dec_as4_path(struct walk *w, struct attr *a)
{
	const uint8_t *p = a->v.p;
	size_t len = a->v.n;
	unsigned count;
	char why[80];

	/* RFC 6793 6: a malformed AS4_PATH is discarded. */
	if (!as_path_valid(a->v, 4, &count, why, sizeof(why)))
		return attr_fault(w, a, FAULT_VALUE, BGP_UPD_OPTIONAL_ATTR, "AS4_PATH: %s", why);
	rd_skip(&a->v, len);
	w->u->as4_path = p;
	w->u->as4_path_len = len;
	return DEC_OK;
}

/* Not a host address: this network, loopback, multicast, reserved and broadcast. */
static bool martian4(const uint8_t a[4])
{
	return a[0] == 0 || a[0] == 127 || a[0] >= 224;
}

/* The unspecified address, multicast. */
static bool martian6(const uint8_t a[16])
{
	static const uint8_t zero[16];

	return a[0] == 0xff || memcmp(a, zero, 16) == 0;
}

static enum dec dec_next_hop(struct walk *w, struct attr *a)
{
	uint8_t *nh = w->u->next_hop;

	rd_bytes(&a->v, nh, 4);
	if (martian4(nh))
		attr_fault(w, a, FAULT_SEMANTIC, BGP_UPD_BAD_NEXT_HOP, "NEXT_HOP %u.%u.%u.%u", nh[0], nh[1], nh[2],
			   nh[3]);
	return DEC_OK;
}

static enum dec dec_med(struct walk *w, struct attr *a)
{
	rd_u32(&a->v, &w->u->med);
	return DEC_OK;
}

static enum dec dec_local_pref(struct walk *w, struct attr *a)
{
	rd_u32(&a->v, &w->u->local_pref);
	return DEC_OK;
}

/* A value checked by the table (length) and kept nowhere. */
static enum dec dec_skip(struct walk *w, struct attr *a)
{
	(void)w;
	rd_skip(&a->v, a->v.n);
	return DEC_OK;
}

/* RFC 7606 7.7: 6 octets on a 2-octet session, 8 on a 4-octet one. */
static enum dec dec_aggregator(struct walk *w, struct attr *a)
{
	size_t want = w->as4 ? 8 : 6;

	if (a->v.n != want)
		return attr_fault(w, a, FAULT_VALUE, BGP_UPD_ATTR_LENGTH, "AGGREGATOR of %zu bytes, not %zu", a->v.n,
				  want);
	rd_skip(&a->v, want);
	return DEC_OK;
}

static enum dec dec_communities(struct walk *w, struct attr *a)
{
	w->u->communities = a->v.p;
	w->u->ncommunities = a->v.n / 4;
	rd_skip(&a->v, a->v.n);
	return DEC_OK;
}

static enum dec dec_ext_communities(struct walk *w, struct attr *a)
{
	w->u->ext_communities = a->v.p;
	w->u->next_communities = a->v.n / 8;
	rd_skip(&a->v, a->v.n);
	return DEC_OK;
}

static enum dec dec_large_communities(struct walk *w, struct attr *a)
{
	w->u->large_communities = a->v.p;
	w->u->nlarge_communities = a->v.n / 12;
	rd_skip(&a->v, a->v.n);
	return DEC_OK;
}

/*
 * RFC 4760 3, RFC 2545 3. A next hop length that does not suit the family,
 * or NLRI that do not parse, leave the NLRI unlocatable: session reset (RFC
 * 7606 7.11, 5.3), with the Optional Attribute Error of RFC 4760 7.
 */
static enum dec dec_mp_reach(struct walk *w, struct attr *a)
{
	struct bgp_update *u = w->u;
	uint16_t afi = 0;
	uint8_t safi = 0, nhlen = 0, reserved = 0;
	struct rd nh;
	enum bgp_af af;
	char why[80];

	if (!rd_u16(&a->v, &afi) || !rd_u8(&a->v, &safi) || !rd_u8(&a->v, &nhlen) || !rd_sub(&a->v, nhlen, &nh) ||
	    !rd_u8(&a->v, &reserved))
		return attr_fault(w, a, FAULT_VALUE, BGP_UPD_OPTIONAL_ATTR, "MP_REACH_NLRI cut short");
	const uint8_t *nlri = a->v.p;
	size_t nlri_len = a->v.n;
	rd_skip(&a->v, nlri_len);
	if (!bgp_af_from_wire(afi, safi, &af)) {
		u->mp_ignored++;
		return DEC_SKIP;
	}
	/* RFC 8950 3: IPv4 NLRI may carry a 16- or 32-byte IPv6 next hop. */
	if (nhlen != 16 && nhlen != 32 && (af == BGP_AF_IPV6 || nhlen != 4))
		return attr_fault(w, a, FAULT_VALUE, BGP_UPD_OPTIONAL_ATTR, "MP_REACH_NLRI: %u-byte next hop for IPv%u",
				  nhlen, bgp_af_family(af));
	if (!bgp_nlri_valid(nlri, nlri_len, bgp_af_family(af), why, sizeof(why)))
		return attr_fault(w, a, FAULT_VALUE, BGP_UPD_OPTIONAL_ATTR, "MP_REACH_NLRI: %s", why);
	u->mp_reach = true;
	u->mp_reach_af = af;
	u->mp_nlri = nlri;
	u->mp_nlri_len = nlri_len;
	u->mp_next_hop_v6 = nhlen != 4;
	if (nhlen == 4) {
		rd_bytes(&nh, u->mp_next_hop_v4, 4);
		if (martian4(u->mp_next_hop_v4))
			attr_fault(w, a, FAULT_SEMANTIC, BGP_UPD_BAD_NEXT_HOP, "MP_REACH_NLRI: martian IPv4 next hop");
	} else {
		rd_bytes(&nh, u->mp_next_hop, 16);
		u->mp_next_hop_has_ll = nhlen == 32;
		if (u->mp_next_hop_has_ll)
			rd_bytes(&nh, u->mp_next_hop_ll, 16);
		if (martian6(u->mp_next_hop))
			attr_fault(w, a, FAULT_SEMANTIC, BGP_UPD_BAD_NEXT_HOP, "MP_REACH_NLRI: martian IPv6 next hop");
	}
	return DEC_OK;
}

static enum dec dec_mp_unreach(struct walk *w, struct attr *a)
{
	struct bgp_update *u = w->u;
	uint16_t afi = 0;
	uint8_t safi = 0;
	enum bgp_af af;
	char why[80];

	if (!rd_u16(&a->v, &afi) || !rd_u8(&a->v, &safi))
		return attr_fault(w, a, FAULT_VALUE, BGP_UPD_OPTIONAL_ATTR, "MP_UNREACH_NLRI cut short");
	const uint8_t *wd = a->v.p;
	size_t wd_len = a->v.n;
	rd_skip(&a->v, wd_len);
	if (!bgp_af_from_wire(afi, safi, &af)) {
		u->mp_ignored++;
		return DEC_SKIP;
	}
	if (!bgp_nlri_valid(wd, wd_len, bgp_af_family(af), why, sizeof(why)))
		return attr_fault(w, a, FAULT_VALUE, BGP_UPD_OPTIONAL_ATTR, "MP_UNREACH_NLRI: %s", why);
	u->mp_unreach = true;
	u->mp_unreach_af = af;
	u->mp_withdrawn = wd;
	u->mp_withdrawn_len = wd_len;
	return DEC_OK;
}

#define WK BGP_ATTRF_TRANSITIVE                         /* well-known */
#define ONT BGP_ATTRF_OPTIONAL                          /* optional non-transitive */
#define OT (BGP_ATTRF_OPTIONAL | BGP_ATTRF_TRANSITIVE)  /* optional transitive */
#define WITHDRAW BGP_ACT_WITHDRAW
#define DISCARD BGP_ACT_DISCARD
#define RESET BGP_ACT_RESET

static const struct attr_desc attr_table[] = {
	[BGP_ATTR_ORIGIN] = {"ORIGIN", WK, 1, 0, WITHDRAW, false, false, dec_origin},                  /* 7.1 */
	[BGP_ATTR_AS_PATH] = {"AS_PATH", WK, -1, 0, WITHDRAW, false, false, dec_as_path},              /* 7.2 */
	[BGP_ATTR_NEXT_HOP] = {"NEXT_HOP", WK, 4, 0, WITHDRAW, false, false, dec_next_hop},            /* 7.3 */
	[BGP_ATTR_MED] = {"MULTI_EXIT_DISC", ONT, 4, 0, WITHDRAW, false, false, dec_med},              /* 7.4 */
	[BGP_ATTR_LOCAL_PREF] = {"LOCAL_PREF", WK, 4, 0, WITHDRAW, true, false, dec_local_pref},       /* 7.5 */
	[BGP_ATTR_ATOMIC_AGGREGATE] = {"ATOMIC_AGGREGATE", WK, 0, 0, DISCARD, false, false, dec_skip}, /* 7.6 */
	[BGP_ATTR_AGGREGATOR] = {"AGGREGATOR", OT, -1, 0, DISCARD, false, false, dec_aggregator},      /* 7.7 */
	[BGP_ATTR_COMMUNITIES] = {"COMMUNITIES", OT, -1, 4, WITHDRAW, false, false, dec_communities},  /* 7.8 */
	[BGP_ATTR_ORIGINATOR_ID] = {"ORIGINATOR_ID", ONT, 4, 0, WITHDRAW, true, false, dec_skip},      /* 7.9 */
	[BGP_ATTR_CLUSTER_LIST] = {"CLUSTER_LIST", ONT, -1, 4, WITHDRAW, true, false, dec_skip},       /* 7.10 */
	[BGP_ATTR_MP_REACH] = {"MP_REACH_NLRI", ONT, -1, 0, RESET, false, false, dec_mp_reach},        /* 7.11 */
	[BGP_ATTR_MP_UNREACH] = {"MP_UNREACH_NLRI", ONT, -1, 0, RESET, false, false, dec_mp_unreach},  /* 7.11 */
	[BGP_ATTR_EXT_COMMUNITIES] = {"EXTENDED_COMMUNITIES", OT, -1, 8, WITHDRAW, false, false,
				      dec_ext_communities}, /* 7.14 */
	/* RFC 6793 6: a malformed AS4_PATH or AS4_AGGREGATOR is discarded. */
	[BGP_ATTR_AS4_PATH] = {"AS4_PATH", OT, -1, 0, DISCARD, false, true, dec_as4_path},
	[BGP_ATTR_AS4_AGGREGATOR] = {"AS4_AGGREGATOR", OT, 8, 0, DISCARD, false, true, dec_skip},
	/* RFC 8092 6 */
	[BGP_ATTR_LARGE_COMMUNITY] = {"LARGE_COMMUNITY", OT, -1, 12, WITHDRAW, false, false, dec_large_communities},
};

#undef WK
#undef ONT
#undef OT
#undef WITHDRAW
#undef DISCARD
#undef RESET

static const struct attr_desc *attr_find(uint8_t type)
{
	if (type < sizeof(attr_table) / sizeof(attr_table[0]) && attr_table[type].name)
		return &attr_table[type];
	return NULL;
}

const char *bgp_attr_name(uint8_t type)
{
	const struct attr_desc *d = attr_find(type);

	return d ? d->name : "unknown";
}

static void attr_one(struct walk *w, struct attr *a)
{
	const struct attr_desc *d = attr_find(a->type);
	struct bgp_update *u = w->u;
	bool bad_flags;
	size_t len = a->v.n;

	a->desc = d;
	if (w->seen[a->type / 8] & (1u << (a->type % 8))) {
		attr_fault(w, a, FAULT_DUPLICATE, BGP_UPD_MALFORMED_ATTR_LIST, "%s twice", bgp_attr_name(a->type));
		return;
	}
	w->seen[a->type / 8] |= (uint8_t)(1u << (a->type % 8));
	/* RFC 4760 3: without IPv4 NLRI, NEXT_HOP says nothing; it is ignored, whatever it holds. */
	if (a->type == BGP_ATTR_NEXT_HOP && w->nlri_len == 0)
		return;
	if (!d) {
		/* RFC 4271 5: an unrecognized optional attribute is ignored (vipcast passes nothing on). */
		if (!(a->flags & BGP_ATTRF_OPTIONAL))
			attr_fault(w, a, FAULT_UNKNOWN_WELLKNOWN, BGP_UPD_UNRECOGNIZED_WELLKNOWN,
				   "unrecognized well-known attribute %u", a->type);
		return;
	}
	if ((d->ibgp_only && !w->ibgp) || (d->as2_only && w->as4)) {
		u->discarded++;
		return;
	}
	bad_flags = (a->flags & (BGP_ATTRF_OPTIONAL | BGP_ATTRF_TRANSITIVE)) != d->flags;
	if (bad_flags) {
		attr_fault(w, a, FAULT_FLAGS, BGP_UPD_ATTR_FLAGS, "%s with flags 0x%02x", d->name, a->flags);
		/* The MP attributes are still read: their NLRI are the ones to withdraw. */
		if (!is_mp(a->type))
			return;
	}
	if ((d->len >= 0 && len != (size_t)d->len) || (d->unit && (len == 0 || len % d->unit))) {
		attr_fault(w, a, FAULT_VALUE, BGP_UPD_ATTR_LENGTH, "%s of length %zu", d->name, len);
		return;
	}
	if (d->decode(w, a) != DEC_OK)
		return;
	if (a->v.bad || a->v.n) {
		attr_fault(w, a, FAULT_VALUE, BGP_UPD_ATTR_LENGTH, "%s: %zu bytes left over", d->name, a->v.n);
		return;
	}
	if (a->type < 64 && !bad_flags)
		u->attrs_seen |= (uint64_t)1 << a->type;
}

/* RFC 4271 5 and 6.3, RFC 4760 3, RFC 7606 3 d: what must come with reachable NLRI. */
static void check_mandatory(struct walk *w)
{
	size_t nlri_len = w->nlri_len;
	static const uint8_t mandatory[] = {BGP_ATTR_ORIGIN, BGP_ATTR_AS_PATH, BGP_ATTR_NEXT_HOP, BGP_ATTR_LOCAL_PREF};
	struct bgp_update *u = w->u;

	if (nlri_len == 0 && !(u->mp_reach && u->mp_nlri_len > 0))
		return;
	for (size_t i = 0; i < sizeof(mandatory); i++) {
		struct attr a = {.type = mandatory[i], .desc = attr_find(mandatory[i])};

		if (a.type == BGP_ATTR_NEXT_HOP && nlri_len == 0)
			continue;  /* MP_REACH carries its own (RFC 4760 3) */
		if (a.type == BGP_ATTR_LOCAL_PREF && !w->ibgp)
			continue;
		if (!(u->attrs_seen & ((uint64_t)1 << a.type)))
			attr_fault(w, &a, FAULT_MISSING, BGP_UPD_MISSING_WELLKNOWN, "no %s", a.desc->name);
	}
}

/* Flags, type, and a length of one octet, or two with Extended Length (RFC 4271 4.3). */
static bool read_attr_header(struct rd *r, struct attr *a, uint16_t *len)
{
	uint8_t len8 = 0;

	if (!rd_u8(r, &a->flags) || !rd_u8(r, &a->type))
		return false;
	if (a->flags & BGP_ATTRF_EXT_LEN)
		return rd_u16(r, len);
	if (!rd_u8(r, &len8))
		return false;
	*len = len8;
	return true;
}

enum bgp_action bgp_attrs_parse(const uint8_t *p, size_t len, size_t nlri_len, bool as4, bool ibgp,
				struct bgp_update *u, struct bgp_error *err, unsigned *count)
{
	struct walk w = {.u = u, .err = err, .as4 = as4, .ibgp = ibgp, .nlri_len = nlri_len};
	struct rd r = rd_init(p, len);

	*count = 0;
	while (r.n > 0 && w.action < BGP_ACT_RESET) {
		struct attr a = {.raw = r.p};
		uint16_t alen = 0;

		/* RFC 7606 4: too few bytes for an attribute header, or a value past the list. */
		if (!read_attr_header(&r, &a, &alen)) {
			/* Too short to be anything, an MP attribute included. */
			a.type = 0;
			a.raw_len = (size_t)(r.p - a.raw) + r.n;
			attr_fault(&w, &a, FAULT_LIST, BGP_UPD_MALFORMED_ATTR_LIST, "%zu stray bytes after the attributes",
				   a.raw_len);
			break;
		}
		if (!rd_sub(&r, alen, &a.v)) {
			a.raw_len = (size_t)(r.p - a.raw) + r.n;
			attr_fault(&w, &a, FAULT_LIST, BGP_UPD_MALFORMED_ATTR_LIST,
				   "%s of length %u runs past the attributes", bgp_attr_name(a.type), alen);
			break;
		}
		a.raw_len = (size_t)(r.p - a.raw);
		(*count)++;
		attr_one(&w, &a);
	}
	if (w.action < BGP_ACT_RESET)
		check_mandatory(&w);
	return w.action;
}
