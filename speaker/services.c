#include "services.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "big_array.h"
#include "reconcile.h"
#include "service_request.h"
#include "xalloc.h"

/* The configuration keeps Services sorted by namespace, then name; so is v. */
static int by_name(const void *x, const void *y)
{
	const struct object *a = ((const struct svc_addrs *)x)->svc, *b = ((const struct svc_addrs *)y)->svc;
	int r = strcmp(a->meta.namespace, b->meta.namespace);
	return r ? r : strcmp(a->meta.name, b->meta.name);
}

bool svc_addrs_of(const struct object *o, const char *lb_class, struct svc_addrs *out)
{
	memset(out, 0, sizeof(*out));
	if (!svc_is_ours(o, lb_class))
		return false;
	out->svc = o;
	for (size_t k = 0; k < o->svc.ningress && out->nips < 2; k++)
		out->ips[out->nips++] = o->svc.ingress[k];
	return true;
}

void svc_addrs_free(struct svc_addrs *v)
{
	big_free(v);
}

size_t service_addresses(const struct config *c, const char *lb_class, bool allocate, struct svc_addrs **out,
			 size_t *allocated)
{
	const struct objects *svcs = &c->kinds[KIND_SERVICE];
	struct svc_addrs *v = big_alloc(svcs->n + 1, sizeof(*v), true);
	size_t n = 0, missing = 0;

	*allocated = 0;
	for (size_t i = 0; i < svcs->n; i++) {
		if (!svc_addrs_of(svcs->v[i], lb_class, &v[n]))
			continue;
		missing += !v[n].nips;
		n++;
	}
	if (missing && allocate) {
		struct alloc *a = alloc_new();
		struct svc_outcome *r;
		size_t nr = reconcile_all(a, c, lb_class, &r);
		for (size_t i = 0; i < nr; i++) {
			if (!r[i].res.ok || !r[i].res.nips)
				continue;
			struct svc_addrs key = {.svc = r[i].svc}, *e = bsearch(&key, v, n, sizeof(*v), by_name);
			if (e && !e->nips) {
				memcpy(e->ips, r[i].res.ips, sizeof(e->ips));
				e->nips = (uint8_t)r[i].res.nips;
				(*allocated)++;
			}
		}
		reconcile_free(r, nr);
		alloc_free(a);
	}
	*out = v;
	return n;
}
