/*
 * The plan: what this node should make reachable, computed from one
 * validated configuration and the Services' addresses. Pure: the BGP
 * sessions and the L2 responder compare plans and act on the difference.
 *
 * BGP part: per BGPPeer that selects this node, the routes to announce,
 * sorted by prefix, each with an interned attribute set. L2 part: per VIP,
 * the nodes that may own it (every speaker computes the same list) and the
 * interfaces this node would answer on.
 *
 * Rules (MetalLB's, with the additions):
 *  - a Service is announced only when it has a ready endpoint somewhere;
 *    with externalTrafficPolicy: Local, only from nodes holding one;
 *  - a node labelled node.kubernetes.io/exclude-from-external-load-balancers,
 *    or with the NetworkUnavailable condition, announces nothing;
 *  - a BGPAdvertisement applies to an address of one of its pools for the
 *    Services its serviceSelectors select (none: all), on the nodes its
 *    nodeSelectors select, towards the peers it names (none: all);
 *    the route is the address masked to aggregationLength(V6);
 *  - an L2Advertisement applies to an address of one of its pools for the
 *    Services its serviceSelectors select, on the nodes its nodeSelectors select.
 */
#ifndef VIPCAST_SPEAKER_PLAN_H
#define VIPCAST_SPEAKER_PLAN_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "bgp.h"
#include "config.h"
#include "link_bw.h"
#include "ready_slice.h"
#include "services.h"

#define LABEL_EXCLUDE_LB "node.kubernetes.io/exclude-from-external-load-balancers"

/* The BGP attributes a route carries; interned: equal sets share one index. */
struct plan_attrs {
	bool has_local_pref;
	uint32_t local_pref;
	uint32_t *communities;  /* sorted, unique */
	size_t ncommunities;
	uint32_t (*large)[3];   /* sorted, unique */
	size_t nlarge;
	/*
	 * Link bandwidth (draft-ietf-idr-link-bandwidth): the ready endpoints of
	 * the route's ETP Local Service on this node, sent as that many times
	 * PLAN_LINK_BW_UNIT bytes per second; 0: no link bandwidth community.
	 */
	uint32_t link_bw_eps;
};

#define PLAN_LINK_BW_UNIT 125000.0f  /* bytes per second per ready endpoint: 1 Mbit/s */

struct plan_route {
	struct bgp_prefix pfx;
	uint32_t attrs;  /* index into plan.attrs */
};

struct plan_peer {
	const struct object *peer;  /* a BGPPeer selecting this node */
	struct plan_route *routes;  /* sorted by prefix (bgp_prefix_cmp), unique */
	size_t nroutes;
};

/* A Service this node announces over BGP, and to which of plan.peers. */
struct plan_bgp_svc {
	const struct object *svc;
	uint32_t *peers;  /* indices into plan.peers, ascending */
	size_t npeers;
};

struct plan_node_weight {
	const char *node;
	int64_t weight;  /* sum of the preferredNodeSelectors weights that match it */
};

struct plan_l2_vip {
	struct ipaddr ip;
	const char **services;  /* "ns/name" of each Service holding it, sorted */
	size_t nservices;
	struct plan_node_weight *nodes;  /* eligible nodes, sorted by name */
	size_t nnodes;
	bool here;               /* this node is among them */
	const char **interfaces; /* where this node answers; NULL with ninterfaces 0: every suitable one */
	size_t ninterfaces;
};

struct plan_ovn_prefix;

/* Memory a patched plan (plan_patch.h) still reads from the plans it was made from. */
struct plan_mem {
	atomic_uint refs;
	struct arena arena;
};

void plan_mem_release(struct plan_mem *m);

struct plan {
	struct arena arena;
	struct plan_mem **mem;  /* held by a patched plan; size_t nmem */
	size_t nmem;
	const char *node;
	bool node_found;
	const char *node_silent;  /* why this node announces nothing (excluded, NetworkUnavailable), or NULL */
	struct plan_peer *peers;
	size_t npeers;
	struct plan_attrs *attrs;
	size_t nattrs;
	struct plan_bgp_svc *bgp_svcs;  /* in (namespace, name) order */
	size_t nbgp_svcs;
	struct plan_l2_vip *l2;  /* sorted by ip */
	size_t nl2;
	size_t services_announced, services_without_endpoints;
	bool *svc_ready;  /* per Service planned (svcs[i]): it has an address and a ready endpoint */
	size_t nsvcs;
	struct plan_ovn_prefix *ovn;  /* Kube-OVN's routes for this node, counted (plan_ovn.h); NULL: no BGPPeer takes them */
	size_t novn;
};

/* svcs: the Services' addresses (service_addresses()). */
struct plan *plan_build(const struct config *c, const char *node, const struct svc_addrs *svcs, size_t nsvcs);
/*
 * The same, with the EndpointSlices given rather than the configuration's,
 * and without Kube-OVN's routes (a patch plans a few Services and keeps those).
 */
struct plan *plan_build_with(const struct config *c, const char *node, const struct svc_addrs *svcs, size_t nsvcs,
			     const struct ready_slice *const *slices, size_t nslices);
void plan_free(struct plan *p);

bool plan_attrs_eq(const struct plan_attrs *a, const struct plan_attrs *b);
/* The plan's peer entry for a BGPPeer of that namespace/name, or NULL. */
const struct plan_peer *plan_find_peer(const struct plan *p, const char *ns, const char *name);


/* The rules the plan applies, shared with its explainer (plan_why.h). */
/* Why a node announces nothing (excluded, NetworkUnavailable), or NULL when it may. */
const char *plan_node_silent(const struct object *node);
/* The first IPAddressPool holding ip, or NULL. */
const struct object *plan_pool_of(const struct config *c, const struct ipaddr *ip);
/* The route a BGPAdvertisement gives ip: masked to its aggregation length. */
struct bgp_prefix plan_route_prefix(const struct ipaddr *ip, const struct bgp_adv *ad);
/* The BGPAdvertisement applies towards this BGPPeer (it names it, or names none). */
bool plan_adv_names_peer(const struct object *adv, const struct object *peer);

#endif
