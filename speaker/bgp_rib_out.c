#include "bgp_rib_out.h"

#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "big_array.h"
#include "log.h"
#include "xalloc.h"

void rib_set_copy(struct rib_set *dst, const struct plan_route *routes, size_t n, const struct plan_attrs *attrs,
		  size_t nattrs)
{
	rib_set_clear(dst);
	dst->routes = big_alloc(n ? n : 1, sizeof(*routes), false);
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
	dst->unsent = arena_calloc(&dst->arena, n + 1, sizeof(*dst->unsent));
}

void rib_set_clear(struct rib_set *s)
{
	big_free(s->routes);
	arena_free(&s->arena);
	memset(s, 0, sizeof(*s));
}

static enum bgp_af prefix_af(const struct bgp_prefix *p)
{
	return p->family == 4 ? BGP_AF_IPV4 : BGP_AF_IPV6;
}

static void prefix_format(const struct bgp_prefix *p, char buf[IPADDR_STRLEN + 4])
{
	struct ipaddr ip = {.family = p->family == 4 ? IPF_V4 : IPF_V6};
	char addr[IPADDR_STRLEN];

	memcpy(ip.b, p->addr, sizeof(ip.b));
	ipaddr_format(&ip, addr);
	snprintf(buf, IPADDR_STRLEN + 4, "%s/%u", addr, p->len);
}

/* One announcement to make: the prefix, the index of its attribute set and of the route in `to`. */
struct pending {
	struct bgp_prefix pfx;
	uint32_t attrs;
	size_t at;
	bool had_old;  /* the peer holds an older version of the prefix */
	bool logged;   /* that it cannot be sent is already in the log */
	bool skip;
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

/*
 * The diff's scratch lists grow with what differs, not with the sets: a
 * patch that changes a few routes of 100k costs no 100k-entry buffers.
 */
struct pfx_list {
	struct bgp_prefix *v;
	size_t n, cap;
};

static void pfx_push(struct pfx_list *l, const struct bgp_prefix *p)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 16;
		l->v = xrealloc(l->v, l->cap, sizeof(*l->v));
	}
	l->v[l->n++] = *p;
}

struct pending_list {
	struct pending *v;
	size_t n, cap;
};

static void pending_push(struct pending_list *l, const struct pending *p)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 16;
		l->v = xrealloc(l->v, l->cap, sizeof(*l->v));
	}
	l->v[l->n++] = *p;
}

struct emitter {
	void (*emit)(const uint8_t *msg, size_t len, void *arg);
	void *arg;
	struct rib_diff_stats *st;
	const char *name;
	uint8_t buf[BGP_MAX_LEN];
};

/* Skips v[0], which the encoder refused although it should not have: says so, and counts it. */
static void encoder_refused(struct emitter *e, const struct bgp_prefix *p, const char *what)
{
	char pb[IPADDR_STRLEN + 4];
	prefix_format(p, pb);
	log_error(e->name, "cannot %s %s: the encoder refused it; skipped", what, pb);
	e->st->skipped++;
}

static void emit_withdrawals(struct emitter *e, const struct bgp_prefix *v, size_t n)
{
	while (n) {
		size_t used = 0;
		size_t len = bgp_withdraw_encode(v, n, &used, e->buf, sizeof(e->buf));
		if (!len || !used) {
			encoder_refused(e, v, "withdraw");
			v++, n--;
			continue;
		}
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
		if (!len || !used) {
			encoder_refused(e, v, "announce");
			v++, n--;
			continue;
		}
		e->emit(e->buf, len, e->arg);
		e->st->messages++;
		e->st->announced += used;
		v += used, n -= used;
	}
}

/* ext: room for the extended communities, which a holds. */
static struct bgp_route_attrs route_attrs(const struct rib_peer *peer, const struct plan_attrs *pa, uint64_t ext[1])
{
	struct bgp_route_attrs a = peer->base;
	a.has_local_pref = pa->has_local_pref;  /* the encoder sends LOCAL_PREF to iBGP peers only */
	a.local_pref = pa->local_pref;
	a.communities = pa->communities;
	a.ncommunities = pa->ncommunities;
	a.large_communities = (const uint32_t(*)[3])pa->large;
	a.nlarge_communities = pa->nlarge;
	if (pa->link_bw_eps) {
		ext[0] = bgp_link_bw_community(bgp_as2(a.local_as), (float)pa->link_bw_eps * PLAN_LINK_BW_UNIT);
		a.ext_communities = ext;
		a.next_communities = 1;
	}
	return a;
}

static void log_unsendable(const struct emitter *e, const struct pending *p, const struct bgp_route_attrs *a,
			   size_t size)
{
	char pb[IPADDR_STRLEN + 4];
	prefix_format(&p->pfx, pb);
	if (size)
		log_error(e->name,
			  "cannot announce %s: with its %zu communities and %zu large communities one UPDATE would "
			  "take %zu bytes, over the %d a BGP message may have; not sent%s",
			  pb, a->ncommunities, a->nlarge_communities, size, BGP_MAX_LEN,
			  p->had_old ? ", and the version the peer holds is withdrawn" : "");
	else
		log_error(e->name, "cannot announce %s: not a valid prefix, or an attribute over 65535 bytes; not sent%s",
			  pb, p->had_old ? ", and the version the peer holds is withdrawn" : "");
}

/*
 * Marks the announcements in todo[k..m) (one attribute set and family) that
 * cannot be encoded: skipped, flagged in `to`, logged unless they were
 * already, and their older version, if the peer has one, withdrawn.
 */
static void check_group(struct emitter *e, const struct bgp_route_attrs *a, struct pending *todo, size_t k,
			size_t m, struct rib_set *to, struct pfx_list *gone)
{
	size_t size_by_len[129];
	bool known[129] = {false};

	for (size_t i = k; i < m; i++) {
		struct pending *p = &todo[i];
		size_t size;
		if (p->pfx.len > 128) {
			size = bgp_update_size(a, &p->pfx);  /* not a prefix: 0 */
		} else {
			if (!known[p->pfx.len])
				size_by_len[p->pfx.len] = bgp_update_size(a, &p->pfx);
			known[p->pfx.len] = true;
			size = size_by_len[p->pfx.len];
		}
		p->skip = !size || size > BGP_MAX_LEN;
		to->unsent[p->at] = p->skip;
		if (!p->skip)
			continue;
		e->st->skipped++;
		if (!p->logged)
			log_unsendable(e, p, a, size);
		if (p->had_old)
			pfx_push(gone, &p->pfx);
	}
}

/*
 * Walks both sorted sets: prefixes only in `from` that the peer holds go to
 * gone[family]; new or changed ones to todo; unchanged ones keep their flag.
 */
static void walk(const struct rib_set *from, struct rib_set *to, const struct rib_peer *peer,
		 struct pfx_list gone[BGP_AF_COUNT], struct pending_list *todo)
{
	size_t i = 0, j = 0;
	while (i < from->n || j < to->n) {
		int c = i == from->n ? 1 : j == to->n ? -1 : bgp_prefix_cmp(&from->routes[i].pfx, &to->routes[j].pfx);
		if (c < 0) {
			const struct bgp_prefix *p = &from->routes[i].pfx;
			if (peer->af[prefix_af(p)] && !from->unsent[i])
				pfx_push(&gone[prefix_af(p)], p);
			i++;
		} else if (c > 0 || !plan_attrs_eq(&from->attrs[from->routes[i].attrs], &to->attrs[to->routes[j].attrs])) {
			const struct plan_route *r = &to->routes[j];
			bool old = c == 0 && !from->unsent[i], logged = c == 0 ? from->unsent[i] : to->unsent[j];
			if (c == 0)
				i++;
			if (peer->af[prefix_af(&r->pfx)])
				pending_push(todo, &(struct pending){r->pfx, r->attrs, j, old, logged, false});
			j++;
		} else {
			to->unsent[j] = from->unsent[i];
			i++, j++;
		}
	}
}

bool rib_bandwidth_only(const struct rib_set *from, const struct rib_set *to)
{
	bool differ = false;
	if (from->n != to->n)
		return false;
	for (size_t i = 0; i < to->n; i++) {
		if (bgp_prefix_cmp(&from->routes[i].pfx, &to->routes[i].pfx) != 0)
			return false;
		const struct plan_attrs *a = &from->attrs[from->routes[i].attrs], *b = &to->attrs[to->routes[i].attrs];
		if (a->link_bw_eps == b->link_bw_eps) {
			if (!plan_attrs_eq(a, b))
				return false;
			continue;
		}
		struct plan_attrs same = *b;
		same.link_bw_eps = a->link_bw_eps;
		if (!plan_attrs_eq(a, &same))
			return false;
		differ = true;
	}
	return differ;
}

void rib_diff(const struct rib_set *from, struct rib_set *to, const struct rib_peer *peer,
	      void (*emit)(const uint8_t *msg, size_t len, void *arg), void *arg, struct rib_diff_stats *st)
{
	static bool no_flags[1];
	static struct rib_set empty = {.unsent = no_flags};  /* n = 0: never written */
	if (!from)
		from = &empty;
	if (!to)
		to = &empty;
	struct rib_diff_stats local = {0};
	if (!st)
		st = &local;

	struct pfx_list gone[BGP_AF_COUNT] = {0};
	struct pending_list tl = {0};
	walk(from, to, peer, gone, &tl);
	struct pending *todo = tl.v;
	size_t ntodo = tl.n;

	struct emitter *e = xmalloc(sizeof(*e));
	e->emit = emit, e->arg = arg, e->st = st;
	e->name = peer->log_name ? peer->log_name : "bgp";
	if (ntodo)
		qsort(todo, ntodo, sizeof(*todo), pending_cmp);
	for (size_t k = 0, m; k < ntodo; k = m) {
		for (m = k; m < ntodo && todo[m].attrs == todo[k].attrs && todo[m].pfx.family == todo[k].pfx.family;)
			m++;
		uint64_t ext[1];
		struct bgp_route_attrs a = route_attrs(peer, &to->attrs[todo[k].attrs], ext);
		enum bgp_af af = prefix_af(&todo[k].pfx);
		check_group(e, &a, todo, k, m, to, &gone[af]);
	}
	for (int f = 0; f < BGP_AF_COUNT; f++) {
		emit_withdrawals(e, gone[f].v, gone[f].n);
		free(gone[f].v);
	}

	struct bgp_prefix *group = xcalloc(ntodo + 1, sizeof(*group));
	for (size_t k = 0, m; k < ntodo; k = m) {
		size_t ng = 0;
		for (m = k; m < ntodo && todo[m].attrs == todo[k].attrs && todo[m].pfx.family == todo[k].pfx.family; m++)
			if (!todo[m].skip)
				group[ng++] = todo[m].pfx;
		uint64_t ext[1];
		struct bgp_route_attrs a = route_attrs(peer, &to->attrs[todo[k].attrs], ext);
		emit_announcements(e, &a, group, ng);
	}
	free(group);
	free(todo);
	free(e);
}
