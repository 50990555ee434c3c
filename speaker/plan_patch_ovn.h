/*
 * The Kube-OVN part of a patch (plan_patch.h): the counts of old's routes
 * with the changed Pods' old routes taken out and their new ones put in.
 */
#ifndef VIPCAST_SPEAKER_PLAN_PATCH_OVN_H
#define VIPCAST_SPEAKER_PLAN_PATCH_OVN_H

#include "plan_ovn.h"
#include "plan_patch.h"

/*
 * moved: the LoadBalancer Services that came, went or changed. *ovn, *novn:
 * the new counts (NULL when no BGPPeer takes the routes); flips: the
 * prefixes some Pod starts or stops giving (to plan again). False: cannot
 * patch (a ClusterIP Service for Kube-OVN changed, or the counts disagree
 * with the Pods).
 */
bool plan_patch_ovn(const struct plan *old, const struct plan_patch_in *in, const struct object *const *moved,
		    size_t nmoved, struct plan_ovn_prefix **ovn, size_t *novn, struct ovn_prefixes *flips);

#endif
