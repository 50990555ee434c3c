/*
 * Unnumbered BGP (BGPPeer spec.interface), as MetalLB's FRR mode offers it:
 * the session runs to the peer's IPv6 link-local address on a point-to-point
 * interface, found the way FRR finds it.
 *
 * Discovery (RFC 4861 Router Advertisements, as FRR's zebra does it for
 * `neighbor IFNAME interface`): on each such interface, while it is up with
 * carrier, a raw ICMPv6 socket bound to it sends a Router Solicitation, then
 * Router Advertisements (three at 1 s, then every 10 s; router lifetime 0, so
 * no host takes us for a default router) and answers Solicitations and, at
 * most every 3 s, the peer's Advertisements (a restarted peer learns us at
 * once); the
 * source of the Router Advertisements it receives is the peer (another
 * source replaces it only once it has not been heard for 30 s: the link is
 * meant to be point-to-point). FRR learns this node's address from our
 * advertisements in the same way. The kernel's view of the link (libnl,
 * l2_links.h) drives it: the interface going down,
 * losing carrier or disappearing forgets the peer, which ends the session;
 * coming back starts discovery again.
 *
 * The speaker asks resolve() for every interface peer each time it builds
 * its sessions; a change of what resolve() would answer is reported through
 * changed() from the event loop, never from inside a call to this module.
 *
 * Routes (RFC 8950, RFC 2545): IPv6 and, when the peer announced the
 * extended next hop capability for IPv4, IPv4 routes go in MP_REACH_NLRI
 * with an IPv6 next hop: a global address of the interface plus the
 * link-local one (32 bytes) when the interface has one, else the link-local
 * address alone (16 bytes), as FRR sends it on an unnumbered link.
 */
#ifndef VIPCAST_SPEAKER_BGP_UNNUMBERED_H
#define VIPCAST_SPEAKER_BGP_UNNUMBERED_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/socket.h>

#include "addr.h"
#include "bgp.h"

struct event_base;
struct bgp_session_config;
struct bgp_unnumbered;

struct bgp_unnumbered *bgp_unnumbered_new(struct event_base *base, void (*changed)(void *arg), void *arg);
void bgp_unnumbered_free(struct bgp_unnumbered *u);

/*
 * One pass over the BGPPeers: begin, resolve each interface peer, end. An
 * interface no resolve() named since begin stops being watched at end.
 * resolve() fills cfg->peer, cfg->ifindex and cfg->other_next_hop for the
 * interface cfg->ifname, and says false while there is no peer to dial
 * (the link is down or no Router Advertisement came yet).
 */
void bgp_unnumbered_begin(struct bgp_unnumbered *u);
bool bgp_unnumbered_resolve(struct bgp_unnumbered *u, struct bgp_session_config *cfg);
void bgp_unnumbered_end(struct bgp_unnumbered *u);

/* For the status: each interface, its state and the peer found there. */
json_t *bgp_unnumbered_status(const struct bgp_unnumbered *u);

/* The next hops of an unnumbered session (see above); ipv4: RFC 8950 was negotiated. */
void bgp_unnumbered_next_hops(struct bgp_route_attrs *a, const struct ipaddr *link_local,
			      const struct ipaddr *global, bool ipv4);
/* Sets the scope of an IPv6 socket address to ifindex when ifindex is not 0. */
void bgp_unnumbered_scope(struct sockaddr_storage *ss, int ifindex);

#endif
