/*
 * Unit tests for UPDATE encoding (proto/bgp_encode.c): exact bytes for each
 * kind of message, then the packer: every prefix exactly once, each message
 * at most 4096 bytes and decoding to the attributes it was given, and the
 * fewest messages (1 prefix, an exact fit, 10k IPv4 /32, 10k IPv6 /128,
 * random mixed lengths, withdrawals likewise).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_bgp_util.h"

#define MARKER "ffffffffffffffffffffffffffffffff"
#define G6 "20010db8000000000000000000000001"
#define LL6 "fe800000000000000000000000000001"

static const uint32_t comms[] = {65001u << 16 | 100, 65001u << 16 | 200};
static const uint32_t large[][3] = {{65001, 1, 2}, {4200000001u, 7, 8}};

static struct bgp_route_attrs ebgp4(void)
{
	struct bgp_route_attrs a = {
		.ebgp = true, .local_as = 65001, .peer_as4 = true, .next_hop4 = {192, 0, 2, 1},
		.has_med = true, .med = 10, .communities = comms, .ncommunities = 1,
		.large_communities = large, .nlarge_communities = 1,
	};
	return a;
}

static struct bgp_route_attrs ebgp6_as_trans(void)
{
	struct bgp_route_attrs a = {.ebgp = true, .local_as = 4200000001u, .peer_as4 = false, .has_next_hop6_ll = true};
	uint8_t g[16], ll[16];

	hex_to(G6, g, 16);
	hex_to(LL6, ll, 16);
	memcpy(a.next_hop6, g, 16);
	memcpy(a.next_hop6_ll, ll, 16);
	return a;
}

/* Exact bytes */

static void test_encode_exact(void **state)
{
	uint8_t buf[BGP_MAX_LEN];
	struct bgp_prefix v4[] = {pfx_text("198.51.100.0/24"), pfx_text("198.18.0.1/32")};
	struct bgp_prefix v6[] = {pfx_text("2001:db8:1::/64")};
	struct bgp_route_attrs a = ebgp4();
	size_t used, n;

	(void)state;
	n = bgp_update_encode(&a, v4, 2, &used, buf, sizeof(buf));
	assert_int_equal(used, 2);
	expect_hex("eBGP IPv4", buf, n,
		   MARKER "0051 02 0000 0031"
		   "40010100 4002060201 0000fde9 400304 c0000201 800404 0000000a c00804 fde90064"
		   "c0200c 0000fde9 00000001 00000002"
		   "18 c63364 20 c6120001");

	/* A 2-octet peer, local AS 4200000001: AS_TRANS, and AS4_PATH (RFC 6793 4.2.2). Next hop with link-local. */
	a = ebgp6_as_trans();
	n = bgp_update_encode(&a, v6, 1, &used, buf, sizeof(buf));
	assert_int_equal(used, 1);
	expect_hex("eBGP IPv6 via AS_TRANS", buf, n,
		   MARKER "005d 02 0000 0046"
		   "900e002e 0002 01 20" G6 LL6 "00 40 20010db800010000"
		   "40010100 4002040201 5ba0 c0110602 01 fa56ea01");

	/* Global next hop only, a 2-octet peer and a 2-octet AS: no AS4_PATH. */
	a.has_next_hop6_ll = false;
	a.local_as = 65001;
	n = bgp_update_encode(&a, v6, 1, &used, buf, sizeof(buf));
	expect_hex("eBGP IPv6", buf, n,
		   MARKER "0044 02 0000 002d"
		   "900e001e 0002 01 10" G6 "00 40 20010db800010000"
		   "40010100 4002040201 fde9");

	/* iBGP: empty AS_PATH and LOCAL_PREF, 100 unless given (RFC 4271 5.1.5). */
	struct bgp_route_attrs ib = {.ebgp = false, .local_as = 64512, .next_hop4 = {192, 0, 2, 1}};
	n = bgp_update_encode(&ib, v4, 1, &used, buf, sizeof(buf));
	expect_hex("iBGP", buf, n, MARKER "0030 02 0000 0015 40010100 400200 400304c0000201 40050400000064 18c63364");
	ib.has_local_pref = true;
	ib.local_pref = 200;
	ib.origin = BGP_ORIGIN_INCOMPLETE;
	n = bgp_update_encode(&ib, v4, 1, &used, buf, sizeof(buf));
	expect_hex("iBGP LOCAL_PREF 200", buf, n,
		   MARKER "0030 02 0000 0015 40010102 400200 400304c0000201 400504000000c8 18c63364");

	/* LOCAL_PREF never goes to an eBGP peer. */
	a = ebgp4();
	a.has_local_pref = true;
	a.local_pref = 300;
	a.has_med = false;
	a.ncommunities = a.nlarge_communities = 0;
	n = bgp_update_encode(&a, v4, 1, &used, buf, sizeof(buf));
	expect_hex("eBGP, no LOCAL_PREF", buf, n,
		   MARKER "002f 02 0000 0014 40010100 4002060201 0000fde9 400304 c0000201 18c63364");
}

/* RFC 8950: IPv4 prefixes in MP_REACH_NLRI (AFI 1) with an IPv6 next hop, and back through the decoder. */
static void test_encode_ipv4_over_ipv6(void **state)
{
	uint8_t buf[BGP_MAX_LEN];
	struct bgp_prefix v4[] = {pfx_text("198.51.100.0/24"), pfx_text("198.18.0.1/32")};
	struct bgp_route_attrs a = {.ebgp = true, .local_as = 65001, .peer_as4 = true, .ipv4_nh6 = true};
	struct bgp_update u;
	struct bgp_error err;
	size_t used, n;

	(void)state;
	/* Link-local only, 16 bytes, as on an unnumbered session: no NEXT_HOP attribute. */
	hex_to(LL6, a.next_hop6, 16);
	n = bgp_update_encode(&a, v4, 2, &used, buf, sizeof(buf));
	assert_int_equal(used, 2);
	expect_hex("IPv4 via a link-local next hop", buf, n,
		   MARKER "0046 02 0000 002f"
		   "900e001e 0001 01 10" LL6 "00 18c63364 20c6120001"
		   "40010100 4002060201 0000fde9");
	assert_int_equal(bgp_update_size(&a, &v4[1]), n - 4);
	if (!bgp_update_decode(buf + BGP_HEADER_LEN, n - BGP_HEADER_LEN, true, false, &u, &err))
		fail_msg("%s", err.why);
	assert_true(u.mp_reach && u.mp_next_hop_v6 && !u.mp_next_hop_has_ll);
	assert_int_equal(u.mp_reach_af, BGP_AF_IPV4);
	assert_false(u.attrs_seen & (1u << BGP_ATTR_NEXT_HOP));
	expect_hex("decoded next hop", u.mp_next_hop, 16, LL6);
	assert_int_equal(u.nlri_len, 0);
	assert_int_equal(u.mp_nlri_len, 9);

	/* Global and link-local, 32 bytes. */
	hex_to(G6, a.next_hop6, 16);
	hex_to(LL6, a.next_hop6_ll, 16);
	a.has_next_hop6_ll = true;
	n = bgp_update_encode(&a, v4, 2, &used, buf, sizeof(buf));
	expect_hex("IPv4 via global and link-local", buf, n,
		   MARKER "0056 02 0000 003f"
		   "900e002e 0001 01 20" G6 LL6 "00 18c63364 20c6120001"
		   "40010100 4002060201 0000fde9");
	assert_true(bgp_update_decode(buf + BGP_HEADER_LEN, n - BGP_HEADER_LEN, true, false, &u, &err));
	assert_true(u.mp_next_hop_v6 && u.mp_next_hop_has_ll);
	expect_hex("decoded global", u.mp_next_hop, 16, G6);
	expect_hex("decoded link-local", u.mp_next_hop_ll, 16, LL6);

	/* Withdrawals stay in the classic field. */
	n = bgp_withdraw_encode(v4, 1, &used, buf, sizeof(buf));
	expect_hex("IPv4 withdrawn", buf, n, MARKER "001b 02 0004 18c63364 0000");
}

static void test_withdraw_and_eor_exact(void **state)
{
	uint8_t buf[BGP_MAX_LEN];
	struct bgp_prefix v4[] = {pfx_text("198.51.100.0/24"), pfx_text("203.0.113.128/25")};
	struct bgp_prefix v6[] = {pfx_text("2001:db8:1::/64")};
	size_t used, n;

	(void)state;
	n = bgp_withdraw_encode(v4, 2, &used, buf, sizeof(buf));
	assert_int_equal(used, 2);
	expect_hex("withdraw IPv4", buf, n, MARKER "0020 02 0009 18c63364 19cb007180 0000");
	n = bgp_withdraw_encode(v6, 1, &used, buf, sizeof(buf));
	expect_hex("withdraw IPv6", buf, n, MARKER "0027 02 0000 0010 900f000c 0002 01 40 20010db800010000");
	n = bgp_end_of_rib_encode(BGP_AF_IPV4, buf, sizeof(buf));
	expect_hex("EoR IPv4", buf, n, MARKER "0017 02 0000 0000");
	n = bgp_end_of_rib_encode(BGP_AF_IPV6, buf, sizeof(buf));
	expect_hex("EoR IPv6", buf, n, MARKER "001d 02 0000 0006 800f03 0002 01");
	assert_int_equal(bgp_end_of_rib_encode(BGP_AF_IPV6, buf, 28), 0);

	/* Host bits past the length go out as zero. */
	struct bgp_prefix dirty = pfx_text("198.51.100.255/25");
	n = bgp_withdraw_encode(&dirty, 1, &used, buf, sizeof(buf));
	expect_hex("masked", buf, n, MARKER "001c 02 0005 19c6336480 0000");
}

static void test_encode_refusals(void **state)
{
	uint8_t buf[BGP_MAX_LEN];
	struct bgp_prefix v[] = {pfx_text("198.51.100.0/24"), pfx_text("2001:db8::/32"), pfx_text("198.51.101.0/24")};
	struct bgp_route_attrs a = ebgp4();
	size_t used = 99;
	uint32_t many[1100];

	(void)state;
	assert_int_equal(bgp_update_encode(&a, v, 0, &used, buf, sizeof(buf)), 0);
	assert_int_equal(used, 0);
	/* Stops at the change of family. */
	assert_true(bgp_update_encode(&a, v, 3, &used, buf, sizeof(buf)) > 0);
	assert_int_equal(used, 1);
	assert_true(bgp_withdraw_encode(v, 3, &used, buf, sizeof(buf)) > 0);
	assert_int_equal(used, 1);
	/* Not a prefix: /33, family 5. */
	struct bgp_prefix bad[] = {{.family = 4, .len = 33}, {.family = 5, .len = 8}, {.family = 6, .len = 129}};
	for (size_t i = 0; i < N(bad); i++) {
		assert_int_equal(bgp_update_encode(&a, &bad[i], 1, &used, buf, sizeof(buf)), 0);
		assert_int_equal(bgp_withdraw_encode(&bad[i], 1, &used, buf, sizeof(buf)), 0);
		assert_int_equal(bgp_update_pack(&a, &bad[i], 1, &used, buf, sizeof(buf)), 0);
		assert_int_equal(used, 0);
	}
	/* A bad prefix after a good one ends the message there. */
	struct bgp_prefix mixed[] = {pfx_text("198.51.100.0/24"), {.family = 4, .len = 40}};
	assert_true(bgp_update_encode(&a, mixed, 2, &used, buf, sizeof(buf)) > 0);
	assert_int_equal(used, 1);
	/* Too small a buffer for one prefix. */
	assert_int_equal(bgp_update_encode(&a, v, 1, &used, buf, 70), 0);
	assert_int_equal(bgp_withdraw_encode(v, 1, &used, buf, 24), 0);
	/* Attributes that leave no room: 1100 communities. */
	for (size_t i = 0; i < N(many); i++)
		many[i] = (uint32_t)i;
	a.communities = many;
	a.ncommunities = N(many);
	assert_int_equal(bgp_update_encode(&a, v, 1, &used, buf, sizeof(buf)), 0);
	/* 255 bytes of them need the extended length. */
	a.ncommunities = 64;
	size_t n = bgp_update_encode(&a, v, 1, &used, buf, sizeof(buf));
	struct bgp_update u;
	assert_true(bgp_update_decode(buf + BGP_HEADER_LEN, n - BGP_HEADER_LEN, true, false, &u, NULL));
	assert_int_equal(u.ncommunities, 64);
	assert_int_equal(bgp_community_at(&u, 63), 63);
}

/*
 * bgp_update_size says what bgp_update_encode writes for one prefix, on
 * both sides of the 4096-byte limit, for every shape of attributes: eBGP
 * with AS4_PATH, iBGP with LOCAL_PREF, IPv4 and IPv6 with a link-local next
 * hop, communities of both kinds around the 255-byte extended length.
 */
static void test_update_size(void **state)
{
	static uint32_t many[1100], lots[400][3];
	uint8_t buf[BGP_MAX_LEN];
	struct bgp_prefix p4 = pfx_text("198.51.100.7/32"), p6 = pfx_text("2001:db8::7/128"), p6s = pfx_text("2001:db8::/48");
	struct bgp_route_attrs shapes[] = {ebgp4(), ebgp6_as_trans(), {.local_as = 64500, .has_local_pref = true}};
	const struct bgp_prefix *pfx[] = {&p4, &p6, &p6s};
	size_t fits_max[N(shapes)][N(pfx)] = {{0}};

	(void)state;
	for (size_t i = 0; i < N(many); i++)
		many[i] = (uint32_t)i;
	for (size_t i = 0; i < N(lots); i++)
		lots[i][0] = (uint32_t)i, lots[i][1] = lots[i][2] = 1;
	for (size_t s = 0; s < N(shapes); s++)
		for (size_t k = 0; k < N(pfx); k++)
			for (size_t nc = 0; nc <= N(many); nc += nc < 60 || nc > 1000 ? 1 : 7) {
				struct bgp_route_attrs a = shapes[s];
				size_t used = 0;
				a.communities = many, a.ncommunities = nc;
				a.large_communities = (const uint32_t(*)[3])lots, a.nlarge_communities = nc % 3;
				size_t want = bgp_update_encode(&a, pfx[k], 1, &used, buf, sizeof(buf));
				size_t got = bgp_update_size(&a, pfx[k]);
				if (want) {
					assert_int_equal(got, want);
					fits_max[s][k] = nc;
				} else {
					assert_true(got > BGP_MAX_LEN);
				}
			}
	/* Some fit, some do not; a shorter prefix leaves room for more. */
	for (size_t s = 0; s < N(shapes); s++) {
		assert_true(fits_max[s][0] > 1000 && fits_max[s][0] < N(many));
		assert_true(fits_max[s][1] < fits_max[s][0]);
		assert_true(fits_max[s][2] >= fits_max[s][1]);
	}
	/* Large communities alone: 12 bytes each. */
	struct bgp_route_attrs a = ebgp4();
	a.ncommunities = 0, a.large_communities = (const uint32_t(*)[3])lots, a.nlarge_communities = N(lots);
	assert_true(bgp_update_size(&a, &p4) > BGP_MAX_LEN);
	struct bgp_prefix bad = {.family = 4, .len = 33};
	assert_int_equal(bgp_update_size(&a, &bad), 0);
}

/* The packer */

static int prefix_cmp(const void *x, const void *y)
{
	const struct bgp_prefix *a = x, *b = y;

	if (a->family != b->family)
		return a->family - b->family;
	if (a->len != b->len)
		return a->len - b->len;
	return memcmp(a->addr, b->addr, 16);
}

static uint32_t rng_state;
static uint32_t rng(void)
{
	rng_state = rng_state * 1664525u + 1013904223u;
	return rng_state >> 8;
}

/* Random prefixes, host bits zero; lengths from lo to hi. */
static struct bgp_prefix *random_prefixes(size_t n, uint8_t family, unsigned lo, unsigned hi, uint32_t seed)
{
	struct bgp_prefix *v = calloc(n, sizeof(*v));

	assert_non_null(v);
	rng_state = seed;
	for (size_t i = 0; i < n; i++) {
		v[i].family = family;
		v[i].len = (uint8_t)(lo + rng() % (hi - lo + 1));
		for (unsigned b = 0; b < (family == 4 ? 4u : 16u); b++)
			v[i].addr[b] = (uint8_t)rng();
		for (unsigned bit = v[i].len; bit < 128; bit++)
			v[i].addr[bit / 8] &= (uint8_t)~(0x80 >> (bit % 8));
	}
	return v;
}

/* Sequential ones: 10.x.y.z/32 and 2001:db8::x/128 style, all distinct. */
static struct bgp_prefix *sequential_prefixes(size_t n, uint8_t family)
{
	struct bgp_prefix *v = calloc(n, sizeof(*v));

	assert_non_null(v);
	for (size_t i = 0; i < n; i++) {
		v[i].family = family;
		if (family == 4) {
			struct bgp_prefix p = pfx4(198, 18, (uint8_t)(i >> 8), (uint8_t)i, 32);
			v[i] = p;
		} else {
			v[i] = pfx_text("2001:db8::/128");
			v[i].addr[14] = (uint8_t)(i >> 8);
			v[i].addr[15] = (uint8_t)i;
		}
	}
	return v;
}

static size_t wire_size(const struct bgp_prefix *p)
{
	return 1 + (p->len + 7u) / 8;
}

struct run {
	size_t messages, bytes_max;
	struct bgp_prefix *seen;
	size_t nseen;
};

/* Checks one message against the attributes it was made with and collects its prefixes. */
static void check_message(const uint8_t *m, size_t len, const struct bgp_route_attrs *a, bool withdraw,
			  struct run *run)
{
	size_t mlen;
	uint8_t type;
	struct bgp_error err;
	struct bgp_update u;
	struct bgp_prefix x;
	const uint8_t *p;
	size_t plen;

	if (len > BGP_MAX_LEN)
		fail_msg("message of %zu bytes", len);
	assert_int_equal(bgp_header_check(m, len, &mlen, &type, &err), 1);
	assert_int_equal(mlen, len);
	assert_int_equal(type, BGP_UPDATE);
	bool as4 = a ? a->peer_as4 : true, ibgp = a ? !a->ebgp : false;
	if (!bgp_update_decode(m + BGP_HEADER_LEN, len - BGP_HEADER_LEN, as4, ibgp, &u, &err))
		fail_msg("decode: %s", err.why);
	if (u.treat_as_withdraw || u.discarded)
		fail_msg("decode: %s", u.why);
	if (withdraw) {
		assert_int_equal(u.attrs_seen & ~((uint64_t)1 << BGP_ATTR_MP_UNREACH), 0);
		assert_int_equal(u.nlri_len, 0);
		p = u.mp_unreach ? u.mp_withdrawn : u.withdrawn;
		plen = u.mp_unreach ? u.mp_withdrawn_len : u.withdrawn_len;
		if (u.mp_unreach)
			assert_int_equal(u.withdrawn_len, 0);
	} else {
		/* decode(encode(x)) == x, attribute by attribute */
		assert_int_equal(u.withdrawn_len, 0);
		assert_int_equal(u.origin, a->origin);
		struct bgp_as_path_iter it;
		uint8_t seg;
		uint32_t asn;
		bgp_as_path_iter_init(&it, u.as_path, u.as_path_len, as4);
		if (a->ebgp) {
			assert_true(bgp_as_path_iter_next(&it, &seg, &asn));
			assert_int_equal(seg, BGP_AS_SEQUENCE);
			assert_int_equal(asn, as4 ? a->local_as : bgp_as2(a->local_as));
		}
		assert_false(bgp_as_path_iter_next(&it, &seg, &asn));
		if (a->ebgp && !as4 && a->local_as > 0xffff) {
			bgp_as_path_iter_init(&it, u.as4_path, u.as4_path_len, true);
			assert_true(bgp_as_path_iter_next(&it, &seg, &asn));
			assert_int_equal(asn, a->local_as);
			assert_false(bgp_as_path_iter_next(&it, &seg, &asn));
		} else {
			assert_null(u.as4_path);
		}
		assert_int_equal(!!(u.attrs_seen & (1u << BGP_ATTR_MED)), a->has_med);
		if (a->has_med)
			assert_int_equal(u.med, a->med);
		assert_int_equal(!!(u.attrs_seen & (1u << BGP_ATTR_LOCAL_PREF)), !a->ebgp);
		if (!a->ebgp)
			assert_int_equal(u.local_pref, a->has_local_pref ? a->local_pref : 100);
		assert_int_equal(u.ncommunities, a->ncommunities);
		for (size_t i = 0; i < a->ncommunities; i++)
			assert_int_equal(bgp_community_at(&u, i), a->communities[i]);
		assert_int_equal(u.nlarge_communities, a->nlarge_communities);
		for (size_t i = 0; i < a->nlarge_communities; i++) {
			uint32_t lc[3];
			bgp_large_community_at(&u, i, lc);
			assert_memory_equal(lc, a->large_communities[i], sizeof(lc));
		}
		if (u.mp_reach) {
			assert_int_equal(u.mp_reach_af, BGP_AF_IPV6);
			assert_int_equal(u.nlri_len, 0);
			assert_memory_equal(u.mp_next_hop, a->next_hop6, 16);
			assert_int_equal(u.mp_next_hop_has_ll, a->has_next_hop6_ll);
			if (a->has_next_hop6_ll)
				assert_memory_equal(u.mp_next_hop_ll, a->next_hop6_ll, 16);
			/* MP_REACH_NLRI first (RFC 7606 5.1) */
			assert_int_equal(m[BGP_HEADER_LEN + 5], BGP_ATTR_MP_REACH);
		} else {
			assert_memory_equal(u.next_hop, a->next_hop4, 4);
		}
		p = u.mp_reach ? u.mp_nlri : u.nlri;
		plen = u.mp_reach ? u.mp_nlri_len : u.nlri_len;
	}
	uint8_t family = (withdraw ? u.mp_unreach : u.mp_reach) ? 6 : 4;
	while (bgp_nlri_next(&p, &plen, family, &x))
		run->seen[run->nseen++] = x;
	assert_int_equal(plen, 0);
	run->messages++;
	if (len > run->bytes_max)
		run->bytes_max = len;
}

/*
 * Encodes v[0..n) to the end, in order or packed, checks every message and
 * that the prefixes came out exactly once each. In order, also that each
 * message but the last could not have taken the next prefix.
 */
static struct run encode_all(const struct bgp_route_attrs *a, const struct bgp_prefix *v, size_t n, bool pack)
{
	struct run run = {.seen = calloc(n + 1, sizeof(struct bgp_prefix))};
	struct bgp_prefix *work = malloc((n + 1) * sizeof(*work)), *want = malloc((n + 1) * sizeof(*want));
	uint8_t buf[BGP_MAX_LEN];
	size_t done = 0;

	assert_true(run.seen && work && want);
	memcpy(work, v, n * sizeof(*v));
	while (done < n) {
		size_t used = 0, len;

		if (a)
			len = pack ? bgp_update_pack(a, work + done, n - done, &used, buf, sizeof(buf))
				   : bgp_update_encode(a, work + done, n - done, &used, buf, sizeof(buf));
		else
			len = pack ? bgp_withdraw_pack(work + done, n - done, &used, buf, sizeof(buf))
				   : bgp_withdraw_encode(work + done, n - done, &used, buf, sizeof(buf));
		if (!len || !used)
			fail_msg("stuck at %zu of %zu", done, n);
		size_t before = run.nseen;
		check_message(buf, len, a, !a, &run);
		assert_int_equal(run.nseen - before, used);
		/* What the message holds is what used says: the first used entries of the (re)ordered array. */
		assert_memory_equal(run.seen + before, work + done, used * sizeof(*work));
		if (!pack && done + used < n && work[done + used].family == work[done].family)
			assert_true(len + wire_size(&work[done + used]) > BGP_MAX_LEN);
		done += used;
	}
	/* Every prefix exactly once. */
	memcpy(want, v, n * sizeof(*v));
	qsort(want, n, sizeof(*want), prefix_cmp);
	qsort(run.seen, run.nseen, sizeof(*run.seen), prefix_cmp);
	assert_int_equal(run.nseen, n);
	assert_memory_equal(run.seen, want, n * sizeof(*want));
	free(work);
	free(want);
	return run;
}

/* Bytes a message has for prefixes with these attributes: 4096 less what one prefix's message has around it. */
static size_t room_of(const struct bgp_route_attrs *a, uint8_t family)
{
	uint8_t buf[BGP_MAX_LEN];
	struct bgp_prefix p = family == 4 ? pfx_text("198.51.100.0/24") : pfx_text("2001:db8::/64");
	size_t used, len = a ? bgp_update_encode(a, &p, 1, &used, buf, sizeof(buf))
			     : bgp_withdraw_encode(&p, 1, &used, buf, sizeof(buf));

	assert_true(len > 0);
	return BGP_MAX_LEN - (len - wire_size(&p));
}

static size_t total_size(const struct bgp_prefix *v, size_t n)
{
	size_t s = 0;

	for (size_t i = 0; i < n; i++)
		s += wire_size(&v[i]);
	return s;
}

static size_t ceil_div(size_t a, size_t b)
{
	return (a + b - 1) / b;
}

static void expect_messages(const char *what, struct run *run, size_t want)
{
	if (run->messages != want)
		fail_msg("%s: %zu messages, want %zu", what, run->messages, want);
	free(run->seen);
}

static void test_pack_one(void **state)
{
	struct bgp_route_attrs a4 = ebgp4(), a6 = ebgp6_as_trans();
	struct bgp_prefix p4 = pfx_text("198.51.100.7/32"), p6 = pfx_text("2001:db8::7/128");

	(void)state;
	for (int pack = 0; pack < 2; pack++) {
		struct run r = encode_all(&a4, &p4, 1, pack);
		expect_messages("one IPv4", &r, 1);
		r = encode_all(&a6, &p6, 1, pack);
		expect_messages("one IPv6", &r, 1);
		r = encode_all(NULL, &p4, 1, pack);
		expect_messages("one IPv4 withdrawal", &r, 1);
		r = encode_all(NULL, &p6, 1, pack);
		expect_messages("one IPv6 withdrawal", &r, 1);
	}
}

/* Prefixes whose sizes add up to exactly the room: one message of exactly 4096 bytes; one more: two. */
static void test_pack_exact_fit(void **state)
{
	struct bgp_route_attrs a4 = ebgp4(), a6 = ebgp6_as_trans();
	const struct bgp_route_attrs *attrs[] = {&a4, &a6, NULL, NULL};
	const uint8_t fams[] = {4, 6, 4, 6};

	(void)state;
	for (size_t k = 0; k < N(attrs); k++) {
		uint8_t family = fams[k];
		size_t room = room_of(attrs[k], family), big = family == 4 ? 5 : 17;
		size_t n = room / big, rem = room % big;
		struct bgp_prefix *v = sequential_prefixes(n + 2, family);

		if (rem) {  /* one shorter prefix takes the rest */
			v[n].len = (uint8_t)((rem - 1) * 8);
			memset(v[n].addr + rem - 1, 0, 16 - (rem - 1));
			n++;
		}
		assert_int_equal(total_size(v, n), room);
		for (int pack = 0; pack < 2; pack++) {
			struct run r = encode_all(attrs[k], v, n, pack);
			assert_int_equal(r.bytes_max, BGP_MAX_LEN);
			expect_messages("exact fit", &r, 1);
			r = encode_all(attrs[k], v, n + 1, pack);
			expect_messages("exact fit + 1", &r, 2);
		}
		free(v);
	}
}

static void test_pack_10k(void **state)
{
	struct bgp_route_attrs a4 = ebgp4(), a6 = ebgp6_as_trans(), a6g = ebgp6_as_trans();
	struct bgp_route_attrs ib = {.ebgp = false, .local_as = 64512, .next_hop4 = {192, 0, 2, 1}};
	const size_t n = 10000;
	struct bgp_prefix *v4 = sequential_prefixes(n, 4), *v6 = sequential_prefixes(n, 6);

	(void)state;
	a6g.has_next_hop6_ll = false;
	a6g.peer_as4 = true;
	for (int pack = 0; pack < 2; pack++) {
		struct run r = encode_all(&a4, v4, n, pack);
		expect_messages("10k /32", &r, ceil_div(n, room_of(&a4, 4) / 5));
		r = encode_all(&ib, v4, n, pack);
		expect_messages("10k /32 iBGP", &r, ceil_div(n, room_of(&ib, 4) / 5));
		r = encode_all(&a6, v6, n, pack);
		expect_messages("10k /128 with link-local", &r, ceil_div(n, room_of(&a6, 6) / 17));
		r = encode_all(&a6g, v6, n, pack);
		expect_messages("10k /128", &r, ceil_div(n, room_of(&a6g, 6) / 17));
		r = encode_all(NULL, v4, n, pack);
		expect_messages("10k /32 withdrawn", &r, ceil_div(n, room_of(NULL, 4) / 5));
		r = encode_all(NULL, v6, n, pack);
		expect_messages("10k /128 withdrawn", &r, ceil_div(n, room_of(NULL, 6) / 17));
	}
	free(v4);
	free(v6);
}

/*
 * Mixed lengths. In order, no message could take the next prefix (checked in
 * encode_all). Packed, the count meets the lower bound: total bytes over the
 * room of one message, rounded up.
 */
static void test_pack_mixed(void **state)
{
	struct bgp_route_attrs a4 = ebgp4(), a6 = ebgp6_as_trans();
	static const struct {
		uint8_t family;
		unsigned lo, hi;
		size_t n;
	} sets[] = {
		{4, 0, 32, 10000}, {4, 20, 32, 3000}, {4, 8, 24, 777}, {6, 0, 128, 10000}, {6, 32, 64, 5000},
		{6, 100, 128, 2000}, {6, 48, 128, 250},
	};

	(void)state;
	for (size_t k = 0; k < N(sets); k++) {
		for (uint32_t seed = 1; seed <= 3; seed++) {
			struct bgp_prefix *v = random_prefixes(sets[k].n, sets[k].family, sets[k].lo, sets[k].hi, seed);
			const struct bgp_route_attrs *a = sets[k].family == 4 ? &a4 : &a6;
			size_t total = total_size(v, sets[k].n);
			struct run r = encode_all(a, v, sets[k].n, false);
			size_t in_order = r.messages;

			free(r.seen);
			assert_true(in_order >= ceil_div(total, room_of(a, sets[k].family)));
			r = encode_all(a, v, sets[k].n, true);
			expect_messages("mixed, packed", &r, ceil_div(total, room_of(a, sets[k].family)));
			r = encode_all(NULL, v, sets[k].n, true);
			expect_messages("mixed withdrawals, packed", &r, ceil_div(total, room_of(NULL, sets[k].family)));
			r = encode_all(NULL, v, sets[k].n, false);
			free(r.seen);
			free(v);
		}
	}
}

/* EXTENDED_COMMUNITIES (RFC 4360) with a link bandwidth community: 65001, 1250000.0 bytes/s. */
static void test_encode_link_bandwidth(void **state)
{
	uint8_t buf[BGP_MAX_LEN];
	struct bgp_prefix v4[] = {pfx_text("198.51.100.0/24")};
	struct bgp_route_attrs a = ebgp4();
	uint64_t ext[] = {bgp_link_bw_community(65001, 1250000.0f)};
	struct bgp_update u;
	struct bgp_error err;
	size_t used, n;
	uint16_t as;
	float bw;

	(void)state;
	assert_true(ext[0] == 0x4004fde949989680ull);
	a.has_med = false;
	a.ncommunities = a.nlarge_communities = 0;
	a.ext_communities = ext, a.next_communities = 1;
	n = bgp_update_encode(&a, v4, 1, &used, buf, sizeof(buf));
	assert_int_equal(used, 1);
	expect_hex("eBGP IPv4 link bandwidth", buf, n,
		   MARKER "003a 02 0000 001f"
		   "40010100 4002060201 0000fde9 400304 c0000201 c01008 4004fde9 49989680"
		   "18 c63364");
	assert_true(bgp_update_decode(buf + BGP_HEADER_LEN, n - BGP_HEADER_LEN, true, false, &u, &err));
	assert_false(u.treat_as_withdraw);
	assert_int_equal(u.next_communities, 1);
	assert_true(bgp_ext_community_at(&u, 0) == ext[0]);
	assert_true(bgp_link_bw_decode(bgp_ext_community_at(&u, 0), &as, &bw));
	assert_int_equal(as, 65001);
	assert_true(bw == 1250000.0f);
	assert_int_equal(bgp_update_size(&a, v4), n);

	/* Not link bandwidth: another subtype, the transitive type, a NaN or negative value. */
	assert_false(bgp_link_bw_decode(0x4003fde949989680ull, &as, &bw));
	assert_false(bgp_link_bw_decode(0x0004fde949989680ull, &as, &bw));
	assert_false(bgp_link_bw_decode(0x4004fde97fc00000ull, &as, &bw));
	assert_false(bgp_link_bw_decode(0x4004fde9bf800000ull, &as, &bw));
	assert_true(bgp_link_bw_decode(0x4004fde900000000ull, &as, &bw) && bw == 0.0f);
	/* A negative value is not encoded: 0 instead. */
	assert_true(bgp_link_bw_community(1, -5.0f) == 0x4004000100000000ull);
}

/* Packing picks among the family of the first prefix only, and leaves the others for later. */
static void test_pack_families(void **state)
{
	struct bgp_route_attrs a = ebgp4();
	struct bgp_prefix v[] = {pfx_text("198.51.100.0/24"), pfx_text("2001:db8::/32"), pfx_text("198.51.101.0/24"),
				 pfx_text("2001:db8:1::/48")};
	uint8_t buf[BGP_MAX_LEN];
	size_t used;

	(void)state;
	assert_true(bgp_withdraw_pack(v, N(v), &used, buf, sizeof(buf)) > 0);
	assert_int_equal(used, 2);
	assert_int_equal(v[0].family, 4);
	assert_int_equal(v[1].family, 4);
	assert_true(bgp_withdraw_pack(v + 2, 2, &used, buf, sizeof(buf)) > 0);
	assert_int_equal(used, 2);
	assert_true(bgp_update_pack(&a, v, 2, &used, buf, sizeof(buf)) > 0);
	assert_int_equal(used, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode_exact),
		cmocka_unit_test(test_encode_ipv4_over_ipv6),
		cmocka_unit_test(test_withdraw_and_eor_exact),
		cmocka_unit_test(test_encode_refusals),
		cmocka_unit_test(test_update_size),
		cmocka_unit_test(test_pack_one),
		cmocka_unit_test(test_pack_exact_fit),
		cmocka_unit_test(test_pack_10k),
		cmocka_unit_test(test_pack_mixed),
		cmocka_unit_test(test_pack_families),
		cmocka_unit_test(test_encode_link_bandwidth),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
