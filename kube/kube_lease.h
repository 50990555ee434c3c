/*
 * coordination.k8s.io/v1 Leases, the building blocks of leader election: read
 * one, create it, or update it with the resourceVersion it was read at (a
 * 409 reaches the caller: someone else renewed or took it in between, and the
 * election must look again, not retry blindly).
 */
#ifndef VIPCAST_KUBE_LEASE_H
#define VIPCAST_KUBE_LEASE_H

#include <jansson.h>

#include "kube_request.h"

struct kube_call *kube_lease_get(struct kube_http *h, const char *ns, const char *name, kube_json_fn fn, void *arg);
/* lease: as kube_lease_build makes it (metadata.namespace and name set). */
struct kube_call *kube_lease_create(struct kube_http *h, const json_t *lease, kube_json_fn fn, void *arg);
/* lease: with metadata.resourceVersion, as read. */
struct kube_call *kube_lease_update(struct kube_http *h, const json_t *lease, kube_json_fn fn, void *arg);

/*
 * The Lease holder should write: from the current one (NULL: a new Lease),
 * renewTime now, holderIdentity and leaseDurationSeconds set; a change of
 * holder also sets acquireTime and counts a transition. The caller owns it.
 */
json_t *kube_lease_build(const char *ns, const char *name, const char *holder, unsigned duration_s,
			 const json_t *from);

#endif
