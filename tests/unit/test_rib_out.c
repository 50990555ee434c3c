/* Adj-RIB-Out diffs: the UPDATEs between two route sets are minimal, well-formed and complete. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bgp.h"
#include "bgp_rib_out.h"

/* What the peer would hold: prefix -> (communities, local-pref), rebuilt from the decoded UPDATEs. */
struct seen {
	struct bgp_prefix pfx;
	uint32_t lp, comm0;
	unsigned ncomm;
	bool present;
};

struct peer_view {
	struct seen v[4096];
	size_t n;
	size_t msgs, announced, withdrawn;
};

static struct seen *slot(struct peer_view *pv, const struct bgp_prefix *p)
{
	for (size_t i = 0; i < pv->n; i++)
		if (bgp_prefix_cmp(&pv->v[i].pfx, p) == 0)
			return &pv->v[i];
	assert_true(pv->n < 4096);
	pv->v[pv->n].pfx = *p;
	return &pv->v[pv->n++];
}

static void apply_nlri(struct peer_view *pv, const uint8_t *p, size_t len, uint8_t fam, bool add,
		       const struct bgp_update *u)
{
	struct bgp_prefix pfx;
	while (bgp_nlri_next(&p, &len, fam, &pfx)) {
		struct seen *s = slot(pv, &pfx);
		s->present = add;
		if (add) {
			pv->announced++;
			s->lp = u->local_pref;
			s->ncomm = (unsigned)u->ncommunities;
			s->comm0 = u->ncommunities ? (uint32_t)u->communities[0] << 24 | (uint32_t)u->communities[1] << 16 |
							     (uint32_t)u->communities[2] << 8 | u->communities[3]
						   : 0;
		} else {
			pv->withdrawn++;
		}
	}
}

static void peer_receive(const uint8_t *msg, size_t len, void *arg)
{
	struct peer_view *pv = arg;
	size_t mlen = 0;
	uint8_t type = 0;
	struct bgp_error err;
	assert_true(len <= BGP_MAX_LEN);
	assert_int_equal(bgp_header_check(msg, len, &mlen, &type, &err), 1);
	assert_int_equal(mlen, len);
	assert_int_equal(type, BGP_UPDATE);
	struct bgp_update u;
	assert_true(bgp_update_decode(msg + BGP_HEADER_LEN, len - BGP_HEADER_LEN, true, true, &u, &err));
	assert_false(u.treat_as_withdraw);
	pv->msgs++;
	apply_nlri(pv, u.withdrawn, u.withdrawn_len, 4, false, &u);
	if (u.mp_unreach)
		apply_nlri(pv, u.mp_withdrawn, u.mp_withdrawn_len, 6, false, &u);
	apply_nlri(pv, u.nlri, u.nlri_len, 4, true, &u);
	if (u.mp_reach)
		apply_nlri(pv, u.mp_nlri, u.mp_nlri_len, 6, true, &u);
}

static struct bgp_prefix v4(unsigned i, uint8_t len)
{
	struct bgp_prefix p = {.family = 4, .len = len};
	p.addr[0] = 198, p.addr[1] = (uint8_t)(18 + (i >> 16)), p.addr[2] = (uint8_t)(i >> 8), p.addr[3] = (uint8_t)i;
	return p;
}

static struct bgp_prefix v6(unsigned i)
{
	struct bgp_prefix p = {.family = 6, .len = 128};
	p.addr[0] = 0x20, p.addr[1] = 0x01, p.addr[2] = 0x0d, p.addr[3] = 0xb8;
	p.addr[14] = (uint8_t)(i >> 8), p.addr[15] = (uint8_t)i;
	return p;
}

static uint32_t comm_a[] = {64500u << 16 | 1}, comm_b[] = {64500u << 16 | 2, 64500u << 16 | 3};

static struct rib_peer ibgp_peer(void)
{
	struct rib_peer rp = {0};
	rp.af[BGP_AF_IPV4] = rp.af[BGP_AF_IPV6] = true;
	rp.base.local_as = 64500;
	rp.base.peer_as4 = true;
	rp.base.next_hop4[0] = 192, rp.base.next_hop4[1] = 0, rp.base.next_hop4[2] = 2, rp.base.next_hop4[3] = 11;
	rp.base.next_hop6[0] = 0x20, rp.base.next_hop6[1] = 0x01, rp.base.next_hop6[2] = 0x0d,
	rp.base.next_hop6[3] = 0xb8, rp.base.next_hop6[15] = 0x11;
	return rp;
}

static int route_sort(const void *x, const void *y)
{
	return bgp_prefix_cmp(&((const struct plan_route *)x)->pfx, &((const struct plan_route *)y)->pfx);
}

static void test_full_then_changes(void **state)
{
	(void)state;
	struct plan_attrs attrs[2] = {
		{.has_local_pref = true, .local_pref = 200, .communities = comm_a, .ncommunities = 1},
		{.communities = comm_b, .ncommunities = 2},
	};
	static struct plan_route r1[3000], r2[3000];
	size_t n1 = 0, n2 = 0;
	for (unsigned i = 0; i < 2000; i++)
		r1[n1++] = (struct plan_route){v4(i, 32), i % 2};
	for (unsigned i = 0; i < 500; i++)
		r1[n1++] = (struct plan_route){v6(i), 0};
	qsort(r1, n1, sizeof(*r1), route_sort);
	/* Next: the first 100 IPv4 go, 50 change attributes, 10 new IPv6 come; the rest stays. */
	for (size_t i = 0; i < n1; i++) {
		struct plan_route r = r1[i];
		if (r.pfx.family == 4 && r.pfx.addr[2] == 0 && r.pfx.addr[3] < 100)
			continue;
		if (r.pfx.family == 4 && r.pfx.addr[2] == 1 && r.pfx.addr[3] < 50)
			r.attrs = 1 - r.attrs;
		r2[n2++] = r;
	}
	for (unsigned i = 1000; i < 1010; i++)
		r2[n2++] = (struct plan_route){v6(i), 1};
	qsort(r2, n2, sizeof(*r2), route_sort);

	struct rib_set a = {0}, b = {0};
	rib_set_copy(&a, r1, n1, attrs, 2);
	rib_set_copy(&b, r2, n2, attrs, 2);
	struct rib_peer rp = ibgp_peer();
	struct peer_view *pv = calloc(1, sizeof(*pv));
	struct rib_diff_stats st = {0};

	rib_diff(NULL, &a, &rp, peer_receive, pv, &st);
	assert_int_equal(pv->announced, 2500);
	assert_int_equal(st.announced, 2500);
	/* 2000 /32 in two groups of 1000 and 500 /128: a handful of full messages, not thousands. */
	assert_true(pv->msgs <= 8);

	size_t before = pv->msgs;
	pv->announced = pv->withdrawn = 0;
	memset(&st, 0, sizeof(st));
	rib_diff(&a, &b, &rp, peer_receive, pv, &st);
	assert_int_equal(pv->withdrawn, 100);
	assert_int_equal(pv->announced, 60);
	assert_true(pv->msgs - before <= 4);

	/* The peer's view equals b exactly. */
	size_t present = 0;
	for (size_t i = 0; i < pv->n; i++)
		present += pv->v[i].present;
	assert_int_equal(present, n2);
	for (size_t i = 0; i < n2; i++) {
		struct seen *s = slot(pv, &r2[i].pfx);
		assert_true(s->present);
		const struct plan_attrs *pa = &attrs[r2[i].attrs];
		assert_int_equal(s->ncomm, pa->ncommunities);
		assert_int_equal(s->comm0, pa->communities[0]);
		assert_int_equal(s->lp, pa->has_local_pref ? pa->local_pref : 100);
	}
	/* No change, no message. */
	before = pv->msgs;
	rib_diff(&b, &b, &rp, peer_receive, pv, NULL);
	assert_int_equal(pv->msgs, before);
	rib_set_clear(&a);
	rib_set_clear(&b);
	free(pv);
}

static void test_family_filter(void **state)
{
	(void)state;
	struct plan_attrs attrs[1] = {{0}};
	struct plan_route r[2] = {{v4(1, 32), 0}, {v6(1), 0}};
	struct rib_set a = {0};
	rib_set_copy(&a, r, 2, attrs, 1);
	struct rib_peer rp = ibgp_peer();
	rp.af[BGP_AF_IPV6] = false;
	struct peer_view *pv = calloc(1, sizeof(*pv));
	rib_diff(NULL, &a, &rp, peer_receive, pv, NULL);
	assert_int_equal(pv->announced, 1);
	assert_int_equal(pv->v[0].pfx.family, 4);
	rib_diff(&a, NULL, &rp, peer_receive, pv, NULL);
	assert_int_equal(pv->withdrawn, 1);
	rib_set_clear(&a);
	free(pv);
}

/*
 * Routes whose attributes leave no room for them in a 4096-byte UPDATE
 * (1100 communities on an IPv4 /32; 340 large ones on an IPv6 /128) are
 * skipped and counted; every other route still goes out, and the peer never
 * hears of the skipped ones, not even as withdrawals.
 */
static uint32_t comm_many[1100], large_many[340][3];

/* Sends stderr (where the log goes) to a temporary file until stderr_count(). */
static FILE *stderr_capture(int *saved)
{
	FILE *f = tmpfile();
	assert_non_null(f);
	fflush(stderr);
	*saved = dup(2);
	assert_true(*saved >= 0 && dup2(fileno(f), 2) == 2);
	return f;
}

/* Restores stderr, echoes what was captured and counts the lines holding needle. */
static size_t stderr_count(FILE *f, int saved, const char *needle)
{
	char line[1024];
	size_t n = 0;
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(f);
	while (fgets(line, sizeof(line), f)) {
		fputs(line, stderr);
		n += strstr(line, needle) != NULL;
	}
	fclose(f);
	return n;
}

static void test_unsendable_skipped(void **state)
{
	(void)state;
	for (size_t i = 0; i < 1100; i++)
		comm_many[i] = 64500u << 16 | (uint32_t)i;
	for (size_t i = 0; i < 340; i++)
		large_many[i][0] = 64500, large_many[i][1] = (uint32_t)i, large_many[i][2] = 1;
	struct plan_attrs attrs[3] = {
		{.communities = comm_a, .ncommunities = 1},
		{.communities = comm_many, .ncommunities = 1100},
		{.large = large_many, .nlarge = 340},
	};
	struct plan_route r[] = {
		{v4(1, 32), 0}, {v4(2, 32), 1}, {v4(3, 32), 0}, {v4(4, 32), 1}, {v4(256, 24), 0},
		{v6(1), 2}, {v6(2), 0}, {v6(3), 2},
	};
	qsort(r, sizeof(r) / sizeof(r[0]), sizeof(r[0]), route_sort);
	struct rib_set a = {0}, b = {0};
	rib_set_copy(&a, r, sizeof(r) / sizeof(r[0]), attrs, 3);
	struct rib_peer rp = ibgp_peer();
	rp.log_name = "bgp test-peer";
	struct peer_view *pv = calloc(1, sizeof(*pv));
	struct rib_diff_stats st = {0};
	int saved;
	FILE *log = stderr_capture(&saved);

	rib_diff(NULL, &a, &rp, peer_receive, pv, &st);
	assert_int_equal(st.announced, 4);
	assert_int_equal(st.skipped, 4);
	assert_int_equal(pv->announced, 4);
	for (size_t i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
		struct seen *s = slot(pv, &r[i].pfx);
		assert_int_equal(s->present, r[i].attrs == 0);
	}

	/* The same set again (a new session): still skipped, still counted; nothing else sent. */
	memset(&st, 0, sizeof(st));
	rib_diff(NULL, &a, &rp, peer_receive, pv, &st);
	assert_int_equal(st.announced, 4);
	assert_int_equal(st.skipped, 4);
	/* Each unsendable route is in the log once, with the peer and the reason. */
	assert_int_equal(stderr_count(log, saved, "bgp test-peer: cannot announce"), 4);

	/*
	 * Next: v4(2) gets attributes that fit, v4(1) gets the oversized ones
	 * (the peer had it: it is withdrawn), v6(3) goes (never sent: no
	 * withdrawal).
	 */
	struct plan_route r2[] = {
		{v4(1, 32), 1}, {v4(2, 32), 0}, {v4(3, 32), 0}, {v4(4, 32), 1}, {v4(256, 24), 0}, {v6(1), 2}, {v6(2), 0},
	};
	qsort(r2, sizeof(r2) / sizeof(r2[0]), sizeof(r2[0]), route_sort);
	rib_set_copy(&b, r2, sizeof(r2) / sizeof(r2[0]), attrs, 3);
	memset(&st, 0, sizeof(st));
	pv->announced = pv->withdrawn = 0;
	rib_diff(&a, &b, &rp, peer_receive, pv, &st);
	assert_int_equal(st.announced, 1);
	assert_int_equal(st.withdrawn, 1);
	assert_int_equal(st.skipped, 1);
	assert_int_equal(pv->withdrawn, 1);
	assert_false(slot(pv, &r2[0].pfx)->present);  /* v4(1) */
	assert_true(slot(pv, &r2[1].pfx)->present);   /* v4(2) */

	/* Withdrawing everything sends only what the peer holds. */
	memset(&st, 0, sizeof(st));
	pv->withdrawn = 0;
	rib_diff(&b, NULL, &rp, peer_receive, pv, &st);
	assert_int_equal(st.withdrawn, 4);
	assert_int_equal(pv->withdrawn, 4);
	for (size_t i = 0; i < pv->n; i++)
		assert_false(pv->v[i].present);
	rib_set_clear(&a);
	rib_set_clear(&b);
	free(pv);
}

/*
 * A link bandwidth change alone re-announces the route with the new value
 * (the link bandwidth community decodes to it), and is told apart from other
 * changes (rib_bandwidth_only) for the session's damping.
 */
static uint16_t seen_as;
static float seen_bw;
static size_t seen_msgs;

static void bw_receive(const uint8_t *msg, size_t len, void *arg)
{
	(void)arg;
	struct bgp_update u;
	struct bgp_error err;
	assert_true(bgp_update_decode(msg + BGP_HEADER_LEN, len - BGP_HEADER_LEN, true, true, &u, &err));
	assert_int_equal(u.next_communities, 1);
	assert_true(bgp_link_bw_decode(bgp_ext_community_at(&u, 0), &seen_as, &seen_bw));
	seen_msgs++;
}

static void test_link_bandwidth_change(void **state)
{
	(void)state;
	struct plan_attrs a3 = {.communities = comm_a, .ncommunities = 1, .link_bw_eps = 3};
	struct plan_attrs a5 = a3, other = a3;
	a5.link_bw_eps = 5;
	other.ncommunities = 0;
	struct plan_route r[] = {{v4(1, 32), 0}, {v4(2, 32), 0}};
	struct rib_set x = {0}, y = {0}, z = {0}, w = {0};
	struct rib_peer rp = ibgp_peer();
	struct rib_diff_stats st = {0};
	rib_set_copy(&x, r, 2, &a3, 1);
	rib_set_copy(&y, r, 2, &a5, 1);
	rib_set_copy(&z, r, 2, &other, 1);
	rib_set_copy(&w, r, 1, &a5, 1);
	assert_true(rib_bandwidth_only(&x, &y));
	assert_false(rib_bandwidth_only(&x, &x));
	assert_false(rib_bandwidth_only(&x, &z));  /* communities changed too */
	assert_false(rib_bandwidth_only(&x, &w));  /* a route withdrawn */
	rib_diff(NULL, &x, &rp, bw_receive, NULL, &st);
	assert_int_equal(seen_msgs, 1);
	assert_int_equal(seen_as, 64500);
	assert_true(seen_bw == 3 * PLAN_LINK_BW_UNIT);
	rib_diff(&x, &y, &rp, bw_receive, NULL, &st);
	assert_int_equal(seen_msgs, 2);
	assert_true(seen_bw == 5 * PLAN_LINK_BW_UNIT);
	rib_set_clear(&x);
	rib_set_clear(&y);
	rib_set_clear(&z);
	rib_set_clear(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_then_changes),
		cmocka_unit_test(test_family_filter),
		cmocka_unit_test(test_unsendable_skipped),
		cmocka_unit_test(test_link_bandwidth_change),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
