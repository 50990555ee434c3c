/*
 * The API resources vipcast reads and writes: where each lives
 * (/api/v1/namespaces/NS/services, /apis/metallb.io/v1beta1/...), which
 * configuration kind it decodes into, and discovery of an optional API group
 * (kubeovn.io exists only where Kube-OVN is installed: its absence is no error;
 * kube_api_probe.h waits for it).
 */
#ifndef VIPCAST_KUBE_RESOURCE_H
#define VIPCAST_KUBE_RESOURCE_H

#include <stdbool.h>
#include <stddef.h>

#include "kube_http.h"
#include "model.h"

struct kube_resource {
	enum kind kind;          /* KIND_COUNT: not a configuration kind (Events, Leases) */
	const char *group;       /* "" for the core group */
	const char *version;
	const char *plural;
	const char *kind_name;   /* "Service" */
	const char *api_version; /* "v1", "metallb.io/v1beta1" */
	bool namespaced;
};

/* The resource a configuration kind is read from (BGPPeer: metallb.io/v1beta2). */
const struct kube_resource *kube_resource_of(enum kind k);
extern const struct kube_resource kube_res_event;  /* core/v1 Events: what kubectl describe shows */
extern const struct kube_resource kube_res_lease;  /* coordination.k8s.io/v1 */
extern const struct kube_resource kube_res_crd;    /* apiextensions.k8s.io/v1 CustomResourceDefinitions */

/*
 * The path of a collection (name NULL) or of one object, with an optional
 * subresource ("status") and query ("limit=500"). ns NULL or "": every
 * namespace, or a cluster-scoped kind. False if it does not fit or a name
 * holds a character that has no place in a path.
 */
bool kube_path(char *buf, size_t len, const struct kube_resource *r, const char *ns, const char *name,
	       const char *sub, const char *query);

enum kube_api_state { KUBE_API_PRESENT, KUBE_API_ABSENT, KUBE_API_UNKNOWN };

/*
 * Whether GROUP/VERSION is served (GET /apis/GROUP): PRESENT, ABSENT (404, or
 * the group without that version), UNKNOWN (any other failure; try again later).
 */
struct kube_discovery;
struct kube_discovery *kube_discover(struct kube_http *h, const char *group, const char *version,
				     void (*cb)(void *arg, enum kube_api_state s), void *arg);
/* Before cb ran: cb will not run. */
void kube_discover_cancel(struct kube_discovery *d);

#endif
