/*
 * The memberlist keys the L2 heartbeats are made and checked with: the
 * current key and, for a grace period after a rotation, the previous one.
 * Pure: no clock and no I/O (the caller passes monotonic ms), so the tests
 * drive it with a fake clock.
 *
 * Speakers load a new key seconds apart (each sees the Secret change on its
 * own watch; files are copied to the nodes one by one). For L2_KEYS_GRACE_MS
 * after this speaker takes a new key:
 *  - a heartbeat is accepted under either key;
 *  - a heartbeat to a peer goes out under the new key, and a copy of it under
 *    the old key unless the peer's last accepted heartbeat was made with the
 *    new key (then it has it). A peer still on the old key takes the old-key
 *    copy (it drops the other: "authentication failed"); a peer that has both
 *    takes the first and counts the second as a duplicate (one message, one
 *    sequence number: replay protection is unchanged). Once two speakers hear
 *    each other under the new key, each sends it alone.
 * Answering a peer only with the key it last used (and with the new key a
 * peer never heard) keeps speakers hearing each other too, but two speakers
 * that load the new key while hearing each other under the old one keep the
 * old key in use until the first grace ends, switch only then and lose a
 * heartbeat or two in that moment; here they move to the new key one interval
 * after the later of them loads it, long before the old key is retired.
 *
 * After the grace the previous key is erased: neither accepted nor used, so a
 * speaker that never loaded the new key is refused as with any wrong key. A
 * second rotation within the grace retires the oldest key at once. Keys are
 * named by ids (1, 2, ...: one per key taken, never reused), so what a peer
 * last used keeps its meaning across rotations.
 */
#ifndef VIPCAST_SPEAKER_L2_KEYS_H
#define VIPCAST_SPEAKER_L2_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "heartbeat.h"

#define L2_KEYS_GRACE_MS (60 * 1000)
#define L2_KEYS_MAX 2  /* current, previous */
#define L2_KEYS_NONE 0 /* the id of no key (a peer never heard) */

struct l2_key {
	uint8_t *p;
	size_t len;
	uint64_t id;
};

struct l2_keys {
	struct l2_key cur, prev;  /* prev.p NULL: no rotation in progress */
	uint64_t prev_until;      /* monotonic ms when prev is retired */
	uint64_t last_id;
	uint32_t grace_ms;        /* 0: L2_KEYS_GRACE_MS */
};

enum l2_keys_change {
	L2_KEYS_SAME,     /* the key in use already */
	L2_KEYS_FIRST,    /* there was none */
	L2_KEYS_ROTATED,  /* the previous one stays for the grace */
};

/* Takes key p (len > 0) as the current one at time now. */
enum l2_keys_change l2_keys_set(struct l2_keys *k, const uint8_t *p, size_t len, uint64_t now);

/* Erases the previous key when its grace is over by now; true when it did so now. */
bool l2_keys_expire(struct l2_keys *k, uint64_t now);

/* Erases every key (the Secret is gone). */
void l2_keys_clear(struct l2_keys *k);

bool l2_keys_have(const struct l2_keys *k);
uint64_t l2_keys_current_id(const struct l2_keys *k);
/* Milliseconds of grace left for the previous key at now; 0: none. */
uint64_t l2_keys_grace_left(const struct l2_keys *k, uint64_t now);

/*
 * The keys a received heartbeat is checked with, current first, and their
 * ids: how many (0 without a key). The keys point into k until it changes.
 */
size_t l2_keys_accepting(const struct l2_keys *k, uint64_t now, struct hb_key out[L2_KEYS_MAX],
			 uint64_t ids[L2_KEYS_MAX]);

/* The keys a heartbeat to a peer whose last accepted one was made with key peer_key goes out under. */
size_t l2_keys_sending(const struct l2_keys *k, uint64_t peer_key, uint64_t now, struct hb_key out[L2_KEYS_MAX]);

#endif
