#include "bgp_rib_out.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

void rib_set_copy(struct rib_set *dst, const struct plan_route *routes, size_t n, const struct plan_attrs *attrs,
		  size_t nattrs)
{
	rib_set_clear(dst);
	dst->routes = xcalloc(n ? n : 1, sizeof(*routes));
	if (n)
		memcpy(dst->routes, routes, n * sizeof(*routes));
	dst->n = n;
	dst->attrs = arena_calloc(&dst->arena, nattrs + 1, sizeof(*attrs));
	for (size_t i = 0; i < nattrs; i++) {
		struct plan_attrs *a = &dst->attrs[i];
		*a = attrs[i];
		a->communities = arena_calloc(&dst->arena, attrs[i].ncommunities + 1, 4);
		if (attrs[i].ncommunities)
			memcpy(a->communities, attrs[i].communities, attrs[i].ncommunities * 4);
		a->large = arena_calloc(&dst->arena, attrs[i].nlarge + 1, 12);
		if (attrs[i].nlarge)
			memcpy(a->large, attrs[i].large, attrs[i].nlarge * 12);
	}
	dst->nattrs = nattrs;
}

void rib_set_clear(struct rib_set *s)
{
	free(s->routes);
	arena_free(&s->arena);
	memset(s, 0, sizeof(*s));
}

static enum bgp_af prefix_af(const struct bgp_prefix *p)
{
	return p->family == 4 ? BGP_AF_IPV4 : BGP_AF_IPV6;
}

/* One announcement to make: the prefix and the index of its attribute set in `to`. */
struct pending {
	struct bgp_prefix pfx;
	uint32_t attrs;
};

static int pending_cmp(const void *x, const void *y)
{
	const struct pending *a = x, *b = y;
	if (a->attrs != b->attrs)
		return a->attrs < b->attrs ? -1 : 1;
	if (a->pfx.family != b->pfx.family)
		return a->pfx.family < b->pfx.family ? -1 : 1;
	return bgp_prefix_cmp(&a->pfx, &b->pfx);
}

struct emitter {
	void (*emit)(const uint8_t *msg, size_t len, void *arg);
	void *arg;
	struct rib_diff_stats *st;
	uint8_t buf[BGP_MAX_LEN];
};

static void emit_withdrawals(struct emitter *e, const struct bgp_prefix *v, size_t n)
{
	while (n) {
		size_t used = 0;
		size_t len = bgp_withdraw_encode(v, n, &used, e->buf, sizeof(e->buf));
		if (!len || !used)
			abort();  /* a single prefix always fits: an encoder bug */
		e->emit(e->buf, len, e->arg);
		e->st->messages++;
		e->st->withdrawn += used;
		v += used, n -= used;
	}
}

static void emit_announcements(struct emitter *e, const struct bgp_route_attrs *a, const struct bgp_prefix *v,
			       size_t n)
{
	while (n) {
		size_t used = 0;
		size_t len = bgp_update_encode(a, v, n, &used, e->buf, sizeof(e->buf));
		if (!len || !used)
			abort();
		e->emit(e->buf, len, e->arg);
		e->st->messages++;
		e->st->announced += used;
		v += used, n -= used;
	}
}

void rib_diff(const struct rib_set *from, const struct rib_set *to, const struct rib_peer *peer,
	      void (*emit)(const uint8_t *msg, size_t len, void *arg), void *arg, struct rib_diff_stats *st)
{
	static const struct rib_set empty;
	if (!from)
		from = &empty;
	if (!to)
		to = &empty;
	struct rib_diff_stats local = {0};
	if (!st)
		st = &local;

	struct bgp_prefix *gone[BGP_AF_COUNT];
	size_t ngone[BGP_AF_COUNT] = {0};
	for (int f = 0; f < BGP_AF_COUNT; f++)
		gone[f] = xcalloc(from->n + 1, sizeof(struct bgp_prefix));
	struct pending *todo = xcalloc(to->n + 1, sizeof(*todo));
	size_t ntodo = 0;

	size_t i = 0, j = 0;
	while (i < from->n || j < to->n) {
		int c = i == from->n ? 1 : j == to->n ? -1 : bgp_prefix_cmp(&from->routes[i].pfx, &to->routes[j].pfx);
		if (c < 0) {
			const struct bgp_prefix *p = &from->routes[i++].pfx;
			if (peer->af[prefix_af(p)])
				gone[prefix_af(p)][ngone[prefix_af(p)]++] = *p;
		} else if (c > 0 || !plan_attrs_eq(&from->attrs[from->routes[i].attrs], &to->attrs[to->routes[j].attrs])) {
			const struct plan_route *r = &to->routes[j++];
			if (c == 0)
				i++;
			if (peer->af[prefix_af(&r->pfx)])
				todo[ntodo++] = (struct pending){r->pfx, r->attrs};
		} else {
			i++, j++;
		}
	}

	struct emitter *e = xmalloc(sizeof(*e));
	e->emit = emit, e->arg = arg, e->st = st;
	for (int f = 0; f < BGP_AF_COUNT; f++) {
		emit_withdrawals(e, gone[f], ngone[f]);
		free(gone[f]);
	}

	qsort(todo, ntodo, sizeof(*todo), pending_cmp);
	struct bgp_prefix *group = xcalloc(ntodo + 1, sizeof(*group));
	for (size_t k = 0; k < ntodo;) {
		size_t m = k, ng = 0;
		while (m < ntodo && todo[m].attrs == todo[k].attrs && todo[m].pfx.family == todo[k].pfx.family)
			group[ng++] = todo[m++].pfx;
		const struct plan_attrs *pa = &to->attrs[todo[k].attrs];
		struct bgp_route_attrs a = peer->base;
		a.has_local_pref = pa->has_local_pref;  /* the encoder sends LOCAL_PREF to iBGP peers only */
		a.local_pref = pa->local_pref;
		a.communities = pa->communities;
		a.ncommunities = pa->ncommunities;
		a.large_communities = (const uint32_t(*)[3])pa->large;
		a.nlarge_communities = pa->nlarge;
		emit_announcements(e, &a, group, ng);
		k = m;
	}
	free(group);
	free(todo);
	free(e);
}
