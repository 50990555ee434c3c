/*
 * The allocator's rules (MetalLB's, see alloc.h): which addresses a Service
 * may hold, which it keeps, and which it gets.
 */
#include "alloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc_state.h"

static const char *ipaddr_text(const struct ipaddr *ip, char buf[IPADDR_STRLEN])
{
	ipaddr_format(ip, buf);
	return buf;
}

static const char *family_name(uint8_t f)
{
	return f == IPF_V4 ? "IPv4" : "IPv6";
}

static void say(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void say(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/* serviceAllocation: every criterion given must admit the Service. */
static bool pool_admits(const struct alloc *a, const struct pool_state *ps, const struct object *svc)
{
	const struct ip_pool *p = &ps->obj->pool;
	static const struct labels none;

	if (p->alloc.namespaces.n) {
		bool listed = false;
		for (size_t i = 0; i < p->alloc.namespaces.n && !listed; i++)
			listed = strcmp(p->alloc.namespaces.v[i].s, svc->meta.namespace) == 0;
		if (!listed)
			return false;
	}
	if (p->alloc.namespace_selectors.n) {
		const struct object *ns = config_find(a->cfg, KIND_NAMESPACE, NULL, svc->meta.namespace);
		if (!selectors_match_any(&p->alloc.namespace_selectors, ns ? &ns->meta.labels : &none))
			return false;
	}
	return selectors_match_any(&p->alloc.service_selectors, &svc->meta.labels);
}

static bool ports_collide(const struct svc_state *h, const struct svc_request *r, char *why, size_t len,
			  const struct ipaddr *ip)
{
	static const char *const proto[] = { "TCP", "UDP", "SCTP" };
	char buf[IPADDR_STRLEN];

	for (size_t i = 0; i < h->nports; i++)
		for (size_t k = 0; k < r->nports; k++)
			if (h->ports[i].proto == r->ports[k].proto && h->ports[i].port == r->ports[k].port) {
				ipaddr_format(ip, buf);
				say(why, len, "port %s/%u of %s is already used by %s", proto[h->ports[i].proto],
				    h->ports[i].port, buf, h->id);
				return true;
			}
	return false;
}

static bool same_key(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* Sharing needs the same key on both sides, the same backends, and no (protocol, port) in common. */
static bool may_share(const struct ip_use *u, const struct svc_request *r, const struct svc_state *self,
		      char *why, size_t len)
{
	const struct svc_state *other = other_holder(u, self);
	char buf[IPADDR_STRLEN];

	if (!other)
		return true;
	if (!u->sharing || !r->sharing_key || strcmp(u->sharing, r->sharing_key) != 0) {
		say(why, len, "%s is in use by %s and no common metallb.io/allow-shared-ip key allows sharing it",
		    ipaddr_text(&u->ip, buf), other->id);
		return false;
	}
	if (!same_key(u->backend, r->backend_key)) {
		say(why, len, "%s is shared by %s, whose backends differ (externalTrafficPolicy or selector)",
		    ipaddr_text(&u->ip, buf), other->id);
		return false;
	}
	for (size_t i = 0; i < u->nholders; i++)
		if (u->holders[i] != self && ports_collide(u->holders[i], r, why, len, &u->ip))
			return false;
	return true;
}

static bool family_counts_fit(const struct svc_request *r, const struct ipaddr *ips, size_t n, char *why,
			      size_t len)
{
	if (n == 2 && ips[0].family == ips[1].family) {
		say(why, len, "two %s addresses for one Service", family_name(ips[0].family));
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		bool fits = false;
		for (size_t f = 0; f < r->nfamilies; f++)
			fits |= r->families[f] == ips[i].family;
		if (!fits) {
			say(why, len, "an %s address does not fit a single-stack %s Service", family_name(ips[i].family),
			    family_name(r->families[0]));
			return false;
		}
	}
	if (r->policy == REQUIRE_DUAL_STACK && n != 2) {
		say(why, len, "RequireDualStack needs one IPv4 and one IPv6 address");
		return false;
	}
	return n > 0;
}

static bool pool_serves(const struct alloc *a, size_t pool, const struct object *svc,
			const struct svc_request *r, char *why, size_t len)
{
	const struct pool_state *ps = &a->pools[pool];

	if (ps->unusable[0]) {
		say(why, len, "pool %s cannot serve: %s", ps->obj->meta.name, ps->unusable);
		return false;
	}
	if (r->pool && strcmp(r->pool, ps->obj->meta.name) != 0) {
		say(why, len, "the address is in pool %s, not in pool %s named by metallb.io/%s", ps->obj->meta.name,
		    r->pool, ANN_ADDRESS_POOL);
		return false;
	}
	if (!pool_admits(a, ps, svc)) {
		say(why, len, "pool %s does not admit this Service (its serviceAllocation)", ps->obj->meta.name);
		return false;
	}
	return true;
}

/* Whether svc may hold exactly these addresses (as self, who may hold some already). */
static bool ips_valid(const struct alloc *a, const struct object *svc, const struct svc_request *r,
		      const struct svc_state *self, const struct ipaddr *ips, size_t n, char *why, size_t len)
{
	size_t pool = NO_POOL;
	char buf[IPADDR_STRLEN];

	if (!family_counts_fit(r, ips, n, why, len))
		return false;
	for (size_t i = 0; i < n; i++) {
		const struct entry_ref *e = entry_for(a, &ips[i]);
		const struct ip_use *u = use_find(a, &ips[i]);
		if (!e) {
			say(why, len, "%s is in no address pool", ipaddr_text(&ips[i], buf));
			return false;
		}
		if (pool != NO_POOL && pool != e->pool) {
			say(why, len, "the addresses lie in different pools");
			return false;
		}
		pool = e->pool;
		if (!free_set_usable(&a->pools[pool].sets[e->set], &ips[i])) {
			say(why, len, "%s ends in .0 or .255 and pool %s sets avoidBuggyIPs", ipaddr_text(&ips[i], buf),
			    a->pools[pool].obj->meta.name);
			return false;
		}
		if (u && !may_share(u, r, self, why, len))
			return false;
	}
	return pool_serves(a, pool, svc, r, why, len);
}

static bool same_set(const struct ipaddr *x, size_t nx, const struct ipaddr *y, size_t ny)
{
	if (nx != ny)
		return false;
	for (size_t i = 0; i < nx; i++) {
		bool found = false;
		for (size_t k = 0; k < ny; k++)
			found |= ipaddr_eq(&x[i], &y[k]);
		if (!found)
			return false;
	}
	return true;
}

static size_t held_ips(const struct svc_state *st, struct ipaddr *out)
{
	for (size_t i = 0; i < st->nips; i++)
		out[i] = st->uses[i]->ip;
	return st->nips;
}

static void fill_result(const struct alloc *a, const struct svc_state *st, struct alloc_result *res)
{
	res->nips = held_ips(st, res->ips);
	res->pool = st->nips && st->uses[0]->pool != NO_POOL ? a->pools[st->uses[0]->pool].obj->meta.name : NULL;
	res->ok = st->nips > 0;
}

/* The lowest address of one entry that is free or legally shared, or false. */
static bool entry_candidate(const struct alloc *a, const struct free_set *fs, const struct svc_request *r,
			    const struct svc_state *self, struct ipaddr *out)
{
	bool found = free_set_first(fs, out);
	char why[8];

	if (!r->sharing_key)
		return found;
	for (const struct ip_use *u = shared_first(a, r->sharing_key, &fs->range.first);
	     u && ipaddr_cmp(&u->ip, &fs->range.last) <= 0 && (!found || ipaddr_cmp(&u->ip, out) < 0);
	     u = shared_next(u))
		if (free_set_usable(fs, &u->ip) && may_share(u, r, self, why, sizeof(why))) {
			*out = u->ip;
			return true;
		}
	return found;
}

/* One candidate per family from the pool, entries walked in the order written. */
static void pool_candidates(const struct alloc *a, size_t pool, const struct svc_request *r,
			    const struct svc_state *self, struct ipaddr cand[2], bool have[2])
{
	const struct pool_state *ps = &a->pools[pool];

	have[0] = have[1] = false;
	for (size_t e = 0; e < ps->nsets; e++) {
		int f = ps->sets[e].range.first.family == IPF_V4 ? 0 : 1;
		if (!have[f])
			have[f] = entry_candidate(a, &ps->sets[e], r, self, &cand[f]);
	}
}

/* MetalLB's choice: the first pool that satisfies the policy fully; PreferDualStack falls back. */
static bool choose(const struct alloc *a, const size_t *pools, size_t npools, const struct svc_request *r,
		   const struct svc_state *self, struct ipaddr *ips, size_t *n)
{
	int p = family_index(r->families[0]), s = 1 - p;
	struct ipaddr fallback[2];
	size_t nfallback = 0;

	for (size_t i = 0; i < npools; i++) {
		struct ipaddr cand[2];
		bool have[2];
		pool_candidates(a, pools[i], r, self, cand, have);
		if (r->policy == SINGLE_STACK && have[p]) {
			ips[0] = cand[p];
			*n = 1;
			return true;
		}
		if (r->policy != SINGLE_STACK && have[p] && have[s]) {
			ips[0] = cand[p];
			ips[1] = cand[s];
			*n = 2;
			return true;
		}
		if (r->policy == PREFER_DUAL_STACK && (have[p] || have[s]) &&
		    (nfallback == 0 || (have[p] && fallback[0].family != r->families[0]))) {
			fallback[0] = have[p] ? cand[p] : cand[s];
			nfallback = 1;
		}
	}
	if (nfallback)
		memcpy(ips, fallback, sizeof(fallback[0]));
	*n = nfallback;
	return nfallback > 0;
}

static size_t pool_by_name(const struct alloc *a, const char *name)
{
	for (size_t i = 0; i < a->npools; i++)
		if (strcmp(a->pools[i].obj->meta.name, name) == 0)
			return i;
	return NO_POOL;
}

/* Why no automatic pool serves svc: the first one that would admit it but cannot serve (an underlay pool) says why. */
static void say_no_auto_pool(const struct alloc *a, const struct object *svc, char *why, size_t len)
{
	for (size_t i = 0; i < a->nauto; i++) {
		const struct pool_state *ps = &a->pools[a->auto_order[i]];
		if (ps->unusable[0] && (i >= a->npinned || pool_admits(a, ps, svc))) {
			say(why, len, "no address pool with autoAssign admits this Service: pool %s cannot serve: %s",
			    ps->obj->meta.name, ps->unusable);
			return;
		}
	}
	say(why, len, "no address pool with autoAssign admits this Service");
}

/*
 * The pools to try, in order. Unless every pool is wanted (all), the unpinned
 * pools come from the open-pool tree when one free address of one family is
 * all that is needed: the first such pool is then the only one that can win,
 * found in O(log pools).
 */
static size_t candidate_pools(const struct alloc *a, const struct object *svc, const struct svc_request *r,
			      bool all, size_t *out, char *why, size_t len)
{
	size_t n = 0;

	if (r->pool) {
		size_t p = pool_by_name(a, r->pool);
		if (p == NO_POOL) {
			say(why, len, "pool %s named by metallb.io/%s does not exist", r->pool, ANN_ADDRESS_POOL);
			return 0;
		}
		if (pool_serves(a, p, svc, r, why, len))
			out[n++] = p;
		return n;
	}
	for (size_t i = 0; i < a->npinned; i++) {
		const struct pool_state *ps = &a->pools[a->auto_order[i]];
		if (!ps->unusable[0] && pool_admits(a, ps, svc))
			out[n++] = a->auto_order[i];
	}
	if (!all && r->policy == SINGLE_STACK && !r->sharing_key) {
		size_t p = first_open_pool(a, r->families[0]);
		if (p != NO_POOL)
			out[n++] = p;
		return n;
	}
	for (size_t i = a->npinned; i < a->nauto; i++)
		if (!a->pools[a->auto_order[i]].unusable[0])
			out[n++] = a->auto_order[i];
	if (n == 0)
		say_no_auto_pool(a, svc, why, len);
	return n;
}

static void describe_full(const struct alloc *a, const size_t *pools, size_t n, const struct svc_request *r,
			  char *why, size_t len)
{
	const char *need = r->policy == REQUIRE_DUAL_STACK ? "a free IPv4 and a free IPv6 address"
			   : r->policy == PREFER_DUAL_STACK ? "a free address"
							    : r->families[0] == IPF_V4 ? "a free IPv4 address"
										: "a free IPv6 address";
	size_t off = (size_t)snprintf(why, len, "no pool has %s (tried", need);

	for (size_t i = 0; i < n && off < len; i++)
		off += (size_t)snprintf(why + off, len - off, "%s %s", i ? "," : "", a->pools[pools[i]].obj->meta.name);
	if (off < len)
		snprintf(why + off, len - off, ")");
}

static bool allocate_new(struct alloc *a, const struct object *svc, const struct svc_request *r,
			 struct svc_state *st, char *why, size_t len)
{
	struct ipaddr ips[2];
	size_t n;

	if (r->nwant) {
		if (!ips_valid(a, svc, r, st, r->want, r->nwant, why, len))
			return false;
		hold(a, st, r->want, r->nwant);
		return true;
	}
	size_t *pools = calloc(a->npools ? a->npools : 1, sizeof(*pools));
	size_t npools = candidate_pools(a, svc, r, false, pools, why, len);
	bool ok = npools && choose(a, pools, npools, r, st, ips, &n);
	if (ok) {
		hold(a, st, ips, n);
	} else {  /* say which pools were full: all of them, found the slow way */
		npools = candidate_pools(a, svc, r, true, pools, why, len);
		if (npools)
			describe_full(a, pools, npools, r, why, len);
	}
	free(pools);
	return ok;
}

/* PreferDualStack holding one family: add the other from the same pool if it has one free. */
static void complete_dual_stack(struct alloc *a, struct svc_state *st, const struct svc_request *r)
{
	struct ipaddr cand[2], ips[2];
	bool have[2];

	if (r->policy != PREFER_DUAL_STACK || st->nips != 1 || r->nwant || st->uses[0]->pool == NO_POOL)
		return;
	pool_candidates(a, st->uses[0]->pool, r, st, cand, have);
	int other = 1 - family_index(st->uses[0]->ip.family);
	if (!have[other])
		return;
	ips[0] = st->uses[0]->ip;
	ips[1] = cand[other];
	release(a, st);
	hold(a, st, ips, 2);
}

bool holding_valid(const struct alloc *a, const struct object *svc, const struct svc_request *r,
		   const struct svc_state *st, char *why, size_t len)
{
	struct ipaddr ips[2];
	size_t n = held_ips(st, ips);

	if (!n)
		return false;
	if (r->nwant && !same_set(ips, n, r->want, r->nwant)) {
		say(why, len, "the requested addresses changed");
		return false;
	}
	return ips_valid(a, svc, r, st, ips, n, why, len);
}

bool alloc_assign(struct alloc *a, const struct object *svc, const struct svc_request *r,
		  struct alloc_result *res)
{
	struct svc_state *st = svc_find(a, svc->meta.namespace, svc->meta.name);
	struct ipaddr before[2];
	size_t nbefore = st ? held_ips(st, before) : 0;
	char why[320] = "";

	memset(res, 0, sizeof(*res));
	if (!r->ours || r->error[0]) {
		if (st)
			svc_drop(a, st);
		res->changed = nbefore > 0;
		say(res->message, sizeof(res->message), "%s",
		    r->ours ? r->error : "not a LoadBalancer Service this controller serves");
		if (nbefore)
			say(res->cleared, sizeof(res->cleared), "%s", res->message);
		return false;
	}
	if (!st)
		st = svc_get(a, svc->meta.namespace, svc->meta.name);
	if (holding_valid(a, svc, r, st, why, sizeof(why))) {
		svc_set_keys(a, st, r);
		refresh_keys(a, st);
		complete_dual_stack(a, st, r);
		say(res->message, sizeof(res->message), "kept");
	} else {
		if (nbefore)
			say(res->cleared, sizeof(res->cleared), "%s", why);
		release(a, st);
		svc_set_keys(a, st, r);
		char fail[320] = "";
		if (!allocate_new(a, svc, r, st, fail, sizeof(fail)))
			say(res->message, sizeof(res->message), "%s%s%s", fail, nbefore ? "; released: " : "",
			    nbefore ? why : "");
		else if (nbefore)
			say(res->message, sizeof(res->message), "moved: %s", why);
		else
			say(res->message, sizeof(res->message), "allocated");
	}
	fill_result(a, st, res);
	res->changed = !same_set(before, nbefore, res->ips, res->nips);
	return res->ok;
}

bool alloc_reclaim(struct alloc *a, const struct object *svc, const struct svc_request *r,
		   const struct ipaddr *ips, size_t n, struct alloc_result *res)
{
	struct svc_state *st;
	char why[320];

	memset(res, 0, sizeof(*res));
	if (!r->ours || r->error[0] || n == 0 || n > 2)
		return false;
	st = svc_get(a, svc->meta.namespace, svc->meta.name);
	release(a, st);
	svc_set_keys(a, st, r);
	if ((r->nwant && !same_set(ips, n, r->want, r->nwant)) || !ips_valid(a, svc, r, st, ips, n, why, sizeof(why))) {
		say(res->message, sizeof(res->message), "status not kept: %s",
		    r->nwant && !same_set(ips, n, r->want, r->nwant) ? "other addresses are requested" : why);
		return false;
	}
	hold(a, st, ips, n);
	fill_result(a, st, res);
	say(res->message, sizeof(res->message), "kept");
	return true;
}

void alloc_release(struct alloc *a, const char *ns, const char *name)
{
	struct svc_state *st = svc_find(a, ns, name);

	if (st)
		svc_drop(a, st);
}

size_t alloc_service_ips(const struct alloc *a, const char *ns, const char *name, struct ipaddr *ips,
			 const char **pool)
{
	const struct svc_state *st = svc_find(a, ns, name);

	if (!st || !st->nips)
		return 0;
	if (pool)
		*pool = st->uses[0]->pool != NO_POOL ? a->pools[st->uses[0]->pool].obj->meta.name : NULL;
	return held_ips(st, ips);
}

size_t alloc_held_addresses(const struct alloc *a)
{
	return a->ips.count;
}

size_t alloc_services(const struct alloc *a)
{
	size_t n = 0;

	for (struct avl_node *x = avl_first(&a->svcs); x; x = avl_next(x))
		n += avl_entry(x, struct svc_state, by_key)->nips > 0;
	return n;
}

void alloc_walk(const struct alloc *a,
		void (*fn)(const struct ipaddr *ip, const char *pool, const char *const *holders, size_t n,
			   void *arg),
		void *arg)
{
	const char *ids[64];

	for (struct avl_node *x = avl_first(&a->ips); x; x = avl_next(x)) {
		const struct ip_use *u = avl_entry(x, struct ip_use, by_ip);
		size_t n = u->nholders < 64 ? u->nholders : 64;
		for (size_t i = 0; i < n; i++)
			ids[i] = u->holders[i]->id;
		fn(&u->ip, u->pool != NO_POOL ? a->pools[u->pool].obj->meta.name : NULL, ids, n, arg);
	}
}
