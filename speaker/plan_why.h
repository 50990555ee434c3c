/*
 * Why this node does or does not make one VIP reachable: the plan's rules
 * (plan.h) walked for a single address, in the order the plan applies them,
 * each failed rule a reason that names the object at fault. Pure, like the
 * plan: the control socket adds what only the running daemon knows (session
 * states, the L2 owner election) with plan_why_add().
 */
#ifndef VIPCAST_SPEAKER_PLAN_WHY_H
#define VIPCAST_SPEAKER_PLAN_WHY_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "services.h"

enum why_code {
	WHY_NO_SERVICE,            /* no Service holds the address */
	WHY_SERVICE_NOT_SERVED,    /* a Service holds it, but its type or loadBalancerClass is not served here */
	WHY_NO_POOL,               /* the address is in no IPAddressPool */
	WHY_NODE_UNKNOWN,          /* no Node object of this name */
	WHY_NODE_EXCLUDED,         /* exclude-from-external-load-balancers, NetworkUnavailable */
	WHY_NO_READY_ENDPOINT,     /* no ready endpoint anywhere */
	WHY_NO_LOCAL_ENDPOINT,     /* externalTrafficPolicy Local and no ready endpoint on this node */
	WHY_NO_ADVERTISEMENT,      /* no BGPAdvertisement nor L2Advertisement selects the pool */
	WHY_ADV_NODE_SELECTORS,    /* advertisements select the pool, but their nodeSelectors not this node */
	WHY_ADV_SERVICE_SELECTORS, /* advertisements select the pool, but their serviceSelectors not the Service */
	WHY_NO_PEER,               /* no BGPPeer selects this node */
	WHY_PEERS_NOT_NAMED,       /* the advertisements name only BGPPeers that do not select this node */
	WHY_ANNOUNCED,             /* BGP: announced to these peers as this prefix */
	WHY_L2_ELIGIBLE,           /* L2: this node is among the nodes that may own it */
	/* Known to the running daemon only (plan_why_add). */
	WHY_SESSION_DOWN,          /* a peer it is announced to is not Established */
	WHY_L2_OWNER,              /* this node answers for it */
	WHY_L2_NOT_OWNER,          /* another node owns it */
	WHY_L2_OFF,                /* L2 is not running on this node */
	WHY_NCODES
};

#define WHY_MAX 16
#define WHY_TEXT 400

struct why_reason {
	enum why_code code;
	const char *mode;  /* "bgp", "l2", or NULL: both */
	char text[WHY_TEXT];
};

struct plan_why {
	bool bgp;  /* the plan announces it over BGP from this node */
	bool l2;   /* this node is eligible to answer for it */
	struct why_reason v[WHY_MAX];
	size_t n;
	/* For plan_why_add: the BGPPeers ("ns/name") it is announced to, and the L2 eligible nodes. */
	const struct object *peers[WHY_MAX];
	size_t npeers;
};

void plan_why(const struct config *c, const char *node, const struct svc_addrs *svcs, size_t nsvcs,
	      const struct ipaddr *vip, struct plan_why *out);
/* Only whether the plan announces vip over BGP from node (the L2 part, which walks every node, skipped). */
bool plan_why_bgp(const struct config *c, const char *node, const struct svc_addrs *svcs, size_t nsvcs,
		  const struct ipaddr *vip);
/* Appends a reason (dropped when full). */
void plan_why_add(struct plan_why *w, enum why_code code, const char *mode, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* "no-ready-endpoint", ... */
const char *why_code_name(enum why_code c);

#endif
