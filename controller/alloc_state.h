/*
 * The allocator's internal state, shared by alloc.c (the rules) and
 * alloc_hold.c (holding and releasing addresses). Not for other users.
 */
#ifndef VIPCAST_CONTROLLER_ALLOC_STATE_H
#define VIPCAST_CONTROLLER_ALLOC_STATE_H

#include "alloc.h"
#include "avl.h"
#include "free_set.h"

#define NO_POOL ((size_t)-1)

struct pool_state {
	const struct object *obj;
	struct free_set *sets;  /* one per spec.addresses entry, in the order written */
	size_t nsets;
	bool pinned;            /* has a serviceAllocation */
	char unusable[320];     /* why an underlay pool cannot serve; empty when it can */
	size_t rank;            /* place in the automatic order */
	size_t open_sets[2];    /* entries with a free address, IPv4 and IPv6 */
	struct avl_node open[2];/* in alloc.open[f] while open_sets[f] > 0 (unpinned autoAssign pools) */
};

/* Where an address lives: the entries of all pools, sorted, for lookups. */
struct entry_ref {
	struct iprange r;
	size_t pool, set;
};

struct svc_state;

/* An address held by one Service, or shared by several. */
struct ip_use {
	struct avl_node by_ip, by_share;
	struct ipaddr ip;
	size_t pool, set;        /* NO_POOL once no pool holds it */
	char *sharing, *backend; /* the holders' keys; all holders agree */
	struct svc_state **holders;  /* inline_holders until a third holder comes */
	size_t nholders, cap;
	struct svc_state *inline_holders[2];
};

struct port_key {
	uint8_t proto;
	uint16_t port;
};

struct svc_state {
	struct avl_node by_key;
	const char *ns, *name, *id;  /* id: "ns/name"; all three in names[] */
	struct ip_use *uses[2];
	size_t nips;
	struct port_key *ports;      /* inline_ports for up to four ports */
	size_t nports;
	struct port_key inline_ports[4];
	char *sharing, *backend;
	char names[];
};

struct alloc {
	const struct config *cfg;
	struct pool_state *pools;
	size_t npools;
	struct entry_ref *entries;
	size_t nentries;
	size_t *auto_order;      /* pinned pools by priority, then the others, by name */
	size_t nauto, npinned;   /* the first npinned of auto_order are pinned */
	struct avl_tree open[2]; /* unpinned autoAssign pools with a free IPv4 / IPv6 address, by rank */
	char *lb_class;          /* the loadBalancerClass served, or NULL */
	struct avl_tree ips;     /* ip_use by address */
	struct avl_tree shared;  /* ip_use with a sharing key, by (key, address) */
	struct avl_tree svcs;    /* svc_state by namespace/name */
};

/* alloc.c: whether st's current addresses still satisfy every rule for svc's request r. */
bool holding_valid(const struct alloc *a, const struct object *svc, const struct svc_request *r,
		   const struct svc_state *st, char *why, size_t len);

static inline int family_index(uint8_t family)
{
	return family == IPF_V4 ? 0 : 1;
}

/* alloc_hold.c */
void alloc_trees_init(struct alloc *a);
/* The first unpinned autoAssign pool, in order, with a free address of the family; NO_POOL if none. */
size_t first_open_pool(const struct alloc *a, uint8_t family);
/* Recounts a pool's open entries and its membership of the open trees. */
void pool_open_refresh(struct alloc *a, size_t pool);
struct svc_state *svc_find(const struct alloc *a, const char *ns, const char *name);
struct svc_state *svc_get(struct alloc *a, const char *ns, const char *name);
void svc_drop(struct alloc *a, struct svc_state *st);
void svc_set_keys(struct alloc *a, struct svc_state *st, const struct svc_request *r);
struct ip_use *use_find(const struct alloc *a, const struct ipaddr *ip);
const struct entry_ref *entry_for(const struct alloc *a, const struct ipaddr *ip);
/* The first holder other than self, or NULL. */
const struct svc_state *other_holder(const struct ip_use *u, const struct svc_state *self);
void hold(struct alloc *a, struct svc_state *st, const struct ipaddr *ips, size_t n);
void release(struct alloc *a, struct svc_state *st);
/* After svc_set_keys(): addresses st holds alone take its new keys. */
void refresh_keys(struct alloc *a, struct svc_state *st);
/* First shared address with this key in [lo, hi], at or after from. */
struct ip_use *shared_first(const struct alloc *a, const char *key, const struct ipaddr *from);
struct ip_use *shared_next(const struct ip_use *u);

#endif
