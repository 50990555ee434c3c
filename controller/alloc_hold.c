/*
 * Holding and releasing addresses: the bookkeeping under the allocator's
 * rules. An address enters the ips tree (and, with a sharing key, the shared
 * tree) when its first holder takes it from its pool's free set, and goes
 * back to the free set when its last holder lets go.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc_state.h"
#include "xalloc.h"

#define USE_BY_IP(n) avl_entry(n, struct ip_use, by_ip)
#define USE_BY_SHARE(n) avl_entry(n, struct ip_use, by_share)
#define SVC(n) avl_entry(n, struct svc_state, by_key)

static int svc_cmp(const struct avl_node *x, const struct avl_node *y)
{
	int r = strcmp(SVC(x)->ns, SVC(y)->ns);
	return r ? r : strcmp(SVC(x)->name, SVC(y)->name);
}

static int use_cmp(const struct avl_node *x, const struct avl_node *y)
{
	return ipaddr_cmp(&USE_BY_IP(x)->ip, &USE_BY_IP(y)->ip);
}

static int share_cmp(const struct avl_node *x, const struct avl_node *y)
{
	int r = strcmp(USE_BY_SHARE(x)->sharing, USE_BY_SHARE(y)->sharing);
	return r ? r : ipaddr_cmp(&USE_BY_SHARE(x)->ip, &USE_BY_SHARE(y)->ip);
}

static int open_cmp(const struct avl_node *x, const struct avl_node *y)
{
	/* Both nodes sit at the same index of their pool's open[]; rank orders them. */
	const struct pool_state *a = avl_entry(x, struct pool_state, open[0]);
	const struct pool_state *b = avl_entry(y, struct pool_state, open[0]);
	return a->rank < b->rank ? -1 : a->rank > b->rank;
}

static int open6_cmp(const struct avl_node *x, const struct avl_node *y)
{
	const struct pool_state *a = avl_entry(x, struct pool_state, open[1]);
	const struct pool_state *b = avl_entry(y, struct pool_state, open[1]);
	return a->rank < b->rank ? -1 : a->rank > b->rank;
}

void alloc_trees_init(struct alloc *a)
{
	avl_init(&a->ips, use_cmp);
	avl_init(&a->shared, share_cmp);
	avl_init(&a->svcs, svc_cmp);
	avl_init(&a->open[0], open_cmp);
	avl_init(&a->open[1], open6_cmp);
}

static bool pool_in_open_order(const struct pool_state *ps)
{
	return !ps->pinned && ps->obj->pool.auto_assign.v && !ps->unusable[0];
}

static void open_count(struct alloc *a, size_t pool, int f, int delta)
{
	struct pool_state *ps = &a->pools[pool];
	bool was = ps->open_sets[f] > 0;

	ps->open_sets[f] = (size_t)((long)ps->open_sets[f] + delta);
	if (!pool_in_open_order(ps) || was == (ps->open_sets[f] > 0))
		return;
	if (was)
		avl_remove(&a->open[f], &ps->open[f]);
	else
		avl_insert(&a->open[f], &ps->open[f]);
}

void pool_open_refresh(struct alloc *a, size_t pool)
{
	struct pool_state *ps = &a->pools[pool];

	for (int f = 0; f < 2; f++) {
		if (pool_in_open_order(ps) && ps->open_sets[f] > 0)
			avl_remove(&a->open[f], &ps->open[f]);
		ps->open_sets[f] = 0;
	}
	for (size_t e = 0; e < ps->nsets; e++)
		if (free_set_fragments(&ps->sets[e]))
			open_count(a, pool, family_index(ps->sets[e].range.first.family), +1);
}

/* free_set_take/put on a pool entry, keeping the open-pool trees current. */
static bool pool_take(struct alloc *a, size_t pool, size_t set, const struct ipaddr *ip)
{
	struct free_set *fs = &a->pools[pool].sets[set];

	if (!free_set_take(fs, ip))
		return false;
	if (!free_set_fragments(fs))
		open_count(a, pool, family_index(ip->family), -1);
	return true;
}

static void pool_put(struct alloc *a, size_t pool, size_t set, const struct ipaddr *ip)
{
	struct free_set *fs = &a->pools[pool].sets[set];
	bool was_empty = !free_set_fragments(fs);

	if (free_set_put(fs, ip) && was_empty)
		open_count(a, pool, family_index(ip->family), +1);
}

size_t first_open_pool(const struct alloc *a, uint8_t family)
{
	struct avl_node *n = avl_first(&a->open[family_index(family)]);

	if (!n)
		return NO_POOL;
	const struct pool_state *ps = family == IPF_V4 ? avl_entry(n, struct pool_state, open[0])
						       : avl_entry(n, struct pool_state, open[1]);
	return (size_t)(ps - a->pools);
}

struct svc_key {
	const char *ns, *name;
};

static int svc_key_cmp(const void *key, const struct avl_node *n)
{
	const struct svc_key *k = key;
	int r = strcmp(k->ns, SVC(n)->ns);
	return r ? r : strcmp(k->name, SVC(n)->name);
}

struct svc_state *svc_find(const struct alloc *a, const char *ns, const char *name)
{
	struct svc_key k = { ns, name };
	struct avl_node *n = avl_find(&a->svcs, &k, svc_key_cmp);
	return n ? SVC(n) : NULL;
}

struct svc_state *svc_get(struct alloc *a, const char *ns, const char *name)
{
	struct svc_state *st = svc_find(a, ns, name);
	size_t lns = strlen(ns), lname = strlen(name);

	if (st)
		return st;
	st = xcalloc(1, sizeof(*st) + 2 * (lns + lname) + 4);  /* "ns\0name\0ns/name\0" */
	char *p = st->names;
	st->ns = memcpy(p, ns, lns + 1);
	st->name = memcpy(p += lns + 1, name, lname + 1);
	st->id = p += lname + 1;
	sprintf(p, "%s/%s", ns, name);
	st->ports = st->inline_ports;
	avl_insert(&a->svcs, &st->by_key);
	return st;
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

void svc_set_keys(struct alloc *a, struct svc_state *st, const struct svc_request *r)
{
	(void)a;
	free(st->sharing);
	free(st->backend);
	if (st->ports != st->inline_ports)
		free(st->ports);
	st->sharing = dup_or_null(r->sharing_key);
	st->backend = dup_or_null(r->backend_key);
	st->ports = r->nports <= 4 ? st->inline_ports : xcalloc(r->nports, sizeof(*st->ports));
	st->nports = r->nports;
	for (size_t i = 0; i < r->nports; i++)
		st->ports[i] = (struct port_key){ (uint8_t)r->ports[i].proto, (uint16_t)r->ports[i].port };
}

void svc_drop(struct alloc *a, struct svc_state *st)
{
	release(a, st);
	avl_remove(&a->svcs, &st->by_key);
	if (st->ports != st->inline_ports)
		free(st->ports);
	free(st->sharing);
	free(st->backend);
	free(st);
}

static int ip_key_cmp(const void *key, const struct avl_node *n)
{
	return ipaddr_cmp(key, &USE_BY_IP(n)->ip);
}

struct ip_use *use_find(const struct alloc *a, const struct ipaddr *ip)
{
	struct avl_node *n = avl_find(&a->ips, ip, ip_key_cmp);
	return n ? USE_BY_IP(n) : NULL;
}

const struct entry_ref *entry_for(const struct alloc *a, const struct ipaddr *ip)
{
	size_t lo = 0, hi = a->nentries;

	while (lo < hi) {  /* entries are disjoint: the last one starting at or before ip */
		size_t mid = lo + (hi - lo) / 2;
		if (ipaddr_cmp(&a->entries[mid].r.first, ip) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || !iprange_contains(&a->entries[lo - 1].r, ip))
		return NULL;
	return &a->entries[lo - 1];
}

const struct svc_state *other_holder(const struct ip_use *u, const struct svc_state *self)
{
	for (size_t i = 0; i < u->nholders; i++)
		if (u->holders[i] != self)
			return u->holders[i];
	return NULL;
}

struct share_key {
	const char *key;
	const struct ipaddr *ip;
};

static int share_key_cmp(const void *key, const struct avl_node *n)
{
	const struct share_key *k = key;
	int r = strcmp(k->key, USE_BY_SHARE(n)->sharing);
	return r ? r : ipaddr_cmp(k->ip, &USE_BY_SHARE(n)->ip);
}

struct ip_use *shared_first(const struct alloc *a, const char *key, const struct ipaddr *from)
{
	struct share_key k = { key, from };
	struct avl_node *n = avl_ceil(&a->shared, &k, share_key_cmp);

	return n && strcmp(USE_BY_SHARE(n)->sharing, key) == 0 ? USE_BY_SHARE(n) : NULL;
}

struct ip_use *shared_next(const struct ip_use *u)
{
	struct avl_node *n = avl_next(&u->by_share);

	return n && strcmp(USE_BY_SHARE(n)->sharing, u->sharing) == 0 ? USE_BY_SHARE(n) : NULL;
}

/* The holders' keys become the IP's: its only holder may change them. */
static void use_set_keys(struct alloc *a, struct ip_use *u, const struct svc_state *st)
{
	if (u->sharing)
		avl_remove(&a->shared, &u->by_share);
	free(u->sharing);
	free(u->backend);
	u->sharing = dup_or_null(st->sharing);
	u->backend = dup_or_null(st->backend);
	if (u->sharing)
		avl_insert(&a->shared, &u->by_share);
}

static struct ip_use *use_new(struct alloc *a, const struct ipaddr *ip)
{
	struct ip_use *u = xcalloc(1, sizeof(*u));
	const struct entry_ref *e = entry_for(a, ip);

	u->ip = *ip;
	u->holders = u->inline_holders;
	u->cap = 2;
	u->pool = e ? e->pool : NO_POOL;
	u->set = e ? e->set : 0;
	if (e && !pool_take(a, e->pool, e->set, ip))
		xalloc_die("allocator: taking an address that is not free");
	avl_insert(&a->ips, &u->by_ip);
	return u;
}

void hold(struct alloc *a, struct svc_state *st, const struct ipaddr *ips, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct ip_use *u = use_find(a, &ips[i]);
		if (!u)
			u = use_new(a, &ips[i]);
		if (u->nholders == u->cap) {
			struct svc_state **more = xcalloc(u->cap * 2, sizeof(*more));
			memcpy(more, u->holders, u->nholders * sizeof(*more));
			if (u->holders != u->inline_holders)
				free(u->holders);
			u->holders = more;
			u->cap *= 2;
		}
		u->holders[u->nholders++] = st;
		if (u->nholders == 1 || !u->sharing)
			use_set_keys(a, u, st);
		st->uses[st->nips++] = u;
	}
}

static void use_drop(struct alloc *a, struct ip_use *u)
{
	if (u->pool != NO_POOL)
		pool_put(a, u->pool, u->set, &u->ip);
	if (u->sharing)
		avl_remove(&a->shared, &u->by_share);
	avl_remove(&a->ips, &u->by_ip);
	free(u->sharing);
	free(u->backend);
	if (u->holders != u->inline_holders)
		free(u->holders);
	free(u);
}

void release(struct alloc *a, struct svc_state *st)
{
	for (size_t i = 0; i < st->nips; i++) {
		struct ip_use *u = st->uses[i];
		for (size_t k = 0; k < u->nholders; k++)
			if (u->holders[k] == st) {
				u->holders[k] = u->holders[--u->nholders];
				break;
			}
		if (u->nholders == 0)
			use_drop(a, u);
		st->uses[i] = NULL;
	}
	st->nips = 0;
}

void refresh_keys(struct alloc *a, struct svc_state *st)
{
	for (size_t i = 0; i < st->nips; i++)
		if (st->uses[i]->nholders == 1)
			use_set_keys(a, st->uses[i], st);
}
