/*
 * plan_patch_bench: what a Kubernetes-mode speaker spends on the event loop
 * when a few EndpointSlices change among N Services, beside what planning
 * afresh costs for the same state, measured in the same run.
 *
 * The configuration is built through the real path (YAML text,
 * config_load_yaml(), config_validate()): one node, one pool, one
 * BGPAdvertisement, one BGPPeer, N Services with an address in status and N
 * EndpointSlices with one endpoint on the node. Each round flips K slices'
 * readiness (new objects, as a watch event brings them) and times:
 *   patch   generation_patch(): the Services' entries, the plan patched
 *   apply   what the session does with the result: the route set copied and
 *           diffed against the last one (rib_set_copy, rib_diff)
 *   fresh   the reference: service_addresses() and plan_build() of the same
 *           state, as a full plan off the loop does it
 * and checks that the patched plan announces what the fresh one does.
 * With --pods P, the BGPPeer also takes Kube-OVN's routes (plan_ovn.h), P
 * Pods annotated ovn.kubernetes.io/bgp "true" with an address in status are
 * added, and each round starts or stops K Pods (their podIPs written or
 * removed) instead of flipping slices.
 *
 * Usage: plan_patch_bench [--services N] [--pods P] [--changed K] [--rounds R]
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bgp_rib_out.h"
#include "clock.h"
#include "generation.h"
#include "load.h"
#include "slice_index.h"
#include "validate.h"

static double now_ms(void)
{
	return (double)clock_ns(CLOCK_MONOTONIC) / 1e6;
}

static int dbl_cmp(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;
	return a < b ? -1 : a > b;
}

static void report(const char *what, double *v, size_t n)
{
	qsort(v, n, sizeof(*v), dbl_cmp);
	printf("  %-44s median %8.3f ms   p99 %8.3f ms   max %8.3f ms\n", what, v[n / 2], v[(n * 99) / 100], v[n - 1]);
}

struct text {
	char *s;
	size_t n, cap;
};

static void add(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		va_start(ap, fmt);
		int k = vsnprintf(t->s + t->n, t->cap - t->n, fmt, ap);
		va_end(ap);
		if (k >= 0 && (size_t)k < t->cap - t->n) {
			t->n += (size_t)k;
			return;
		}
		t->cap = t->cap ? 2 * t->cap : 1 << 20;
		t->s = realloc(t->s, t->cap);
		if (!t->s)
			abort();
	}
}

static void svc_ip(unsigned i, char *out, size_t len)
{
	unsigned a = 0xc6120000u + 1 + i;  /* 198.18.0.1 on */
	snprintf(out, len, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
}

static void slice_yaml(struct text *t, unsigned i, bool ready)
{
	add(t,
	    "---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: s%u-x, namespace: default, "
	    "labels: {kubernetes.io/service-name: s%u}}\naddressType: IPv4\n"
	    "endpoints: [{addresses: [10.0.0.1], nodeName: bench, conditions: {ready: %s}}]\n",
	    i, i, ready ? "true" : "false");
}

/* Into c (a new one when NULL), validated when validate; a file is read whole, so at most 16 MiB each. */
static struct config *load_into(struct config *c, const char *text, size_t len, bool validate)
{
	struct diags d;
	diags_init(&d);
	if (!c)
		c = config_new();
	if (!config_load_yaml(c, "bench.yaml", text, len, &d, NULL) || (validate && !config_validate(c, &d))) {
		diags_print(&d, stderr);
		exit(1);
	}
	diags_free(&d);
	return c;
}

/* Pod p<i>, started (an address in status: a route) or not. */
static void pod_yaml(struct text *t, unsigned i, bool started)
{
	unsigned a = 0xc6130000u + 1 + i;  /* 198.19.0.1 on */
	add(t, "---\napiVersion: v1\nkind: Pod\nmetadata: {name: p%u, namespace: default, annotations: "
	       "{ovn.kubernetes.io/bgp: 'true'}}\nspec: {nodeName: bench}\n", i);
	if (started)
		add(t, "status: {phase: Running, podIPs: [{ip: %u.%u.%u.%u}]}\n", a >> 24, (a >> 16) & 255, (a >> 8) & 255,
		    a & 255);
}

static struct config *load(const char *text, size_t len)
{
	return load_into(NULL, text, len, true);
}

static size_t slices_of(void *arg, const char *ns, const char *svc, const struct ready_slice *const **out)
{
	return slice_index_of(arg, ns, svc, out);
}

static void emit(const uint8_t *msg, size_t len, void *arg)
{
	(void)msg;
	*(size_t *)arg += len;
}

int main(int argc, char **argv)
{
	unsigned n = 100000, k = 20, rounds = 200, npods = 0;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--services"))
			n = (unsigned)atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--pods"))
			npods = (unsigned)atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--changed"))
			k = (unsigned)atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--rounds"))
			rounds = (unsigned)atoi(argv[i + 1]);
	}
	if (!n || !k || k > (npods ? npods : n) || !rounds || n > 100000 || npods > 60000) {
		fprintf(stderr, "usage: %s [--services N<=100000] [--pods P<=60000] [--changed K<=N or P] [--rounds R]\n",
			argv[0]);
		return 2;
	}
	struct text t = {0};
	add(&t, "apiVersion: v1\nkind: Node\nmetadata: {name: bench}\n"
		"---\napiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: p, namespace: metallb-system}\n"
		"spec: {addresses: [198.18.0.0/15]}\n"
		"---\napiVersion: metallb.io/v1beta1\nkind: BGPAdvertisement\nmetadata: {name: a, namespace: metallb-system}\n"
		"spec: {communities: ['64512:1']}\n"
		"---\napiVersion: metallb.io/v1beta2\nkind: BGPPeer\nmetadata: {name: rx, namespace: metallb-system%s}\n"
		"spec: {myASN: 64512, peerASN: 64512, peerAddress: 192.0.2.1}\n",
	    npods ? ", annotations: {vipcast.io/kube-ovn-routes: 'true'}" : "");
	double t0 = now_ms();
	struct config *live = NULL;
	for (unsigned i = 0; i < n; i++) {
		if (i % 20000 == 0 && i) {
			live = load_into(live, t.s, t.n, false);
			t.n = 0;
		}
		char ip[32];
		svc_ip(i, ip, sizeof(ip));
		add(&t,
		    "---\napiVersion: v1\nkind: Service\nmetadata: {name: s%u, namespace: default, uid: u%u}\n"
		    "spec: {type: LoadBalancer}\nstatus: {loadBalancer: {ingress: [{ip: %s}]}}\n",
		    i, i, ip);
		slice_yaml(&t, i, true);
	}
	for (unsigned i = 0; i < npods; i++) {
		if (i % 20000 == 0) {
			live = load_into(live, t.s, t.n, false);
			t.n = 0;
		}
		pod_yaml(&t, i, true);
	}
	live = load_into(live, t.s, t.n, true);
	printf("plan_patch_bench: %u Services and EndpointSlices, %u Pods (loaded in %.0f ms), %u %s changed per round, "
	       "%u rounds\n", n, npods, now_ms() - t0, k, npods ? "Pods" : "EndpointSlices", rounds);

	/* The slices as the speaker keeps them: in compact form, indexed by Service (slice s<i>-x is by_svc[i]). */
	struct slice_index *ix = slice_index_new();
	struct ready_slice **by_svc = calloc(n, sizeof(*by_svc));
	for (size_t i = live->kinds[KIND_ENDPOINTSLICE].n; i-- > 0;) {
		struct object *o = live->kinds[KIND_ENDPOINTSLICE].v[i];
		o = config_take(live, KIND_ENDPOINTSLICE, o->meta.namespace, o->meta.name);
		struct ready_slice *r = ready_slice_new(o);
		by_svc[atoi(o->meta.name + 1)] = r;
		config_ready_add(live, r);
		slice_index_add(ix, r);
		object_free(o);
	}
	config_sort(live);
	struct generation g = {0};
	g.cfg = config_new();
	for (int kind = 0; kind < KIND_COUNT; kind++)
		config_share(g.cfg, live, (enum kind)kind);
	config_ready_share(g.cfg, live);
	size_t allocated;
	g.nsvcs = service_addresses(g.cfg, NULL, false, &g.svcs, &allocated);
	g.plan = plan_build(g.cfg, "bench", g.svcs, g.nsvcs);
	struct rib_set prev = {0};
	rib_set_copy(&prev, g.plan->peers[0].routes, g.plan->peers[0].nroutes, g.plan->attrs, g.plan->nattrs);

	double *patch = calloc(rounds, sizeof(double)), *apply = calloc(rounds, sizeof(double)),
	       *fresh = calloc(rounds, sizeof(double));
	bool *ready = malloc(n + npods);
	memset(ready, 1, n + npods);
	struct plan_svc_key *keys = calloc(k, sizeof(*keys));
	char (*names)[16] = calloc(k, 16);
	struct ready_slice **graves = NULL;
	size_t ngraves = 0, bytes = 0, mismatches = 0;
	srand(1);
	for (unsigned r = 0; r < rounds; r++) {
		struct text s = {0};
		for (unsigned j = 0; npods && j < k; j++) {
			unsigned i;
			bool dup;
			do {  /* k distinct Pods per round */
				i = (unsigned)rand() % npods;
				dup = false;
				for (unsigned q = 0; q < j; q++)
					dup |= (unsigned)atoi(names[q] + 1) == i;
			} while (dup);
			ready[n + i] = !ready[n + i];
			pod_yaml(&s, i, ready[n + i]);
			snprintf(names[j], 16, "p%u", i);
			keys[j] = (struct plan_svc_key){"default", names[j], true};
		}
		for (unsigned j = 0; !npods && j < k; j++) {
			unsigned i;
			bool dup;
			do {  /* k distinct slices per round */
				i = (unsigned)rand() % n;
				dup = false;
				for (unsigned q = 0; q < j; q++)
					dup |= (unsigned)atoi(names[q] + 1) == i;
			} while (dup);
			ready[i] = !ready[i];
			slice_yaml(&s, i, ready[i]);
			snprintf(names[j], 16, "s%u", i);
			keys[j] = (struct plan_svc_key){"default", names[j], false};
		}
		struct config *batch = load(s.s, s.n);  /* decoding is the watch's cost, not timed */
		free(s.s);
		while (batch->kinds[KIND_POD].n) {  /* the generation in force holds the Pods it replaces */
			const struct object *o = batch->kinds[KIND_POD].v[0];
			object_free(config_put(live, config_take(batch, KIND_POD, o->meta.namespace, o->meta.name)));
		}
		graves = realloc(graves, (ngraves + batch->kinds[KIND_ENDPOINTSLICE].n) * sizeof(*graves));
		for (size_t j = 0; j < batch->kinds[KIND_ENDPOINTSLICE].n; j++) {
			const struct object *o = batch->kinds[KIND_ENDPOINTSLICE].v[j];
			unsigned i = (unsigned)atoi(o->meta.name + 1);
			struct ready_slice *r = ready_slice_new(o), *old = by_svc[i];
			config_ready_remove(live, old);
			slice_index_remove(ix, old);
			graves[ngraves++] = old;  /* the generation in force may point at it */
			by_svc[i] = r;
			config_ready_add(live, r);
			slice_index_add(ix, r);
		}
		config_free(batch);

		double a = now_ms();
		struct generation ng;
		if (!generation_patch(&ng, &g, live, "bench", NULL, keys, k, slices_of, ix)) {
			fprintf(stderr, "cannot patch\n");
			return 1;
		}
		double b = now_ms();
		struct rib_set to = {0};
		rib_set_copy(&to, ng.plan->peers[0].routes, ng.plan->peers[0].nroutes, ng.plan->attrs, ng.plan->nattrs);
		struct rib_peer rp = {0};
		rp.af[BGP_AF_IPV4] = true;
		rp.base.local_as = 64512;
		rp.base.peer_as4 = true;
		struct rib_diff_stats st = {0};
		rib_diff(&prev, &to, &rp, emit, &bytes, &st);
		double c = now_ms();
		patch[r] = b - a;
		apply[r] = c - b;
		rib_set_clear(&prev);
		prev = to;

		/* The reference: the same state planned afresh. */
		double d = now_ms();
		struct svc_addrs *v;
		size_t nv = service_addresses(ng.cfg, NULL, false, &v, &allocated);
		struct plan *full = plan_build(ng.cfg, "bench", v, nv);
		fresh[r] = now_ms() - d;
		bool same = full->peers[0].nroutes == ng.plan->peers[0].nroutes;
		for (size_t i = 0; same && i < full->peers[0].nroutes; i++) {
			const struct plan_route *x = &full->peers[0].routes[i], *y = &ng.plan->peers[0].routes[i];
			same = !bgp_prefix_cmp(&x->pfx, &y->pfx) &&
			       plan_attrs_eq(&full->attrs[x->attrs], &ng.plan->attrs[y->attrs]);
		}
		mismatches += !same;
		plan_free(full);
		svc_addrs_free(v);

		generation_free(&g);
		g = ng;
		for (size_t i = 0; i < ngraves; i++)
			ready_slice_free(graves[i]);
		ngraves = 0;
	}
	printf("  routes announced at the end: %zu; UPDATE bytes written over the run: %zu\n", g.plan->peers[0].nroutes,
	       bytes);
	report("patch (generation_patch, on the loop)", patch, rounds);
	report("apply (session: route set copied, diffed)", apply, rounds);
	report("reference: planned afresh (off the loop)", fresh, rounds);
	printf("  patched plan memory at the end: %zu bytes; rounds where the patch announced otherwise than afresh: %zu\n",
	       plan_mem_bytes(g.plan), mismatches);
	rib_set_clear(&prev);
	generation_free(&g);
	slice_index_free(ix);
	config_free(live);
	free(graves);
	free(by_svc);
	free(t.s);
	free(patch);
	free(apply);
	free(fresh);
	free(ready);
	free(keys);
	free(names);
	return mismatches ? 1 : 0;
}
