/*
 * BFD for BGP peers (RFC 5882): one BFD session for every BGP session whose
 * BGPPeer names a bfdProfile, and the coupling between the two.
 *
 * The BFD session is single hop or multihop as the BGP session is
 * (ebgpMultiHop), to the same peer address from the same source address,
 * with the profile's intervals. While it is not Up, the BGP session does not
 * establish (bgp_session_bfd_hold); when it goes Down after having been Up,
 * the BGP session ends at once with Cease / BFD Down (RFC 9384).
 *
 * A reload is applied as the speaker applies BGP sessions: bfd_peers_begin,
 * bfd_peers_want for every session of the new set, bfd_peers_end, which
 * frees the BFD sessions no longer wanted. A BFD session whose profile only
 * changed its intervals is kept (a poll sequence announces them).
 */
#ifndef VIPCAST_SPEAKER_BFD_PEERS_H
#define VIPCAST_SPEAKER_BFD_PEERS_H

#include <event2/event.h>
#include <jansson.h>

#include "bfd_session.h"
#include "config.h"

struct bfd_peers;
struct bgp_session;

struct bfd_peers *bfd_peers_new(struct event_base *base);
void bfd_peers_free(struct bfd_peers *p);

void bfd_peers_begin(struct bfd_peers *p);
/* ses serves BGPPeer peer (of configuration c); none when it names no bfdProfile. */
void bfd_peers_want(struct bfd_peers *p, struct bgp_session *ses, const struct object *peer, const struct config *c);
void bfd_peers_end(struct bfd_peers *p);

/* The BFDProfile's parameters for a session beside BGP session bc; false when the BGPPeer names none. */
struct bgp_session_config;
bool bfd_peers_config(const struct object *peer, const struct config *c, const struct bgp_session_config *bc,
		      struct bfd_session_config *out);
/* For --print-plan: those parameters as JSON. */
json_t *bfd_peers_config_json(const struct bfd_session_config *b);

json_t *bfd_peers_status(const struct bfd_peers *p);
void bfd_peers_each(const struct bfd_peers *p, void (*fn)(const struct bfd_session *b, void *arg), void *arg);

#endif
