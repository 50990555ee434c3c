#include "plan_patch.h"

#include <stdlib.h>
#include <string.h>

#include "big_array.h"
#include "lower_bound.h"
#include "plan_ovn.h"
#include "plan_patch_ovn.h"
#include "xalloc.h"

static int key_cmp(const char *ns1, const char *n1, const char *ns2, const char *n2)
{
	int r = strcmp(ns1, ns2);
	return r ? r : strcmp(n1, n2);
}

static int svc_key_cmp(const struct object *a, const struct object *b)
{
	return a == b ? 0 : key_cmp(a->meta.namespace, a->meta.name, b->meta.namespace, b->meta.name);
}

static int svcs_key_cmp(const void *elem, const void *key)
{
	const struct object *o = ((const struct svc_addrs *)elem)->svc;
	const struct plan_svc_key *k = key;
	return key_cmp(o->meta.namespace, o->meta.name, k->ns, k->name);
}

static bool same_addrs(const struct svc_addrs *a, const struct svc_addrs *b)
{
	return a->nips == b->nips && !memcmp(a->ips, b->ips, a->nips * sizeof(a->ips[0]));
}

struct idx_list {
	size_t *v, n, cap;
};

static void idx_push(struct idx_list *l, size_t x)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 16;
		l->v = xrealloc(l->v, l->cap, sizeof(*l->v));
	}
	l->v[l->n++] = x;
}

static int size_cmp(const void *x, const void *y)
{
	size_t a = *(const size_t *)x, b = *(const size_t *)y;
	return a < b ? -1 : a > b;
}

static void idx_sort_unique(struct idx_list *l)
{
	if (!l->n)
		return;
	qsort(l->v, l->n, sizeof(*l->v), size_cmp);
	size_t k = 1;
	for (size_t i = 1; i < l->n; i++)
		if (l->v[i] != l->v[k - 1])
			l->v[k++] = l->v[i];
	l->n = k;
}

/*
 * The changed Services: positions in old_svcs (kold) and svcs (knew) whose
 * object, addresses or EndpointSlices changed, or that came or went; and the
 * new readiness of every other Service, copied from old.
 */
static void find_changed(const struct plan *old, const struct svc_addrs *old_svcs, size_t nold,
			 const struct svc_addrs *svcs, size_t nsvcs, const struct plan_svc_key *changed, size_t nchanged,
			 struct idx_list *kold, struct idx_list *knew, bool *ready)
{
	struct idx_list named_old = {0}, named_new = {0};
	for (size_t c = 0; c < nchanged; c++) {
		if (changed[c].pod)
			continue;
		size_t i = lower_bound(old_svcs, nold, sizeof(*old_svcs), &changed[c], svcs_key_cmp);
		if (i < nold && !svcs_key_cmp(&old_svcs[i], &changed[c]))
			idx_push(&named_old, i);
		size_t j = lower_bound(svcs, nsvcs, sizeof(*svcs), &changed[c], svcs_key_cmp);
		if (j < nsvcs && !svcs_key_cmp(&svcs[j], &changed[c]))
			idx_push(&named_new, j);
	}
	idx_sort_unique(&named_old);
	idx_sort_unique(&named_new);

	size_t i = 0, j = 0, a = 0, b = 0;
	while (i < nold || j < nsvcs) {
		int r = i == nold ? 1 : j == nsvcs ? -1 : svc_key_cmp(old_svcs[i].svc, svcs[j].svc);
		if (r < 0) {
			idx_push(kold, i++);  /* gone */
			continue;
		}
		if (r > 0) {
			idx_push(knew, j++);  /* came */
			continue;
		}
		while (a < named_old.n && named_old.v[a] < i)
			a++;
		while (b < named_new.n && named_new.v[b] < j)
			b++;
		bool named = (a < named_old.n && named_old.v[a] == i) || (b < named_new.n && named_new.v[b] == j);
		if (named || old_svcs[i].svc != svcs[j].svc || !same_addrs(&old_svcs[i], &svcs[j])) {
			idx_push(kold, i);
			idx_push(knew, j);
		} else {
			ready[j] = old->svc_ready[i];
		}
		i++, j++;
	}
	free(named_old.v);
	free(named_new.v);
}

/* ---- the addresses touched, as a sorted set with a bitmap in front ---- */

struct ip_set {
	struct ipaddr *v;
	size_t n;
	uint64_t bloom[64];
};

static int ip_cmp(const void *x, const void *y)
{
	return ipaddr_cmp(x, y);
}

static unsigned ip_hash(const struct ipaddr *ip)
{
	unsigned h = ip->family;
	for (int i = 0; i < 16; i++)
		h = h * 31 + ip->b[i];
	return h & 4095;
}

static bool ip_set_has(const struct ip_set *s, const struct ipaddr *ip)
{
	unsigned h = ip_hash(ip);
	if (!(s->bloom[h / 64] & (1ull << (h % 64))))
		return false;
	return bsearch(ip, s->v, s->n, sizeof(*s->v), ip_cmp) != NULL;
}

static bool host_prefix(const struct bgp_prefix *p)
{
	return p->len == (p->family == IPF_V4 ? 32 : 128);
}

/* The addresses of the Services that changed, and the host routes some Pod starts or stops giving (flips). */
static void ip_set_build(struct ip_set *s, const struct svc_addrs *old_svcs, const struct idx_list *kold,
			 const struct svc_addrs *svcs, const struct idx_list *knew, const struct ovn_prefixes *flips)
{
	s->n = 0;
	s->v = xcalloc(2 * (kold->n + knew->n) + flips->n + 1, sizeof(*s->v));
	for (size_t i = 0; i < flips->n; i++)
		if (host_prefix(&flips->v[i])) {
			s->v[s->n] = (struct ipaddr){.family = flips->v[i].family};
			memcpy(s->v[s->n++].b, flips->v[i].addr, 16);
		}
	for (size_t k = 0; k < kold->n; k++)
		for (size_t i = 0; i < old_svcs[kold->v[k]].nips; i++)
			s->v[s->n++] = old_svcs[kold->v[k]].ips[i];
	for (size_t k = 0; k < knew->n; k++)
		for (size_t i = 0; i < svcs[knew->v[k]].nips; i++)
			s->v[s->n++] = svcs[knew->v[k]].ips[i];
	qsort(s->v, s->n, sizeof(*s->v), ip_cmp);
	size_t u = 0;
	for (size_t i = 0; i < s->n; i++)
		if (!u || !ipaddr_eq(&s->v[i], &s->v[u - 1]))
			s->v[u++] = s->v[i];
	s->n = u;
	memset(s->bloom, 0, sizeof(s->bloom));
	for (size_t i = 0; i < s->n; i++) {
		unsigned h = ip_hash(&s->v[i]);
		s->bloom[h / 64] |= 1ull << (h % 64);
	}
}

/* A host route to an address of s (a Subnet's CIDR route is not one, whatever its first address). */
static bool route_in(const struct ip_set *s, const struct plan_route *r)
{
	if (!host_prefix(&r->pfx))
		return false;
	struct ipaddr ip = {.family = r->pfx.family};
	memcpy(ip.b, r->pfx.addr, 16);
	return ip_set_has(s, &ip);
}

/* Every BGPAdvertisement announces whole addresses, so a route depends on the Services holding that one address. */
static bool routes_are_addresses(const struct config *c)
{
	const struct objects *advs = &c->kinds[KIND_BGPADVERTISEMENT];
	for (size_t i = 0; i < advs->n; i++) {
		const struct bgp_adv *ad = &advs->v[i]->bgpadv;
		if ((ad->aggregation_length.set && ad->aggregation_length.v != 32) ||
		    (ad->aggregation_length_v6.set && ad->aggregation_length_v6.v != 128))
			return false;
	}
	return true;
}

/* ---- splicing sorted arrays: old minus entries removed, plus entries inserted, in one pass ---- */

struct splice {
	const void *old;
	size_t nold, size;
	bool (*drop)(const void *elem, void *arg);  /* tested only where the caller says (drop_at) */
	const size_t *drop_at;                      /* sorted positions in old that may be dropped */
	size_t ndrop;
	const void *ins;                            /* entries to insert, sorted */
	const size_t *ins_at;                       /* for each, its position in old (insert before it) */
	size_t nins;
};

/* Returns a new array (big_alloc) and its length. */
static void *splice_run(const struct splice *s, void *arg, size_t *n_out)
{
	unsigned char *out = big_alloc(s->nold + s->nins + 1, s->size, false);
	const unsigned char *old = s->old, *ins = s->ins;
	size_t n = 0, from = 0, d = 0, k = 0;
	for (;;) {
		size_t next_drop = d < s->ndrop ? s->drop_at[d] : s->nold;
		size_t next_ins = k < s->nins ? s->ins_at[k] : s->nold;
		size_t upto = next_drop < next_ins ? next_drop : next_ins;
		if (upto > from) {
			memcpy(out + n * s->size, old + from * s->size, (upto - from) * s->size);
			n += upto - from;
			from = upto;
		}
		if (k < s->nins && s->ins_at[k] == from) {
			memcpy(out + n * s->size, ins + k * s->size, s->size);
			n++, k++;
			continue;
		}
		if (d < s->ndrop && s->drop_at[d] == from) {
			if (!s->drop(old + from * s->size, arg)) {
				memcpy(out + n * s->size, old + from * s->size, s->size);
				n++;
			}
			from++, d++;
			continue;
		}
		if (from >= s->nold)
			break;
	}
	*n_out = n;
	return out;
}

/* ---- the parts of the plan ---- */

static int route_key_cmp(const void *elem, const void *key)
{
	return bgp_prefix_cmp(&((const struct plan_route *)elem)->pfx, key);
}

static size_t route_lower(const struct plan_route *v, size_t n, const struct bgp_prefix *p)
{
	return lower_bound(v, n, sizeof(*v), p, route_key_cmp);
}

static bool drop_route(const void *e, void *arg)
{
	return route_in(arg, e);
}

static uint32_t attrs_adopt(struct plan *p, size_t *cap, const struct plan_attrs *a)
{
	for (size_t i = 0; i < p->nattrs; i++)
		if (plan_attrs_eq(&p->attrs[i], a))
			return (uint32_t)i;
	if (p->nattrs == *cap) {
		*cap = *cap ? 2 * *cap : 8;
		p->attrs = xrealloc(p->attrs, *cap, sizeof(*p->attrs));
	}
	p->attrs[p->nattrs] = *a;
	return (uint32_t)p->nattrs++;
}

/* What patch_routes needs besides the plans. */
struct route_ctx {
	struct plan *p;
	size_t attrs_cap;
	const uint32_t *attr_map;  /* sub's attribute sets in p */
	const struct ip_set *I;
	bool routes_here;          /* the node announces (found, not silent) */
	bool has_none;
	uint32_t none;             /* the empty attribute set in p, once has_none */
};

static int route_cmp(const void *x, const void *y)
{
	return bgp_prefix_cmp(&((const struct plan_route *)x)->pfx, &((const struct plan_route *)y)->pfx);
}

static int counted_key_cmp(const void *elem, const void *key)
{
	return bgp_prefix_cmp(&((const struct plan_ovn_prefix *)elem)->pfx, key);
}

/* Kube-OVN's route to pfx is one peer q takes (plan_ovn.h). */
static bool ovn_takes(const struct plan *p, const struct plan_peer *pp, const struct bgp_prefix *pfx)
{
	size_t at = lower_bound(p->ovn, p->novn, sizeof(*p->ovn), pfx, counted_key_cmp);
	return at < p->novn && !bgp_prefix_cmp(&p->ovn[at].pfx, pfx) &&
	       plan_ovn_has(&p->ovn[at], plan_ovn_peer_takes(pp->peer));
}

/*
 * Routes of peer q: old's outside I; inside I, sub's (the Services'), and
 * Kube-OVN's the peer takes where sub has none (with one, its attributes
 * are those of the merge: Kube-OVN's set is empty).
 */
static void patch_routes(struct route_ctx *x, const struct plan *old, const struct plan *sub, size_t q)
{
	struct plan *p = x->p;
	const struct ip_set *I = x->I;
	const struct plan_peer *op = &old->peers[q], *sp = &sub->peers[q];
	struct idx_list drops = {0}, at = {0};
	struct plan_route *ins = xcalloc(I->n + 1, sizeof(*ins));
	p->peers[q].peer = op->peer;
	size_t nins = 0;
	for (size_t i = 0; i < I->n; i++) {
		struct bgp_prefix pfx = {.family = I->v[i].family, .len = I->v[i].family == IPF_V4 ? 32 : 128};
		memcpy(pfx.addr, I->v[i].b, 16);
		size_t k = route_lower(op->routes, op->nroutes, &pfx);
		if (k < op->nroutes && !bgp_prefix_cmp(&op->routes[k].pfx, &pfx))
			idx_push(&drops, k);
		size_t s = route_lower(sp->routes, sp->nroutes, &pfx);
		if (s < sp->nroutes && !bgp_prefix_cmp(&sp->routes[s].pfx, &pfx)) {
			ins[nins++] = (struct plan_route){pfx, x->attr_map[sp->routes[s].attrs]};
			continue;
		}
		if (!x->routes_here || !p->novn || !ovn_takes(p, &p->peers[q], &pfx))
			continue;
		if (!x->has_none)
			x->none = attrs_adopt(p, &x->attrs_cap, &(struct plan_attrs){0}), x->has_none = true;
		ins[nins++] = (struct plan_route){pfx, x->none};
	}
	idx_sort_unique(&drops);
	if (nins)
		qsort(ins, nins, sizeof(*ins), route_cmp);
	for (size_t r = 0; r < nins; r++)
		idx_push(&at, route_lower(op->routes, op->nroutes, &ins[r].pfx));
	struct splice s = {op->routes, op->nroutes, sizeof(*op->routes), drop_route, drops.v, drops.n,
			   ins,        at.v,        nins};
	p->peers[q].routes = splice_run(&s, (void *)I, &p->peers[q].nroutes);
	free(ins);
	free(drops.v);
	free(at.v);
}

static int bgp_svc_key_cmp(const void *elem, const void *key)
{
	return svc_key_cmp(((const struct plan_bgp_svc *)elem)->svc, key);
}

static size_t bgp_svc_lower(const struct plan_bgp_svc *v, size_t n, const struct object *svc)
{
	return lower_bound(v, n, sizeof(*v), svc, bgp_svc_key_cmp);
}

static bool drop_always(const void *e, void *arg)
{
	(void)e, (void)arg;
	return true;
}

/* bgp_svcs: old's but for the changed Services, whose entries come from sub. */
static void patch_bgp_svcs(struct plan *p, const struct plan *old, const struct plan *sub,
			   const struct svc_addrs *old_svcs, const struct idx_list *kold, const struct svc_addrs *svcs,
			   const struct idx_list *knew)
{
	struct idx_list drops = {0}, at = {0};
	struct plan_bgp_svc *ins = xcalloc(knew->n + 1, sizeof(*ins));
	size_t nins = 0;
	for (size_t k = 0; k < kold->n; k++) {
		const struct object *svc = old_svcs[kold->v[k]].svc;
		size_t i = bgp_svc_lower(old->bgp_svcs, old->nbgp_svcs, svc);
		if (i < old->nbgp_svcs && old->bgp_svcs[i].svc == svc)
			idx_push(&drops, i);
	}
	for (size_t k = 0; k < knew->n; k++) {
		const struct object *svc = svcs[knew->v[k]].svc;
		size_t i = bgp_svc_lower(sub->bgp_svcs, sub->nbgp_svcs, svc);
		if (i == sub->nbgp_svcs || sub->bgp_svcs[i].svc != svc)
			continue;
		ins[nins++] = sub->bgp_svcs[i];
		idx_push(&at, bgp_svc_lower(old->bgp_svcs, old->nbgp_svcs, svc));
	}
	/* A changed Service keeps its key: its old entry sorts equal to its new one, dropped before it is inserted. */
	struct splice s = {old->bgp_svcs, old->nbgp_svcs, sizeof(*old->bgp_svcs), drop_always, drops.v, drops.n,
			   ins,           at.v,           nins};
	p->bgp_svcs = splice_run(&s, NULL, &p->nbgp_svcs);
	free(ins);
	free(drops.v);
	free(at.v);
}

static int l2_key_cmp(const void *elem, const void *key)
{
	return ipaddr_cmp(&((const struct plan_l2_vip *)elem)->ip, key);
}

static size_t l2_lower(const struct plan_l2_vip *v, size_t n, const struct ipaddr *ip)
{
	return lower_bound(v, n, sizeof(*v), ip, l2_key_cmp);
}

static void patch_l2(struct plan *p, const struct plan *old, const struct plan *sub, const struct ip_set *I)
{
	struct idx_list drops = {0}, at = {0};
	struct plan_l2_vip *ins = xcalloc(sub->nl2 + 1, sizeof(*ins));
	size_t nins = 0;
	for (size_t i = 0; i < I->n; i++) {
		size_t k = l2_lower(old->l2, old->nl2, &I->v[i]);
		if (k < old->nl2 && ipaddr_eq(&old->l2[k].ip, &I->v[i]))
			idx_push(&drops, k);
	}
	for (size_t v = 0; v < sub->nl2; v++) {
		if (!ip_set_has(I, &sub->l2[v].ip))
			continue;
		ins[nins++] = sub->l2[v];
		idx_push(&at, l2_lower(old->l2, old->nl2, &sub->l2[v].ip));
	}
	struct splice s = {old->l2, old->nl2, sizeof(*old->l2), drop_always, drops.v, drops.n, ins, at.v, nins};
	p->l2 = splice_run(&s, NULL, &p->nl2);
	free(ins);
	free(drops.v);
	free(at.v);
}

/* ---- memory ---- */

static void hold(struct plan *p, struct plan_mem *m)
{
	atomic_fetch_add(&m->refs, 1);
	p->mem = xrealloc(p->mem, p->nmem + 1, sizeof(*p->mem));
	p->mem[p->nmem++] = m;
}

/* Moves from's own arena into memory both from and p hold. */
static void share_arena(struct plan *p, struct plan *from)
{
	struct plan_mem *m = xcalloc(1, sizeof(*m));
	m->arena = from->arena;
	memset(&from->arena, 0, sizeof(from->arena));
	atomic_init(&m->refs, 0);
	hold(from, m);
	hold(p, m);
}

/* Whole chunks: a patch's arenas hand out a few hundred bytes each, and take a chunk each. */
size_t plan_mem_bytes(const struct plan *p)
{
	size_t n = arena_bytes(&p->arena) + p->nmem * sizeof(*p->mem);
	for (size_t i = 0; i < p->nmem; i++)
		n += sizeof(*p->mem[i]) + arena_bytes(&p->mem[i]->arena);
	return n;
}

/* ---- the patch ---- */

struct slice_list {
	const struct ready_slice **v;
	size_t n, cap;
};

static void slices_add(struct slice_list *l, const struct ready_slice *const *v, size_t n)
{
	if (l->n + n > l->cap) {
		l->cap = 2 * (l->n + n) + 16;
		l->v = xrealloc(l->v, l->cap, sizeof(*l->v));
	}
	if (n)
		memcpy(l->v + l->n, v, n * sizeof(*v));
	l->n += n;
}

static bool same_peers(const struct plan *a, const struct plan *b)
{
	if (a->npeers != b->npeers)
		return false;
	for (size_t q = 0; q < a->npeers; q++)
		if (a->peers[q].peer != b->peers[q].peer)
			return false;
	return true;
}

/* The Services that came, went or changed: kold's and knew's objects. */
static const struct object **moved_svcs(const struct svc_addrs *old_svcs, const struct idx_list *kold,
					const struct svc_addrs *svcs, const struct idx_list *knew, size_t *n)
{
	const struct object **v = xcalloc(kold->n + knew->n + 1, sizeof(*v));
	*n = 0;
	for (size_t k = 0; k < kold->n; k++)
		v[(*n)++] = old_svcs[kold->v[k]].svc;
	for (size_t k = 0; k < knew->n; k++)
		v[(*n)++] = svcs[knew->v[k]].svc;
	return v;
}

struct plan *plan_patch(struct plan *old, const struct plan_patch_in *in)
{
	const struct config *c = in->c;
	const char *node = in->node;
	const struct svc_addrs *old_svcs = in->old_svcs, *svcs = in->svcs;
	size_t nold = in->nold, nsvcs = in->nsvcs;
	if (old->nsvcs != nold || !routes_are_addresses(c))
		return NULL;
	bool *ready = big_alloc(nsvcs + 1, sizeof(*ready), true);
	struct idx_list kold = {0}, knew = {0}, group = {0};
	find_changed(old, old_svcs, nold, svcs, nsvcs, in->changed, in->nchanged, &kold, &knew, ready);

	struct plan_ovn_prefix *ovn;
	size_t novn, nmoved;
	struct ovn_prefixes flips = {0};
	const struct object **moved = moved_svcs(old_svcs, &kold, svcs, &knew, &nmoved);
	bool ovn_ok = plan_patch_ovn(old, in, moved, nmoved, &ovn, &novn, &flips);
	free(moved);
	if (!ovn_ok) {
		big_free(ready);
		free(kold.v);
		free(knew.v);
		free(flips.v);
		return NULL;
	}

	struct ip_set I;
	ip_set_build(&I, old_svcs, &kold, svcs, &knew, &flips);
	free(flips.v);
	for (size_t j = 0, k = 0; j < nsvcs; j++) {
		bool hit = k < knew.n && knew.v[k] == j;
		k += hit;
		for (size_t i = 0; !hit && i < svcs[j].nips; i++)
			hit = ip_set_has(&I, &svcs[j].ips[i]);
		if (hit)
			idx_push(&group, j);
	}

	struct svc_addrs *gsvcs = xcalloc(group.n + 1, sizeof(*gsvcs));
	struct slice_list sl = {0};
	for (size_t g = 0; g < group.n; g++) {
		gsvcs[g] = svcs[group.v[g]];
		const struct ready_slice *const *v = NULL;
		size_t n = in->slices_of(in->arg, gsvcs[g].svc->meta.namespace, gsvcs[g].svc->meta.name, &v);
		slices_add(&sl, v, n);
	}
	struct plan *sub = plan_build_with(c, node, gsvcs, group.n, sl.v, sl.n);
	struct plan *p = NULL;
	if (!same_peers(old, sub))
		goto out;  /* planned under another configuration */

	p = xcalloc(1, sizeof(*p));
	p->node = arena_strdup(&p->arena, node);
	p->ovn = ovn;
	p->novn = novn;
	ovn = NULL;
	p->node_found = sub->node_found;
	p->node_silent = sub->node_silent;
	size_t cap = old->nattrs + sub->nattrs + 1;
	p->attrs = xcalloc(cap, sizeof(*p->attrs));
	if (old->nattrs)
		memcpy(p->attrs, old->attrs, old->nattrs * sizeof(*p->attrs));
	p->nattrs = old->nattrs;
	uint32_t *attr_map = xcalloc(sub->nattrs + 1, sizeof(*attr_map));
	for (size_t a = 0; a < sub->nattrs; a++)
		attr_map[a] = attrs_adopt(p, &cap, &sub->attrs[a]);

	p->npeers = old->npeers;
	p->peers = arena_calloc(&p->arena, p->npeers + 1, sizeof(*p->peers));
	struct route_ctx rx = {p, cap, attr_map, &I, sub->node_found && !sub->node_silent, false, 0};
	for (size_t q = 0; q < p->npeers; q++)
		patch_routes(&rx, old, sub, q);
	free(attr_map);
	patch_bgp_svcs(p, old, sub, old_svcs, &kold, svcs, &knew);
	patch_l2(p, old, sub, &I);

	p->services_announced = old->services_announced;
	p->services_without_endpoints = old->services_without_endpoints;
	for (size_t k = 0; k < kold.n; k++) {
		size_t i = kold.v[k];
		if (old_svcs[i].nips)
			*(old->svc_ready[i] ? &p->services_announced : &p->services_without_endpoints) -= 1;
	}
	for (size_t g = 0, k = 0; g < group.n && k < knew.n; g++) {
		if (group.v[g] != knew.v[k])
			continue;
		ready[knew.v[k++]] = sub->svc_ready[g];
		if (gsvcs[g].nips)
			*(sub->svc_ready[g] ? &p->services_announced : &p->services_without_endpoints) += 1;
	}
	p->svc_ready = ready;
	p->nsvcs = nsvcs;
	ready = NULL;

	for (size_t i = 0; i < old->nmem; i++)
		hold(p, old->mem[i]);
	share_arena(p, old);
	share_arena(p, sub);
out:
	plan_free(sub);
	free(ovn);
	big_free(ready);
	free(gsvcs);
	free(sl.v);
	free(I.v);
	free(kold.v);
	free(knew.v);
	free(group.v);
	return p;
}
