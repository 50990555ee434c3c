#include "plan_ovn.h"

#include <stdlib.h>
#include <string.h>

#include "ovn.h"
#include "xalloc.h"

struct prefix_list {
	struct bgp_prefix *v;
	size_t n, cap;
};

static void push(struct prefix_list *l, const struct ipaddr *a, unsigned len)
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

static void push_host(struct prefix_list *l, const struct ipaddr *a)
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

static void pod_routes(const struct config *c, const struct object *o, const char *node, struct prefix_list *l)
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

static void subnet_routes(const struct object *s, struct prefix_list *l)
{
	if (s->subnet.not_ready || ovn_policy_of(s) != OVN_BGP_CLUSTER)
		return;
	for (size_t i = 0; i < s->subnet.ncidrs; i++)
		push(l, &s->subnet.cidrs[i].first, (unsigned)s->subnet.cidrs[i].prefix);
}

bool plan_ovn_cluster_ip(const struct object *svc)
{
	return svc->kind == KIND_SERVICE && svc->svc.type.s && strcmp(svc->svc.type.s, "ClusterIP") == 0 &&
	       labels_get(&svc->meta.annotations, OVN_ANNOTATION_BGP) != NULL;
}

static void cluster_ip_routes(const struct object *svc, struct prefix_list *l)
{
	/* Kube-OVN takes "true" only; "yes" is vipcast's, with a warning when decoded. */
	if (!svc->svc.type.s || strcmp(svc->svc.type.s, "ClusterIP") != 0 || ovn_policy_of(svc) != OVN_BGP_CLUSTER ||
	    strcmp(labels_get(&svc->meta.annotations, OVN_ANNOTATION_BGP), "cluster") == 0)
		return;
	for (size_t i = 0; i < svc->svc.ncluster_ips; i++)
		push_host(l, &svc->svc.cluster_ips[i]);
}

static int prefix_cmp(const void *a, const void *b)
{
	return bgp_prefix_cmp(a, b);
}

/* Sorts v[from..n) and drops duplicates there and of v[0..from) (sorted already); returns the new n. */
static size_t sort_unique(struct bgp_prefix *v, size_t from, size_t n)
{
	if (n == from)
		return n;
	qsort(v + from, n - from, sizeof(*v), prefix_cmp);
	size_t k = from;
	for (size_t i = from; i < n; i++) {
		if (k > from && bgp_prefix_cmp(&v[k - 1], &v[i]) == 0)
			continue;
		if (from && bsearch(&v[i], v, from, sizeof(*v), prefix_cmp))
			continue;
		v[k++] = v[i];
	}
	return k;
}

void plan_ovn_routes(const struct config *c, const char *node, struct ovn_routes *out)
{
	*out = (struct ovn_routes){ 0 };
	int w = wanted(c);
	if (!w)
		return;
	struct prefix_list l = { 0 };
	const struct objects *subnets = &c->kinds[KIND_SUBNET], *pods = &c->kinds[KIND_POD],
			     *svcs = &c->kinds[KIND_SERVICE];
	for (size_t i = 0; i < subnets->n; i++)
		subnet_routes(subnets->v[i], &l);
	for (size_t i = 0; i < pods->n; i++)
		pod_routes(c, pods->v[i], node, &l);
	out->nbase = sort_unique(l.v, 0, l.n);
	l.n = out->nbase;
	if (w > 1)
		for (size_t i = 0; i < svcs->n; i++)
			cluster_ip_routes(svcs->v[i], &l);
	out->n = sort_unique(l.v, out->nbase, l.n);
	out->v = l.v;
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
