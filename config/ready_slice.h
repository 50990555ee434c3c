/*
 * What announcing reads of an EndpointSlice: its namespace, the Service it
 * belongs to, and the node of each ready endpoint. The Kubernetes-mode
 * speaker keeps this instead of the decoded object (about 70 bytes for a
 * slice of one endpoint, against 300). Immutable once made; shared between
 * the event loop and a build off it; freed by its last holder.
 *
 * A configuration holds them beside its objects (config.h, struct
 * config.ready); a plan reads both them and EndpointSlice objects (file mode).
 */
#ifndef VIPCAST_CONFIG_READY_SLICE_H
#define VIPCAST_CONFIG_READY_SLICE_H

#include <stdatomic.h>
#include <stdint.h>

#include "model.h"

struct ready_slice {
	atomic_uint refs;
	uint32_t n;            /* ready endpoints */
	size_t at;             /* its place in the configuration that added it (config_ready_add): the one
				* field that changes, only on the thread that owns that configuration */
	const char *ns;
	const char *service;   /* label kubernetes.io/service-name; NULL: none */
	const char *nodes[];   /* n of them: each ready endpoint's node, NULL where it names none; the strings follow */
};

/* From a decoded EndpointSlice. */
struct ready_slice *ready_slice_new(const struct object *eps);
struct ready_slice *ready_slice_ref(struct ready_slice *r);
/* Drops one holder; the last frees it. Safe from any thread. */
void ready_slice_free(struct ready_slice *r);

#endif
