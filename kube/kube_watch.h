/*
 * A reflector: one resource's objects kept in step with the API server, and
 * every change handed to a consumer as ADDED, MODIFIED or DELETED.
 *
 * It LISTs in pages (limit/continue; a page that fails is asked for again
 * with its continue token, the first one starts the list over), then WATCHes from the list's
 * resourceVersion with bookmarks, and keeps the last resourceVersion it has
 * seen (events and bookmarks) so that a dropped watch resumes where it was.
 * Each watch asks the server to end it after a random 5-10 minutes
 * (timeoutSeconds), so watches renew and spread out; one silent for idle_s is
 * dropped and resumed. When the server says the version is gone (410, or an
 * ERROR event with code 410), or an event cannot be read (larger than
 * max_event, or not JSON), it lists again and diffs the list against its
 * cache by uid and resourceVersion: unchanged objects cause no event, so a
 * relist never shows the consumer a spurious delete and add. Failures back
 * off exponentially with jitter (kube_backoff.h), never sooner than a
 * Retry-After.
 *
 * Objects are decoded by config/object.c from the API's JSON (doc.h's
 * doc_from_jansson): one code path for files and the API. The cache keeps,
 * per object, its uid, resourceVersion, namespace and name (not those with
 * forget_names) and the consumer's pointer, never the JSON nor the decoded
 * object. A consumer gets the decoded object (NULL with the decoder's
 * diagnostics when it does not decode) and the raw JSON, both borrowed for the
 * callback; kube_item_take() moves the decoded object to the consumer, else
 * it is freed when the callback returns. A resource that is no configuration kind (kind KIND_COUNT: a
 * CustomResourceDefinition) is not decoded: obj is NULL, raw says it all.
 */
#ifndef VIPCAST_KUBE_WATCH_H
#define VIPCAST_KUBE_WATCH_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kube_http.h"
#include "kube_resource.h"
#include "model.h"

enum kube_event_type { KUBE_ADDED, KUBE_MODIFIED, KUBE_DELETED };

struct kube_item {
	/* ns NULL for cluster-scoped kinds; both NULL for a delete a relist found in a watch with forget_names */
	const char *uid, *rv, *ns, *name;
	const struct object *obj;   /* NULL: did not decode (diags says why), or a delete */
	const json_t *raw;          /* the API's object; NULL for a delete a relist found */
	const struct diags *diags;  /* the decoder's errors and warnings; NULL for a delete */
	void *user;                 /* what the consumer set for this object (kube_item_set_user), or NULL */
	void *entry;                /* private */
};

struct kube_watch_cbs {
	void (*event)(void *arg, enum kube_event_type t, const struct kube_item *it);
	void (*synced)(void *arg);  /* once, after the first complete list */
	void *arg;
	/* Optional: the watch owns what kube_item_set_user() sets, and frees it with this when replaced or dropped. */
	void (*user_free)(void *user);
};

struct kube_watch_opts {
	unsigned page_limit;  /* objects per LIST page; default 500 */
	unsigned timeout_s;   /* watch timeoutSeconds, uniform in [t, 2t); default 300 */
	unsigned idle_s;      /* a watch with no byte for this long is resumed; default 150 */
	size_t max_event;     /* longest watch event; default 4 MiB */
	uint32_t backoff_initial_ms, backoff_max_ms;  /* default 500 ms and 30 s */
	const char *label_selector;  /* optional */
	const char *field_selector;  /* optional: "metadata.name=memberlist" where RBAC grants one name */
	bool lean;                   /* decode lean (object_read_lean): only what announcing reads, see object.h */
	/*
	 * The cache keeps no namespace and name (a watch of 100k objects whose
	 * consumer keeps them anyway): events name the object from the API's
	 * JSON, and a delete a relist finds names it only by its user pointer.
	 */
	bool forget_names;
};

struct kube_watch_stats {
	uint64_t lists;     /* complete lists */
	uint64_t pages;
	uint64_t watches;   /* watch requests */
	uint64_t relists;   /* lists after the first */
	uint64_t events;    /* delivered to the consumer */
	uint64_t bookmarks;
	uint64_t gone;      /* 410s */
	uint64_t failures;  /* requests or streams that failed */
	uint64_t refused;   /* events refused: too large or unreadable */
};

/*
 * Starts at once. ns NULL: every namespace (or a cluster-scoped kind). opts
 * may be NULL. The callbacks must not free this watch.
 */
struct kube_watch *kube_watch_new(struct kube_http *h, const struct kube_resource *r, const char *ns,
				  const struct kube_watch_opts *opts, const struct kube_watch_cbs *cbs);
void kube_watch_free(struct kube_watch *w);

bool kube_watch_synced(const struct kube_watch *w);
/*
 * mono_ms() of the first failed request since the server last answered
 * (a list page, a watch opened), or 0: the cache may be stale
 * from then on. A stalled server shows only once idle_s has passed.
 */
uint64_t kube_watch_stale_since(const struct kube_watch *w);
/* The resourceVersion everything has been seen up to, or NULL before the first list. */
const char *kube_watch_rv(const struct kube_watch *w);
size_t kube_watch_count(const struct kube_watch *w);
void kube_watch_get_stats(const struct kube_watch *w, struct kube_watch_stats *out);

/*
 * During the event callback: the decoded object becomes the caller's (free it
 * with object_free). NULL if none.
 */
struct object *kube_item_take(const struct kube_item *it);
/*
 * During the event callback: the consumer's own pointer for this object,
 * given back in its later events (e.g. the compact form it keeps instead of
 * the object). The watch frees it only with cbs.user_free, when it is
 * replaced or after the object's delete was delivered.
 */
void kube_item_set_user(const struct kube_item *it, void *user);

#endif
