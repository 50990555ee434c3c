/*
 * Recording core/v1 Events on objects, the kind `kubectl describe` shows and
 * MetalLB's controller writes (IPAllocated, AllocationFailed, ...).
 *
 * The same type, reason and message on the same object is one Event whose
 * count goes up (a merge PATCH of count and lastTimestamp), not a new object
 * each time, as client-go's correlator does. At most one request per Event
 * is in flight; repeats meanwhile are added up and sent with the next one.
 * An Event the server no longer has (Events expire after an hour) is created
 * again. The recorder remembers the KUBE_EVENT_KEEP Events used last.
 *
 * Sending is paced as client-go's broadcaster and rate limiter pace it:
 * at most KUBE_EVENT_INFLIGHT requests at once, KUBE_EVENT_QPS a second
 * (bursts of KUBE_EVENT_BURST), and at most KUBE_EVENT_QUEUE Events waiting;
 * beyond that an Event is dropped, counted and logged (a speaker starting
 * with 10,000 Services to announce must not send 10,000 requests at once).
 */
#ifndef VIPCAST_KUBE_EVENT_H
#define VIPCAST_KUBE_EVENT_H

#include <stdbool.h>
#include <stdint.h>

#include "kube_http.h"

#define KUBE_EVENT_KEEP 1024
#define KUBE_EVENT_INFLIGHT 4
#define KUBE_EVENT_QPS 20
#define KUBE_EVENT_BURST 30
#define KUBE_EVENT_QUEUE 1000
#define KUBE_EVENT_MESSAGE_MAX 1024

/* The object an Event is about. uid and rv may be NULL; ns NULL for a cluster-scoped one. */
struct kube_ref {
	const char *api_version, *kind, *ns, *name, *uid, *rv;
};

struct kube_recorder_stats {
	uint64_t recorded, created, patched, failed;
	uint64_t dropped;  /* the queue was full */
	unsigned max_active;  /* the most requests ever in flight at once */
};

/* component: source.component and reportingComponent; instance (may be NULL): reportingInstance and source.host. */
struct kube_recorder *kube_recorder_new(struct kube_http *h, const char *component, const char *instance);
void kube_recorder_free(struct kube_recorder *r);

/* warning: type Warning, else Normal. */
void kube_record(struct kube_recorder *r, const struct kube_ref *ref, bool warning, const char *reason,
		 const char *fmt, ...) __attribute__((format(printf, 5, 6)));

void kube_recorder_get_stats(const struct kube_recorder *r, struct kube_recorder_stats *out);

#endif
