/*
 * The memberlist Secret the speakers authenticate their heartbeats with:
 * created by the controller when missing, as MetalLB's controller does (key
 * "secretkey": 128 random bits, base64 without padding, as the value).
 * Only the leader creates it; it never overwrites one that exists.
 */
#ifndef VIPCAST_CONTROLLER_MEMBERLIST_H
#define VIPCAST_CONTROLLER_MEMBERLIST_H

#include <stdbool.h>

#include "kube_http.h"

#define MEMBERLIST_KEY_NAME "secretkey"

struct memberlist;

struct memberlist *memberlist_new(struct kube_http *h, const char *ns, const char *name);
void memberlist_free(struct memberlist *m);
const char *memberlist_name(const struct memberlist *m);

/*
 * exists: what the synced cache of the namespace's Secrets says now. With
 * may_write (the leader), a missing Secret is created (retried with backoff
 * on failure); without, anything in flight is dropped.
 */
void memberlist_update(struct memberlist *m, bool exists, bool may_write);

/* The key value for a new Secret: 16 random bytes, base64 without padding (22 characters). */
bool memberlist_new_key(char out[32]);

#endif
