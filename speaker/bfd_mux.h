/*
 * The receiving side of BFD: one socket per address family and kind
 * (single hop 3784, multihop 4784), opened when the first session needs it,
 * and the sessions' table. A datagram is decoded (proto/bfd.h) and handed to
 * its session: by Your Discriminator when set, else by the sender's address
 * and kind (RFC 5880 6.8.6, RFC 5881 3); a packet naming a session whose
 * peer is another address is dropped. Local discriminators are unique and
 * random (6.8.1).
 */
#ifndef VIPCAST_SPEAKER_BFD_MUX_H
#define VIPCAST_SPEAKER_BFD_MUX_H

#include <event2/event.h>
#include <stdbool.h>
#include <stdint.h>

struct bfd_mux;
struct bfd_session;

struct bfd_mux *bfd_mux_new(struct event_base *base);
void bfd_mux_free(struct bfd_mux *m);

/* Gives b its discriminator and the socket it needs; false (logged) when that socket cannot be opened. */
bool bfd_mux_add(struct bfd_mux *m, struct bfd_session *b);
void bfd_mux_remove(struct bfd_mux *m, struct bfd_session *b);

struct bfd_mux_counters {
	uint64_t malformed, unknown_session;
};
void bfd_mux_counters(const struct bfd_mux *m, struct bfd_mux_counters *c);

#endif
