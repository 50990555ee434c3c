/*
 * Writing an object's status subresource with optimistic concurrency: the PUT
 * carries the resourceVersion the change was made on, and a 409 Conflict
 * (someone wrote in between) re-reads the object, applies the change again
 * and retries, at most KUBE_STATUS_MAX_ATTEMPTS writes in all.
 *
 * The change is a function, so it can be applied to whatever version the
 * re-read returns: mutate(obj) edits obj in place (status only: the status
 * subresource ignores the rest) and returns false when obj already says what
 * it should, in which case nothing is written.
 */
#ifndef VIPCAST_KUBE_STATUS_H
#define VIPCAST_KUBE_STATUS_H

#include <jansson.h>
#include <stdbool.h>

#include "kube_http.h"
#include "kube_resource.h"

#define KUBE_STATUS_MAX_ATTEMPTS 5

typedef bool (*kube_mutate_fn)(void *arg, json_t *obj);
/*
 * status: 200 written, 204 nothing to write, 409 still in conflict after the
 * last attempt, another HTTP status, or 0 (no response; message says why).
 * obj: the object as written (or as read, for 204), borrowed; NULL on failure.
 */
typedef void (*kube_status_fn)(void *arg, long status, const json_t *obj, unsigned writes, const char *message);

struct kube_status_write;

/*
 * current: the object as the caller last saw it (copied), or NULL to read it
 * first. With current, mutate runs at once, and when it has nothing to change
 * the call returns NULL and done never runs. Otherwise done runs once, later,
 * unless the write is cancelled before. NULL also when name is not a valid name.
 */
struct kube_status_write *kube_status_update(struct kube_http *h, const struct kube_resource *r, const char *ns,
					     const char *name, const json_t *current, kube_mutate_fn mutate,
					     kube_status_fn done, void *arg);
/* Before done ran: neither mutate nor done will run again. */
void kube_status_cancel(struct kube_status_write *w);

#endif
