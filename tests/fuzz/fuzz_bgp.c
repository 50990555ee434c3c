/*
 * libFuzzer target for the BGP wire format (proto/bgp_*.c).
 *
 * The first byte chooses the mode:
 *  - bit 7 clear: the rest is a stream of messages, each framed by
 *    bgp_header_check() as the session frames them, its body copied to a
 *    heap block of its exact size (so ASan sees a read past the body) and
 *    given to the decoder of its type;
 *  - bit 7 set: the rest is one body, of the type (bits 4-6) % 5 + 1, with
 *    no header to get right first.
 * An UPDATE is decoded four times: with and without 4-octet ASNs, eBGP and
 * iBGP.
 *
 * What decodes is encoded again with vipcast's encoders and decoded once
 * more, and the two must agree (OPEN fields, NOTIFICATION and ROUTE-REFRESH
 * contents, every prefix exactly once, the attributes vipcast sends): an
 * asymmetry between the two halves aborts. Errors must name the
 * NOTIFICATION of their message type, and every NOTIFICATION is formatted
 * for the log, into a large and a small buffer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bgp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                 \
	do {                     \
		if (!(c))        \
			abort(); \
	} while (0)

static void format_notification(uint8_t code, uint8_t subcode, const uint8_t *data, size_t len)
{
	char line[512], small[16];

	bgp_notification_format(code, subcode, data, len, line, sizeof(line));
	bgp_notification_format(code, subcode, data, len, small, sizeof(small));
	CHECK(strlen(small) < sizeof(small));
}

static void check_error(const struct bgp_error *err, uint8_t code)
{
	CHECK(err->code == code);
	CHECK(err->len <= sizeof(err->data));
	CHECK(memchr(err->why, '\0', sizeof(err->why)) != NULL);
	format_notification(err->code, err->subcode, err->data, err->len);
}

static void fuzz_open(const uint8_t *body, size_t len)
{
	struct bgp_open o, back;
	struct bgp_error err;
	uint8_t buf[BGP_MAX_LEN];
	size_t n, mlen;
	uint8_t type;

	if (!bgp_open_decode(body, len, &o, &err)) {
		CHECK(err.code == BGP_ERR_OPEN || err.code == BGP_ERR_HEADER);
		check_error(&err, err.code);
		return;
	}
	(void)bgp_open_asn(&o);
	n = bgp_open_encode(&o, buf, sizeof(buf));
	CHECK(n > 0);
	CHECK(bgp_header_check(buf, n, &mlen, &type, &err) == 1 && mlen == n && type == BGP_OPEN);
	CHECK(bgp_open_decode(buf + BGP_HEADER_LEN, n - BGP_HEADER_LEN, &back, &err));
	o.caps.unknown = 0;  /* not sent again */
	CHECK(memcmp(&o, &back, sizeof(o)) == 0);
}

/* The prefixes of one NLRI block, which decoding validated: walked to its last byte. */
static size_t collect(const uint8_t *p, size_t len, uint8_t family, struct bgp_prefix *out, size_t max)
{
	struct bgp_prefix x;
	size_t n = 0;

	while (bgp_nlri_next(&p, &len, family, &x)) {
		CHECK(x.family == family && x.len <= (family == 4 ? 32 : 128));
		if (n < max)
			out[n] = x;
		n++;
	}
	CHECK(len == 0);
	return n < max ? n : max;
}

static int prefix_cmp(const void *x, const void *y)
{
	const struct bgp_prefix *a = x, *b = y;

	if (a->family != b->family)
		return a->family - b->family;
	if (a->len != b->len)
		return a->len - b->len;
	return memcmp(a->addr, b->addr, sizeof(a->addr));
}

static void walk_path(const uint8_t *p, size_t len, bool as4)
{
	struct bgp_as_path_iter it;
	uint8_t seg;
	uint32_t asn;
	size_t k = 0;

	bgp_as_path_iter_init(&it, p, len, as4);
	while (bgp_as_path_iter_next(&it, &seg, &asn))
		CHECK(++k <= len);
}

#define MAX_PFX 2048

struct pfx_set {
	struct bgp_prefix v[MAX_PFX];
	size_t n;
};

/*
 * Encodes pfx (one family) with a, or as withdrawals when a is NULL, to the
 * end, in order or packed; decodes every message and collects the prefixes
 * in got. Checks the attributes vipcast sent came back.
 */
static bool encode_all(const struct bgp_route_attrs *a, struct bgp_prefix *pfx, size_t n, bool pack, size_t cap,
		       struct pfx_set *got)
{
	uint8_t buf[BGP_MAX_LEN];
	size_t done = 0;

	while (done < n) {
		size_t used = 0, len, mlen;
		uint8_t type;
		struct bgp_update u;
		struct bgp_error err;

		if (a)
			len = pack ? bgp_update_pack(a, pfx + done, n - done, &used, buf, cap)
				   : bgp_update_encode(a, pfx + done, n - done, &used, buf, cap);
		else
			len = pack ? bgp_withdraw_pack(pfx + done, n - done, &used, buf, cap)
				   : bgp_withdraw_encode(pfx + done, n - done, &used, buf, cap);
		if (len == 0)
			return false;
		CHECK(used > 0 && used <= n - done && len <= cap);
		CHECK(bgp_header_check(buf, len, &mlen, &type, &err) == 1 && mlen == len && type == BGP_UPDATE);
		bool as4 = a ? a->peer_as4 : true, ibgp = a ? !a->ebgp : false;
		CHECK(bgp_update_decode(buf + BGP_HEADER_LEN, len - BGP_HEADER_LEN, as4, ibgp, &u, &err));
		CHECK(!u.treat_as_withdraw && u.discarded == 0);
		if (a) {
			CHECK(u.origin == a->origin);
			CHECK(u.ncommunities == a->ncommunities && u.nlarge_communities == a->nlarge_communities);
			for (size_t i = 0; i < u.ncommunities; i++)
				CHECK(bgp_community_at(&u, i) == a->communities[i]);
			for (size_t i = 0; i < u.nlarge_communities; i++) {
				uint32_t lc[3];
				bgp_large_community_at(&u, i, lc);
				CHECK(memcmp(lc, a->large_communities[i], sizeof(lc)) == 0);
			}
			CHECK(u.next_communities == a->next_communities);
			for (size_t i = 0; i < u.next_communities; i++)
				CHECK(bgp_ext_community_at(&u, i) == a->ext_communities[i]);
			CHECK(!!(u.attrs_seen & (1u << BGP_ATTR_MED)) == a->has_med && (!a->has_med || u.med == a->med));
			if (!a->ebgp)
				CHECK(u.local_pref == (a->has_local_pref ? a->local_pref : 100));
			if (pfx[done].family == 4 && !a->ipv4_nh6) {
				CHECK(memcmp(u.next_hop, a->next_hop4, 4) == 0);
			} else {
				CHECK(u.mp_reach && memcmp(u.mp_next_hop, a->next_hop6, 16) == 0);
				CHECK(u.mp_next_hop_has_ll == a->has_next_hop6_ll);
			}
		}
		const uint8_t *p;
		size_t plen;
		if (pfx[done].family == 4 && !(a && a->ipv4_nh6)) {
			p = a ? u.nlri : u.withdrawn;
			plen = a ? u.nlri_len : u.withdrawn_len;
		} else {
			p = a ? u.mp_nlri : u.mp_withdrawn;
			plen = a ? u.mp_nlri_len : u.mp_withdrawn_len;
		}
		size_t k = collect(p, plen, pfx[done].family, got->v + got->n, MAX_PFX - got->n);
		CHECK(k == used);
		got->n += k;
		done += used;
	}
	return true;
}

/*
 * Sends the prefixes again, in order and packed, and requires exactly the
 * same set back: into whole 4096-byte messages, and into a buffer of a few
 * hundred bytes (chosen from the input) so that many messages are needed.
 */
static void round_trip(const struct bgp_route_attrs *a, const struct bgp_prefix *in, size_t n, size_t attr_bytes)
{
	static struct pfx_set got;
	static struct bgp_prefix want[MAX_PFX], work[MAX_PFX];
	size_t caps[2];

	if (n == 0)
		return;
	caps[0] = BGP_MAX_LEN;
	caps[1] = 64 + (n * 131 + in[0].len + attr_bytes) % 400;
	memcpy(want, in, n * sizeof(*in));
	qsort(want, n, sizeof(*want), prefix_cmp);
	for (int k = 0; k < 4; k++) {
		bool pack = k & 1;
		size_t cap = caps[k >> 1];

		got.n = 0;
		memcpy(work, in, n * sizeof(*in));
		if (!encode_all(a, work, n, pack, cap, &got)) {
			/* Only a small buffer, or attributes too large to leave room for a prefix, may refuse. */
			CHECK(cap < BGP_MAX_LEN || (a && attr_bytes > BGP_MAX_LEN - 160));
			continue;
		}
		CHECK(got.n == n);
		qsort(got.v, got.n, sizeof(*got.v), prefix_cmp);
		CHECK(memcmp(got.v, want, n * sizeof(*want)) == 0);
	}
}

static void reencode_update(const struct bgp_update *u, bool as4, bool ibgp)
{
	static uint32_t comms[BGP_MAX_LEN / 4], large[BGP_MAX_LEN / 12][3];
	static uint64_t ext[BGP_MAX_LEN / 8];
	static struct bgp_prefix pfx[MAX_PFX];
	struct bgp_route_attrs a = {.ebgp = !ibgp, .peer_as4 = as4, .origin = u->origin};
	struct bgp_as_path_iter it;
	uint8_t seg;
	uint32_t asn = 0;
	size_t n;

	bgp_as_path_iter_init(&it, u->as4_path ? u->as4_path : u->as_path,
			      u->as4_path ? u->as4_path_len : u->as_path_len, u->as4_path ? true : as4);
	if (bgp_as_path_iter_next(&it, &seg, &asn))
		a.local_as = asn;
	memcpy(a.next_hop4, u->next_hop, 4);
	memcpy(a.next_hop6, u->mp_next_hop, 16);
	memcpy(a.next_hop6_ll, u->mp_next_hop_ll, 16);
	a.has_next_hop6_ll = u->mp_next_hop_has_ll;
	a.has_med = u->attrs_seen & (1u << BGP_ATTR_MED);
	a.med = u->med;
	a.has_local_pref = u->attrs_seen & (1u << BGP_ATTR_LOCAL_PREF);
	a.local_pref = u->local_pref;
	for (size_t i = 0; i < u->ncommunities; i++)
		comms[i] = bgp_community_at(u, i);
	a.communities = comms;
	a.ncommunities = u->ncommunities;
	for (size_t i = 0; i < u->nlarge_communities; i++)
		bgp_large_community_at(u, i, large[i]);
	a.large_communities = (const uint32_t(*)[3])large;
	a.nlarge_communities = u->nlarge_communities;
	for (size_t i = 0; i < u->next_communities; i++) {
		uint16_t as;
		float bw;
		ext[i] = bgp_ext_community_at(u, i);
		if (bgp_link_bw_decode(ext[i], &as, &bw))
			CHECK(bgp_link_bw_community(as, bw) == ext[i]);
	}
	a.ext_communities = ext;
	a.next_communities = u->next_communities;
	size_t attr_bytes = u->ncommunities * 4 + u->nlarge_communities * 12 + u->next_communities * 8;

	n = collect(u->nlri, u->nlri_len, 4, pfx, MAX_PFX);
	round_trip(&a, pfx, n, attr_bytes);
	if (u->mp_reach) {
		uint8_t family = u->mp_reach_af == BGP_AF_IPV4 ? 4 : 6;
		n = collect(u->mp_nlri, u->mp_nlri_len, family, pfx, MAX_PFX);
		if (family == 4)
			memcpy(a.next_hop4, u->mp_next_hop_v4, 4);
		a.ipv4_nh6 = family == 4 && u->mp_next_hop_v6;  /* RFC 8950 */
		round_trip(&a, pfx, n, attr_bytes);
	}
	n = collect(u->withdrawn, u->withdrawn_len, 4, pfx, MAX_PFX);
	round_trip(NULL, pfx, n, 0);
	if (u->mp_unreach) {
		n = collect(u->mp_withdrawn, u->mp_withdrawn_len, u->mp_unreach_af == BGP_AF_IPV4 ? 4 : 6, pfx, MAX_PFX);
		round_trip(NULL, pfx, n, 0);
	}
	if (u->end_of_rib) {
		uint8_t buf[64];
		struct bgp_update e;
		size_t len = bgp_end_of_rib_encode(u->end_of_rib_af, buf, sizeof(buf));
		CHECK(len && bgp_update_decode(buf + BGP_HEADER_LEN, len - BGP_HEADER_LEN, as4, ibgp, &e, NULL));
		CHECK(e.end_of_rib && e.end_of_rib_af == u->end_of_rib_af);
	}
}

static void fuzz_update(const uint8_t *body, size_t len)
{
	for (int k = 0; k < 4; k++) {
		bool as4 = k & 1, ibgp = k & 2;
		struct bgp_update u;
		struct bgp_error err;

		if (!bgp_update_decode(body, len, as4, ibgp, &u, &err)) {
			check_error(&err, BGP_ERR_UPDATE);
			continue;
		}
		if (err.code)
			check_error(&err, BGP_ERR_UPDATE);
		CHECK(!u.treat_as_withdraw || u.why[0]);
		CHECK(!u.end_of_rib || (!u.nlri_len && !u.withdrawn_len));
		walk_path(u.as_path, u.as_path_len, as4);
		walk_path(u.as4_path, u.as4_path_len, true);
		if (!u.treat_as_withdraw)
			reencode_update(&u, as4, ibgp);
		else
			(void)collect(u.nlri, u.nlri_len, 4, NULL, 0);
	}
	/* The walker on bytes nobody validated: it must stop, never overrun. */
	for (uint8_t family = 4; family <= 6; family += 2) {
		const uint8_t *p = body;
		size_t n = len;
		struct bgp_prefix x;
		while (bgp_nlri_next(&p, &n, family, &x))
			CHECK(n < len);
	}
}

static void fuzz_notification(const uint8_t *body, size_t len)
{
	uint8_t code, sub, code2, sub2, buf[BGP_MAX_LEN];
	const uint8_t *data, *data2;
	size_t dlen, dlen2, n;

	if (!bgp_notification_decode(body, len, &code, &sub, &data, &dlen))
		return;
	format_notification(code, sub, data, dlen);
	(void)bgp_err_code_name(code);
	(void)bgp_err_subcode_name(code, sub);
	n = bgp_notification_encode(code, sub, data, dlen, buf, sizeof(buf));
	CHECK(n == BGP_HEADER_LEN + len || (len > BGP_MAX_LEN - BGP_HEADER_LEN && n == BGP_MAX_LEN));
	CHECK(bgp_notification_decode(buf + BGP_HEADER_LEN, n - BGP_HEADER_LEN, &code2, &sub2, &data2, &dlen2));
	CHECK(code2 == code && sub2 == sub && dlen2 <= dlen && memcmp(data, data2, dlen2) == 0);
}

static void fuzz_route_refresh(const uint8_t *body, size_t len)
{
	enum bgp_af af, back;
	struct bgp_error err;
	uint8_t buf[64];
	size_t n;

	if (!bgp_route_refresh_decode(body, len, &af, &err)) {
		if (err.code)
			check_error(&err, BGP_ERR_ROUTE_REFRESH);
		return;
	}
	n = bgp_route_refresh_encode(af, buf, sizeof(buf));
	CHECK(n == BGP_ROUTE_REFRESH_LEN);
	CHECK(bgp_route_refresh_decode(buf + BGP_HEADER_LEN, 4, &back, &err) && back == af);
}

static void one_message(uint8_t type, const uint8_t *body, size_t len)
{
	/* A copy of exactly the body's size: a read past it is ASan's to see. */
	uint8_t *copy = malloc(len ? len : 1);

	CHECK(copy);
	memcpy(copy, body, len);
	(void)bgp_type_name(type);
	switch (type) {
	case BGP_OPEN:
		fuzz_open(copy, len);
		break;
	case BGP_UPDATE:
		fuzz_update(copy, len);
		break;
	case BGP_NOTIFICATION:
		fuzz_notification(copy, len);
		break;
	case BGP_KEEPALIVE:  /* no body to decode: the header check held it to 19 bytes */
		break;
	case BGP_ROUTE_REFRESH:
		fuzz_route_refresh(copy, len);
		break;
	default:
		abort();
	}
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t mode;

	if (size < 1)
		return 0;
	mode = data[0];
	data++, size--;
	if (mode & 0x80) {
		one_message((uint8_t)(1 + ((mode >> 4) & 7) % 5), data, size);
		return 0;
	}
	while (size > 0) {
		size_t mlen = 0;
		uint8_t type = 0;
		struct bgp_error err;
		int r = bgp_header_check(data, size, &mlen, &type, &err);

		if (r < 0) {
			check_error(&err, BGP_ERR_HEADER);
			break;
		}
		if (r == 0 || mlen > size)
			break;
		CHECK(mlen >= BGP_HEADER_LEN && mlen <= BGP_MAX_LEN);
		CHECK(type != BGP_KEEPALIVE || mlen == BGP_KEEPALIVE_LEN);
		one_message(type, data + BGP_HEADER_LEN, mlen - BGP_HEADER_LEN);
		data += mlen;
		size -= mlen;
	}
	return 0;
}
