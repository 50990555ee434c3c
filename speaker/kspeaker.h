/*
 * The speaker's Kubernetes source: the objects the plan needs, watched on the
 * API server, handed to the speaker as generations (speaker_apply()), the
 * same plan, BGP and L2 code as file mode.
 *
 * Watched: Services, EndpointSlices, Nodes, Namespaces, and Kube-OVN Subnets
 * and Pods (not finished) when that API is served, cluster-wide; the metallb.io kinds and the Secrets
 * (BGP passwords, the memberlist key) of the speaker's namespace. Nothing is
 * allocated here: a Service is announced with the addresses of its status,
 * which the controller writes, as MetalLB's speaker does.
 *
 * Changes are coalesced for a short bounded delay (the first change of a
 * burst starts it, later ones do not extend it), then a snapshot goes to the
 * reload thread: the cluster-wide objects are shared with it (read-only,
 * counted), the configuration objects travel as JSON and are decoded there.
 * Planning, validation included, never runs on the event loop. A
 * configuration the newest objects make invalid is refused, logged once per
 * distinct reason, and the last valid configuration objects stay in force
 * while Services and endpoints go on being followed.
 *
 * An API outage (unreachable, stalled, restarted, 410) changes nothing that
 * is announced: the caches keep what they had, a relist shows only real
 * differences. /readyz says when the caches are stale and since when.
 */
#ifndef VIPCAST_SPEAKER_KSPEAKER_H
#define VIPCAST_SPEAKER_KSPEAKER_H

#include <event2/event.h>
#include <stdbool.h>
#include <stdint.h>

#include "speaker.h"

#define KSPEAKER_DEFAULT_NAMESPACE "metallb-system"
#define KSPEAKER_DEFAULT_HEALTH ":7472"  /* MetalLB's speaker monitoring port */
#define KSPEAKER_DEFAULT_COALESCE_MS 20

struct kspeaker_opts {
	const char *kubeconfig, *context;  /* kubeconfig NULL: in-cluster */
	const char *ns;                    /* NULL: $POD_NAMESPACE, the service account's, else metallb-system */
	const char *pod_name;              /* owner of the status objects; NULL: $POD_NAME */
	const char *health_listen;         /* /healthz and /readyz; NULL or "": none */
	uint32_t coalesce_ms;              /* 0: the default */
};

struct kspeaker;

/* Connects and starts the watches; NULL (logged) when the API server cannot be configured. */
struct kspeaker *kspeaker_new(struct event_base *base, struct speaker *sp, const struct speaker_options *so,
			      const struct kspeaker_opts *o);
/* SIGTERM: no more generations; /readyz answers "stopping". */
void kspeaker_stop(struct kspeaker *k);
void kspeaker_free(struct kspeaker *k);

#endif
