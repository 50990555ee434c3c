#include "reconcile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

int service_age_cmp(const struct object *x, const struct object *y)
{
	const char *tx = x->meta.creation_timestamp, *ty = y->meta.creation_timestamp;
	int r;

	if (!tx != !ty)
		return tx ? -1 : 1;
	if (tx && (r = strcmp(tx, ty)) != 0)  /* RFC 3339 in UTC, as the API server writes it */
		return r;
	r = strcmp(x->meta.namespace, y->meta.namespace);
	return r ? r : strcmp(x->meta.name, y->meta.name);
}

static int outcome_cmp(const void *a, const void *b)
{
	return service_age_cmp(((const struct svc_outcome *)a)->svc, ((const struct svc_outcome *)b)->svc);
}

size_t reconcile_all(struct alloc *a, const struct config *c, const char *lb_class, struct svc_outcome **out)
{
	const struct objects *svcs = &c->kinds[KIND_SERVICE];
	struct svc_outcome *v = xcalloc(svcs->n, sizeof(*v));
	bool *kept = xcalloc(svcs->n, sizeof(*kept));
	size_t n = 0;

	alloc_set_lb_class(a, lb_class);
	alloc_set_config(a, c, NULL, NULL);
	for (size_t i = 0; i < svcs->n; i++) {
		v[n].svc = svcs->v[i];
		svc_request_read(svcs->v[i], lb_class, &v[n].req);
		if (v[n].req.ours)
			n++;
		else
			svc_request_free(&v[n].req);
	}
	qsort(v, n, sizeof(*v), outcome_cmp);
	for (size_t i = 0; i < n; i++) {
		const struct service *s = &v[i].svc->svc;
		struct ipaddr ips[2];
		size_t nips = 0;
		for (size_t k = 0; k < s->ningress && nips < 2; k++)
			ips[nips++] = s->ingress[k];
		kept[i] = nips && alloc_reclaim(a, v[i].svc, &v[i].req, ips, nips, &v[i].res);
		if (nips && !kept[i])
			snprintf(v[i].not_kept, sizeof(v[i].not_kept), "%s", v[i].res.message);
	}
	for (size_t i = 0; i < n; i++)
		if (!kept[i])
			alloc_assign(a, v[i].svc, &v[i].req, &v[i].res);
	free(kept);
	*out = v;
	return n;
}

void reconcile_free(struct svc_outcome *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		svc_request_free(&v[i].req);
	free(v);
}
