/*
 * What this node announces, written to the API server as MetalLB's speaker
 * writes it (Kubernetes mode only):
 *  - a ServiceL2Status for each Service whose L2 VIP this node answers for,
 *    with the interfaces it answers on;
 *  - a ServiceBGPStatus for each Service this node announces over BGP, with
 *    the BGPPeers it is announced to;
 * both in the speaker's namespace, generateName "l2-" / "bgp-", labels
 * metallb.io/node, metallb.io/service-name, metallb.io/service-namespace,
 * owned by the speaker's Pod when it exists, deleted when no longer true;
 * and an Event "nodeAssigned" on the Service ("announcing from node X with
 * protocol Y") when this node starts announcing it with a protocol, never on
 * a reconcile that changes nothing (MetalLB #3135).
 *
 * The caller hands the whole desired set; only differences are written,
 * bursts coalesce, failures are retried with backoff. Objects of this node
 * left by an earlier run are adopted (and given this Pod as owner) or deleted
 * at start; nothing is written before the first kstatus_set(). The objects
 * are not watched: one deleted by someone else is made again at the Service's
 * next change. A new process records nodeAssigned again for what it announces,
 * as MetalLB's speaker does after a restart.
 */
#ifndef VIPCAST_SPEAKER_KSTATUS_H
#define VIPCAST_SPEAKER_KSTATUS_H

#include <event2/event.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kube_event.h"
#include "kube_http.h"

struct kstatus_svc {
	const char *ns, *name, *uid;     /* the Service; uid may be NULL */
	bool l2;                         /* this node answers for its VIP(s) in L2 */
	const char *const *l2_ifaces;    /* where (sorted); may be empty */
	size_t nl2_ifaces;
	const char *const *bgp_peers;    /* BGPPeer names it is announced to (sorted); none: not over BGP */
	size_t nbgp_peers;
};

struct kstatus_opts {
	const char *ns;        /* the speaker's namespace */
	const char *node;      /* this node */
	const char *pod_name;  /* owner of the objects; NULL: none */
};

struct kstatus_stats {
	uint64_t created, updated, deleted, failed, events;
	uint64_t pending;  /* objects with a write waiting or in flight (a queued one may turn out to need none) */
};

struct kstatus *kstatus_new(struct event_base *base, struct kube_http *h, struct kube_recorder *rec,
			    const struct kstatus_opts *o);
/* The whole desired set, sorted by (ns, name), unique. Copied; may be called as often as wished. */
void kstatus_set(struct kstatus *k, const struct kstatus_svc *v, size_t n);
/* The same, one Service at a time (no array of 100k): begin, add each, end. */
void kstatus_set_begin(struct kstatus *k);
void kstatus_set_add(struct kstatus *k, const struct kstatus_svc *sv);
void kstatus_set_end(struct kstatus *k);
/* Only these Services' entries; one with neither l2 nor bgp_peers is no longer announced. */
void kstatus_update(struct kstatus *k, const struct kstatus_svc *v, size_t n);
void kstatus_get_stats(const struct kstatus *k, struct kstatus_stats *out);
void kstatus_free(struct kstatus *k);

#endif
