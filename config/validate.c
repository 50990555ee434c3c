/*
 * Checks that span objects, and the results they resolve:
 *  - no address is in two pool entries (within one pool or across pools);
 *  - advertisements name pools that exist, and a BGPAdvertisement's
 *    aggregation length is not shorter than any of its pools' prefixes;
 *  - communities are literals or names a Community object defines;
 *  - two BGPAdvertisements do not give the same prefixes different localPref
 *    toward the same peer;
 *  - a BGPPeer's bfdProfile and passwordSecret exist;
 *  - every route the BGPAdvertisements give a peer fits in one BGP UPDATE
 *    (validate_sendable.c).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "link_bw.h"
#include "object.h"
#include "validate.h"
#include "xalloc.h"

#define OBJS(c, k) ((c)->kinds[k])

static void error_at(struct diags *d, const struct mark *m, const struct object *o, const char *path,
		     const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void error_at(struct diags *d, const struct mark *m, const struct object *o, const char *path,
		     const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	diag_add(d, DIAG_ERROR, m && m->file ? m : &o->meta.mark, o->meta.id, path, "%s", msg);
}

/* Pools: overlapping entries, by a sort on the first address. */
struct range_ref {
	const struct object *pool;
	const struct pool_addr *addr;
};

static int range_ref_cmp(const void *a, const void *b)
{
	const struct range_ref *x = a, *y = b;
	int r = ipaddr_cmp(&x->addr->r.first, &y->addr->r.first);
	return r ? r : ipaddr_cmp(&x->addr->r.last, &y->addr->r.last);
}

static void check_pool_overlaps(const struct config *c, struct diags *d)
{
	const struct objects *pools = &OBJS(c, KIND_IPADDRESSPOOL);
	size_t n = 0;

	for (size_t i = 0; i < pools->n; i++)
		n += pools->v[i]->pool.naddrs;
	struct range_ref *refs = xcalloc(n, sizeof(*refs));
	n = 0;
	for (size_t i = 0; i < pools->n; i++)
		for (size_t j = 0; j < pools->v[i]->pool.naddrs; j++)
			refs[n++] = (struct range_ref){ pools->v[i], &pools->v[i]->pool.addrs[j] };
	qsort(refs, n, sizeof(*refs), range_ref_cmp);

	const struct range_ref *widest = n ? &refs[0] : NULL;  /* reaches furthest so far */
	for (size_t i = 1; i < n; i++) {
		const struct range_ref *r = &refs[i];
		if (iprange_overlaps(&r->addr->r, &widest->addr->r)) {
			char a[IPRANGE_STRLEN], b[IPRANGE_STRLEN], where[300] = "";
			iprange_format(&r->addr->r, a);
			iprange_format(&widest->addr->r, b);
			if (widest->addr->mark.file && widest->addr->mark.line)  /* API objects have no lines */
				snprintf(where, sizeof(where), " (%s:%u)", widest->addr->mark.file,
					 widest->addr->mark.line);
			error_at(d, &r->addr->mark, r->pool, "spec.addresses", "%s overlaps %s of %s%s", a, b,
				 widest->pool == r->pool ? "the same pool" : widest->pool->meta.id, where);
		}
		if (ipaddr_cmp(&r->addr->r.last, &widest->addr->r.last) > 0)
			widest = r;
	}
	free(refs);
}

/* Advertisements: pool names and selectors. */
static const struct vstrs *adv_pool_names(const struct object *adv)
{
	return adv->kind == KIND_L2ADVERTISEMENT ? &adv->l2adv.pools : &adv->bgpadv.pools;
}

static const struct selectors *adv_pool_selectors(const struct object *adv)
{
	return adv->kind == KIND_L2ADVERTISEMENT ? &adv->l2adv.pool_selectors : &adv->bgpadv.pool_selectors;
}

static bool adv_names_pool(const struct object *adv, const struct object *pool)
{
	const struct vstrs *names = adv_pool_names(adv);
	const struct selectors *sels = adv_pool_selectors(adv);

	if (names->n == 0 && sels->n == 0)
		return true;
	for (size_t i = 0; i < names->n; i++)
		if (strcmp(names->v[i].s, pool->meta.name) == 0)
			return true;
	for (size_t i = 0; i < sels->n; i++)
		if (selector_matches(&sels->v[i], &pool->meta.labels))
			return true;
	return false;
}

bool config_adv_covers_pool(const struct object *adv, const struct object *pool)
{
	return strcmp(pool->meta.namespace, adv->meta.namespace) == 0 && adv_names_pool(adv, pool);
}

size_t config_adv_pools(const struct config *c, const struct object *adv, const struct object **out,
			size_t max)
{
	const struct objects *pools = &OBJS(c, KIND_IPADDRESSPOOL);
	size_t n = 0;

	for (size_t i = 0; i < pools->n; i++) {
		const struct object *p = pools->v[i];
		if (strcmp(p->meta.namespace, adv->meta.namespace) != 0 || !adv_names_pool(adv, p))
			continue;
		if (out && n < max)
			out[n] = p;
		n++;
	}
	return n;
}

static void check_pool_names(const struct config *c, const struct object *adv, struct diags *d)
{
	const struct vstrs *names = adv_pool_names(adv);

	for (size_t i = 0; i < names->n; i++)
		if (!config_find(c, KIND_IPADDRESSPOOL, adv->meta.namespace, names->v[i].s))
			error_at(d, &names->v[i].mark, adv, "spec.ipAddressPools",
				 "IPAddressPool \"%s\" does not exist in namespace %s", names->v[i].s,
				 adv->meta.namespace);
}

struct agg_check {
	struct diags *d;
	const struct object *adv, *pool;
	const struct vint *len;
	const struct pool_addr *addr;
	bool failed;
};

static bool agg_cidr(const struct ipaddr *net, unsigned prefix, void *arg)
{
	struct agg_check *a = arg;
	char buf[IPADDR_STRLEN];

	if (prefix <= (unsigned)a->len->v)
		return true;
	ipaddr_format(net, buf);
	error_at(a->d, &a->len->mark, a->adv,
		 a->addr->r.first.family == IPF_V4 ? "spec.aggregationLength" : "spec.aggregationLengthV6",
		 "%lld is shorter than the prefix %s/%u of %s (%s:%u): the aggregate would cover addresses outside the pool",
		 (long long)a->len->v, buf, prefix, a->pool->meta.id, a->addr->mark.file, a->addr->mark.line);
	a->failed = true;
	return false;
}

static void check_aggregation(const struct object *adv, const struct object *pool, struct diags *d)
{
	const struct bgp_adv *b = &adv->bgpadv;

	for (size_t i = 0; i < pool->pool.naddrs; i++) {
		const struct pool_addr *pa = &pool->pool.addrs[i];
		const struct vint *len = pa->r.first.family == IPF_V4 ? &b->aggregation_length
								     : &b->aggregation_length_v6;
		struct agg_check a = { d, adv, pool, len, pa, false };
		iprange_cidrs(&pa->r, agg_cidr, &a);
		if (a.failed)
			return;
	}
}

static void resolve_communities(struct config *c, struct object *adv, struct diags *d)
{
	struct bgp_adv *b = &adv->bgpadv;
	char why[160];

	b->community_values = arena_calloc(&c->resolved, b->communities.n, sizeof(*b->community_values));
	b->ncommunity_values = 0;
	for (size_t i = 0; i < b->communities.n; i++) {
		const struct vstr *s = &b->communities.v[i];
		const struct community *named = NULL;
		const struct objects *sets = &OBJS(c, KIND_COMMUNITY);
		for (size_t k = 0; k < sets->n && !named; k++)
			for (size_t j = 0; j < sets->v[k]->communities.n && !named; j++)
				if (strcmp(sets->v[k]->meta.namespace, adv->meta.namespace) == 0 &&
				    strcmp(sets->v[k]->communities.v[j].name.s, s->s) == 0)
					named = &sets->v[k]->communities.v[j].value;
		struct community *out = &b->community_values[b->ncommunity_values];
		if (named)
			*out = *named;
		else if (!community_parse(s->s, strlen(s->s), out, why, sizeof(why))) {
			if (community_is_literal(s->s, strlen(s->s)))
				error_at(d, &s->mark, adv, "spec.communities", "%s", why);
			else
				error_at(d, &s->mark, adv, "spec.communities",
					 "\"%s\" is neither a community value nor a name a Community object defines", s->s);
			continue;
		}
		b->ncommunity_values++;
	}
}

static void check_community_names(const struct config *c, struct diags *d)
{
	const struct objects *sets = &OBJS(c, KIND_COMMUNITY);

	for (size_t a = 0; a < sets->n; a++)
		for (size_t b = a + 1; b < sets->n; b++) {
			const struct object *x = sets->v[a], *y = sets->v[b];
			if (strcmp(x->meta.namespace, y->meta.namespace) != 0)
				continue;
			for (size_t i = 0; i < x->communities.n; i++)
				for (size_t j = 0; j < y->communities.n; j++)
					if (strcmp(x->communities.v[i].name.s, y->communities.v[j].name.s) == 0)
						error_at(d, &y->communities.v[j].name.mark, y, "spec.communities",
							 "community name \"%s\" is also defined by %s",
							 y->communities.v[j].name.s, x->meta.id);
		}
}

/* localPref: a conflict needs a shared pool, equal aggregation and a shared peer. */
static bool peers_intersect(const struct vstrs *a, const struct vstrs *b)
{
	if (a->n == 0 || b->n == 0)
		return true;
	for (size_t i = 0; i < a->n; i++)
		for (size_t j = 0; j < b->n; j++)
			if (strcmp(a->v[i].s, b->v[j].s) == 0)
				return true;
	return false;
}

static bool pool_has_family(const struct object *pool, uint8_t family)
{
	for (size_t i = 0; i < pool->pool.naddrs; i++)
		if (pool->pool.addrs[i].r.first.family == family)
			return true;
	return false;
}

static const struct object *shared_prefix_pool(const struct config *c, const struct object *x,
					       const struct object *y)
{
	const struct objects *pools = &OBJS(c, KIND_IPADDRESSPOOL);

	for (size_t i = 0; i < pools->n; i++) {
		const struct object *p = pools->v[i];
		if (strcmp(p->meta.namespace, x->meta.namespace) || strcmp(p->meta.namespace, y->meta.namespace) ||
		    !adv_names_pool(x, p) || !adv_names_pool(y, p))
			continue;
		if (pool_has_family(p, IPF_V4) &&
		    x->bgpadv.aggregation_length.v == y->bgpadv.aggregation_length.v)
			return p;
		if (pool_has_family(p, IPF_V6) &&
		    x->bgpadv.aggregation_length_v6.v == y->bgpadv.aggregation_length_v6.v)
			return p;
	}
	return NULL;
}

static void check_local_prefs(const struct config *c, struct diags *d)
{
	const struct objects *advs = &OBJS(c, KIND_BGPADVERTISEMENT);

	for (size_t i = 0; i < advs->n; i++) {
		const struct object *y = advs->v[i];
		if (!y->bgpadv.local_pref.set)
			continue;
		for (size_t j = 0; j < i; j++) {
			const struct object *x = advs->v[j];
			if (!x->bgpadv.local_pref.set || x->bgpadv.local_pref.v == y->bgpadv.local_pref.v ||
			    !peers_intersect(&x->bgpadv.peers, &y->bgpadv.peers))
				continue;
			const struct object *p = shared_prefix_pool(c, x, y);
			if (p) {
				error_at(d, &y->bgpadv.local_pref.mark, y, "spec.localPref",
					 "%lld conflicts with localPref %lld of %s for the same prefixes of %s and the same peers",
					 (long long)y->bgpadv.local_pref.v, (long long)x->bgpadv.local_pref.v,
					 x->meta.id, p->meta.id);
				break;
			}
		}
	}
}

static void check_advertisements(struct config *c, struct diags *d)
{
	for (int k = KIND_L2ADVERTISEMENT; k <= KIND_BGPADVERTISEMENT; k++)
		for (size_t i = 0; i < OBJS(c, k).n; i++)
			check_pool_names(c, OBJS(c, k).v[i], d);

	const struct objects *advs = &OBJS(c, KIND_BGPADVERTISEMENT);
	const struct objects *pools = &OBJS(c, KIND_IPADDRESSPOOL);
	for (size_t i = 0; i < advs->n; i++) {
		struct object *adv = advs->v[i];
		resolve_communities(c, adv, d);
		const char *bw = labels_get(&adv->meta.annotations, ANNOTATION_LINK_BW);
		if (bw && strcmp(bw, LINK_BW_PER_ENDPOINT) != 0)
			diag_add(d, DIAG_WARNING, &adv->meta.mark, adv->meta.id, "metadata.annotations",
				 "%s: \"%s\" is not a value vipcast knows (\"%s\"): no link bandwidth", ANNOTATION_LINK_BW,
				 bw, LINK_BW_PER_ENDPOINT);
		for (size_t p = 0; p < pools->n; p++)
			if (strcmp(pools->v[p]->meta.namespace, adv->meta.namespace) == 0 &&
			    adv_names_pool(adv, pools->v[p]))
				check_aggregation(adv, pools->v[p], d);
		for (size_t j = 0; j < adv->bgpadv.peers.n; j++) {
			const struct vstr *peer = &adv->bgpadv.peers.v[j];
			if (!config_find(c, KIND_BGPPEER, adv->meta.namespace, peer->s))
				diag_add(d, DIAG_WARNING, &peer->mark, adv->meta.id, "spec.peers",
					 "BGPPeer \"%s\" does not exist (yet): nothing is announced to it", peer->s);
		}
	}
	check_local_prefs(c, d);
	validate_sendable(c, d);
}

static void resolve_password(struct config *c, struct object *o, struct diags *d)
{
	struct bgp_peer *p = &o->peer;
	const char *ns = p->password_secret.namespace.s ? p->password_secret.namespace.s : o->meta.namespace;

	p->md5_password = p->password.s;
	if (!p->password_secret.name.s)
		return;
	const struct object *s = config_find(c, KIND_SECRET, ns, p->password_secret.name.s);
	const struct mark *m = &p->password_secret.name.mark;
	if (!s) {
		error_at(d, m, o, "spec.passwordSecret", "Secret %s/%s does not exist", ns,
			 p->password_secret.name.s);
		return;
	}
	if (strcmp(s->secret.type.s, "kubernetes.io/basic-auth") != 0) {
		error_at(d, m, o, "spec.passwordSecret", "%s has type %s, not kubernetes.io/basic-auth",
			 s->meta.id, s->secret.type.s);
		return;
	}
	for (size_t i = 0; i < s->secret.n; i++)
		if (strcmp(s->secret.v[i].key, "password") == 0) {
			p->md5_password = arena_strndup(&c->resolved, (const char *)s->secret.v[i].value,
							s->secret.v[i].len);
			return;
		}
	error_at(d, m, o, "spec.passwordSecret", "%s has no key \"password\"", s->meta.id);
}

static void check_peers(struct config *c, struct diags *d)
{
	const struct objects *peers = &OBJS(c, KIND_BGPPEER);

	for (size_t i = 0; i < peers->n; i++) {
		struct object *o = peers->v[i];
		const struct vstr *bfd = &o->peer.bfd_profile;
		if (bfd->s && *bfd->s && !config_find(c, KIND_BFDPROFILE, o->meta.namespace, bfd->s))
			error_at(d, &bfd->mark, o, "spec.bfdProfile", "BFDProfile \"%s\" does not exist in namespace %s",
				 bfd->s, o->meta.namespace);
		resolve_password(c, o, d);
	}
}

bool config_validate(struct config *c, struct diags *d)
{
	size_t before = d->errors;

	config_sort(c);
	arena_free(&c->resolved);
	check_pool_overlaps(c, d);
	check_community_names(c, d);
	check_advertisements(c, d);
	check_peers(c, d);
	return d->errors == before;
}
