/*
 * UPDATE decoding (RFC 4271 4.3, 6.3; RFC 4760; RFC 4724 2; RFC 7606).
 *
 * The body is three length-delimited parts: withdrawn routes, path
 * attributes, NLRI. Their two lengths are the only framing RFC 7606 cannot
 * soften: when they do not add up nothing else can be located, and the
 * session is reset (RFC 7606 3 j). The attributes then go through
 * bgp_attrs_parse() (bgp_attr.c), which applies the rest of RFC 7606; last the
 * prefix lists are checked whole (RFC 7606 5.3), so that the session can later
 * walk them with bgp_nlri_next() without checks of its own.
 */
#include <stdio.h>
#include <string.h>

#include "bgp_int.h"

bool bgp_nlri_valid(const uint8_t *p, size_t len, uint8_t family, char *why, size_t whylen)
{
	struct rd r = rd_init(p, len);
	unsigned max = bgp_family_bits(family);

	while (r.n > 0) {
		uint8_t bits = 0;
		size_t at = len - r.n;

		rd_u8(&r, &bits);
		if (bits > max) {
			snprintf(why, whylen, "prefix length %u at byte %zu", bits, at);
			return false;
		}
		if (!rd_skip(&r, (bits + 7u) / 8)) {
			snprintf(why, whylen, "/%u prefix at byte %zu cut short", bits, at);
			return false;
		}
	}
	return true;
}

bool bgp_nlri_next(const uint8_t **p, size_t *len, uint8_t family, struct bgp_prefix *out)
{
	struct rd r;
	uint8_t bits = 0;
	unsigned max = bgp_family_bits(family);
	size_t bytes;

	if (!p || !len || !*p || *len == 0 || !max)
		return false;
	r = rd_init(*p, *len);
	memset(out, 0, sizeof(*out));
	if (!rd_u8(&r, &bits) || bits > max)
		return false;
	bytes = (bits + 7u) / 8;
	if (!rd_bytes(&r, out->addr, bytes))
		return false;
	/* RFC 4271 4.3: the trailing bits are irrelevant; keep them zero. */
	if (bits % 8)
		out->addr[bytes - 1] &= (uint8_t)(0xff00 >> (bits % 8));
	out->family = family;
	out->len = bits;
	*p = r.p;
	*len = r.n;
	return true;
}

/*
 * RFC 4724 2: an UPDATE with nothing in it (IPv4 unicast), or with nothing but
 * an empty MP_UNREACH_NLRI (other families).
 */
static void find_end_of_rib(struct bgp_update *u, size_t attrs_len, unsigned nattrs)
{
	if (u->withdrawn_len || u->nlri_len)
		return;
	if (attrs_len == 0) {
		u->end_of_rib = true;
		u->end_of_rib_af = BGP_AF_IPV4;
	} else if (nattrs == 1 && u->mp_unreach && u->mp_withdrawn_len == 0) {
		u->end_of_rib = true;
		u->end_of_rib_af = u->mp_unreach_af;
	}
}

bool bgp_update_decode(const uint8_t *body, size_t len, bool as4, bool ibgp, struct bgp_update *u,
		       struct bgp_error *err)
{
	struct rd r = rd_init(body, len), wd, attrs;
	uint16_t wlen = 0, alen = 0;
	unsigned nattrs = 0;
	char why[80];

	memset(u, 0, sizeof(*u));
	bgp_err_clear(err);
	/* RFC 4271 6.3: the two lengths must fit in the message. */
	if (!rd_u16(&r, &wlen) || !rd_sub(&r, wlen, &wd)) {
		bgp_err_set(err, BGP_ERR_UPDATE, BGP_UPD_MALFORMED_ATTR_LIST, NULL, 0,
			    "withdrawn routes length %u, %zu bytes in the body", wlen, len);
		return false;
	}
	if (!rd_u16(&r, &alen) || !rd_sub(&r, alen, &attrs)) {
		bgp_err_set(err, BGP_ERR_UPDATE, BGP_UPD_MALFORMED_ATTR_LIST, NULL, 0,
			    "total path attribute length %u, %zu bytes left", alen, r.n);
		return false;
	}
	u->withdrawn = wd.p;
	u->withdrawn_len = wd.n;
	u->nlri = r.p;
	u->nlri_len = r.n;
	if (bgp_attrs_parse(attrs.p, attrs.n, u->nlri_len, as4, ibgp, u, err, &nattrs) == BGP_ACT_RESET)
		return false;
	/* RFC 7606 5.3: prefixes that do not parse cannot be withdrawn either. */
	if (!bgp_nlri_valid(u->withdrawn, u->withdrawn_len, 4, why, sizeof(why))) {
		bgp_err_set(err, BGP_ERR_UPDATE, BGP_UPD_BAD_NETWORK, NULL, 0, "withdrawn routes: %s", why);
		return false;
	}
	if (!bgp_nlri_valid(u->nlri, u->nlri_len, 4, why, sizeof(why))) {
		bgp_err_set(err, BGP_ERR_UPDATE, BGP_UPD_BAD_NETWORK, NULL, 0, "NLRI: %s", why);
		return false;
	}
	find_end_of_rib(u, alen, nattrs);
	return true;
}

uint32_t bgp_community_at(const struct bgp_update *u, size_t i)
{
	struct rd r = rd_init(u->communities, u->ncommunities * 4);
	uint32_t v = 0;

	rd_skip(&r, i * 4);
	rd_u32(&r, &v);
	return v;
}

uint64_t bgp_ext_community_at(const struct bgp_update *u, size_t i)
{
	struct rd r = rd_init(u->ext_communities, u->next_communities * 8);
	uint32_t hi = 0, lo = 0;

	rd_skip(&r, i * 8);
	rd_u32(&r, &hi);
	rd_u32(&r, &lo);
	return (uint64_t)hi << 32 | lo;
}

void bgp_large_community_at(const struct bgp_update *u, size_t i, uint32_t out[3])
{
	struct rd r = rd_init(u->large_communities, u->nlarge_communities * 12);

	out[0] = out[1] = out[2] = 0;
	rd_skip(&r, i * 12);
	rd_u32(&r, &out[0]);
	rd_u32(&r, &out[1]);
	rd_u32(&r, &out[2]);
}

void bgp_as_path_iter_init(struct bgp_as_path_iter *it, const uint8_t *path, size_t len, bool as4)
{
	memset(it, 0, sizeof(*it));
	it->p = path;
	it->len = path ? len : 0;
	it->as4 = as4;
}

bool bgp_as_path_iter_next(struct bgp_as_path_iter *it, uint8_t *seg_type, uint32_t *asn)
{
	struct rd r = rd_init(it->p, it->len);

	while (it->left == 0) {
		uint8_t n = 0;

		if (r.n == 0 || !rd_u8(&r, &it->seg_type) || !rd_u8(&r, &n))
			return false;
		it->left = n;
	}
	if (it->as4) {
		if (!rd_u32(&r, asn))
			return false;
	} else {
		uint16_t a2 = 0;

		if (!rd_u16(&r, &a2))
			return false;
		*asn = a2;
	}
	it->left--;
	it->p = r.p;
	it->len = r.n;
	*seg_type = it->seg_type;
	return true;
}

int bgp_prefix_cmp(const struct bgp_prefix *a, const struct bgp_prefix *b)
{
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	int r = memcmp(a->addr, b->addr, a->family == 4 ? 4 : 16);
	if (r)
		return r;
	return a->len < b->len ? -1 : a->len > b->len;
}
