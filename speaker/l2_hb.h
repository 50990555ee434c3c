/*
 * The L2 heartbeat transport: UDP sockets, the memberlist key, and where each
 * other speaker's heartbeats go. It moves proto/heartbeat.h messages and
 * knows nothing of liveness (speaker/liveness.h) or VIPs (speaker/l2.c).
 *
 * One socket per family, bound to the port on every address (IPv6 only when
 * the host has it), DSCP CS6 as routing protocols use. A message to a node goes
 * to each of its InternalIP addresses. Every datagram received is
 * authenticated and decoded before the callback sees it; what fails is counted
 * and logged at most a few times a second (anyone on the LAN can send it).
 *
 * The key is the Secret memberlist's secretkey (in metallb-system when there
 * are several; at least 16 bytes). When it changes, the old key stays accepted
 * for L2_HB_KEY_GRACE_MS and is used towards a speaker that still sends with
 * it, so speakers that reload the Secret a few seconds apart keep hearing each
 * other.
 */
#ifndef VIPCAST_SPEAKER_L2_HB_H
#define VIPCAST_SPEAKER_L2_HB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "heartbeat.h"

#define L2_HB_KEY_MIN_LEN 16
#define L2_HB_KEY_GRACE_MS (10 * 60 * 1000)

struct event_base;
struct l2_hb;

/* An authenticated, well-formed message; key: 0 the current key, 1 the previous one. */
typedef void (*l2_hb_recv_fn)(void *arg, const struct hb_msg *m, size_t key, const char *from);
/* After a batch of datagrams (at most a few dozen per wakeup). */
typedef void (*l2_hb_batch_fn)(void *arg);

/* NULL (logged) when neither socket can be opened. */
struct l2_hb *l2_hb_new(struct event_base *base, uint16_t port, l2_hb_recv_fn recv, l2_hb_batch_fn batch,
			void *arg);
void l2_hb_free(struct l2_hb *h);

/*
 * Takes the key from the configuration; false when there is no usable one,
 * logged as an error when needed (an L2Advertisement exists), else only at
 * debug level (a BGP-only configuration needs no key). The key in use, if any, stays until l2_hb_drop_key() (to send the last
 * "leaving" with it). Without a key nothing is sent and everything received is dropped.
 */
bool l2_hb_set_key(struct l2_hb *h, const struct config *c, bool needed);
/* The configuration holds a usable key (what l2_hb_set_key() would take). */
bool l2_hb_config_has_key(const struct config *c);
void l2_hb_drop_key(struct l2_hb *h);
/* Every Node of the configuration but self, with its InternalIP addresses. */
void l2_hb_set_nodes(struct l2_hb *h, const struct config *c, const char *self);

/* Sends m to every address of node m->to, MACed with the key that node uses (key: as received). */
void l2_hb_send(struct l2_hb *h, const struct hb_msg *m, size_t key);

struct l2_hb_stats {
	uint64_t sent, send_errors, received, dropped;
};
void l2_hb_stats(const struct l2_hb *h, struct l2_hb_stats *out);

#endif
