/*
 * The L2 speakers' heartbeat: one UDP datagram from one speaker to one other,
 * every interval (100 ms by default), authenticated with HMAC-SHA256 under
 * the cluster's memberlist key. BFD-like (RFC 5880): each side says how often
 * it sends and after how many misses it counts as dead, and what it sees of
 * the receiver, so both ends of a pair agree on the pair's state.
 *
 *   offset size
 *    0     4   magic "VCHB"
 *    4     1   version (1)
 *    5     1   state: 1 alive, 2 leaving (clean stop: count me dead now)
 *    6     1   flags: bit 0 ready (the sender claims VIPs); other bits 0
 *    7     1   detect multiplier, 1..50
 *    8     2   interval, ms, 10..60000
 *   10     2   speakers the sender sees up
 *   12     8   boot id: the sender's start time, us since the epoch; a restart gives a larger one
 *   20     8   sequence number, increasing within one boot
 *   28     8   the sender's clock when sending, ms since the epoch
 *   36   1+n   sender node name (1..253 printable ASCII, no space)
 *    .   1+n   receiver node name (the message is for this node only)
 *    .     1   the receiver's state as the sender sees it: 0 down, 1 rising, 2 up
 *    .     8   the receiver's boot id that view is about (0: never heard)
 *    .    32   HMAC-SHA256 of every byte before it
 *
 * Replay protection needs state (the last boot id and sequence number per
 * sender, the local clock) and lives in speaker/liveness.c; this file only
 * frames, authenticates and checks ranges. The MAC is checked before any
 * field is read: unauthenticated bytes are never interpreted.
 */
#ifndef VIPCAST_PROTO_HEARTBEAT_H
#define VIPCAST_PROTO_HEARTBEAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HB_VERSION 1
#define HB_NAME_MAX 253
#define HB_MAC_LEN 32
#define HB_FIXED_LEN 36
#define HB_MIN_LEN (HB_FIXED_LEN + 1 + 1 + 1 + 1 + 1 + 8 + HB_MAC_LEN)
#define HB_MAX_LEN (HB_FIXED_LEN + 1 + HB_NAME_MAX + 1 + HB_NAME_MAX + 1 + 8 + HB_MAC_LEN)
#define HB_MIN_INTERVAL_MS 10
#define HB_MAX_INTERVAL_MS 60000
#define HB_MAX_DETECT_MULT 50

enum hb_state { HB_ALIVE = 1, HB_LEAVING = 2 };
enum hb_view { HB_VIEW_DOWN = 0, HB_VIEW_RISING = 1, HB_VIEW_UP = 2 };
enum hb_flag { HB_FLAG_READY = 0x01 };

struct hb_msg {
	enum hb_state state;
	uint8_t flags;
	uint8_t detect_mult;
	uint16_t interval_ms;
	uint16_t nup;
	uint64_t boot, seq, time_ms;
	char from[HB_NAME_MAX + 1];
	char to[HB_NAME_MAX + 1];
	enum hb_view to_view;
	uint64_t to_boot;
};

enum hb_error {
	HB_OK,
	HB_E_LENGTH,   /* shorter than the smallest or longer than the largest message */
	HB_E_MAGIC,
	HB_E_VERSION,
	HB_E_MAC,      /* not made with any of the keys */
	HB_E_FRAMING,  /* a name runs past the end, or bytes are left before the MAC */
	HB_E_FIELD,    /* a field out of range: state, flags, interval, multiplier, name, view */
};

struct hb_key {
	const uint8_t *p;
	size_t len;
};

const char *hb_error_name(enum hb_error e);
const char *hb_view_name(enum hb_view v);

/* Writes m, MACed with key, to buf; returns its length, 0 when m is invalid or buf too small. */
size_t hb_encode(const struct hb_msg *m, struct hb_key key, uint8_t *buf, size_t cap);

/*
 * Authenticates buf with each of the keys in turn, then decodes it into out.
 * *which (may be NULL) receives the index of the key that matched.
 */
enum hb_error hb_decode(const uint8_t *buf, size_t n, const struct hb_key *keys, size_t nkeys,
			struct hb_msg *out, size_t *which);

/*
 * Reads one name as the message carries it (a length byte, then the bytes)
 * from r into out: NUL-terminated when it is a valid name (1..HB_NAME_MAX
 * printable ASCII, no space), else out is "" and *valid false; either way the
 * name's bytes are consumed and nothing is written past out[HB_NAME_MAX].
 * False when the name runs past the end of r. hb_decode's reader, declared
 * here for the tests (struct rd: wire.h).
 */
struct rd;
bool hb_name_read(struct rd *r, char out[HB_NAME_MAX + 1], bool *valid);

#endif
