#include "plan_ovn.h"

#include <stdlib.h>
#include <string.h>

#include "lower_bound.h"
#include "ovn.h"
#include "xalloc.h"

static void push(struct ovn_prefixes *l, const struct ipaddr *a, unsigned len)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 64;
		l->v = xrealloc(l->v, l->cap, sizeof(*l->v));
	}
	struct bgp_prefix *p = &l->v[l->n++];
	struct ipaddr m = *a;
	ipaddr_mask(&m, len);
	*p = (struct bgp_prefix){ .family = a->family, .len = (uint8_t)len };
	memcpy(p->addr, m.b, 16);
}

static void push_host(struct ovn_prefixes *l, const struct ipaddr *a)
{
	push(l, a, a->family == IPF_V4 ? 32 : 128);
}

static bool flag_on(const struct object *peer, const char *key)
{
	const char *v = labels_get(&peer->meta.annotations, key);
	return v && strcmp(v, "true") == 0;
}

/* 0: no peer takes routes; 1: some take Pod and Subnet routes; 2: some also cluster IPs. */
static int wanted(const struct config *c)
{
	const struct objects *peers = &c->kinds[KIND_BGPPEER];
	int w = 0;
	for (size_t i = 0; i < peers->n; i++)
		if (flag_on(peers->v[i], OVN_PEER_ROUTES))
			w = flag_on(peers->v[i], OVN_PEER_CLUSTER_IPS) ? 2 : w > 1 ? w : 1;
	return w;
}

bool plan_ovn_wanted(const struct config *c)
{
	return wanted(c) > 0;
}

bool plan_ovn_wanted_cluster_ips(const struct config *c)
{
	return wanted(c) > 1;
}

enum ovn_take plan_ovn_peer_takes(const struct object *peer)
{
	return !flag_on(peer, OVN_PEER_ROUTES)	     ? OVN_TAKE_NONE
	       : flag_on(peer, OVN_PEER_CLUSTER_IPS) ? OVN_TAKE_ALL
						     : OVN_TAKE_BASE;
}

static const struct object *ready_subnet(const struct config *c, const char *name)
{
	const struct object *s = config_find(c, KIND_SUBNET, NULL, name);
	return s && !s->subnet.not_ready ? s : NULL;
}

static bool announce_here(enum ovn_policy p, const struct object *pod, const char *node)
{
	return p == OVN_BGP_CLUSTER ||
	       (p == OVN_BGP_LOCAL && pod->pod.node_name && strcmp(pod->pod.node_name, node) == 0);
}

void plan_ovn_pod_routes(const struct config *c, const struct object *o, const char *node, struct ovn_prefixes *l)
{
	const struct pod *p = &o->pod;
	if (p->host_network || p->finished)
		return;
	enum ovn_policy own = ovn_policy_of(o);
	bool has_own = labels_get(&o->meta.annotations, OVN_ANNOTATION_BGP) != NULL;
	for (size_t i = 0; i < p->natt; i++) {
		const struct object *s = ready_subnet(c, p->att[i].subnet);
		if (!s)
			continue;
		if (announce_here(has_own ? own : ovn_policy_of(s), o, node))
			for (size_t k = 0; k < p->att[i].nips; k++)
				push_host(l, &p->att[i].ips[k]);
	}
	if (!p->natt && announce_here(own, o, node))
		for (size_t k = 0; k < p->nips; k++)
			push_host(l, &p->ips[k]);
}

static void subnet_routes(const struct object *s, struct ovn_prefixes *l)
{
	if (s->subnet.not_ready || ovn_policy_of(s) != OVN_BGP_CLUSTER)
		return;
	for (size_t i = 0; i < s->subnet.ncidrs; i++)
		push(l, &s->subnet.cidrs[i].first, (unsigned)s->subnet.cidrs[i].prefix);
}

bool plan_ovn_cluster_ip(const struct object *svc)
{
	return svc->kind == KIND_SERVICE && svc->svc.type && strcmp(svc->svc.type, "ClusterIP") == 0 &&
	       labels_get(&svc->meta.annotations, OVN_ANNOTATION_BGP) != NULL;
}

static void cluster_ip_routes(const struct object *svc, struct ovn_prefixes *l)
{
	/* Kube-OVN takes "true" only; "yes" is vipcast's, with a warning when decoded. */
	if (!svc->svc.type || strcmp(svc->svc.type, "ClusterIP") != 0 || ovn_policy_of(svc) != OVN_BGP_CLUSTER ||
	    strcmp(labels_get(&svc->meta.annotations, OVN_ANNOTATION_BGP), "cluster") == 0)
		return;
	for (size_t i = 0; i < svc->svc.ncluster_ips; i++)
		push_host(l, &svc->svc.cluster_ips[i]);
}

static int prefix_cmp(const void *a, const void *b)
{
	return bgp_prefix_cmp(a, b);
}

static void sort_prefixes(struct ovn_prefixes *l)
{
	if (l->n)
		qsort(l->v, l->n, sizeof(*l->v), prefix_cmp);
}

/* How many entries of sorted v[*i..n) equal the one at *i; *i moves past them. */
static uint32_t run_of(const struct bgp_prefix *v, size_t n, size_t *i)
{
	size_t j = *i + 1;
	while (j < n && !bgp_prefix_cmp(&v[j], &v[*i]))
		j++;
	uint32_t k = (uint32_t)(j - *i);
	*i = j;
	return k;
}

/* The sorted lists base and cips, counted: one entry per prefix. */
static size_t count_merge(const struct ovn_prefixes *base, const struct ovn_prefixes *cips, struct plan_ovn_prefix *out)
{
	size_t i = 0, j = 0, n = 0;
	while (i < base->n || j < cips->n) {
		int r = i == base->n ? 1 : j == cips->n ? -1 : bgp_prefix_cmp(&base->v[i], &cips->v[j]);
		struct plan_ovn_prefix *x = &out[n++];
		*x = (struct plan_ovn_prefix){ .pfx = r <= 0 ? base->v[i] : cips->v[j] };
		if (r <= 0)
			x->base = run_of(base->v, base->n, &i);
		if (r >= 0)
			x->cluster_ips = run_of(cips->v, cips->n, &j);
	}
	return n;
}

void plan_ovn_count(const struct config *c, const char *node, struct plan_ovn_prefix **v, size_t *n)
{
	*v = NULL;
	*n = 0;
	int w = wanted(c);
	if (!w)
		return;
	struct ovn_prefixes base = { 0 }, cips = { 0 };
	const struct objects *subnets = &c->kinds[KIND_SUBNET], *pods = &c->kinds[KIND_POD],
			     *svcs = &c->kinds[KIND_SERVICE];
	for (size_t i = 0; i < subnets->n; i++)
		subnet_routes(subnets->v[i], &base);
	for (size_t i = 0; i < pods->n; i++)
		plan_ovn_pod_routes(c, pods->v[i], node, &base);
	if (w > 1)
		for (size_t i = 0; i < svcs->n; i++)
			cluster_ip_routes(svcs->v[i], &cips);
	sort_prefixes(&base);
	sort_prefixes(&cips);
	*v = xcalloc(base.n + cips.n + 1, sizeof(**v));
	*n = count_merge(&base, &cips, *v);
	free(base.v);
	free(cips.v);
}

void plan_ovn_routes(const struct config *c, const char *node, struct ovn_routes *out)
{
	*out = (struct ovn_routes){ 0 };
	struct plan_ovn_prefix *v;
	size_t n;
	plan_ovn_count(c, node, &v, &n);
	if (!v)
		return;
	out->v = xcalloc(n + 1, sizeof(*out->v));
	for (size_t i = 0; i < n; i++)
		if (v[i].base)
			out->v[out->nbase++] = v[i].pfx;
	out->n = out->nbase;
	for (size_t i = 0; i < n; i++)
		if (!v[i].base)
			out->v[out->n++] = v[i].pfx;
	free(v);
}

static int counted_key_cmp(const void *elem, const void *key)
{
	return bgp_prefix_cmp(&((const struct plan_ovn_prefix *)elem)->pfx, key);
}

static void push_prefix(struct ovn_prefixes *l, const struct bgp_prefix *p)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 16;
		l->v = xrealloc(l->v, l->cap, sizeof(*l->v));
	}
	l->v[l->n++] = *p;
}

bool plan_ovn_update(const struct plan_ovn_prefix *old, size_t nold, struct ovn_prefixes *minus,
		     struct ovn_prefixes *plus, struct plan_ovn_prefix **out, size_t *nout, struct ovn_prefixes *flips)
{
	sort_prefixes(minus);
	sort_prefixes(plus);
	struct plan_ovn_prefix *v = xcalloc(nold + plus->n + 1, sizeof(*v));
	size_t n = 0, from = 0, i = 0, j = 0;
	while (i < minus->n || j < plus->n) {
		int r = i == minus->n ? 1 : j == plus->n ? -1 : bgp_prefix_cmp(&minus->v[i], &plus->v[j]);
		struct bgp_prefix pfx = r <= 0 ? minus->v[i] : plus->v[j];
		uint32_t taken = r <= 0 ? run_of(minus->v, minus->n, &i) : 0;
		uint32_t added = r >= 0 ? run_of(plus->v, plus->n, &j) : 0;
		size_t at = from + lower_bound(old + from, nold - from, sizeof(*old), &pfx, counted_key_cmp);
		memcpy(v + n, old + from, (at - from) * sizeof(*v));
		n += at - from;
		from = at;
		struct plan_ovn_prefix x = { .pfx = pfx };
		if (at < nold && !bgp_prefix_cmp(&old[at].pfx, &pfx))
			x = old[from++];
		if (taken > x.base) {
			free(v);
			return false;
		}
		uint32_t was = x.base;
		x.base = was - taken + added;
		if (!was != !x.base)
			push_prefix(flips, &pfx);
		if (x.base || x.cluster_ips)
			v[n++] = x;
	}
	memcpy(v + n, old + from, (nold - from) * sizeof(*v));
	*out = v;
	*nout = n + nold - from;
	return true;
}

const struct bgp_prefix *plan_ovn_for_peer(const struct ovn_routes *r, const struct object *peer, size_t *n)
{
	*n = !flag_on(peer, OVN_PEER_ROUTES) ? 0 : flag_on(peer, OVN_PEER_CLUSTER_IPS) ? r->n : r->nbase;
	return r->v;
}

void ovn_routes_free(struct ovn_routes *r)
{
	free(r->v);
	*r = (struct ovn_routes){ 0 };
}
