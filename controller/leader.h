/*
 * Leader election over a coordination.k8s.io/v1 Lease, as client-go's
 * leaderelection package does it, so that of several controller replicas
 * exactly one writes.
 *
 * Every retry period a follower reads the Lease. It takes the Lease when
 * there is none, when it is released (no holder), or when the record has not
 * changed for leaseDurationSeconds as measured on this host's monotonic clock
 * since it was first seen (clocks of other hosts are never compared). The
 * leader renews every retry period; if no renewal succeeded within the renew
 * deadline (shorter than the lease) it steps down on its own, so it stops
 * writing before any follower may take over. Every write carries the
 * resourceVersion it was read at: of two replicas racing, one gets 409.
 */
#ifndef VIPCAST_CONTROLLER_LEADER_H
#define VIPCAST_CONTROLLER_LEADER_H

#include <stdbool.h>
#include <stdint.h>

#include "kube_http.h"

struct leader_opts {
	const char *ns, *name, *identity;
	uint32_t lease_ms, renew_ms, retry_ms;  /* defaults 15 s, 10 s, 2 s */
};

/* Called on every change: leading true when this process became the leader, false when it stopped. */
typedef void (*leader_fn)(void *arg, bool leading);

struct leader *leader_new(struct kube_http *h, const struct leader_opts *o, leader_fn fn, void *arg);
void leader_free(struct leader *l);
bool leader_leading(const struct leader *l);

/*
 * Steps down and, if this process held the Lease, writes it back without a
 * holder so a follower takes over at once. done runs once, when that write
 * ended or at once when there was nothing to write.
 */
void leader_release(struct leader *l, void (*done)(void *arg), void *arg);

#endif
