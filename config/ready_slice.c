#include "ready_slice.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

struct ready_slice *ready_slice_new(const struct object *eps)
{
	const struct endpoint_slice *s = &eps->eps;
	size_t n = 0, bytes = strlen(eps->meta.namespace) + 1 + (s->service_name ? strlen(s->service_name) + 1 : 0);
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].ready) {
			n++;
			bytes += s->v[i].node_name ? strlen(s->v[i].node_name) + 1 : 0;
		}
	struct ready_slice *r = xmalloc(sizeof(*r) + n * sizeof(r->nodes[0]) + bytes);
	char *at = (char *)&r->nodes[n];
	atomic_init(&r->refs, 1);
	r->at = SIZE_MAX;
	r->n = (uint32_t)n;
	r->ns = at;
	at = stpcpy(at, eps->meta.namespace) + 1;
	r->service = NULL;
	if (s->service_name) {
		r->service = at;
		at = stpcpy(at, s->service_name) + 1;
	}
	n = 0;
	for (size_t i = 0; i < s->n; i++) {
		if (!s->v[i].ready)
			continue;
		r->nodes[n] = NULL;
		if (s->v[i].node_name) {
			r->nodes[n] = at;
			at = stpcpy(at, s->v[i].node_name) + 1;
		}
		n++;
	}
	return r;
}

struct ready_slice *ready_slice_ref(struct ready_slice *r)
{
	atomic_fetch_add(&r->refs, 1);
	return r;
}

void ready_slice_free(struct ready_slice *r)
{
	if (r && atomic_fetch_sub(&r->refs, 1) == 1)
		free(r);
}
