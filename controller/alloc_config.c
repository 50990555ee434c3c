/*
 * Installing a configuration into the allocator: pool states with fresh free
 * sets, the sorted entry index, the order of pools for automatic allocation,
 * and moving every held address into the new pools (or losing it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc_state.h"
#include "underlay.h"
#include "xalloc.h"

static int entry_cmp(const void *a, const void *b)
{
	return ipaddr_cmp(&((const struct entry_ref *)a)->r.first, &((const struct entry_ref *)b)->r.first);
}

static bool has_service_allocation(const struct ip_pool *p)
{
	return p->alloc.priority.set || p->alloc.namespaces.n || p->alloc.namespace_selectors.n ||
	       p->alloc.service_selectors.n;
}

static void build_pools(struct alloc *a, const struct config *c)
{
	const struct objects *pools = &c->kinds[KIND_IPADDRESSPOOL];
	size_t n = 0;

	a->npools = pools->n;
	a->pools = xcalloc(pools->n, sizeof(*a->pools));
	for (size_t i = 0; i < pools->n; i++) {
		struct pool_state *ps = &a->pools[i];
		const struct ip_pool *p = &pools->v[i]->pool;
		ps->obj = pools->v[i];
		ps->pinned = has_service_allocation(p);
		ps->nsets = p->naddrs;
		ps->sets = xcalloc(p->naddrs, sizeof(*ps->sets));
		for (size_t e = 0; e < p->naddrs; e++)
			free_set_init(&ps->sets[e], &p->addrs[e].r, p->avoid_buggy_ips.v);
		underlay_pool_ok(c, ps->obj, ps->unusable, sizeof(ps->unusable));  /* writes only a reason */
		n += p->naddrs;
	}
	a->nentries = n;
	a->entries = xcalloc(n, sizeof(*a->entries));
	n = 0;
	for (size_t i = 0; i < a->npools; i++)
		for (size_t e = 0; e < a->pools[i].nsets; e++)
			a->entries[n++] = (struct entry_ref){ a->pools[i].sets[e].range, i, e };
	qsort(a->entries, n, sizeof(*a->entries), entry_cmp);
}

static int64_t priority_rank(const struct pool_state *p)
{
	int64_t prio = p->obj->pool.alloc.priority.v;
	return prio > 0 ? prio : INT64_MAX;  /* 0 or unset: after every explicit priority */
}

static int auto_cmp(const void *x, const void *y, void *ctx)
{
	const struct pool_state *pools = ctx;
	const struct pool_state *a = &pools[*(const size_t *)x];
	const struct pool_state *b = &pools[*(const size_t *)y];

	if (a->pinned != b->pinned)
		return a->pinned ? -1 : 1;
	if (a->pinned && priority_rank(a) != priority_rank(b))
		return priority_rank(a) < priority_rank(b) ? -1 : 1;
	int r = strcmp(a->obj->meta.name, b->obj->meta.name);
	return r ? r : strcmp(a->obj->meta.namespace, b->obj->meta.namespace);
}

static void build_auto_order(struct alloc *a)
{
	a->auto_order = xcalloc(a->npools, sizeof(*a->auto_order));
	a->nauto = 0;
	for (size_t i = 0; i < a->npools; i++)
		if (a->pools[i].obj->pool.auto_assign.v)
			a->auto_order[a->nauto++] = i;
	qsort_r(a->auto_order, a->nauto, sizeof(*a->auto_order), auto_cmp, a->pools);
	a->npinned = 0;
	for (size_t i = 0; i < a->nauto; i++) {
		a->pools[a->auto_order[i]].rank = i;
		a->npinned += a->pools[a->auto_order[i]].pinned;
	}
}

static void free_pools(struct pool_state *pools, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t e = 0; e < pools[i].nsets; e++)
			free_set_destroy(&pools[i].sets[e]);
		free(pools[i].sets);
	}
	free(pools);
}

/* Moves a held address into the new pools; false when none takes it. */
static bool rehome(struct alloc *a, struct ip_use *u)
{
	const struct entry_ref *e = entry_for(a, &u->ip);

	if (!e || !free_set_take(&a->pools[e->pool].sets[e->set], &u->ip)) {
		u->pool = NO_POOL;
		return false;
	}
	u->pool = e->pool;
	u->set = e->set;
	return true;
}

static void lose_homeless(struct alloc *a,
			  void (*lost)(const char *ns, const char *name, const char *why, void *arg), void *arg)
{
	for (struct avl_node *n = avl_first(&a->svcs); n;) {
		struct svc_state *st = avl_entry(n, struct svc_state, by_key);
		char why[160], ip[IPADDR_STRLEN];
		n = avl_next(n);
		for (size_t i = 0; i < st->nips; i++) {
			if (st->uses[i]->pool != NO_POOL)
				continue;
			ipaddr_format(&st->uses[i]->ip, ip);
			snprintf(why, sizeof(why), "%s is no longer in an address pool that hands it out", ip);
			release(a, st);
			if (lost)
				lost(st->ns, st->name, why, arg);
			break;
		}
	}
}

/* Holdings the new configuration no longer allows, though their addresses are still in pools. */
static void lose_invalid(struct alloc *a, const struct config *c,
			 void (*lost)(const char *ns, const char *name, const char *why, void *arg), void *arg)
{
	for (struct avl_node *n = avl_first(&a->svcs); n;) {
		struct svc_state *st = avl_entry(n, struct svc_state, by_key);
		const struct object *svc = config_find(c, KIND_SERVICE, st->ns, st->name);
		struct svc_request r;
		char why[320];
		n = avl_next(n);
		if (!st->nips || !svc)
			continue;
		svc_request_read(svc, a->lb_class, &r);
		if (!r.ours || r.error[0])
			snprintf(why, sizeof(why), "%s", r.ours ? r.error : "not a LoadBalancer Service this controller serves");
		if (!r.ours || r.error[0] || !holding_valid(a, svc, &r, st, why, sizeof(why))) {
			release(a, st);
			if (lost)
				lost(st->ns, st->name, why, arg);
		}
		svc_request_free(&r);
	}
}

void alloc_set_lb_class(struct alloc *a, const char *lb_class)
{
	free(a->lb_class);
	a->lb_class = lb_class ? xstrdup(lb_class) : NULL;
}

void alloc_set_config(struct alloc *a, const struct config *c,
		      void (*lost)(const char *ns, const char *name, const char *why, void *arg), void *arg)
{
	struct pool_state *old = a->pools;
	size_t nold = a->npools;

	free(a->entries);
	free(a->auto_order);
	a->cfg = c;
	build_pools(a, c);
	build_auto_order(a);
	for (struct avl_node *n = avl_first(&a->ips); n; n = avl_next(n))
		rehome(a, avl_entry(n, struct ip_use, by_ip));
	avl_init(&a->open[0], a->open[0].cmp);  /* its nodes were in the old pools */
	avl_init(&a->open[1], a->open[1].cmp);
	for (size_t i = 0; i < a->npools; i++)
		pool_open_refresh(a, i);
	free_pools(old, nold);
	lose_homeless(a, lost, arg);
	lose_invalid(a, c, lost, arg);
}

struct alloc *alloc_new(void)
{
	struct alloc *a = xcalloc(1, sizeof(*a));

	alloc_trees_init(a);
	return a;
}

void alloc_free(struct alloc *a)
{
	if (!a)
		return;
	while (a->svcs.root)
		svc_drop(a, avl_entry(a->svcs.root, struct svc_state, by_key));
	free_pools(a->pools, a->npools);
	free(a->entries);
	free(a->auto_order);
	free(a->lb_class);
	free(a);
}
