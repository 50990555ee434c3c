/*
 * Per-pool counters for the IPAddressPool status, counted as MetalLB v0.15
 * does: a shared address is assigned once; available is the pool's usable
 * size (without .0/.255 under avoidBuggyIPs) minus what is assigned; an IPv6
 * entry of 2^62 addresses or more counts as INT64_MAX ("never runs out").
 */
#include <stdlib.h>

#include "alloc_state.h"
#include "xalloc.h"

/* Addresses x in [0, n] with x % 256 == r. */
static int64_t upto(uint32_t n, uint32_t r)
{
	return n >= r ? (int64_t)((n - r) / 256) + 1 : 0;
}

static uint32_t v4(const struct ipaddr *a)
{
	return (uint32_t)a->b[0] << 24 | (uint32_t)a->b[1] << 16 | (uint32_t)a->b[2] << 8 | a->b[3];
}

static int64_t sat_add(int64_t a, int64_t b)
{
	return a > INT64_MAX - b ? INT64_MAX : a + b;
}

/* Usable addresses of one entry. */
static int64_t entry_size(const struct free_set *fs)
{
	const struct iprange *r = &fs->range;

	if (r->first.family == IPF_V4) {
		uint32_t f = v4(&r->first), l = v4(&r->last);
		int64_t n = (int64_t)(l - f) + 1;
		if (fs->avoid_buggy)
			for (uint32_t rem = 0; rem < 256; rem += 255)
				n -= upto(l, rem) - (f ? upto(f - 1, rem) : 0);
		return n;
	}
	/* IPv6: last - first + 1, saturated at 2^62 */
	uint64_t hi = 0, lo = 0;
	for (int i = 0; i < 8; i++) {
		hi = hi << 8 | r->last.b[i];
		lo = lo << 8 | r->last.b[i + 8];
	}
	uint64_t fhi = 0, flo = 0;
	for (int i = 0; i < 8; i++) {
		fhi = fhi << 8 | r->first.b[i];
		flo = flo << 8 | r->first.b[i + 8];
	}
	uint64_t dhi = hi - fhi - (lo < flo), dlo = lo - flo;
	if (dhi || dlo >= (UINT64_C(1) << 62) - 1)
		return INT64_MAX;
	return (int64_t)dlo + 1;
}

void alloc_pool_usage(const struct alloc *a,
		      void (*fn)(const struct object *pool, const struct alloc_pool_usage *u, void *arg), void *arg)
{
	struct alloc_pool_usage *u = xcalloc(a->npools ? a->npools : 1, sizeof(*u));

	for (struct avl_node *n = avl_first(&a->ips); n; n = avl_next(n)) {
		const struct ip_use *use = avl_entry(n, struct ip_use, by_ip);
		if (use->pool != NO_POOL)
			u[use->pool].assigned[family_index(use->ip.family)]++;
	}
	for (size_t p = 0; p < a->npools; p++) {
		int64_t size[2] = { 0, 0 };
		for (size_t e = 0; e < a->pools[p].nsets; e++) {
			const struct free_set *fs = &a->pools[p].sets[e];
			int f = family_index(fs->range.first.family);
			size[f] = sat_add(size[f], entry_size(fs));
		}
		for (int f = 0; f < 2; f++)
			u[p].available[f] = size[f] - u[p].assigned[f];
		fn(a->pools[p].obj, &u[p], arg);
	}
	free(u);
}
