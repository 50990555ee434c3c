/*
 * Patching a plan: when only some Services or their EndpointSlices changed
 * and nothing else did, the new plan is the old one with what those
 * Services touch planned afresh. The result equals plan_build() of the new
 * state (tests/unit/test_plan_patch.c checks it on random changes).
 *
 * A route or an L2 VIP depends on every Service holding its address; a
 * Service's entry in bgp_svcs on that Service alone. So the addresses the
 * changed Services held before or hold now (I) are planned again from
 * every Service now holding one of them, and the rest is copied, with the
 * cost of copying (memcpy), not of planning. A route covering more than one
 * address (an aggregation length shorter than the address) would depend on
 * Services outside that set, and Kube-OVN's routes (plan_ovn.h) on Pods and
 * Subnets: with either there is no patch, plan afresh.
 */
#ifndef VIPCAST_SPEAKER_PLAN_PATCH_H
#define VIPCAST_SPEAKER_PLAN_PATCH_H

#include "plan.h"

struct plan_svc_key {
	const char *ns, *name;
};

/* The EndpointSlices of one Service (kubernetes.io/service-name), as the caller indexes them. */
typedef size_t (*plan_slices_fn)(void *arg, const char *ns, const char *service,
				const struct ready_slice *const **out);

/*
 * old was planned for old_svcs; svcs (sorted as service_addresses() sorts)
 * is the new state under the same configuration c but for Services and
 * EndpointSlices. changed: Services whose EndpointSlices changed (a Service
 * whose object or addresses changed is found by itself). The new plan reads
 * memory of old: free old, never patch it again. NULL: cannot patch.
 */
struct plan *plan_patch(struct plan *old, const struct config *c, const char *node, const struct svc_addrs *old_svcs,
			size_t nold, const struct svc_addrs *svcs, size_t nsvcs, const struct plan_svc_key *changed,
			size_t nchanged, plan_slices_fn slices_of, void *arg);

/* Bytes of planning memory the plan holds, its own and that of the plans it was patched from. */
size_t plan_mem_bytes(const struct plan *p);

#endif
