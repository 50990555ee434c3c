/*
 * One pass of the controller over a whole configuration (file mode, and a
 * controller that starts): every valid address in a Service's status is
 * re-claimed first, oldest Service first; then the Services still without
 * addresses are served, oldest first.
 */
#ifndef VIPCAST_CONTROLLER_RECONCILE_H
#define VIPCAST_CONTROLLER_RECONCILE_H

#include "alloc.h"

struct svc_outcome {
	const struct object *svc;
	struct svc_request req;
	struct alloc_result res;
	char not_kept[384];  /* why the addresses of its status were not re-claimed; "" when kept or none */
};

/* The Services this controller serves, in creation order; free *out with reconcile_free(). */
size_t reconcile_all(struct alloc *a, const struct config *c, const char *lb_class, struct svc_outcome **out);
void reconcile_free(struct svc_outcome *v, size_t n);

/* creationTimestamp, then namespace/name; Services without a timestamp come last. */
int service_age_cmp(const struct object *x, const struct object *y);

#endif
