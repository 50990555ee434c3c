/*
 * The IP allocator: which Service holds which VIPs, by MetalLB's rules.
 *
 * State is kept per held address and per Service, never per pool address:
 * each pool entry's free addresses are a free_set (intervals), held
 * addresses and Services are AVL trees, so memory follows the number of
 * allocations and pool entries, and every operation is O(log n) in them
 * (times the number of pools tried, for an automatic allocation).
 *
 * The allocator borrows the objects of the configuration last given to
 * alloc_set_config(); call it again, before anything else, whenever that
 * configuration changes.
 */
#ifndef VIPCAST_CONTROLLER_ALLOC_H
#define VIPCAST_CONTROLLER_ALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "service_request.h"

struct alloc;

struct alloc_result {
	bool ok;
	bool changed;            /* the Service's addresses differ from before the call */
	struct ipaddr ips[2];
	size_t nips;
	const char *pool;        /* pool name, valid until the next alloc_set_config() */
	char message[384];       /* why it failed, or what happened ("kept", "allocated", "moved: ...") */
	char cleared[320];       /* why the addresses held before were dropped; "" when they were not */
};

/* One pool's addresses, as MetalLB's IPAddressPool status counts them (INT64_MAX: too many to count). */
struct alloc_pool_usage {
	int64_t assigned[2];   /* IPv4, IPv6: distinct held addresses */
	int64_t available[2];  /* usable addresses (avoidBuggyIPs honoured) not held */
};

struct alloc *alloc_new(void);
void alloc_free(struct alloc *a);
/* The loadBalancerClass served (NULL: Services with none), for the checks alloc_set_config() makes. */
void alloc_set_lb_class(struct alloc *a, const char *lb_class);

/*
 * Installs the pools (and Namespaces, Subnets) of c, then checks every
 * holding against it: a Service whose addresses no pool hands out any more,
 * or whose Service object in c no longer may hold them (its pool stopped
 * admitting it, its annotated pool was renamed, ...), loses them, and lost()
 * hears of it so it can be served again. Holdings of Services absent from c
 * are checked only against the pools.
 */
void alloc_set_config(struct alloc *a, const struct config *c,
		      void (*lost)(const char *ns, const char *name, const char *why, void *arg), void *arg);

/*
 * Re-claims the addresses a Service's status lists (a restarted controller),
 * if they are still valid for it and not held by someone it may not share
 * with. False when they are not; the Service then holds nothing.
 */
bool alloc_reclaim(struct alloc *a, const struct object *svc, const struct svc_request *r,
		   const struct ipaddr *ips, size_t n, struct alloc_result *res);

/*
 * Makes the Service hold what it should: its current addresses while they
 * stay valid, else the requested ones, else the lowest free (or legally
 * shared) ones of the first pool that admits it. A Service that is not ours
 * or whose request is unservable releases what it held.
 */
bool alloc_assign(struct alloc *a, const struct object *svc, const struct svc_request *r,
		  struct alloc_result *res);

void alloc_release(struct alloc *a, const char *ns, const char *name);

/* Current holdings of a Service; 0 when none. */
size_t alloc_service_ips(const struct alloc *a, const char *ns, const char *name, struct ipaddr *ips,
			 const char **pool);

/*
 * Calls fn for every pool of the configuration in force, with its usage; the
 * pool object is the configuration's.
 */
void alloc_pool_usage(const struct alloc *a,
		      void (*fn)(const struct object *pool, const struct alloc_pool_usage *u, void *arg), void *arg);

/* For tests and status: number of held addresses and of Services holding any. */
size_t alloc_held_addresses(const struct alloc *a);
size_t alloc_services(const struct alloc *a);

/*
 * For invariant checks: calls fn for every held address with its pool and
 * the Services holding it ("ns/name").
 */
void alloc_walk(const struct alloc *a,
		void (*fn)(const struct ipaddr *ip, const char *pool, const char *const *holders, size_t n,
			   void *arg),
		void *arg);

#endif
