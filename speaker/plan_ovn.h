/*
 * What this node announces for Kube-OVN, as kube-ovn-speaker (v1.16) does,
 * from the Subnets, Pods and Services of a configuration. Pure.
 *
 *  - a ready Subnet whose ovn.kubernetes.io/bgp is true/cluster: its CIDRs,
 *    from every node; local: no CIDR, its Pods inherit "local";
 *  - a Pod, not hostNetwork and not finished for good, for each attachment
 *    (<provider>.kubernetes.io/ip_address with .../logical_switch naming a
 *    ready Subnet): its addresses as /32 and /128 under the Pod's own policy,
 *    else its Subnet's; local: only from the node in spec.nodeName;
 *  - a Pod with its own policy and no attachment at all: status.podIPs
 *    (vipcast's addition: Kube-OVN v1.16 reads only the annotations);
 *  - with cluster IPs asked for, a Service of type ClusterIP whose
 *    ovn.kubernetes.io/bgp is true: every spec.clusterIPs.
 *
 * Which BGPPeers take them: those annotated vipcast.io/kube-ovn-routes:
 * "true" (kube-ovn-speaker's command line makes such peers, ovn_flags.h);
 * cluster IPs also need vipcast.io/kube-ovn-cluster-ips: "true".
 */
#ifndef VIPCAST_SPEAKER_PLAN_OVN_H
#define VIPCAST_SPEAKER_PLAN_OVN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bgp.h"
#include "config.h"
#include "ovn.h"

#define OVN_PEER_ROUTES OVN_PEER_ANNOTATION_PREFIX "routes"
#define OVN_PEER_CLUSTER_IPS OVN_PEER_ANNOTATION_PREFIX "cluster-ips"

struct ovn_routes {
	struct bgp_prefix *v;  /* Subnet and Pod routes first (nbase), then the cluster IPs not among them */
	size_t n, nbase;
};

/*
 * One prefix of those routes with how many objects give it: the counts let
 * a patch (plan_patch.h) take one Pod's routes out and put its new ones in
 * without looking at the other Pods.
 */
struct plan_ovn_prefix {
	struct bgp_prefix pfx;
	uint32_t base;         /* Subnets and Pods giving it */
	uint32_t cluster_ips;  /* ClusterIP Services giving it (counted only when a BGPPeer takes cluster IPs) */
};

struct ovn_prefixes {
	struct bgp_prefix *v;
	size_t n, cap;
};

/* What a BGPPeer takes of them. */
enum ovn_take { OVN_TAKE_NONE, OVN_TAKE_BASE, OVN_TAKE_ALL };

/* The routes for node; empty (no allocation) when no BGPPeer takes them. Free with ovn_routes_free. */
void plan_ovn_routes(const struct config *c, const char *node, struct ovn_routes *out);
/* The part of r that peer takes: a prefix of r->v, *n long (0: none). */
const struct bgp_prefix *plan_ovn_for_peer(const struct ovn_routes *r, const struct object *peer, size_t *n);
void ovn_routes_free(struct ovn_routes *r);

/* The routes for node with their counts, sorted, unique; *v NULL and *n 0 when no BGPPeer takes them. */
void plan_ovn_count(const struct config *c, const char *node, struct plan_ovn_prefix **v, size_t *n);
/* Appends one Pod's routes to l: one entry per count it gives (duplicates kept). */
void plan_ovn_pod_routes(const struct config *c, const struct object *pod, const char *node, struct ovn_prefixes *l);
enum ovn_take plan_ovn_peer_takes(const struct object *peer);
static inline bool plan_ovn_has(const struct plan_ovn_prefix *x, enum ovn_take t)
{
	return t != OVN_TAKE_NONE && (x->base || (t == OVN_TAKE_ALL && x->cluster_ips));
}
/*
 * *out: old (sorted, unique) with a count taken for each entry of minus and
 * one added for each of plus (both sorted here); flips gets the prefixes
 * whose base count went to or from 0. False (nothing allocated): minus takes
 * a count old does not have.
 */
bool plan_ovn_update(const struct plan_ovn_prefix *old, size_t nold, struct ovn_prefixes *minus,
		     struct ovn_prefixes *plus, struct plan_ovn_prefix **out, size_t *nout, struct ovn_prefixes *flips);
/* Some BGPPeer takes them: a plan then depends on Pods and Subnets too (no patch, plan_patch.h). */
bool plan_ovn_wanted(const struct config *c);
/* Some BGPPeer takes cluster IPs too: then the ClusterIP Services count. */
bool plan_ovn_wanted_cluster_ips(const struct config *c);
/* A Service plan_ovn_routes may announce: a ClusterIP one with the annotation (any value: a change matters). */
bool plan_ovn_cluster_ip(const struct object *svc);

#endif
