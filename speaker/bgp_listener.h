/*
 * The passive side of BGP: listening sockets on the BGP port (one per
 * family) that hand each accepted connection to the session of the peer
 * address it comes from, and refuse the rest. TCP MD5 keys must be on the
 * listening socket before the peer's SYN arrives, so they are kept in step
 * with the sessions. When accept() fails for want of descriptors or memory,
 * the socket rests a second at a time instead of spinning (bgp_listener.c).
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
struct bgp_listener_stats {
	uint64_t accepted;       /* handed to a session */
	uint64_t refused;        /* from an address no session has */
	uint64_t accept_errors;  /* accept() failures past the ones libevent retries */
	uint64_t pauses;         /* times accepting stopped for a while */
};

void bgp_listener_stats(const struct bgp_listener *l, struct bgp_listener_stats *out);
/* The port bound for a family (IPF_V4, IPF_V6), 0 when not listening: port 0 asks for an ephemeral one. */
uint16_t bgp_listener_port(const struct bgp_listener *l, uint8_t family);
void bgp_listener_free(struct bgp_listener *l);

#endif
