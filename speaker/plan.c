#include "plan.h"

#include <stdlib.h>
#include <string.h>

#include "big_array.h"
#include "plan_ovn.h"
#include "ready_slice.h"
#include "xalloc.h"

/*
 * Ready endpoints, as (Service, node) pairs sorted by the Service object's
 * address: each EndpointSlice is resolved to its Service once (a hash
 * lookup), so sorting and searching compare pointers, not names.
 */
struct ready_ep {
	const struct object *svc;
	const char *node;
};

struct ready_index {
	struct ready_ep *v;
	size_t n;
};

static int ready_cmp(const void *x, const void *y)
{
	const struct ready_ep *a = x, *b = y;
	uintptr_t p = (uintptr_t)a->svc, q = (uintptr_t)b->svc;
	return p < q ? -1 : p > q;
}

/* The EndpointSlices a plan reads: compact records (Kubernetes mode), objects (file mode), or both. */
struct slices_in {
	const struct ready_slice *const *recs;
	size_t nrecs;
	const struct object *const *objs;
	size_t nobjs;
};

static void ready_index_build(const struct config *c, const struct slices_in *in, struct ready_index *ix)
{
	size_t cap = 0;
	for (size_t i = 0; i < in->nrecs; i++)
		cap += in->recs[i]->n;
	for (size_t i = 0; i < in->nobjs; i++)
		cap += in->objs[i]->eps.n;
	ix->v = xcalloc(cap ? cap : 1, sizeof(*ix->v));
	ix->n = 0;
	for (size_t i = 0; i < in->nrecs; i++) {
		const struct ready_slice *r = in->recs[i];
		const struct object *svc = r->service ? config_find(c, KIND_SERVICE, r->ns, r->service) : NULL;
		for (size_t k = 0; svc && k < r->n; k++)
			ix->v[ix->n++] = (struct ready_ep){svc, r->nodes[k]};
	}
	for (size_t i = 0; i < in->nobjs; i++) {
		const struct object *o = in->objs[i];
		const struct object *svc =
			o->eps.service_name ? config_find(c, KIND_SERVICE, o->meta.namespace, o->eps.service_name) : NULL;
		for (size_t k = 0; svc && k < o->eps.n; k++)
			if (o->eps.v[k].ready)
				ix->v[ix->n++] = (struct ready_ep){svc, o->eps.v[k].node_name};
	}
	qsort(ix->v, ix->n, sizeof(*ix->v), ready_cmp);
}

/* First entry of the Service, or n. */
static size_t ready_first(const struct ready_index *ix, const struct object *svc)
{
	size_t lo = 0, hi = ix->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if ((uintptr_t)ix->v[mid].svc < (uintptr_t)svc)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool svc_ready_anywhere(const struct ready_index *ix, const struct object *svc)
{
	size_t i = ready_first(ix, svc);
	return i < ix->n && ix->v[i].svc == svc;
}

static bool svc_ready_on(const struct ready_index *ix, const struct object *svc, const char *node)
{
	for (size_t i = ready_first(ix, svc); i < ix->n && ix->v[i].svc == svc; i++)
		if (ix->v[i].node && strcmp(ix->v[i].node, node) == 0)
			return true;
	return false;
}

static uint32_t svc_ready_count_on(const struct ready_index *ix, const struct object *svc, const char *node)
{
	uint32_t n = 0;
	for (size_t i = ready_first(ix, svc); i < ix->n && ix->v[i].svc == svc; i++)
		n += ix->v[i].node && strcmp(ix->v[i].node, node) == 0;
	return n;
}

/* Why a node announces nothing, or NULL when it may. */
const char *plan_node_silent(const struct object *n)
{
	if (labels_get(&n->meta.labels, LABEL_EXCLUDE_LB))
		return "labelled " LABEL_EXCLUDE_LB;
	if (n->node.network_unavailable)
		return "condition NetworkUnavailable is True";
	return NULL;
}

static bool svc_may_use_node(const struct ready_index *ix, const struct object *svc, const char *node)
{
	return svc->svc.traffic_policy != TRAFFIC_LOCAL || svc_ready_on(ix, svc, node);
}

const struct object *plan_pool_of(const struct config *c, const struct ipaddr *ip)
{
	const struct objects *pools = &c->kinds[KIND_IPADDRESSPOOL];
	for (size_t i = 0; i < pools->n; i++)
		for (size_t k = 0; k < pools->v[i]->pool.naddrs; k++)
			if (iprange_contains(&pools->v[i]->pool.addrs[k].r, ip))
				return pools->v[i];
	return NULL;
}

/* ---- attribute sets ---- */

static int u32_cmp(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
	return a < b ? -1 : a > b;
}

static int large_cmp(const void *x, const void *y)
{
	const uint32_t *a = x, *b = y;
	for (int i = 0; i < 3; i++)
		if (a[i] != b[i])
			return a[i] < b[i] ? -1 : 1;
	return 0;
}

bool plan_attrs_eq(const struct plan_attrs *a, const struct plan_attrs *b)
{
	return a->has_local_pref == b->has_local_pref && (!a->has_local_pref || a->local_pref == b->local_pref) &&
	       a->ncommunities == b->ncommunities && a->nlarge == b->nlarge &&
	       (!a->ncommunities || !memcmp(a->communities, b->communities, a->ncommunities * 4)) &&
	       (!a->nlarge || !memcmp(a->large, b->large, a->nlarge * 12)) && a->link_bw_eps == b->link_bw_eps;
}

struct builder {
	struct plan *p;
	size_t attrs_cap;
	const struct config *c;
	struct ready_index ready;
};

/* Sorts and dedups the communities of a, then returns the index of the equal set, adding it if new. */
static uint32_t attrs_intern(struct builder *b, struct plan_attrs *a)
{
	struct plan *p = b->p;
	if (a->ncommunities) {
		qsort(a->communities, a->ncommunities, 4, u32_cmp);
		size_t k = 1;
		for (size_t i = 1; i < a->ncommunities; i++)
			if (a->communities[i] != a->communities[k - 1])
				a->communities[k++] = a->communities[i];
		a->ncommunities = k;
	}
	if (a->nlarge) {
		qsort(a->large, a->nlarge, 12, large_cmp);
		size_t k = 1;
		for (size_t i = 1; i < a->nlarge; i++)
			if (large_cmp(a->large[i], a->large[k - 1]))
				memcpy(a->large[k++], a->large[i], 12);
		a->nlarge = k;
	}
	for (size_t i = 0; i < p->nattrs; i++)
		if (plan_attrs_eq(&p->attrs[i], a))
			return (uint32_t)i;
	if (p->nattrs == b->attrs_cap) {
		b->attrs_cap = b->attrs_cap ? 2 * b->attrs_cap : 8;
		p->attrs = xrealloc(p->attrs, b->attrs_cap, sizeof(*p->attrs));
	}
	p->attrs[p->nattrs] = *a;
	return (uint32_t)p->nattrs++;
}

static uint32_t adv_attrs(struct builder *b, const struct object *adv)
{
	const struct bgp_adv *ad = &adv->bgpadv;
	struct plan_attrs a = {0};
	a.has_local_pref = ad->local_pref.set;
	a.local_pref = (uint32_t)ad->local_pref.v;
	a.communities = arena_calloc(&b->p->arena, ad->ncommunity_values + 1, 4);
	a.large = arena_calloc(&b->p->arena, ad->ncommunity_values + 1, 12);
	for (size_t i = 0; i < ad->ncommunity_values; i++) {
		const struct community *cm = &ad->community_values[i];
		if (cm->kind == COMMUNITY_STANDARD)
			a.communities[a.ncommunities++] = cm->v[0];
		else
			memcpy(a.large[a.nlarge++], cm->v, 12);
	}
	return attrs_intern(b, &a);
}

/* Set x with a link bandwidth of eps endpoints. */
static uint32_t attrs_with_link_bw(struct builder *b, uint32_t x, uint32_t eps)
{
	struct plan_attrs a = b->p->attrs[x];  /* its arrays are sorted and unique already: shared, not changed */
	a.link_bw_eps = eps;
	return attrs_intern(b, &a);
}

/*
 * The union of two sets; a local-pref written on either wins (validation
 * refuses two that differ); of two link bandwidths the larger (the same
 * Service through two advertisements, or Services sharing the address).
 */
static uint32_t attrs_merge(struct builder *b, uint32_t x, uint32_t y)
{
	const struct plan_attrs *a = &b->p->attrs[x], *c = &b->p->attrs[y];
	struct plan_attrs m = {0};
	m.has_local_pref = a->has_local_pref || c->has_local_pref;
	m.local_pref = a->has_local_pref ? a->local_pref : c->local_pref;
	m.communities = arena_calloc(&b->p->arena, a->ncommunities + c->ncommunities + 1, 4);
	m.large = arena_calloc(&b->p->arena, a->nlarge + c->nlarge + 1, 12);
	/* Kube-OVN's empty set has no arrays at all (plan_ovn_push) */
	if (a->ncommunities)
		memcpy(m.communities, a->communities, a->ncommunities * 4);
	if (c->ncommunities)
		memcpy(m.communities + a->ncommunities, c->communities, c->ncommunities * 4);
	m.ncommunities = a->ncommunities + c->ncommunities;
	if (a->nlarge)
		memcpy(m.large, a->large, a->nlarge * 12);
	if (c->nlarge)
		memcpy(m.large + a->nlarge, c->large, c->nlarge * 12);
	m.nlarge = a->nlarge + c->nlarge;
	m.link_bw_eps = a->link_bw_eps > c->link_bw_eps ? a->link_bw_eps : c->link_bw_eps;
	return attrs_intern(b, &m);
}

/* ---- BGP routes ---- */

static int route_cmp(const void *x, const void *y)
{
	const struct plan_route *a = x, *b = y;
	int r = bgp_prefix_cmp(&a->pfx, &b->pfx);
	if (r)
		return r;
	return a->attrs < b->attrs ? -1 : a->attrs > b->attrs;
}

struct route_list {
	struct plan_route *v;
	size_t n, cap;
};

static void route_push(struct route_list *l, const struct plan_route *r)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 64;
		l->v = big_realloc(l->v, l->cap, sizeof(*l->v));
	}
	l->v[l->n++] = *r;
}

struct bgp_prefix plan_route_prefix(const struct ipaddr *ip, const struct bgp_adv *ad)
{
	struct bgp_prefix p = {.family = ip->family};
	struct ipaddr m = *ip;
	unsigned len = ip->family == IPF_V4 ? (unsigned)(ad->aggregation_length.set ? ad->aggregation_length.v : 32)
					    : (unsigned)(ad->aggregation_length_v6.set ? ad->aggregation_length_v6.v
										       : 128);
	ipaddr_mask(&m, len);
	p.len = (uint8_t)len;
	memcpy(p.addr, m.b, 16);
	return p;
}

bool plan_adv_names_peer(const struct object *adv, const struct object *peer)
{
	const struct vstrs *names = &adv->bgpadv.peers;
	if (!names->n)
		return true;
	for (size_t i = 0; i < names->n; i++)
		if (strcmp(names->v[i].s, peer->meta.name) == 0)
			return true;
	return false;
}

static void sort_merge_routes(struct builder *b, struct route_list *l)
{
	if (!l->n)
		return;
	qsort(l->v, l->n, sizeof(*l->v), route_cmp);
	size_t k = 1;
	for (size_t i = 1; i < l->n; i++) {
		struct plan_route *last = &l->v[k - 1];
		if (bgp_prefix_cmp(&last->pfx, &l->v[i].pfx) != 0)
			l->v[k++] = l->v[i];
		else if (last->attrs != l->v[i].attrs)
			last->attrs = attrs_merge(b, last->attrs, l->v[i].attrs);
	}
	l->n = k;
}

/* Kube-OVN's Pod, Subnet and ClusterIP routes, without attributes, to the peers that take them (plan_ovn.h). */
static void plan_ovn_push(struct builder *b, struct route_list *lists)
{
	const struct plan *p = b->p;
	for (size_t q = 0; q < p->npeers && p->novn; q++) {
		enum ovn_take t = plan_ovn_peer_takes(p->peers[q].peer);
		uint32_t none = 0;
		bool interned = false;
		for (size_t i = 0; i < p->novn; i++) {
			if (!plan_ovn_has(&p->ovn[i], t))
				continue;
			if (!interned)
				none = attrs_intern(b, &(struct plan_attrs){0}), interned = true;
			route_push(&lists[q], &(struct plan_route){p->ovn[i].pfx, none});
		}
	}
}

static void plan_bgp(struct builder *b, const struct object *node, const struct svc_addrs *svcs, size_t nsvcs)
{
	const struct config *c = b->c;
	struct plan *p = b->p;
	const struct objects *peers = &c->kinds[KIND_BGPPEER], *advs = &c->kinds[KIND_BGPADVERTISEMENT];

	p->peers = arena_calloc(&p->arena, peers->n + 1, sizeof(*p->peers));
	for (size_t i = 0; i < peers->n; i++)
		if (selectors_match_any(&peers->v[i]->peer.node_selectors, &node->meta.labels))
			p->peers[p->npeers++].peer = peers->v[i];
	if (!p->npeers || p->node_silent)
		return;

	/* The advertisements that select this node, with their attribute sets. */
	const struct object **here = xcalloc(advs->n + 1, sizeof(*here));
	uint32_t *here_attrs = xcalloc(advs->n + 1, sizeof(*here_attrs));
	size_t nhere = 0;
	for (size_t i = 0; i < advs->n; i++)
		if (selectors_match_any(&advs->v[i]->bgpadv.node_selectors, &node->meta.labels)) {
			here[nhere] = advs->v[i];
			here_attrs[nhere++] = adv_attrs(b, advs->v[i]);
		}

	struct route_list *lists = xcalloc(p->npeers, sizeof(*lists));
	bool *to = xcalloc(p->npeers, sizeof(*to));
	p->bgp_svcs = big_alloc(nsvcs + 1, sizeof(*p->bgp_svcs), true);
	for (size_t s = 0; s < nsvcs; s++) {
		const struct object *svc = svcs[s].svc;
		if (!svcs[s].nips || !svc_ready_anywhere(&b->ready, svc) ||
		    !svc_may_use_node(&b->ready, svc, p->node))
			continue;
		uint32_t eps = svc->svc.traffic_policy == TRAFFIC_LOCAL ? svc_ready_count_on(&b->ready, svc, p->node) : 0;
		for (size_t k = 0; k < svcs[s].nips; k++) {
			const struct ipaddr *ip = &svcs[s].ips[k];
			const struct object *pool = plan_pool_of(c, ip);
			if (!pool)
				continue;
			for (size_t a = 0; a < nhere; a++) {
				if (!config_adv_covers_pool(here[a], pool) ||
				    !selectors_match_any(&here[a]->bgpadv.service_selectors, &svc->meta.labels))
					continue;
				struct plan_route r = {plan_route_prefix(ip, &here[a]->bgpadv), here_attrs[a]};
				if (eps && bgpadv_link_bw(here[a]))
					r.attrs = attrs_with_link_bw(b, r.attrs, eps);
				for (size_t q = 0; q < p->npeers; q++)
					if (plan_adv_names_peer(here[a], p->peers[q].peer)) {
						route_push(&lists[q], &r);
						to[q] = true;
					}
			}
		}
		size_t nto = 0;
		for (size_t q = 0; q < p->npeers; q++)
			nto += to[q];
		if (!nto)
			continue;
		struct plan_bgp_svc *bs = &p->bgp_svcs[p->nbgp_svcs++];
		bs->svc = svc;
		bs->peers = arena_calloc(&p->arena, nto, sizeof(*bs->peers));
		for (size_t q = 0; q < p->npeers; q++)
			if (to[q]) {
				bs->peers[bs->npeers++] = (uint32_t)q;
				to[q] = false;
			}
	}
	free(to);
	plan_ovn_push(b, lists);
	for (size_t q = 0; q < p->npeers; q++) {
		sort_merge_routes(b, &lists[q]);
		p->peers[q].routes = lists[q].v ? lists[q].v : big_alloc(1, sizeof(struct plan_route), true);
		p->peers[q].nroutes = lists[q].n;
	}
	free(lists);
	free(here);
	free(here_attrs);
}

/* ---- L2 ---- */

struct l2_entry {
	struct ipaddr ip;
	const struct object *svc;
};

static int l2_entry_cmp(const void *x, const void *y)
{
	const struct l2_entry *a = x, *b = y;
	int r = ipaddr_cmp(&a->ip, &b->ip);
	if (r)
		return r;
	r = strcmp(a->svc->meta.namespace, b->svc->meta.namespace);
	return r ? r : strcmp(a->svc->meta.name, b->svc->meta.name);
}

static bool l2_adv_applies(const struct object *adv, const struct object *pool, const struct object *svc)
{
	return config_adv_covers_pool(adv, pool) &&
	       selectors_match_any(&adv->l2adv.service_selectors, &svc->meta.labels);
}

static int64_t node_weight(const struct object *adv, const struct object *n)
{
	int64_t w = 0;
	for (size_t i = 0; i < adv->l2adv.npreferred; i++)
		if (selector_matches(&adv->l2adv.preferred[i].preference, &n->meta.labels))
			w += adv->l2adv.preferred[i].weight;
	return w;
}

/* Adds what the L2Advertisements give one (VIP, Service) to v. */
static void l2_add_service(struct builder *b, struct plan_l2_vip *v, const struct object *svc, const struct object *pool,
			   int64_t *weights, bool *eligible, bool *all_ifaces)
{
	const struct config *c = b->c;
	const struct objects *advs = &c->kinds[KIND_L2ADVERTISEMENT], *nodes = &c->kinds[KIND_NODE];
	for (size_t a = 0; a < advs->n; a++) {
		const struct object *adv = advs->v[a];
		if (!l2_adv_applies(adv, pool, svc))
			continue;
		for (size_t n = 0; n < nodes->n; n++) {
			const struct object *node = nodes->v[n];
			if (plan_node_silent(node) ||
			    !selectors_match_any(&adv->l2adv.node_selectors, &node->meta.labels) ||
			    !svc_may_use_node(&b->ready, svc, node->meta.name))
				continue;
			eligible[n] = true;
			weights[n] += node_weight(adv, node);
			if (strcmp(node->meta.name, b->p->node) != 0)
				continue;
			if (!adv->l2adv.interfaces.n)
				*all_ifaces = true;
			for (size_t i = 0; i < adv->l2adv.interfaces.n; i++) {
				const char *ifn = adv->l2adv.interfaces.v[i].s;
				bool dup = false;
				for (size_t k = 0; k < v->ninterfaces; k++)
					dup |= strcmp(v->interfaces[k], ifn) == 0;
				if (!dup)
					v->interfaces[v->ninterfaces++] = ifn;
			}
		}
	}
}

static void plan_l2(struct builder *b, const struct svc_addrs *svcs, size_t nsvcs)
{
	const struct config *c = b->c;
	struct plan *p = b->p;
	const struct objects *advs = &c->kinds[KIND_L2ADVERTISEMENT], *nodes = &c->kinds[KIND_NODE];
	if (!advs->n)
		return;

	size_t n = 0, max_ifaces = 0;
	for (size_t i = 0; i < advs->n; i++)
		max_ifaces += advs->v[i]->l2adv.interfaces.n;
	struct l2_entry *e = xcalloc(2 * nsvcs + 1, sizeof(*e));
	for (size_t s = 0; s < nsvcs; s++) {
		if (!svcs[s].nips || !svc_ready_anywhere(&b->ready, svcs[s].svc))
			continue;
		for (size_t k = 0; k < svcs[s].nips; k++)
			e[n++] = (struct l2_entry){svcs[s].ips[k], svcs[s].svc};
	}
	qsort(e, n, sizeof(*e), l2_entry_cmp);

	p->l2 = big_alloc(n + 1, sizeof(*p->l2), true);
	int64_t *weights = xcalloc(nodes->n + 1, sizeof(*weights));
	bool *eligible = xcalloc(nodes->n + 1, sizeof(*eligible));
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && ipaddr_eq(&e[j].ip, &e[i].ip))
			j++;
		const struct object *pool = plan_pool_of(c, &e[i].ip);
		struct plan_l2_vip *v = &p->l2[p->nl2];
		*v = (struct plan_l2_vip){.ip = e[i].ip};
		v->services = arena_calloc(&p->arena, j - i, sizeof(*v->services));
		v->interfaces = arena_calloc(&p->arena, max_ifaces + 1, sizeof(*v->interfaces));
		memset(weights, 0, nodes->n * sizeof(*weights));
		memset(eligible, 0, nodes->n * sizeof(*eligible));
		bool all_ifaces = false;
		for (size_t k = i; k < j; k++) {
			v->services[v->nservices++] =
				arena_printf(&p->arena, "%s/%s", e[k].svc->meta.namespace, e[k].svc->meta.name);
			if (pool)
				l2_add_service(b, v, e[k].svc, pool, weights, eligible, &all_ifaces);
		}
		size_t ne = 0;
		for (size_t k = 0; k < nodes->n; k++)
			ne += eligible[k];
		v->nodes = arena_calloc(&p->arena, ne + 1, sizeof(*v->nodes));
		for (size_t k = 0; k < nodes->n; k++)  /* nodes are kept sorted by name */
			if (eligible[k]) {
				v->nodes[v->nnodes++] = (struct plan_node_weight){nodes->v[k]->meta.name, weights[k]};
				v->here |= strcmp(nodes->v[k]->meta.name, p->node) == 0;
			}
		if (all_ifaces)
			v->ninterfaces = 0;
		if (v->nnodes)
			p->nl2++;
		i = j;
	}
	free(weights);
	free(eligible);
	free(e);
}

static struct plan *plan_build_from(const struct config *c, const char *node, const struct svc_addrs *svcs,
				    size_t nsvcs, const struct slices_in *slices, bool ovn)
{
	struct plan *p = xcalloc(1, sizeof(*p));
	struct builder b = {.p = p, .c = c};
	p->node = arena_strdup(&p->arena, node);
	if (ovn)
		plan_ovn_count(c, node, &p->ovn, &p->novn);
	ready_index_build(c, slices, &b.ready);

	p->svc_ready = big_alloc(nsvcs + 1, sizeof(*p->svc_ready), true);
	p->nsvcs = nsvcs;
	for (size_t s = 0; s < nsvcs; s++) {
		if (!svcs[s].nips)
			continue;
		p->svc_ready[s] = svc_ready_anywhere(&b.ready, svcs[s].svc);
		if (p->svc_ready[s])
			p->services_announced++;
		else
			p->services_without_endpoints++;
	}

	const struct object *n = config_find(c, KIND_NODE, NULL, node);
	p->node_found = n != NULL;
	if (n) {
		p->node_silent = plan_node_silent(n);
		plan_bgp(&b, n, svcs, nsvcs);
	}
	plan_l2(&b, svcs, nsvcs);
	free(b.ready.v);
	return p;
}

struct plan *plan_build_with(const struct config *c, const char *node, const struct svc_addrs *svcs, size_t nsvcs,
			     const struct ready_slice *const *slices, size_t nslices)
{
	struct slices_in in = {slices, nslices, NULL, 0};
	return plan_build_from(c, node, svcs, nsvcs, &in, false);
}

struct plan *plan_build(const struct config *c, const char *node, const struct svc_addrs *svcs, size_t nsvcs)
{
	const struct objects *objs = &c->kinds[KIND_ENDPOINTSLICE];
	struct slices_in in = {(const struct ready_slice *const *)c->ready.v, c->ready.n,
			       (const struct object *const *)objs->v, objs->n};
	return plan_build_from(c, node, svcs, nsvcs, &in, true);
}

void plan_mem_release(struct plan_mem *m)
{
	if (m && atomic_fetch_sub(&m->refs, 1) == 1) {
		arena_free(&m->arena);
		free(m);
	}
}

void plan_free(struct plan *p)
{
	if (!p)
		return;
	for (size_t q = 0; q < p->npeers; q++)
		big_free(p->peers[q].routes);
	big_free(p->bgp_svcs);
	big_free(p->l2);
	big_free(p->svc_ready);
	free(p->attrs);
	free(p->ovn);
	for (size_t i = 0; i < p->nmem; i++)
		plan_mem_release(p->mem[i]);
	free(p->mem);
	arena_free(&p->arena);
	free(p);
}

const struct plan_peer *plan_find_peer(const struct plan *p, const char *ns, const char *name)
{
	for (size_t i = 0; i < p->npeers; i++)
		if (strcmp(p->peers[i].peer->meta.name, name) == 0 &&
		    strcmp(p->peers[i].peer->meta.namespace, ns) == 0)
			return &p->peers[i];
	return NULL;
}
