#include "plan_patch_ovn.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

static int key_cmp(const void *x, const void *y)
{
	const struct plan_svc_key *a = x, *b = y;
	int r = strcmp(a->ns, b->ns);
	return r ? r : strcmp(a->name, b->name);
}

/* The Pods' keys of in->changed, sorted, unique (a Pod named twice must count once). */
static size_t pod_keys(const struct plan_patch_in *in, struct plan_svc_key **out)
{
	struct plan_svc_key *v = xcalloc(in->nchanged + 1, sizeof(*v));
	size_t n = 0;
	for (size_t i = 0; i < in->nchanged; i++)
		if (in->changed[i].pod && in->changed[i].ns && in->changed[i].name)
			v[n++] = in->changed[i];
	if (n)
		qsort(v, n, sizeof(*v), key_cmp);
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (!k || key_cmp(&v[k - 1], &v[i]))
			v[k++] = v[i];
	*out = v;
	return k;
}

static bool is_cluster_ip(const struct config *c, const char *ns, const char *name)
{
	const struct object *o = config_find(c, KIND_SERVICE, ns, name);
	return o && plan_ovn_cluster_ip(o);
}

/* A Service named, or one of those that changed (moved), was or is a ClusterIP one whose cluster IPs count. */
static bool cluster_ips_changed(const struct plan_patch_in *in, const struct object *const *moved, size_t nmoved)
{
	if (!plan_ovn_wanted_cluster_ips(in->c))
		return false;
	for (size_t i = 0; i < in->nchanged; i++) {
		const struct plan_svc_key *k = &in->changed[i];
		if (!k->pod && (is_cluster_ip(in->old_c, k->ns, k->name) || is_cluster_ip(in->c, k->ns, k->name)))
			return true;
	}
	for (size_t i = 0; i < nmoved; i++) {
		const char *ns = moved[i]->meta.namespace, *name = moved[i]->meta.name;
		if (is_cluster_ip(in->old_c, ns, name) || is_cluster_ip(in->c, ns, name))
			return true;
	}
	return false;
}

bool plan_patch_ovn(const struct plan *old, const struct plan_patch_in *in, const struct object *const *moved,
		    size_t nmoved, struct plan_ovn_prefix **ovn, size_t *novn, struct ovn_prefixes *flips)
{
	*ovn = NULL;
	*novn = 0;
	if (!plan_ovn_wanted(in->c))
		return true;
	if (cluster_ips_changed(in, moved, nmoved))
		return false;
	struct plan_svc_key *keys;
	size_t nkeys = pod_keys(in, &keys);
	struct ovn_prefixes minus = {0}, plus = {0};
	for (size_t i = 0; i < nkeys; i++) {
		const struct object *was = config_find(in->old_c, KIND_POD, keys[i].ns, keys[i].name);
		const struct object *now = config_find(in->c, KIND_POD, keys[i].ns, keys[i].name);
		if (was == now)
			continue;
		/* The Subnets are the same objects in both: old's routes of a Pod are those it gives under in->c. */
		if (was)
			plan_ovn_pod_routes(in->c, was, in->node, &minus);
		if (now)
			plan_ovn_pod_routes(in->c, now, in->node, &plus);
	}
	bool ok = plan_ovn_update(old->ovn, old->novn, &minus, &plus, ovn, novn, flips);
	free(keys);
	free(minus.v);
	free(plus.v);
	return ok;
}
