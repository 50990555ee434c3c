/*
 * The passive side of BGP: listening sockets on the BGP port (one per
 * family) that hand each accepted connection to the session of the peer
 * address it comes from, and refuse the rest. TCP MD5 keys must be on the
 * listening socket before the peer's SYN arrives, so they are kept in step
 * with the sessions.
 */
#ifndef VIPCAST_SPEAKER_BGP_LISTENER_H
#define VIPCAST_SPEAKER_BGP_LISTENER_H

#include <event2/event.h>
#include <stdint.h>

#include "addr.h"

struct bgp_listener;

/* find: the session for a peer address, or NULL; accept: hand the fd over. */
struct bgp_listener *bgp_listener_new(struct event_base *base, uint16_t port,
				      void *(*find)(const struct ipaddr *peer, void *arg),
				      void (*accept)(void *session, int fd, void *arg), void *arg);
/* The keys of every peer with a password; peers left out lose theirs. */
void bgp_listener_set_keys(struct bgp_listener *l, const struct ipaddr *peers, const char *const *keys, size_t n);
void bgp_listener_free(struct bgp_listener *l);

#endif
