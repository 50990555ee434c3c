/*
 * A generation: one configuration read, validated and planned for one node.
 * Building one touches nothing but its inputs, so it may run on any thread;
 * the speaker applies it on the event loop and keeps it while in force.
 */
#ifndef VIPCAST_SPEAKER_GENERATION_H
#define VIPCAST_SPEAKER_GENERATION_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "diag.h"
#include "plan.h"
#include "plan_patch.h"
#include "services.h"

struct generation {
	struct config *cfg;
	struct plan *plan;
	struct svc_addrs *svcs;  /* the Services served and their addresses, as planned (services.h) */
	size_t nsvcs;
	size_t allocated;   /* Services whose addresses came from the allocator */
	double seconds;     /* how long reading and planning took; set also when refused */
	bool fallback;      /* Kubernetes mode: the newest configuration objects were refused, the last valid ones used */
	bool patched;       /* made by generation_patch() */
	void *source;       /* what the source needs back with it (kspeaker.c); freed by source_free */
	void (*source_free)(void *source);
};

/*
 * Reads path and plans it for node. False when the configuration is
 * invalid (the reasons are in d, g is left empty).
 */
bool generation_build(struct generation *g, const char *path, const char *node, const char *lb_class,
		      struct diags *d);
/*
 * Validates cfg (taken: it becomes g->cfg, or is freed) and plans it for
 * node. allocate false: Services are announced with their status addresses
 * only. False when cfg is invalid (reasons in d).
 */
bool generation_plan(struct generation *g, struct config *cfg, const char *node, const char *lb_class, bool allocate,
		     struct diags *d);
/*
 * Kubernetes mode, when only Services, EndpointSlices and Pods changed: g
 * is in_force with the Services and EndpointSlices of live (borrowed: the
 * caller frees none that live drops while g is in force) and, when a Pod
 * is among changed (.pod), live's Pods (shared); what changed is planned
 * again (plan_patch.h), the rest copied. g takes memory
 * in_force reads: put g in force in its place at once. False (in_force
 * untouched): cannot patch, build afresh.
 */
bool generation_patch(struct generation *g, struct generation *in_force, const struct config *live, const char *node,
		      const char *lb_class, const struct plan_svc_key *changed, size_t nchanged, plan_slices_fn slices_of,
		      void *arg);
void generation_free(struct generation *g);

#endif
