/*
 * The addresses the speaker announces for each Service it serves.
 *
 * As MetalLB's speaker does, it announces what a Service's status says: the
 * controller (or, in file mode, whoever wrote the status) owns allocation.
 * A Service with no address in its status yet gets one from the
 * controller's allocator, run over the whole configuration so it sees every
 * address already held; the allocator is deterministic, so every speaker
 * gives such a Service the same address.
 */
#ifndef VIPCAST_SPEAKER_SERVICES_H
#define VIPCAST_SPEAKER_SERVICES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct svc_addrs {
	const struct object *svc;
	struct ipaddr ips[2];
	uint8_t nips;  /* 48 bytes in all: a generation holds one per Service */
};

/*
 * Every LoadBalancer Service of the class served, with its addresses (nips
 * 0 when it has none and none could be allocated). allocate false: the
 * status only, as in Kubernetes mode, where the controller allocates.
 * *allocated counts those whose addresses came from the allocator. Free
 * *out with svc_addrs_free().
 */
size_t service_addresses(const struct config *c, const char *lb_class, bool allocate, struct svc_addrs **out,
			 size_t *allocated);
/* An array service_addresses() or generation_patch() made (lib/big_array.h: not free()). */
void svc_addrs_free(struct svc_addrs *v);

/* One Service's entry, from its status alone; false when it is not a LoadBalancer of the class served. */
bool svc_addrs_of(const struct object *o, const char *lb_class, struct svc_addrs *out);

#endif
