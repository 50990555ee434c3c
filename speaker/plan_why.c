/*
 * The plan's rules for one VIP, in the order plan_build() applies them:
 * Service and class, pool, Node, endpoints, then per mode the
 * advertisements, their selectors and (BGP) the peers. The walk stops at the
 * first rule that keeps the address off both modes; after that each mode
 * says its own verdict, positive or not.
 */
#include "plan_why.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "plan.h"

static const char *const code_names[WHY_NCODES] = {
	[WHY_NO_SERVICE] = "no-service",
	[WHY_SERVICE_NOT_SERVED] = "service-not-served",
	[WHY_NO_POOL] = "no-pool",
	[WHY_NODE_UNKNOWN] = "node-unknown",
	[WHY_NODE_EXCLUDED] = "node-excluded",
	[WHY_NO_READY_ENDPOINT] = "no-ready-endpoint",
	[WHY_NO_LOCAL_ENDPOINT] = "no-local-endpoint",
	[WHY_NO_ADVERTISEMENT] = "no-advertisement",
	[WHY_ADV_NODE_SELECTORS] = "advertisement-node-selectors",
	[WHY_ADV_SERVICE_SELECTORS] = "advertisement-service-selectors",
	[WHY_NO_PEER] = "no-peer",
	[WHY_PEERS_NOT_NAMED] = "peers-not-named",
	[WHY_ANNOUNCED] = "announced",
	[WHY_L2_ELIGIBLE] = "l2-eligible",
	[WHY_SESSION_DOWN] = "session-down",
	[WHY_L2_OWNER] = "l2-owner",
	[WHY_L2_NOT_OWNER] = "l2-not-owner",
	[WHY_L2_OFF] = "l2-off",
};

const char *why_code_name(enum why_code c)
{
	return (unsigned)c < WHY_NCODES && code_names[c] ? code_names[c] : "?";
}

void plan_why_add(struct plan_why *w, enum why_code code, const char *mode, const char *fmt, ...)
{
	if (w->n == WHY_MAX)
		return;
	struct why_reason *r = &w->v[w->n++];
	r->code = code;
	r->mode = mode;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->text, sizeof(r->text), fmt, ap);
	va_end(ap);
}

/* Appends ", name" (or "name" first) to a bounded list. */
static void list_add(char *buf, size_t len, const char *name)
{
	size_t at = strlen(buf);
	if (at < len)
		snprintf(buf + at, len - at, "%s%s", at ? ", " : "", name);
}

static bool holds(const struct object *svc, const struct ipaddr *vip)
{
	const struct service *s = &svc->svc;
	for (size_t i = 0; i < s->ningress; i++)
		if (ipaddr_eq(&s->ingress[i], vip))
			return true;
	return svc_spec(s)->load_balancer_ip.set && ipaddr_eq(&svc_spec(s)->load_balancer_ip.a, vip);
}

static bool slice_of(const char *ns, const char *service, const struct object *svc)
{
	return service && strcmp(service, svc->meta.name) == 0 && strcmp(ns, svc->meta.namespace) == 0;
}

static void ready_on(const char *ep_node, const char *node, bool *any, bool *here)
{
	*any = true;
	*here |= ep_node && strcmp(ep_node, node) == 0;
}

/* Ready endpoints of svc: anywhere, and on node. Walks the slices in place: this runs per Service and node. */
static void ready_endpoints(const struct config *c, const struct object *svc, const char *node, bool *any,
			    bool *here)
{
	for (size_t i = 0; i < c->ready.n; i++) {
		const struct ready_slice *r = c->ready.v[i];
		for (size_t k = 0; slice_of(r->ns, r->service, svc) && k < r->n; k++)
			ready_on(r->nodes[k], node, any, here);
	}
	const struct objects *slices = &c->kinds[KIND_ENDPOINTSLICE];
	for (size_t i = 0; i < slices->n; i++) {
		const struct object *o = slices->v[i];
		for (size_t k = 0; slice_of(o->meta.namespace, o->eps.service_name, svc) && k < o->eps.n; k++)
			if (o->eps.v[k].ready)
				ready_on(o->eps.v[k].node_name, node, any, here);
	}
}

static bool svc_usable_on(const struct config *c, const struct object *svc, const char *node)
{
	bool any = false, here = false;
	ready_endpoints(c, svc, node, &any, &here);
	return any && (svc->svc.traffic_policy != TRAFFIC_LOCAL || here);
}

/* The Services of ours holding vip, those with a ready endpoint anywhere, those usable on node. */
struct holders {
	const struct object *v[8];
	size_t n;
	const struct object *usable[8];
	size_t nusable;
	bool any_ready;
};

static bool why_service(const struct config *c, const struct svc_addrs *svcs, size_t nsvcs,
			const struct ipaddr *vip, const char *ip, struct holders *h, struct plan_why *w)
{
	for (size_t s = 0; s < nsvcs && h->n < 8; s++)
		for (size_t k = 0; k < svcs[s].nips; k++)
			if (ipaddr_eq(&svcs[s].ips[k], vip)) {
				h->v[h->n++] = svcs[s].svc;
				break;
			}
	if (h->n)
		return true;
	const struct objects *all = &c->kinds[KIND_SERVICE];
	for (size_t i = 0; i < all->n; i++) {
		const struct object *o = all->v[i];
		if (!holds(o, vip))
			continue;
		const struct service *sv = &o->svc;
		for (size_t s = 0; s < nsvcs; s++)
			if (svcs[s].svc == o) {  /* served, but it got no address: the allocator could not give this one */
				plan_why_add(w, plan_pool_of(c, vip) ? WHY_NO_SERVICE : WHY_NO_POOL, NULL,
					     "Service %s/%s asks for %s but has no address (none in its status, and the "
					     "allocator gave none%s)", o->meta.namespace, o->meta.name, ip,
					     plan_pool_of(c, vip) ? "" : ": it is in no IPAddressPool");
				return false;
			}
		plan_why_add(w, WHY_SERVICE_NOT_SERVED, NULL,
			     "Service %s/%s holds %s but is not served here (type %s, loadBalancerClass %s)",
			     o->meta.namespace, o->meta.name, ip, sv->type,
			     sv->load_balancer_class ? sv->load_balancer_class : "none");
		return false;
	}
	plan_why_add(w, WHY_NO_SERVICE, NULL, "no LoadBalancer Service served here holds %s", ip);
	return false;
}

static bool why_endpoints(const struct config *c, const char *node, struct holders *h, struct plan_why *w)
{
	char names[256] = "";
	for (size_t i = 0; i < h->n; i++) {
		bool any = false, here = false;
		ready_endpoints(c, h->v[i], node, &any, &here);
		h->any_ready |= any;
		if (any && (h->v[i]->svc.traffic_policy != TRAFFIC_LOCAL || here))
			h->usable[h->nusable++] = h->v[i];
		char n[200];
		snprintf(n, sizeof(n), "%s/%s", h->v[i]->meta.namespace, h->v[i]->meta.name);
		list_add(names, sizeof(names), n);
	}
	if (!h->any_ready) {
		plan_why_add(w, WHY_NO_READY_ENDPOINT, NULL, "Service %s has no ready endpoint on any node", names);
		return false;
	}
	if (!h->nusable) {
		plan_why_add(w, WHY_NO_LOCAL_ENDPOINT, NULL,
			     "Service %s has externalTrafficPolicy Local and no ready endpoint on node %s", names,
			     node);
		return false;
	}
	return true;
}

/* Names of the advertisements of kind k covering pool, and of those among them selecting node. */
static void advs_for(const struct config *c, enum kind k, const struct object *pool, const struct object *node,
		     const struct object **sel, size_t *nsel, char *all, size_t alllen, size_t *ncover)
{
	const struct objects *advs = &c->kinds[k];
	*nsel = *ncover = 0;
	for (size_t i = 0; i < advs->n; i++) {
		const struct object *a = advs->v[i];
		if (!config_adv_covers_pool(a, pool))
			continue;
		(*ncover)++;
		list_add(all, alllen, a->meta.name);
		const struct selectors *ns = k == KIND_BGPADVERTISEMENT ? &a->bgpadv.node_selectors : &a->l2adv.node_selectors;
		if (selectors_match_any(ns, &node->meta.labels) && *nsel < WHY_MAX)
			sel[(*nsel)++] = a;
	}
}

/* An advertisement's serviceSelectors select one of the Services that may use this node. */
static bool adv_serves(const struct object *adv, const struct holders *h)
{
	const struct selectors *ss =
		adv->kind == KIND_BGPADVERTISEMENT ? &adv->bgpadv.service_selectors : &adv->l2adv.service_selectors;
	for (size_t i = 0; i < h->nusable; i++)
		if (selectors_match_any(ss, &h->usable[i]->meta.labels))
			return true;
	return false;
}

static void why_bgp(const struct config *c, const struct object *node, const struct object *pool,
		    const struct holders *h, const struct ipaddr *vip, struct plan_why *w)
{
	const struct object *sel[WHY_MAX];
	size_t nsel, ncover;
	char all[256] = "";
	advs_for(c, KIND_BGPADVERTISEMENT, pool, node, sel, &nsel, all, sizeof(all), &ncover);
	if (!ncover)
		return;  /* the pool is not announced over BGP: not a fault when an L2Advertisement covers it */
	if (!nsel) {
		plan_why_add(w, WHY_ADV_NODE_SELECTORS, "bgp",
			     "the nodeSelectors of BGPAdvertisement %s (selecting pool %s) do not select node %s", all,
			     pool->meta.name, node->meta.name);
		return;
	}
	size_t nserve = 0;
	for (size_t a = 0; a < nsel; a++)
		if (adv_serves(sel[a], h))
			sel[nserve++] = sel[a];
	if (!nserve) {
		plan_why_add(w, WHY_ADV_SERVICE_SELECTORS, "bgp",
			     "the serviceSelectors of BGPAdvertisement %s (selecting pool %s) select no Service holding it",
			     all, pool->meta.name);
		return;
	}
	nsel = nserve;
	const struct objects *peers = &c->kinds[KIND_BGPPEER];
	char names[256] = "", prefixes[256] = "";
	size_t npeers_here = 0;
	for (size_t i = 0; i < peers->n; i++) {
		const struct object *p = peers->v[i];
		if (!selectors_match_any(&p->peer.node_selectors, &node->meta.labels))
			continue;
		npeers_here++;
		bool named = false;
		for (size_t a = 0; a < nsel && !named; a++)
			named = plan_adv_names_peer(sel[a], p);
		if (!named || w->npeers == WHY_MAX)
			continue;
		w->peers[w->npeers++] = p;
		list_add(names, sizeof(names), p->meta.name);
	}
	if (!npeers_here) {
		plan_why_add(w, WHY_NO_PEER, "bgp", "no BGPPeer selects node %s", node->meta.name);
		return;
	}
	if (!w->npeers) {
		char named[256] = "";
		for (size_t a = 0; a < nsel; a++)
			for (size_t k = 0; k < sel[a]->bgpadv.peers.n; k++)
				list_add(named, sizeof(named), sel[a]->bgpadv.peers.v[k].s);
		plan_why_add(w, WHY_PEERS_NOT_NAMED, "bgp",
			     "BGPAdvertisement names peers %s, none of which selects node %s", named, node->meta.name);
		return;
	}
	for (size_t a = 0; a < nsel; a++) {
		struct bgp_prefix pfx = plan_route_prefix(vip, &sel[a]->bgpadv);
		struct ipaddr m = {.family = pfx.family};
		char s[IPADDR_STRLEN + 8];
		memcpy(m.b, pfx.addr, 16);
		ipaddr_format(&m, s);
		snprintf(s + strlen(s), sizeof(s) - strlen(s), "/%u", pfx.len);
		if (!strstr(prefixes, s))
			list_add(prefixes, sizeof(prefixes), s);
	}
	w->bgp = true;
	plan_why_add(w, WHY_ANNOUNCED, "bgp", "the plan announces it to BGPPeer %s as %s", names, prefixes);
}


static void why_l2(const struct config *c, const struct object *node, const struct object *pool,
		   const struct holders *h, struct plan_why *w)
{
	const struct objects *advs = &c->kinds[KIND_L2ADVERTISEMENT], *nodes = &c->kinds[KIND_NODE];
	char cover[256] = "", serving[256] = "";
	size_t ncover = 0, nserving = 0, nhere = 0;
	for (size_t i = 0; i < advs->n; i++) {
		const struct object *a = advs->v[i];
		if (!config_adv_covers_pool(a, pool))
			continue;
		ncover++;
		list_add(cover, sizeof(cover), a->meta.name);
		if (!adv_serves(a, h))
			continue;
		nserving++;
		list_add(serving, sizeof(serving), a->meta.name);
		nhere += selectors_match_any(&a->l2adv.node_selectors, &node->meta.labels);
	}
	if (!ncover)
		return;
	if (!nserving) {
		plan_why_add(w, WHY_ADV_SERVICE_SELECTORS, "l2",
			     "the serviceSelectors of L2Advertisement %s (selecting pool %s) do not select the Service",
			     cover, pool->meta.name);
		return;
	}
	if (!nhere) {
		plan_why_add(w, WHY_ADV_NODE_SELECTORS, "l2",
			     "the nodeSelectors of L2Advertisement %s (selecting pool %s) do not select node %s", serving,
			     pool->meta.name, node->meta.name);
		return;
	}
	char eligible[256] = "";
	for (size_t n = 0; n < nodes->n; n++) {
		const struct object *o = nodes->v[n];
		if (plan_node_silent(o))
			continue;
		bool ok = false;
		for (size_t i = 0; i < advs->n && !ok; i++) {
			const struct object *a = advs->v[i];
			if (!config_adv_covers_pool(a, pool) ||
			    !selectors_match_any(&a->l2adv.node_selectors, &o->meta.labels))
				continue;
			for (size_t s = 0; s < h->n && !ok; s++)
				ok = selectors_match_any(&a->l2adv.service_selectors, &h->v[s]->meta.labels) &&
				     svc_usable_on(c, h->v[s], o->meta.name);
		}
		if (ok)
			list_add(eligible, sizeof(eligible), o->meta.name);
	}
	w->l2 = true;
	plan_why_add(w, WHY_L2_ELIGIBLE, "l2", "node %s may answer for it (L2Advertisement %s; eligible nodes: %s)",
		     node->meta.name, serving, eligible);
}

static void why_walk(const struct config *c, const char *node, const struct svc_addrs *svcs, size_t nsvcs,
		     const struct ipaddr *vip, bool l2, struct plan_why *out)
{
	memset(out, 0, sizeof(*out));
	char ip[IPADDR_STRLEN];
	ipaddr_format(vip, ip);
	struct holders h = {0};
	if (!why_service(c, svcs, nsvcs, vip, ip, &h, out))
		return;
	const struct object *pool = plan_pool_of(c, vip);
	if (!pool) {
		plan_why_add(out, WHY_NO_POOL, NULL, "%s is in no IPAddressPool", ip);
		return;
	}
	const struct object *n = config_find(c, KIND_NODE, NULL, node);
	if (!n) {
		plan_why_add(out, WHY_NODE_UNKNOWN, NULL, "there is no Node %s", node);
		return;
	}
	const char *silent = plan_node_silent(n);
	if (silent) {
		plan_why_add(out, WHY_NODE_EXCLUDED, NULL, "node %s announces nothing: %s", node, silent);
		return;
	}
	if (!why_endpoints(c, node, &h, out))
		return;
	bool any_adv = false;
	for (size_t k = 0; k < 2; k++) {
		const struct objects *advs = &c->kinds[k ? KIND_L2ADVERTISEMENT : KIND_BGPADVERTISEMENT];
		for (size_t i = 0; i < advs->n; i++)
			any_adv |= config_adv_covers_pool(advs->v[i], pool);
	}
	if (!any_adv) {
		plan_why_add(out, WHY_NO_ADVERTISEMENT, NULL, "no BGPAdvertisement or L2Advertisement selects pool %s",
			     pool->meta.name);
		return;
	}
	why_bgp(c, n, pool, &h, vip, out);
	if (l2)
		why_l2(c, n, pool, &h, out);
}

void plan_why(const struct config *c, const char *node, const struct svc_addrs *svcs, size_t nsvcs,
	      const struct ipaddr *vip, struct plan_why *out)
{
	why_walk(c, node, svcs, nsvcs, vip, true, out);
}

bool plan_why_bgp(const struct config *c, const char *node, const struct svc_addrs *svcs, size_t nsvcs,
		  const struct ipaddr *vip)
{
	struct plan_why w;
	why_walk(c, node, svcs, nsvcs, vip, false, &w);
	return w.bgp;
}
