#include "generation.h"

#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "load.h"
#include "big_array.h"
#include "lower_bound.h"
#include "services.h"
#include "xalloc.h"

static void plan_config(struct generation *g, const char *node, const char *lb_class, bool allocate)
{
	g->nsvcs = service_addresses(g->cfg, lb_class, allocate, &g->svcs, &g->allocated);
	g->plan = plan_build(g->cfg, node, g->svcs, g->nsvcs);
}

bool generation_build(struct generation *g, const char *path, const char *node, const char *lb_class,
		      struct diags *d)
{
	uint64_t t0 = clock_ns(CLOCK_MONOTONIC);
	size_t ignored = 0;
	memset(g, 0, sizeof(*g));
	g->cfg = config_read(path, d, &ignored);
	if (g->cfg)
		plan_config(g, node, lb_class, true);
	g->seconds = (double)(clock_ns(CLOCK_MONOTONIC) - t0) / 1e9;
	return g->cfg != NULL;
}

bool generation_plan(struct generation *g, struct config *cfg, const char *node, const char *lb_class, bool allocate,
		     struct diags *d)
{
	uint64_t t0 = clock_ns(CLOCK_MONOTONIC);
	memset(g, 0, sizeof(*g));
	if (!config_validate(cfg, d)) {
		config_free(cfg);
		g->seconds = (double)(clock_ns(CLOCK_MONOTONIC) - t0) / 1e9;
		return false;
	}
	g->cfg = cfg;
	plan_config(g, node, lb_class, allocate);
	g->seconds = (double)(clock_ns(CLOCK_MONOTONIC) - t0) / 1e9;
	return true;
}

static int key_cmp(const char *ns1, const char *n1, const char *ns2, const char *n2)
{
	int r = strcmp(ns1, ns2);
	return r ? r : strcmp(n1, n2);
}

static int changed_cmp(const void *x, const void *y)
{
	const struct plan_svc_key *a = x, *b = y;
	return key_cmp(a->ns, a->name, b->ns, b->name);
}

static int svcs_key_cmp(const void *elem, const void *key)
{
	const struct object *o = ((const struct svc_addrs *)elem)->svc;
	const struct plan_svc_key *k = key;
	return key_cmp(o->meta.namespace, o->meta.name, k->ns, k->name);
}

/* in_force's Service entries, those of the changed Services taken from live. */
static size_t patch_svcs(const struct generation *in_force, const struct config *live, const char *lb_class,
			 struct plan_svc_key *keys, size_t nkeys, struct svc_addrs **out)
{
	const struct svc_addrs *old = in_force->svcs;
	size_t nold = in_force->nsvcs, n = 0, from = 0;
	struct svc_addrs *v = big_alloc(nold + nkeys + 1, sizeof(*v), false);
	const struct plan_svc_key *last = NULL;
	qsort(keys, nkeys, sizeof(*keys), changed_cmp);
	for (size_t i = 0; i < nkeys; i++) {
		if (keys[i].pod || (last && !changed_cmp(&keys[i], last)))
			continue;
		last = &keys[i];
		size_t at = lower_bound(old, nold, sizeof(*old), &keys[i], svcs_key_cmp);
		memcpy(v + n, old + from, (at - from) * sizeof(*v));
		n += at - from;
		from = at;
		if (at < nold && !key_cmp(old[at].svc->meta.namespace, old[at].svc->meta.name, keys[i].ns, keys[i].name))
			from++;
		const struct object *o = config_find(live, KIND_SERVICE, keys[i].ns, keys[i].name);
		if (o && svc_addrs_of(o, lb_class, &v[n]))
			n++;
	}
	memcpy(v + n, old + from, (nold - from) * sizeof(*v));
	*out = v;
	return n + nold - from;
}

bool generation_patch(struct generation *g, struct generation *in_force, const struct config *live, const char *node,
		      const char *lb_class, const struct plan_svc_key *changed, size_t nchanged, plan_slices_fn slices_of,
		      void *arg)
{
	uint64_t t0 = clock_ns(CLOCK_MONOTONIC);
	memset(g, 0, sizeof(*g));
	if (!in_force->cfg || !in_force->plan)
		return false;
	struct plan_svc_key *keys = xcalloc(nchanged + 1, sizeof(*keys));
	if (nchanged)
		memcpy(keys, changed, nchanged * sizeof(*keys));
	g->nsvcs = patch_svcs(in_force, live, lb_class, keys, nchanged, &g->svcs);
	free(keys);

	bool pods = false;
	for (size_t i = 0; i < nchanged; i++)
		pods |= changed[i].pod;
	struct config *c = config_new();
	for (int k = 0; k < KIND_COUNT; k++)
		if (k == KIND_SERVICE)
			config_borrow(c, live, (enum kind)k);  /* live's owner keeps what it replaces until g goes */
		else
			config_share(c, k == KIND_POD && pods ? live : in_force->cfg, (enum kind)k);
	config_ready_borrow(c, live);
	c->resolved = in_force->cfg->resolved;  /* what validation resolved for the objects shared */
	memset(&in_force->cfg->resolved, 0, sizeof(in_force->cfg->resolved));
	struct plan_patch_in in = {in_force->cfg, c, node, in_force->svcs, g->svcs, in_force->nsvcs, g->nsvcs,
				   changed, nchanged, slices_of, arg};
	g->plan = plan_patch(in_force->plan, &in);
	if (!g->plan) {
		in_force->cfg->resolved = c->resolved;
		memset(&c->resolved, 0, sizeof(c->resolved));
		config_free(c);
		svc_addrs_free(g->svcs);
		memset(g, 0, sizeof(*g));
		return false;
	}
	g->cfg = c;
	g->patched = true;
	g->fallback = in_force->fallback;
	g->seconds = (double)(clock_ns(CLOCK_MONOTONIC) - t0) / 1e9;
	return true;
}

void generation_free(struct generation *g)
{
	plan_free(g->plan);
	svc_addrs_free(g->svcs);
	if (g->cfg)
		config_free(g->cfg);
	if (g->source && g->source_free)
		g->source_free(g->source);
	memset(g, 0, sizeof(*g));
}
