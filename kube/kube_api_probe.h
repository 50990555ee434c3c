/*
 * An optional API (kubeovn.io/v1, served where Kube-OVN is installed) looked
 * for without polling: one discovery at start (GET /apis/GROUP); while it is
 * absent, a watch on the CustomResourceDefinition that would bring it (by
 * name: fieldSelector metadata.name=CRD, which RBAC's resourceNames allows),
 * and a discovery again each time that CRD is added or changes. A CRD present
 * but not yet served (not Established, or discovery not updated yet) is
 * looked at again with backoff from KUBE_PROBE_SOON_MS.
 *
 * Polling is the fallback only: while the CRD watch has not listed once (RBAC
 * forbids reading CRDs, the server does not answer) the discovery runs every
 * KUBE_PROBE_AGAIN_S, and the watch retries no more often.
 */
#ifndef VIPCAST_KUBE_API_PROBE_H
#define VIPCAST_KUBE_API_PROBE_H

#include <stdbool.h>

#include "kube_http.h"

#define KUBE_PROBE_RETRY_S 10    /* after a failed discovery */
#define KUBE_PROBE_AGAIN_S 120   /* while absent and the CRD watch does not work */
#define KUBE_PROBE_SOON_MS 500   /* the CRD exists, the API is not served yet: first retry */

/*
 * Looks for GROUP/VERSION, whose CRD is named CRD ("subnets.kubeovn.io"):
 * cb(arg, false) once, the first time it is known absent; cb(arg, true) once
 * it is served, and then it is no longer looked for. cb may free the probe.
 */
struct kube_api_probe;
struct kube_api_probe *kube_api_probe_new(struct kube_http *h, const char *group, const char *version,
					  const char *crd, void (*cb)(void *arg, bool served), void *arg);
void kube_api_probe_free(struct kube_api_probe *p);

#endif
