/*
 * One BFD session (RFC 5880 asynchronous mode) on the speaker's libevent
 * loop: the pure state machine and timers of bfd_fsm.h, carried out with a
 * sending socket (bfd_socket.h), a transmit timer and a detection timer.
 * Packets arrive through the mux (bfd_mux.h), which finds the session.
 *
 * Single hop (RFC 5881): packets to port 3784 with TTL 255, received ones
 * must have TTL 255. Multihop (RFC 5883): port 4784, TTL 255 sent, received
 * TTL at least the profile's minimumTtl.
 *
 * Transmission (6.8.7): every bfd_tx_interval_us() less the jitter; at once
 * on every state change, on the start of a poll sequence and to answer a
 * poll with F. In passive mode (6.1) nothing is sent until the remote's
 * first packet arrives. A timer callback only posts an FSM event.
 *
 * Echo mode is not implemented (Required Min Echo RX is advertised as 0).
 */
#ifndef VIPCAST_SPEAKER_BFD_SESSION_H
#define VIPCAST_SPEAKER_BFD_SESSION_H

#include <event2/event.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "addr.h"
#include "bfd.h"

struct bfd_session_config {
	char name[256];        /* the BGPPeer "namespace/name" it serves */
	char profile[256];     /* the BFDProfile's name */
	struct ipaddr peer, source;  /* source family 0: the kernel's choice */
	bool multihop, passive, echo;
	uint32_t tx_us, rx_us; /* Desired Min TX, Required Min RX */
	uint8_t mult, min_ttl; /* min_ttl: multihop only */
	int ifindex;           /* unnumbered BGP: the scope of the link-local peer; 0 otherwise */
};

struct bfd_session;
struct bfd_mux;

/* Called on every state change (enum bfd_state). */
typedef void (*bfd_session_cb)(struct bfd_session *b, uint8_t from, uint8_t to, void *arg);

struct bfd_session *bfd_session_new(struct event_base *base, struct bfd_mux *mux, const struct bfd_session_config *cfg,
				    bfd_session_cb cb, void *arg);
/* Sends AdminDown (6.8.16) once, then frees everything the session owns. */
void bfd_session_free(struct bfd_session *b);

/*
 * New intervals or multiplier (the rest of cfg must be the same as the
 * session's): a poll sequence announces them (6.8.3). False when something
 * else differs and the session must be made again.
 */
bool bfd_session_reconfigure(struct bfd_session *b, const struct bfd_session_config *cfg);

const struct bfd_session_config *bfd_session_cfg(const struct bfd_session *b);
uint8_t bfd_session_state(const struct bfd_session *b);
/* The State field of the remote's last packet (BFD_DOWN before any). */
uint8_t bfd_session_remote_state(const struct bfd_session *b);

struct bfd_session_counters {
	uint64_t rx, tx;              /* control packets accepted, sent */
	uint64_t up_events, down_events;
	uint64_t rx_dropped;          /* refused by the TTL, authentication or state rules */
};
void bfd_session_counters(const struct bfd_session *b, struct bfd_session_counters *c);

/* For the status: state, diagnostics, discriminators, intervals in effect, counters. */
json_t *bfd_session_status(const struct bfd_session *b);

/* ---- for the mux ---- */
uint32_t bfd_session_discr(const struct bfd_session *b);
void bfd_session_set_discr(struct bfd_session *b, uint32_t discr);
/* A decoded packet for this session from its peer, with its TTL / hop limit (-1: unknown). */
void bfd_session_input(struct bfd_session *b, const struct bfd_ctrl *pkt, int ttl);

#endif
