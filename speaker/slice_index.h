/*
 * EndpointSlices (their compact form, ready_slice.h) by the Service they
 * belong to (label kubernetes.io/service-name), for patching a plan: a Service's readiness
 * is read from its own slices, never from a walk over all of them.
 * The index holds pointers; the caller removes a slice before freeing it.
 */
#ifndef VIPCAST_SPEAKER_SLICE_INDEX_H
#define VIPCAST_SPEAKER_SLICE_INDEX_H

#include <stddef.h>

#include "ready_slice.h"

struct slice_index;

struct slice_index *slice_index_new(void);
void slice_index_free(struct slice_index *x);
/* A slice naming no Service is not indexed. */
void slice_index_add(struct slice_index *x, const struct ready_slice *slice);
void slice_index_remove(struct slice_index *x, const struct ready_slice *slice);
/* The slices of Service ns/service, valid until the next call. */
size_t slice_index_of(struct slice_index *x, const char *ns, const char *service,
		      const struct ready_slice *const **out);
size_t slice_index_count(const struct slice_index *x);

#endif
