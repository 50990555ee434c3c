/*
 * The API resources vipcast reads and writes: where each lives
 * (/api/v1/namespaces/NS/services, /apis/metallb.io/v1beta1/...), which
 * configuration kind it decodes into, and discovery of an optional API group
 * (kubeovn.io exists only where Kube-OVN is installed: its absence is no error).
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

#define KUBE_PROBE_RETRY_S 10   /* after a failed discovery */
#define KUBE_PROBE_AGAIN_S 120  /* while the API is absent: it may be installed later */

/*
 * An optional API (kubeovn.io/v1) looked for at start and again while it is
 * not served: cb(arg, false) once, the first time it is known absent;
 * cb(arg, true) once it is served, and then it is no longer looked for.
 */
struct kube_api_probe;
struct kube_api_probe *kube_api_probe_new(struct kube_http *h, const char *group, const char *version,
					  void (*cb)(void *arg, bool served), void *arg);
void kube_api_probe_free(struct kube_api_probe *p);

#endif
