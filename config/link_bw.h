/*
 * vipcast's opt-in to BGP link bandwidth on a BGPAdvertisement (README,
 * "Link bandwidth"): annotated vipcast.io/link-bandwidth: per-endpoint, the
 * routes it gives an externalTrafficPolicy: Local Service carry a link
 * bandwidth of 1 Mbit/s per ready endpoint of that Service on the node.
 */
#ifndef VIPCAST_CONFIG_LINK_BW_H
#define VIPCAST_CONFIG_LINK_BW_H

#include <stdbool.h>
#include <string.h>

#include "model.h"
#include "selector.h"

#define ANNOTATION_LINK_BW "vipcast.io/link-bandwidth"
#define LINK_BW_PER_ENDPOINT "per-endpoint"

/* The BGPAdvertisement asks for link bandwidth. */
static inline bool bgpadv_link_bw(const struct object *adv)
{
	const char *v = labels_get(&adv->meta.annotations, ANNOTATION_LINK_BW);
	return v && strcmp(v, LINK_BW_PER_ENDPOINT) == 0;
}

#endif
