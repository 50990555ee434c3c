/*
 * Patching a plan: when only some Services, their EndpointSlices or Pods
 * changed and nothing else did, the new plan is the old one with what those
 * objects touch planned afresh. The result equals plan_build() of the new
 * state (tests/unit/test_plan_patch.c checks it on random changes).
 *
 * A route or an L2 VIP depends on every Service holding its address and,
 * with Kube-OVN's routes (plan_ovn.h), on the Pods giving that address; a
 * Service's entry in bgp_svcs on that Service alone. So the addresses the
 * changed Services held before or hold now, and those a changed Pod's routes
 * start or stop being given by any Pod (I), are planned again from every
 * Service now holding one of them and the Kube-OVN counts kept in the plan;
 * the rest is copied, with the cost of copying (memcpy), not of planning.
 * No patch, plan afresh: with a route covering more than one address (an
 * aggregation length shorter than the address: it depends on Services
 * outside that set), or when a ClusterIP Service whose cluster IPs a BGPPeer
 * takes changed.
 */
#ifndef VIPCAST_SPEAKER_PLAN_PATCH_H
#define VIPCAST_SPEAKER_PLAN_PATCH_H

#include "plan.h"

struct plan_svc_key {
	const char *ns, *name;
	bool pod;  /* a Pod's key (Kube-OVN), not a Service's */
};

/* The EndpointSlices of one Service (kubernetes.io/service-name), as the caller indexes them. */
typedef size_t (*plan_slices_fn)(void *arg, const char *ns, const char *service,
				const struct ready_slice *const **out);

struct plan_patch_in {
	const struct config *old_c;  /* what old was planned under */
	const struct config *c;      /* the new state: old_c but for Services, EndpointSlices and Pods */
	const char *node;
	const struct svc_addrs *old_svcs, *svcs;  /* as old planned them; now (sorted as service_addresses() sorts) */
	size_t nold, nsvcs;
	/*
	 * Services whose EndpointSlices changed, ClusterIP Services for Kube-OVN
	 * that changed, and Pods that changed, came or went (.pod). A
	 * LoadBalancer Service whose object or addresses changed is found by itself.
	 */
	const struct plan_svc_key *changed;
	size_t nchanged;
	plan_slices_fn slices_of;
	void *arg;
};

/* The new plan reads memory of old: free old, never patch it again. NULL: cannot patch. */
struct plan *plan_patch(struct plan *old, const struct plan_patch_in *in);

/* Bytes of planning memory the plan holds, its own and that of the plans it was patched from. */
size_t plan_mem_bytes(const struct plan *p);

#endif
