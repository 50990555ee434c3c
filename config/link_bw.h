/*
 * vipcast's opt-in to BGP link bandwidth on a BGPAdvertisement (README,
 * "Link bandwidth"): annotated vipcast.io/link-bandwidth: per-endpoint, the
 * routes it gives an externalTrafficPolicy: Local Service carry a link
 * bandwidth of 1 Mbit/s per ready endpoint of that Service on the node.
 */
#ifndef VIPCAST_CONFIG_LINK_BW_H
#define VIPCAST_CONFIG_LINK_BW_H

#define ANNOTATION_LINK_BW "vipcast.io/link-bandwidth"
#define LINK_BW_PER_ENDPOINT "per-endpoint"

#endif
