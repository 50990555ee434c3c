/*
 * UPDATE encoding: vipcast's announcements, withdrawals and End-of-RIB markers.
 *
 * The speaker announces many prefixes with one set of attributes. The path
 * attributes are written once into a scratch block; what is left of
 * BGP_MAX_LEN after the header, the two length fields, those attributes and,
 * for IPv6, the fixed part of MP_REACH_NLRI is the room for prefixes. Two ways
 * to fill it:
 *  - in order (bgp_update_encode): pfx[0..k) for the largest k that fits. For
 *    a given order no split needs fewer messages.
 *  - best fit (bgp_update_pack): the sizes of the prefixes are 1 + 0..16
 *    bytes, so the choice works on counts per size: the largest ones while
 *    much room is left, then an exact small knapsack on the rest of the room.
 *    Every message but the last is then full to the byte when the prefixes
 *    left allow it, which makes the count the lower bound
 *    ceil(total bytes / room).
 *
 * Attributes go in ascending type order (RFC 4271 5) but for MP_REACH_NLRI
 * and MP_UNREACH_NLRI, which come first (RFC 7606 5.1) and always use the
 * extended length, as their length is known only once the prefixes are.
 */
#include <string.h>

#include "bgp_int.h"

#define MAX_SIZE 17               /* bytes of a /128 in NLRI */
#define MARGIN (MAX_SIZE * MAX_SIZE)  /* room left to the exact fill */
#define EXACT_MAX (MARGIN + MAX_SIZE)

/* MP_REACH_NLRI's value before its NLRI: AFI, SAFI, next hop length, reserved. */
#define MP_REACH_FIXED 5
/* MP_UNREACH_NLRI's value before its withdrawn routes: AFI, SAFI. */
#define MP_UNREACH_FIXED 3
/* An attribute header with the extended length. */
#define ATTR_EXT_HDR 4

/* The prefixes of this family go in MP_REACH_NLRI: IPv6 always, IPv4 with an RFC 8950 next hop. */
static bool via_mp(const struct bgp_route_attrs *a, uint8_t family)
{
	return family == 6 || a->ipv4_nh6;
}

static bool prefix_ok(const struct bgp_prefix *p)
{
	unsigned bits = bgp_family_bits(p->family);

	return bits && p->len <= bits;
}

static size_t prefix_size(const struct bgp_prefix *p)
{
	return bgp_prefix_wire_len(p->len);
}

static void put_prefix(struct wr *w, const struct bgp_prefix *p)
{
	size_t bytes = (p->len + 7u) / 8;

	wr_u8(w, p->len);
	if (!bytes)
		return;
	wr_bytes(w, p->addr, bytes - 1);
	/* RFC 4271 4.3: trailing bits are irrelevant; send them as zero. */
	wr_u8(w, p->len % 8 ? (uint8_t)(p->addr[bytes - 1] & (0xff00 >> (p->len % 8))) : p->addr[bytes - 1]);
}

static void put_attr_header(struct wr *w, uint8_t flags, uint8_t type, size_t len)
{
	if (len > 0xffff) {
		w->full = true;
	} else if (len > 0xff) {
		wr_u8(w, flags | BGP_ATTRF_EXT_LEN);
		wr_u8(w, type);
		wr_u16(w, (uint16_t)len);
	} else {
		wr_u8(w, flags);
		wr_u8(w, type);
		wr_u8(w, (uint8_t)len);
	}
}

/*
 * The path attributes but MP_REACH_NLRI. AS_PATH is one AS_SEQUENCE of the
 * local AS for eBGP, empty for iBGP (RFC 4271 5.1.2). A peer without 4-octet
 * ASNs gets AS_TRANS there and the real ASN in AS4_PATH (RFC 6793 4.2.2).
 */
static size_t put_path_attrs(const struct bgp_route_attrs *a, uint8_t family, struct wr w)
{
	bool as4_path = a->ebgp && !a->peer_as4 && a->local_as > 0xffff;

	put_attr_header(&w, BGP_ATTRF_TRANSITIVE, BGP_ATTR_ORIGIN, 1);
	wr_u8(&w, a->origin);
	if (a->ebgp) {
		put_attr_header(&w, BGP_ATTRF_TRANSITIVE, BGP_ATTR_AS_PATH, a->peer_as4 ? 6 : 4);
		wr_u8(&w, BGP_AS_SEQUENCE);
		wr_u8(&w, 1);
		if (a->peer_as4)
			wr_u32(&w, a->local_as);
		else
			wr_u16(&w, bgp_as2(a->local_as));
	} else {
		put_attr_header(&w, BGP_ATTRF_TRANSITIVE, BGP_ATTR_AS_PATH, 0);
	}
	if (!via_mp(a, family)) {
		put_attr_header(&w, BGP_ATTRF_TRANSITIVE, BGP_ATTR_NEXT_HOP, 4);
		wr_bytes(&w, a->next_hop4, 4);
	}
	if (a->has_med) {
		put_attr_header(&w, BGP_ATTRF_OPTIONAL, BGP_ATTR_MED, 4);
		wr_u32(&w, a->med);
	}
	/* RFC 4271 5.1.5: for internal peers always, for external ones never. */
	if (!a->ebgp) {
		put_attr_header(&w, BGP_ATTRF_TRANSITIVE, BGP_ATTR_LOCAL_PREF, 4);
		wr_u32(&w, a->has_local_pref ? a->local_pref : 100);
	}
	if (a->ncommunities) {
		put_attr_header(&w, BGP_ATTRF_OPTIONAL | BGP_ATTRF_TRANSITIVE, BGP_ATTR_COMMUNITIES,
				a->ncommunities * 4);
		for (size_t i = 0; i < a->ncommunities && !w.full; i++)
			wr_u32(&w, a->communities[i]);
	}
	if (a->next_communities) {
		put_attr_header(&w, BGP_ATTRF_OPTIONAL | BGP_ATTRF_TRANSITIVE, BGP_ATTR_EXT_COMMUNITIES,
				a->next_communities * 8);
		for (size_t i = 0; i < a->next_communities && !w.full; i++) {
			wr_u32(&w, (uint32_t)(a->ext_communities[i] >> 32));
			wr_u32(&w, (uint32_t)a->ext_communities[i]);
		}
	}
	if (as4_path) {
		put_attr_header(&w, BGP_ATTRF_OPTIONAL | BGP_ATTRF_TRANSITIVE, BGP_ATTR_AS4_PATH, 6);
		wr_u8(&w, BGP_AS_SEQUENCE);
		wr_u8(&w, 1);
		wr_u32(&w, a->local_as);
	}
	if (a->nlarge_communities) {
		put_attr_header(&w, BGP_ATTRF_OPTIONAL | BGP_ATTRF_TRANSITIVE, BGP_ATTR_LARGE_COMMUNITY,
				a->nlarge_communities * 12);
		for (size_t i = 0; i < a->nlarge_communities && !w.full; i++)
			for (int k = 0; k < 3; k++)
				wr_u32(&w, a->large_communities[i][k]);
	}
	return w.full ? 0 : w.len;
}

static size_t limit_of(size_t cap)
{
	return cap < BGP_MAX_LEN ? cap : BGP_MAX_LEN;
}

static size_t next_hop6_len(const struct bgp_route_attrs *a)
{
	return a->has_next_hop6_ll ? 32 : 16;
}

/* An announcement's bytes but its NLRI: header, length fields, attributes, MP_REACH_NLRI's fixed part. */
static size_t announce_fixed(const struct bgp_route_attrs *a, uint8_t family, size_t attrs_len)
{
	size_t fixed = BGP_UPDATE_MIN_LEN + attrs_len;

	if (via_mp(a, family))
		fixed += ATTR_EXT_HDR + MP_REACH_FIXED + next_hop6_len(a);
	return fixed;
}

/* Room for NLRI bytes in an announcement, or 0. */
static size_t announce_room(const struct bgp_route_attrs *a, uint8_t family, size_t attrs_len, size_t cap)
{
	size_t fixed = announce_fixed(a, family, attrs_len);

	return limit_of(cap) > fixed ? limit_of(cap) - fixed : 0;
}

static size_t withdraw_room(uint8_t family, size_t cap)
{
	size_t fixed = BGP_UPDATE_MIN_LEN + (family == 6 ? ATTR_EXT_HDR + MP_UNREACH_FIXED : 0);

	return limit_of(cap) > fixed ? limit_of(cap) - fixed : 0;
}

static size_t write_announce(const struct bgp_route_attrs *a, const struct bgp_prefix *pfx, size_t k,
			     size_t nlri_bytes, const uint8_t *attrs, size_t attrs_len, uint8_t *buf, size_t cap)
{
	struct wr w = wr_init(buf, cap);

	bgp_msg_begin(&w, BGP_UPDATE);
	wr_u16(&w, 0);
	bool mp = via_mp(a, pfx[0].family);

	if (!mp) {
		wr_u16(&w, (uint16_t)attrs_len);
		wr_bytes(&w, attrs, attrs_len);
	} else {
		size_t nhlen = next_hop6_len(a), mp_len = MP_REACH_FIXED + nhlen + nlri_bytes;

		wr_u16(&w, (uint16_t)(ATTR_EXT_HDR + mp_len + attrs_len));
		wr_u8(&w, BGP_ATTRF_OPTIONAL | BGP_ATTRF_EXT_LEN);
		wr_u8(&w, BGP_ATTR_MP_REACH);
		wr_u16(&w, (uint16_t)mp_len);
		wr_u16(&w, pfx[0].family == 6 ? BGP_AFI_IPV6 : BGP_AFI_IPV4);
		wr_u8(&w, BGP_SAFI_UNICAST);
		wr_u8(&w, (uint8_t)nhlen);
		wr_bytes(&w, a->next_hop6, 16);
		if (a->has_next_hop6_ll)
			wr_bytes(&w, a->next_hop6_ll, 16);
		wr_u8(&w, 0);
	}
	for (size_t i = 0; i < k; i++)
		put_prefix(&w, &pfx[i]);
	if (mp)
		wr_bytes(&w, attrs, attrs_len);
	return bgp_msg_end(&w);
}

static size_t write_withdraw(const struct bgp_prefix *pfx, size_t k, size_t nlri_bytes, uint8_t *buf, size_t cap)
{
	struct wr w = wr_init(buf, cap);

	bgp_msg_begin(&w, BGP_UPDATE);
	if (pfx[0].family == 4) {
		wr_u16(&w, (uint16_t)nlri_bytes);
		for (size_t i = 0; i < k; i++)
			put_prefix(&w, &pfx[i]);
		wr_u16(&w, 0);
	} else {
		wr_u16(&w, 0);
		wr_u16(&w, (uint16_t)(ATTR_EXT_HDR + MP_UNREACH_FIXED + nlri_bytes));
		wr_u8(&w, BGP_ATTRF_OPTIONAL | BGP_ATTRF_EXT_LEN);
		wr_u8(&w, BGP_ATTR_MP_UNREACH);
		wr_u16(&w, (uint16_t)(MP_UNREACH_FIXED + nlri_bytes));
		wr_u16(&w, BGP_AFI_IPV6);
		wr_u8(&w, BGP_SAFI_UNICAST);
		for (size_t i = 0; i < k; i++)
			put_prefix(&w, &pfx[i]);
	}
	return bgp_msg_end(&w);
}

/* How many of pfx[0..n), in order, fit in room bytes. */
static size_t take_in_order(const struct bgp_prefix *pfx, size_t n, size_t room, size_t *bytes)
{
	size_t k = 0, b = 0;

	while (k < n && prefix_ok(&pfx[k]) && pfx[k].family == pfx[0].family && b + prefix_size(&pfx[k]) <= room)
		b += prefix_size(&pfx[k++]);
	*bytes = b;
	return k;
}

/*
 * Adds to take[] the counts per size, within left[], that fill room exactly
 * or else as nearly as can be: a bounded knapsack over at most EXACT_MAX
 * bytes. Sizes are tried largest first, so the smallest prefixes are kept
 * for the messages still to come.
 */
static void fill_exact(const size_t left[MAX_SIZE + 1], size_t room, size_t take[MAX_SIZE + 1])
{
	uint16_t use[MAX_SIZE + 1][EXACT_MAX + 1];
	bool reach[EXACT_MAX + 1] = {[0] = true};
	size_t best = 0;

	if (room > EXACT_MAX)
		room = EXACT_MAX;
	for (size_t s = MAX_SIZE; s >= 1; s--) {
		for (size_t x = 0; x <= room; x++) {
			use[s][x] = 0;
			if (reach[x] || x < s || !reach[x - s] || use[s][x - s] >= left[s])
				continue;
			use[s][x] = (uint16_t)(use[s][x - s] + 1);
			reach[x] = true;
		}
	}
	for (size_t x = 0; x <= room; x++)
		if (reach[x])
			best = x;
	for (size_t s = 1; s <= MAX_SIZE; s++) {
		take[s] += use[s][best];
		best -= use[s][best] * s;
	}
}

/*
 * Chooses prefixes of pfx[0]'s family among pfx[0..n) to fill room bytes,
 * and moves them to the front.
 */
static size_t take_best(struct bgp_prefix *pfx, size_t n, size_t room, size_t *bytes)
{
	uint8_t family = pfx[0].family;
	size_t have[MAX_SIZE + 1] = {0}, take[MAX_SIZE + 1] = {0}, total = 0, k = 0, b = 0;

	for (size_t i = 0; i < n; i++) {
		if (prefix_ok(&pfx[i]) && pfx[i].family == family) {
			have[prefix_size(&pfx[i])]++;
			total += prefix_size(&pfx[i]);
		}
	}
	if (total <= room) {
		memcpy(take, have, sizeof(take));
	} else {
		size_t r = room, left[MAX_SIZE + 1];

		for (size_t s = MAX_SIZE; s >= 1; s--) {
			size_t t = r > MARGIN ? (r - MARGIN) / s : 0;

			take[s] = t < have[s] ? t : have[s];
			r -= take[s] * s;
			left[s] = have[s] - take[s];
		}
		left[0] = 0;
		fill_exact(left, r, take);
	}
	for (size_t i = 0; i < n; i++) {
		size_t s = prefix_size(&pfx[i]);

		if (!prefix_ok(&pfx[i]) || pfx[i].family != family || take[s] == 0)
			continue;
		take[s]--;
		struct bgp_prefix t = pfx[k];
		pfx[k++] = pfx[i];
		pfx[i] = t;
		b += s;
	}
	*bytes = b;
	return k;
}

static size_t announce(const struct bgp_route_attrs *a, const struct bgp_prefix *cpfx, struct bgp_prefix *pfx,
		       size_t n, size_t *used, uint8_t *buf, size_t cap)
{
	uint8_t attrs[BGP_MAX_LEN];
	size_t attrs_len, room, k, bytes, len;
	const struct bgp_prefix *first = pfx ? pfx : cpfx;

	*used = 0;
	if (n == 0 || !prefix_ok(first))
		return 0;
	attrs_len = put_path_attrs(a, first->family, wr_init(attrs, sizeof(attrs)));
	if (attrs_len == 0)
		return 0;
	room = announce_room(a, first->family, attrs_len, cap);
	if (room < prefix_size(first))
		return 0;
	k = pfx ? take_best(pfx, n, room, &bytes) : take_in_order(cpfx, n, room, &bytes);
	len = write_announce(a, first, k, bytes, attrs, attrs_len, buf, cap);
	if (len)
		*used = k;
	return len;
}

static size_t withdraw(const struct bgp_prefix *cpfx, struct bgp_prefix *pfx, size_t n, size_t *used, uint8_t *buf,
		       size_t cap)
{
	size_t room, k, bytes, len;
	const struct bgp_prefix *first = pfx ? pfx : cpfx;

	*used = 0;
	if (n == 0 || !prefix_ok(first))
		return 0;
	room = withdraw_room(first->family, cap);
	if (room < prefix_size(first))
		return 0;
	k = pfx ? take_best(pfx, n, room, &bytes) : take_in_order(cpfx, n, room, &bytes);
	len = write_withdraw(first, k, bytes, buf, cap);
	if (len)
		*used = k;
	return len;
}

size_t bgp_update_size(const struct bgp_route_attrs *a, const struct bgp_prefix *pfx)
{
	size_t attrs_len;

	if (!prefix_ok(pfx))
		return 0;
	attrs_len = put_path_attrs(a, pfx->family, wr_measure());
	return attrs_len ? announce_fixed(a, pfx->family, attrs_len) + prefix_size(pfx) : 0;
}

size_t bgp_update_encode(const struct bgp_route_attrs *a, const struct bgp_prefix *pfx, size_t n, size_t *used,
			 uint8_t *buf, size_t cap)
{
	return announce(a, pfx, NULL, n, used, buf, cap);
}

size_t bgp_update_pack(const struct bgp_route_attrs *a, struct bgp_prefix *pfx, size_t n, size_t *used,
		       uint8_t *buf, size_t cap)
{
	return announce(a, NULL, pfx, n, used, buf, cap);
}

size_t bgp_withdraw_encode(const struct bgp_prefix *pfx, size_t n, size_t *used, uint8_t *buf, size_t cap)
{
	return withdraw(pfx, NULL, n, used, buf, cap);
}

size_t bgp_withdraw_pack(struct bgp_prefix *pfx, size_t n, size_t *used, uint8_t *buf, size_t cap)
{
	return withdraw(NULL, pfx, n, used, buf, cap);
}

/* RFC 4724 2: an empty UPDATE for IPv4 unicast, an empty MP_UNREACH_NLRI for IPv6. */
size_t bgp_end_of_rib_encode(enum bgp_af af, uint8_t *buf, size_t cap)
{
	struct wr w = wr_init(buf, cap);

	bgp_msg_begin(&w, BGP_UPDATE);
	wr_u16(&w, 0);
	if (af == BGP_AF_IPV4) {
		wr_u16(&w, 0);
	} else {
		wr_u16(&w, 3 + MP_UNREACH_FIXED);
		put_attr_header(&w, BGP_ATTRF_OPTIONAL, BGP_ATTR_MP_UNREACH, MP_UNREACH_FIXED);
		wr_u16(&w, BGP_AFI_IPV6);
		wr_u8(&w, BGP_SAFI_UNICAST);
	}
	return bgp_msg_end(&w);
}
