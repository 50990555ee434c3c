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
 * are several; at least 16 bytes). When it changes, the previous key stays
 * accepted, and a copy of each heartbeat is sent under it to the speakers not
 * yet heard with the new one, for L2_KEYS_GRACE_MS (60 s): speakers that load
 * the Secret seconds apart keep hearing each other (speaker/l2_keys.h). The
 * rotation and the end of its grace are logged once each.
 */
#ifndef VIPCAST_SPEAKER_L2_HB_H
#define VIPCAST_SPEAKER_L2_HB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "heartbeat.h"

#define L2_HB_KEY_MIN_LEN 16

struct event_base;
struct l2_hb;

/* An authenticated, well-formed message; key: the id of the key it was made with (l2_keys.h). */
typedef void (*l2_hb_recv_fn)(void *arg, const struct hb_msg *m, uint64_t key, const char *from);
/* After a batch of datagrams (at most a few dozen per wakeup). */
typedef void (*l2_hb_batch_fn)(void *arg);

/* NULL (logged) when neither socket can be opened. */
struct l2_hb *l2_hb_new(struct event_base *base, uint16_t port, l2_hb_recv_fn recv, l2_hb_batch_fn batch,
			void *arg);
/* How long a rotated key is still accepted and sent; 0: L2_KEYS_GRACE_MS. */
void l2_hb_set_key_grace(struct l2_hb *h, unsigned ms);
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

/*
 * Sends m to every address of node m->to, MACed with the current key, and
 * during a rotation's grace once more with the previous one unless peer_key
 * (the id of the key of that node's last accepted message) is the current.
 */
void l2_hb_send(struct l2_hb *h, const struct hb_msg *m, uint64_t peer_key);

/* The id of the current key (L2_KEYS_NONE: none). */
uint64_t l2_hb_current_key(const struct l2_hb *h);
/* Milliseconds left in which the previous key is accepted; 0: no rotation in progress. */
uint64_t l2_hb_key_grace_left(const struct l2_hb *h);

struct l2_hb_stats {
	uint64_t sent, send_errors, received, dropped;
};
void l2_hb_stats(const struct l2_hb *h, struct l2_hb_stats *out);

#endif
