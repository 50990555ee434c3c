/*
 * The configuration: every object currently known, by kind, kept sorted by
 * namespace and name so lookups are binary searches and every listing comes
 * out in the same order.
 *
 * Sources feed it object by object (the file loader adds whole directories;
 * an API watcher will put and take single objects), and config_validate()
 * then checks what spans objects. A configuration with any error is not used.
 */
#ifndef VIPCAST_CONFIG_CONFIG_H
#define VIPCAST_CONFIG_CONFIG_H

#include "diag.h"
#include "model.h"

/*
 * The objects of one kind: v in (namespace, name) order, and a hash index
 * for lookups. Adding appends to v and leaves it unsorted until
 * config_sort() (the loaders and config_validate() call it), so loading n
 * objects in any order costs O(n log n), not O(n^2).
 */
struct objects {
	struct object **v;
	size_t n, cap;
	bool unsorted;
	struct object **index;  /* open addressing, linear probing; NULL: empty */
	size_t index_cap;       /* a power of two, or 0 */
	bool borrowed;          /* config_borrow(): not counted, not freed, found by binary search */
};

/* EndpointSlices in the compact form announcing reads (ready_slice.h), in no order. */
struct ready_slices {
	struct ready_slice **v;
	size_t n, cap;
	bool borrowed;  /* config_ready_borrow(): not counted, not freed */
};

struct config {
	struct objects kinds[KIND_COUNT];
	struct ready_slices ready;  /* Kubernetes mode's speaker: its EndpointSlices, instead of objects */
	struct arena resolved;      /* cross-object results; rebuilt by config_validate() */
};

struct config *config_new(void);
void config_free(struct config *c);

/* Adds o unless one of the same kind, namespace and name exists: then returns that one and keeps nothing. */
struct object *config_add(struct config *c, struct object *o);
/* Adds or replaces; returns the replaced object for the caller to free. */
struct object *config_put(struct config *c, struct object *o);
/* Removes and returns the object, or NULL. */
struct object *config_take(struct config *c, enum kind k, const char *ns, const char *name);
struct object *config_find(const struct config *c, enum kind k, const char *ns, const char *name);

/*
 * Kind k of src, shared into dst (whose kind k must be empty): the same
 * objects, one more holder each. A snapshot for another thread: the objects
 * are read-only from then on, and config_free() of either drops its holds.
 */
void config_share(struct config *dst, const struct config *src, enum kind k);

/*
 * dst gets src's objects of kind k without counting them, and without the
 * hash index: a copy of pointers only. The caller keeps the objects alive
 * as long as dst; dst is read-only for that kind.
 */
void config_borrow(struct config *dst, const struct config *src, enum kind k);

/* r joins c (c takes the caller's hold). A record is in at most one configuration this way. */
void config_ready_add(struct config *c, struct ready_slice *r);
/* r leaves c; the hold c had is the caller's. False: c does not hold r. Both O(1). */
bool config_ready_remove(struct config *c, const struct ready_slice *r);
/* As config_share() and config_borrow(), for the ready slices. */
void config_ready_share(struct config *dst, const struct config *src);
void config_ready_borrow(struct config *dst, const struct config *src);

/* Puts every kind back in (namespace, name) order after config_add()s. */
void config_sort(struct config *c);

/* Cross-object checks and resolution (sorts first); false when any error was reported. */
bool config_validate(struct config *c, struct diags *d);

/*
 * The pools an advertisement applies to: those it names, those its selectors
 * match, or every pool of its namespace when it does neither. Returns the
 * count; out (may be NULL) receives up to max pools.
 */
/* The advertisement (L2 or BGP) applies to that pool. */
bool config_adv_covers_pool(const struct object *adv, const struct object *pool);
size_t config_adv_pools(const struct config *c, const struct object *adv, const struct object **out,
			size_t max);

#endif
