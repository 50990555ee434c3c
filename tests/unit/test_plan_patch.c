/*
 * A patched plan equals the plan built afresh: random Services,
 * EndpointSlices and Pods changed a few at a time (addresses shared between
 * Services, dual-stack, externalTrafficPolicy Local, labels chosen by
 * serviceSelectors, BGP and L2 advertisements, link bandwidth from the
 * count of ready endpoints per node; with Kube-OVN's routes taken by the
 * BGPPeers, Pods whose addresses are VIPs, cluster IPs, other Pods' or a
 * Subnet's first address, under each policy and Subnet), each step patched
 * from the last patched plan and compared with plan_build() of the same state.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"
#include "plan_ovn.h"
#include "plan_patch.h"
#include "services.h"
#include "testutil.h"

#define NSVC 24
#define NSLICE 2  /* per Service: sNN-a, sNN-b */
#define NPOD 20

static const char *const v4[] = {"203.0.113.1", "203.0.113.2", "203.0.113.3", "203.0.113.4",
				 "198.51.100.1", "198.51.100.2", "198.51.100.3", "198.51.100.4"};
static const char *const v6[] = {"2001:db8::1", "2001:db8::2", "2001:db8::3", "2001:db8:1::1"};
static const char *const nodes[] = {"n1", "n2", "n3"};
/* Pod addresses: VIPs, a cluster IP, two of Subnet lo, Subnet cl's first address (its CIDR route is another prefix) */
static const char *const pod_v4[] = {"203.0.113.1", "203.0.113.2", "198.51.100.1", "198.18.0.5",
				     "198.18.1.10", "198.18.1.11", "198.18.0.0", "203.0.113.3"};
static const char *const pod_v6[] = {"2001:db8::1", "2001:db8:18::5", "2001:db8:18::6"};
static const char *const pod_policies[] = {NULL, "\"true\"", "local", "cluster", "\"yes\"", "\"false\""};
static const char *const pod_subnets[] = {NULL, "cl", "lo", "quiet", "down", "absent"};

static const char peers_plain[] =
	"apiVersion: metallb.io/v1beta2\nkind: BGPPeer\nmetadata: {name: r1, namespace: metallb-system}\n"
	"spec: {myASN: 64500, peerASN: 64500, peerAddress: 192.0.2.1}\n---\n"
	"apiVersion: metallb.io/v1beta2\nkind: BGPPeer\nmetadata: {name: r2, namespace: metallb-system}\n"
	"spec: {myASN: 64500, peerASN: 64501, peerAddress: 192.0.2.2, nodeSelectors: [{matchLabels: {zone: a}}]}\n---\n";

/* r1 takes Pod and Subnet routes, r2 cluster IPs too, r3 none of them. */
static const char peers_ovn[] =
	"apiVersion: metallb.io/v1beta2\nkind: BGPPeer\nmetadata: {name: r1, namespace: metallb-system, "
	"annotations: {vipcast.io/kube-ovn-routes: 'true'}}\n"
	"spec: {myASN: 64500, peerASN: 64500, peerAddress: 192.0.2.1}\n---\n"
	"apiVersion: metallb.io/v1beta2\nkind: BGPPeer\nmetadata: {name: r2, namespace: metallb-system, "
	"annotations: {vipcast.io/kube-ovn-routes: 'true', vipcast.io/kube-ovn-cluster-ips: 'true'}}\n"
	"spec: {myASN: 64500, peerASN: 64501, peerAddress: 192.0.2.2, nodeSelectors: [{matchLabels: {zone: a}}]}\n---\n"
	"apiVersion: metallb.io/v1beta2\nkind: BGPPeer\nmetadata: {name: r3, namespace: metallb-system}\n"
	"spec: {myASN: 64500, peerASN: 64502, peerAddress: 192.0.2.3}\n---\n"
	"apiVersion: kubeovn.io/v1\nkind: Subnet\nmetadata: {name: cl, annotations: {ovn.kubernetes.io/bgp: \"true\"}}\n"
	"spec: {cidrBlock: \"198.18.0.0/24,2001:db8:18::/64\"}\n---\n"
	"apiVersion: kubeovn.io/v1\nkind: Subnet\nmetadata: {name: lo, annotations: {ovn.kubernetes.io/bgp: local}}\n"
	"spec: {cidrBlock: 198.18.1.0/24}\n---\n"
	"apiVersion: kubeovn.io/v1\nkind: Subnet\nmetadata: {name: down, annotations: {ovn.kubernetes.io/bgp: cluster}}\n"
	"spec: {cidrBlock: 198.18.2.0/24}\nstatus: {conditions: [{type: Ready, status: \"False\"}]}\n---\n"
	"apiVersion: kubeovn.io/v1\nkind: Subnet\nmetadata: {name: quiet}\nspec: {cidrBlock: 198.18.3.0/24}\n---\n";

/* ClusterIP Services for Kube-OVN: one on a Pod address, one on a VIP. */
static const char *const cluster_ip_svcs[] = {
	"apiVersion: v1\nkind: Service\nmetadata: {name: ci1, namespace: default, annotations: {ovn.kubernetes.io/bgp: "
	"\"true\"}}\nspec: {clusterIPs: [198.18.0.5, \"2001:db8:18::6\"]}\n",
	"apiVersion: v1\nkind: Service\nmetadata: {name: ci2, namespace: default, annotations: {ovn.kubernetes.io/bgp: "
	"\"true\"}}\nspec: {clusterIPs: [203.0.113.3]}\n",
};

static const char base_yaml[] =
	"apiVersion: v1\nkind: Node\nmetadata: {name: n1, labels: {zone: a}}\n---\n"
	"apiVersion: v1\nkind: Node\nmetadata: {name: n2, labels: {zone: b}}\n---\n"
	"apiVersion: v1\nkind: Node\nmetadata: {name: n3, labels: {zone: a, node.kubernetes.io/exclude-from-external-load-balancers: ''}}\n---\n"
	"apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: p1, namespace: metallb-system}\n"
	"spec: {addresses: [203.0.113.0/28, '2001:db8::/64']}\n---\n"
	"apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: p2, namespace: metallb-system}\n"
	"spec: {addresses: [198.51.100.0/28, '2001:db8:1::/64']}\n---\n"
	"apiVersion: metallb.io/v1beta1\nkind: BGPAdvertisement\nmetadata: {name: all, namespace: metallb-system}\n"
	"spec: {localPref: 200, communities: ['64500:1'], aggregationLength: 32}\n---\n"
	"apiVersion: metallb.io/v1beta1\nkind: BGPAdvertisement\nmetadata: {name: xonly, namespace: metallb-system}\n"
	"spec: {ipAddressPools: [p1], peers: [r2], communities: ['64500:2'], serviceSelectors: [{matchLabels: {app: web}}]}\n---\n"
	"apiVersion: metallb.io/v1beta1\nkind: BGPAdvertisement\nmetadata: {name: lbw, namespace: metallb-system, "
	"annotations: {vipcast.io/link-bandwidth: per-endpoint}}\n"
	"spec: {ipAddressPools: [p2], communities: ['64500:3']}\n---\n"
	"apiVersion: metallb.io/v1beta1\nkind: L2Advertisement\nmetadata: {name: l2a, namespace: metallb-system}\n"
	"spec: {ipAddressPools: [p2], interfaces: [eth0], nodeSelectors: [{matchLabels: {zone: a}}]}\n---\n"
	"apiVersion: metallb.io/v1beta1\nkind: L2Advertisement\nmetadata: {name: l2b, namespace: metallb-system}\n"
	"spec: {serviceSelectors: [{matchLabels: {app: db}}]}\n";

struct svc_state {
	bool exists, local, dual;
	int ip4, ip6, app;  /* app: 0 none, 1 web, 2 db */
	bool slice[NSLICE];
	int ready[NSLICE];  /* bit per node */
};

struct pod_state {
	bool exists, host, dual, status_ips;
	int node;    /* nodes[], 3: none */
	int policy;  /* pod_policies[] */
	int subnet;  /* pod_subnets[]: NULL: no attachment */
	int ip4, ip6;
};

struct world {
	struct config *base, *live;
	struct svc_state s[NSVC];
	struct pod_state pods[NPOD];
	bool ovn;
	uint64_t rng;
	const struct ready_slice **found;  /* slices_of's answer */
	struct ready_slice **made;         /* every record slices_of made for the patch under way */
	size_t nmade, made_cap;
};

static unsigned rnd(struct world *w, unsigned n)
{
	w->rng = w->rng * 6364136223846793005ull + 1442695040888963407ull;
	return (unsigned)(w->rng >> 33) % n;
}

static struct object *make(const char *yaml, enum kind k, const char *name)
{
	struct config *c = load_valid(yaml);
	assert_non_null(c);
	struct object *o = config_take(c, k, "default", name);
	assert_non_null(o);
	config_free(c);
	return o;
}

static void put(struct world *w, struct object *o)
{
	object_free(config_put(w->live, o));
}

static void drop(struct world *w, enum kind k, const char *name)
{
	object_free(config_take(w->live, k, "default", name));
}

static void write_svc(struct world *w, int i)
{
	const struct svc_state *s = &w->s[i];
	char name[16], yaml[1024];
	snprintf(name, sizeof(name), "s%02d", i);
	if (!s->exists) {
		drop(w, KIND_SERVICE, name);
		return;
	}
	snprintf(yaml, sizeof(yaml),
		 "apiVersion: v1\nkind: Service\nmetadata: {name: %s, namespace: default, labels: {app: %s}}\n"
		 "spec: {type: LoadBalancer, externalTrafficPolicy: %s}\n"
		 "status: {loadBalancer: {ingress: [{ip: '%s'}%s%s%s]}}\n",
		 name, s->app == 1 ? "web" : s->app == 2 ? "db" : "none", s->local ? "Local" : "Cluster", v4[s->ip4],
		 s->dual ? ", {ip: '" : "", s->dual ? v6[s->ip6] : "", s->dual ? "'}" : "");
	put(w, make(yaml, KIND_SERVICE, name));
}

static void write_slice(struct world *w, int i, int k)
{
	const struct svc_state *s = &w->s[i];
	char name[16], yaml[2048];
	snprintf(name, sizeof(name), "s%02d-%c", i, 'a' + k);
	if (!s->slice[k]) {
		drop(w, KIND_ENDPOINTSLICE, name);
		return;
	}
	int at = snprintf(yaml, sizeof(yaml),
			  "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: %s, namespace: default, "
			  "labels: {kubernetes.io/service-name: s%02d}}\naddressType: IPv4\nendpoints: [",
			  name, i);
	for (int n = 0; n < 3; n++)
		for (int e = 0; e <= n; e++)  /* node nN holds N endpoints, so counts differ from node to node */
			at += snprintf(yaml + at, sizeof(yaml) - (size_t)at,
				       "%s{addresses: [10.%d.%d.%d], nodeName: %s, conditions: {ready: %s}}",
				       n || e ? ", " : "", k, i, 10 * n + e, nodes[n],
				       s->ready[k] & (1 << n) ? "true" : "false");
	snprintf(yaml + at, sizeof(yaml) - (size_t)at, "]\n");
	put(w, make(yaml, KIND_ENDPOINTSLICE, name));
}

static void write_pod(struct world *w, int i)
{
	const struct pod_state *s = &w->pods[i];
	char name[16], yaml[1024], ips[128];
	snprintf(name, sizeof(name), "p%02d", i);
	if (!s->exists) {
		drop(w, KIND_POD, name);
		return;
	}
	snprintf(ips, sizeof(ips), "%s%s%s", pod_v4[s->ip4], s->dual ? "," : "", s->dual ? pod_v6[s->ip6] : "");
	int at = snprintf(yaml, sizeof(yaml), "apiVersion: v1\nkind: Pod\nmetadata:\n  name: %s\n  namespace: default\n"
			  "  annotations: {note: walk", name);
	if (s->policy)
		at += snprintf(yaml + at, sizeof(yaml) - (size_t)at, ", ovn.kubernetes.io/bgp: %s", pod_policies[s->policy]);
	if (s->subnet)
		at += snprintf(yaml + at, sizeof(yaml) - (size_t)at,
			       ", ovn.kubernetes.io/ip_address: '%s', ovn.kubernetes.io/logical_switch: %s", ips,
			       pod_subnets[s->subnet]);
	at += snprintf(yaml + at, sizeof(yaml) - (size_t)at, "}\nspec: {hostNetwork: %s%s%s}\n", s->host ? "true" : "false",
		       s->node < 3 ? ", nodeName: " : "", s->node < 3 ? nodes[s->node] : "");
	if (s->status_ips)
		snprintf(yaml + at, sizeof(yaml) - (size_t)at, "status: {podIPs: [{ip: '%s'}%s%s%s]}\n", pod_v4[s->ip4],
			 s->dual ? ", {ip: '" : "", s->dual ? pod_v6[s->ip6] : "", s->dual ? "'}" : "");
	put(w, make(yaml, KIND_POD, name));
}

static void random_pod(struct world *w, struct pod_state *s)
{
	*s = (struct pod_state){.exists = rnd(w, 4) != 0, .host = rnd(w, 10) == 0, .dual = rnd(w, 3) == 0,
				.status_ips = rnd(w, 2) == 0, .node = (int)rnd(w, 4), .policy = (int)rnd(w, 6),
				.subnet = (int)rnd(w, 6), .ip4 = (int)rnd(w, 8), .ip6 = (int)rnd(w, 3)};
}

/* The compact form of the live slices of ns/service, as the speaker's slice index gives it. */
static size_t slices_of(void *arg, const char *ns, const char *service, const struct ready_slice *const **out)
{
	struct world *w = arg;
	const struct objects *sl = &w->live->kinds[KIND_ENDPOINTSLICE];
	size_t n = 0;
	for (size_t i = 0; i < sl->n; i++)
		if (!strcmp(sl->v[i]->meta.namespace, ns) && sl->v[i]->eps.service_name &&
		    !strcmp(sl->v[i]->eps.service_name, service)) {
			if (w->nmade == w->made_cap) {
				w->made_cap = 2 * w->made_cap + 64;
				w->made = realloc(w->made, w->made_cap * sizeof(*w->made));
				assert_non_null(w->made);
			}
			w->made[w->nmade++] = ready_slice_new(sl->v[i]);
			w->found[n++] = w->made[w->nmade - 1];
		}
	*out = w->found;
	return n;
}

static void made_free(struct world *w)
{
	for (size_t i = 0; i < w->nmade; i++)
		ready_slice_free(w->made[i]);
	w->nmade = 0;
}

/* Changes one Service or one of its EndpointSlices; a slice change names its Service in *changed. */
static void mutate(struct world *w, struct plan_svc_key *changed, size_t *nchanged, char names[][16])
{
	if (w->ovn && rnd(w, 2) == 0) {
		int p = (int)rnd(w, NPOD);
		struct pod_state *ps = &w->pods[p];
		switch (rnd(w, 6)) {
		case 0: ps->exists = !ps->exists; break;
		case 1: ps->ip4 = (int)rnd(w, 8), ps->ip6 = (int)rnd(w, 3), ps->dual = rnd(w, 3) == 0; break;
		case 2: ps->node = (int)rnd(w, 4); break;
		case 3: ps->policy = (int)rnd(w, 6); break;
		case 4: ps->subnet = (int)rnd(w, 6); break;
		default: random_pod(w, ps); break;
		}
		write_pod(w, p);
		snprintf(names[*nchanged], 16, "p%02d", p);
		changed[*nchanged] = (struct plan_svc_key){"default", names[*nchanged], true};
		(*nchanged)++;
		return;
	}
	int i = (int)rnd(w, NSVC);
	struct svc_state *s = &w->s[i];
	unsigned what = rnd(w, 8);
	if (what < 4) {
		switch (what) {
		case 0: s->exists = !s->exists; break;
		case 1: s->ip4 = (int)rnd(w, 8), s->ip6 = (int)rnd(w, 4), s->dual = rnd(w, 3) == 0; break;
		case 2: s->local = !s->local; break;
		default: s->app = (int)rnd(w, 3); break;
		}
		write_svc(w, i);
		return;
	}
	int k = (int)rnd(w, NSLICE);
	if (what == 4)
		s->slice[k] = !s->slice[k];
	else
		s->ready[k] = (int)rnd(w, 8);
	write_slice(w, i, k);
	snprintf(names[*nchanged], 16, "s%02d", i);
	changed[*nchanged] = (struct plan_svc_key){"default", names[*nchanged], false};
	(*nchanged)++;
}

struct gen {
	struct config *c;
	struct svc_addrs *v;
	size_t n;
	struct plan *p;
};

static void snapshot(struct world *w, struct gen *g)
{
	g->c = config_new();
	for (int k = 0; k < KIND_COUNT; k++)
		config_share(g->c, k == KIND_SERVICE || k == KIND_ENDPOINTSLICE || k == KIND_POD ? w->live : w->base,
			     (enum kind)k);
	size_t allocated;
	g->n = service_addresses(g->c, NULL, false, &g->v, &allocated);
	g->p = NULL;
}

static void gen_free(struct gen *g)
{
	plan_free(g->p);
	svc_addrs_free(g->v);
	config_free(g->c);
}

static void same_strs(const char *const *a, const char *const *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		assert_string_equal(a[i], b[i]);
}

static size_t link_bw_routes;  /* routes compared that carry a link bandwidth */
static size_t ovn_routes;      /* routes compared that Kube-OVN's counts give */

static void same_plan(const struct plan *a, const struct plan *b)
{
	assert_int_equal(a->node_found, b->node_found);
	assert_true((a->node_silent == NULL) == (b->node_silent == NULL));
	assert_int_equal(a->npeers, b->npeers);
	for (size_t q = 0; q < a->npeers; q++) {
		const struct plan_peer *x = &a->peers[q], *y = &b->peers[q];
		assert_ptr_equal(x->peer, y->peer);
		assert_int_equal(x->nroutes, y->nroutes);
		for (size_t r = 0; r < x->nroutes; r++) {
			assert_int_equal(bgp_prefix_cmp(&x->routes[r].pfx, &y->routes[r].pfx), 0);
			assert_true(plan_attrs_eq(&a->attrs[x->routes[r].attrs], &b->attrs[y->routes[r].attrs]));
			link_bw_routes += a->attrs[x->routes[r].attrs].link_bw_eps > 0;
		}
	}
	assert_int_equal(a->novn, b->novn);
	for (size_t i = 0; i < a->novn; i++) {
		assert_int_equal(bgp_prefix_cmp(&a->ovn[i].pfx, &b->ovn[i].pfx), 0);
		assert_int_equal(a->ovn[i].base, b->ovn[i].base);
		assert_int_equal(a->ovn[i].cluster_ips, b->ovn[i].cluster_ips);
		ovn_routes += a->ovn[i].base > 0;
	}
	assert_int_equal(a->nbgp_svcs, b->nbgp_svcs);
	for (size_t i = 0; i < a->nbgp_svcs; i++) {
		assert_ptr_equal(a->bgp_svcs[i].svc, b->bgp_svcs[i].svc);
		assert_int_equal(a->bgp_svcs[i].npeers, b->bgp_svcs[i].npeers);
		assert_memory_equal(a->bgp_svcs[i].peers, b->bgp_svcs[i].peers, a->bgp_svcs[i].npeers * 4);
	}
	assert_int_equal(a->nl2, b->nl2);
	for (size_t i = 0; i < a->nl2; i++) {
		const struct plan_l2_vip *x = &a->l2[i], *y = &b->l2[i];
		assert_true(ipaddr_eq(&x->ip, &y->ip));
		assert_int_equal(x->nservices, y->nservices);
		same_strs(x->services, y->services, x->nservices);
		assert_int_equal(x->nnodes, y->nnodes);
		for (size_t k = 0; k < x->nnodes; k++) {
			assert_string_equal(x->nodes[k].node, y->nodes[k].node);
			assert_int_equal(x->nodes[k].weight, y->nodes[k].weight);
		}
		assert_int_equal(x->here, y->here);
		assert_int_equal(x->ninterfaces, y->ninterfaces);
		same_strs(x->interfaces, y->interfaces, x->ninterfaces);
	}
	assert_int_equal(a->services_announced, b->services_announced);
	assert_int_equal(a->services_without_endpoints, b->services_without_endpoints);
	assert_int_equal(a->nsvcs, b->nsvcs);
	for (size_t i = 0; i < a->nsvcs; i++)
		assert_int_equal(a->svc_ready[i], b->svc_ready[i]);
}

static void walk(uint64_t seed, const char *node, unsigned steps, bool ovn)
{
	struct world w = {.rng = seed, .ovn = ovn};
	char *yaml = NULL;
	assert_true(asprintf(&yaml, "%s%s", ovn ? peers_ovn : peers_plain, base_yaml) > 0);
	w.base = load_valid(yaml);
	free(yaml);
	assert_non_null(w.base);
	w.live = config_new();
	for (size_t i = 0; ovn && i < sizeof(cluster_ip_svcs) / sizeof(cluster_ip_svcs[0]); i++)
		put(&w, make(cluster_ip_svcs[i], KIND_SERVICE, i ? "ci2" : "ci1"));
	for (int i = 0; ovn && i < NPOD; i++) {
		random_pod(&w, &w.pods[i]);
		write_pod(&w, i);
	}
	w.found = calloc(NSVC * NSLICE + 1, sizeof(*w.found));
	for (int i = 0; i < NSVC; i++) {
		w.s[i] = (struct svc_state){.exists = rnd(&w, 4) != 0, .local = rnd(&w, 3) == 0, .dual = rnd(&w, 3) == 0,
					    .ip4 = (int)rnd(&w, 8), .ip6 = (int)rnd(&w, 4), .app = (int)rnd(&w, 3)};
		write_svc(&w, i);
		for (int k = 0; k < NSLICE; k++) {
			w.s[i].slice[k] = rnd(&w, 2);
			w.s[i].ready[k] = (int)rnd(&w, 8);
			write_slice(&w, i, k);
		}
	}
	struct gen prev;
	snapshot(&w, &prev);
	prev.p = plan_build(prev.c, node, prev.v, prev.n);
	size_t patched_bytes = 0;
	for (unsigned step = 0; step < steps; step++) {
		struct plan_svc_key changed[4];
		char names[4][16];
		size_t nchanged = 0;
		unsigned nmut = 1 + rnd(&w, 3);
		for (unsigned m = 0; m < nmut; m++)
			mutate(&w, changed, &nchanged, names);
		struct gen next;
		snapshot(&w, &next);
		struct plan *full = plan_build(next.c, node, next.v, next.n);
		struct plan_patch_in in = {prev.c, next.c, node, prev.v, next.v, prev.n, next.n, changed, nchanged, slices_of, &w};
		next.p = plan_patch(prev.p, &in);
		made_free(&w);  /* a plan reads the slices only while it is built */
		assert_non_null(next.p);
		same_plan(next.p, full);
		patched_bytes = plan_mem_bytes(next.p);
		plan_free(full);
		gen_free(&prev);  /* next.p still reads memory of prev.p */
		prev = next;
	}
	assert_true(patched_bytes > 0);
	gen_free(&prev);
	config_free(w.live);
	config_free(w.base);
	free(w.found);
	free(w.made);
}

static void test_patch_equals_build_n1(void **state)
{
	(void)state;
	link_bw_routes = 0;
	for (uint64_t seed = 1; seed <= 12; seed++)
		walk(seed, "n1", 60, false);
	assert_true(link_bw_routes > 0);
}

static void test_patch_equals_build_with_pods(void **state)
{
	(void)state;
	link_bw_routes = ovn_routes = 0;
	for (uint64_t seed = 200; seed <= 215; seed++) {
		walk(seed, "n1", 80, true);
		walk(seed, "n2", 40, true);
	}
	assert_true(link_bw_routes > 0);
	assert_true(ovn_routes > 0);
	for (uint64_t seed = 300; seed <= 303; seed++) {
		walk(seed, "n3", 20, true);  /* excluded: no route, but the counts are kept */
		walk(seed, "absent", 10, true);
	}
}

static void test_patch_equals_build_n2_and_silent(void **state)
{
	(void)state;
	link_bw_routes = 0;
	for (uint64_t seed = 100; seed <= 106; seed++) {
		walk(seed, "n2", 40, false);
		assert_true(link_bw_routes > 0);
		walk(seed, "n3", 20, false);  /* excluded: announces nothing, L2 still planned for the others */
		walk(seed, "absent", 10, false);
	}
}

/* An aggregation length shorter than an address: a route depends on more than its Services; no patch. */
static void test_no_patch_with_aggregation(void **state)
{
	(void)state;
	struct config *c;
	struct diags d;
	assert_true(load_text("apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: p, namespace: m}\n"
			      "spec: {addresses: [203.0.113.0/24]}\n---\n"
			      "apiVersion: metallb.io/v1beta1\nkind: BGPAdvertisement\nmetadata: {name: a, namespace: m}\n"
			      "spec: {aggregationLength: 24}\n",
			      &c, &d));
	diags_free(&d);
	struct plan *p = plan_build(c, "n1", NULL, 0);
	struct plan_patch_in in = {c, c, "n1", NULL, NULL, 0, 0, NULL, 0, slices_of, NULL};
	assert_null(plan_patch(p, &in));
	plan_free(p);
	config_free(c);
}

/* A ClusterIP Service whose cluster IPs a BGPPeer takes changed: not followed by a patch. */
static void test_no_patch_when_cluster_ip_changes(void **state)
{
	(void)state;
	struct config *base = load_valid(peers_ovn);
	assert_non_null(base);
	struct world w = {.base = base, .live = config_new(), .ovn = true};
	put(&w, make(cluster_ip_svcs[0], KIND_SERVICE, "ci1"));
	struct gen a, b;
	snapshot(&w, &a);
	a.p = plan_build(a.c, "n1", a.v, a.n);
	put(&w, make(cluster_ip_svcs[0], KIND_SERVICE, "ci1"));
	snapshot(&w, &b);
	struct plan_svc_key k = {"default", "ci1", false};
	struct plan_patch_in in = {a.c, b.c, "n1", a.v, b.v, a.n, b.n, &k, 1, slices_of, &w};
	assert_null(plan_patch(a.p, &in));
	in.nchanged = 0;  /* a Pod-free, Service-free patch goes through */
	b.p = plan_patch(a.p, &in);
	assert_non_null(b.p);
	gen_free(&a);
	gen_free(&b);
	config_free(w.live);
	config_free(base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_patch_equals_build_n1),
		cmocka_unit_test(test_patch_equals_build_n2_and_silent),
		cmocka_unit_test(test_no_patch_with_aggregation),
		cmocka_unit_test(test_patch_equals_build_with_pods),
		cmocka_unit_test(test_no_patch_when_cluster_ip_changes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
