/*
 * Liveness between L2 speakers: what this speaker knows of the others from
 * their authenticated heartbeats (proto/heartbeat.h), and whether it may
 * claim VIPs itself. Pure: no sockets, no clock; the caller passes every
 * message and the time (monotonic ms; the wall clock only for the
 * timestamps) and asks when to call again.
 *
 * A peer (another Node of the configuration) is, as this speaker sees it:
 *   down    not heard within its detection time (its interval x multiplier,
 *           from its own messages, as in BFD, RFC 5880 6.8.4), or never heard;
 *   left    it said it was stopping (clean stop): down at once;
 *   rising  heard continuously for less than its rise time;
 *   up      heard continuously for its rise time. The rise time is one
 *           detection time, doubled for each recent flap (an up period shorter
 *           than LV_FLAP_WINDOW_MS) up to 2^LV_FLAP_MAX times: a node that
 *           comes back counts only once it has stayed, and a flapping one
 *           waits longer each time.
 * Each heartbeat also says whether its sender is ready (claims VIPs), how
 * many speakers it sees up, and how it sees the receiver.
 *
 * This speaker is ready (it claims what the owner rule gives it) when
 *  - it becomes ready: its startup hold (detection time + one interval, to
 *    hear everyone first) is over, and every ready peer it hears sees it up;
 *  - it stays ready until
 *     . a ready peer that sees more speakers up than it does sees it not up:
 *       then this speaker is the one that was cut off (a node whose link
 *       came back, which counted itself alone), steps back and waits to be
 *       seen up again, so its VIPs come back once, not in a flap; or
 *     . a ready peer it has heard for a detection time does not hear it (a
 *       one-way break): that peer counts this speaker out and would answer
 *       for the same VIPs. A node whose inbound heartbeats are all blocked
 *       (a firewall on the port) thus makes the others step back and ends
 *       up answering for every VIP it is eligible for, alone: degraded but
 *       never two answers, and every other node logs why.
 *
 * Per VIP the owner rule (speaker/owner.h) then runs over this speaker (when
 * ready) and every peer whose relation is RANK: a peer that is heard and
 * ready, unless it will step back (it sees fewer speakers up and this speaker
 * does not see it up). Two ready speakers that hear each other rank each
 * other, so no VIP is claimed by both, apart from a message's flight time
 * when one becomes ready.
 *
 * Replay protection: a peer's messages are accepted only with a larger boot
 * id than before (a restart) or the same boot id and a larger sequence number,
 * and with a timestamp within max_skew_ms of this speaker's clock, so an old
 * recording replayed after a receiver restarts is refused too. A smaller boot
 * id is accepted only from a peer that is down (its clock was set back).
 */
#ifndef VIPCAST_SPEAKER_LIVENESS_H
#define VIPCAST_SPEAKER_LIVENESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "heartbeat.h"
#include "owner.h"

#define LV_DEFAULT_MAX_SKEW_MS 30000
#define LV_FLAP_WINDOW_MS 10000
#define LV_FLAP_MAX 4
#define LV_NEVER UINT64_MAX
#define LV_LATE_WINDOW 64

enum lv_state { LV_DOWN, LV_LEFT, LV_RISING, LV_UP };
enum lv_relation { LV_IGNORE, LV_RANK };

/* Why a peer last went down. */
enum lv_cause { LV_CAUSE_NONE, LV_CAUSE_TIMEOUT, LV_CAUSE_LEFT, LV_CAUSE_RESTARTED };

enum lv_verdict {
	LV_ACCEPTED,
	LV_NOT_FOR_US,  /* addressed to another node */
	LV_FROM_US,     /* carries this node's name: two speakers with one --node? */
	LV_UNKNOWN,     /* from a node that is not in the configuration */
	LV_SKEW,        /* timestamp too far from this clock */
	LV_DUPLICATE,   /* a copy (one goes to each of our addresses) or a late one, LV_LATE_WINDOW at most behind */
	LV_REPLAY,      /* an old boot id, or a sequence number further behind */
	LV_STALE,       /* from a boot that already said it was leaving */
};

struct lv_options {
	unsigned interval_ms, detect_mult;
	unsigned max_skew_ms;  /* 0: LV_DEFAULT_MAX_SKEW_MS */
};

struct lv_peer {
	char *name;
	enum lv_state state;
	enum lv_relation rel;
	enum lv_cause cause;
	bool heard_ever;
	uint64_t boot, seq;      /* of its last accepted message */
	uint64_t first_ms;       /* rising/up since (monotonic) */
	uint64_t last_ms;        /* last accepted message */
	uint64_t up_ms, down_ms;
	uint64_t detect_ms;      /* its interval x multiplier */
	uint64_t rise_ms;        /* what it must be heard for to count as up */
	unsigned flaps;
	bool returned;           /* rising again with the boot it had when it went down: it kept running unheard */
	/* From its last message; reset when it goes down. */
	bool ready;
	uint16_t nup;
	enum hb_view sees_us;    /* HB_VIEW_DOWN when about another boot of ours */
	uint64_t key;            /* the id of the key of its last accepted message (for key rotation) */
};

struct liveness;

struct liveness *liveness_new(const char *self, uint64_t boot, const struct lv_options *o, uint64_t now);
void liveness_free(struct liveness *l);

/* The other speakers (the configuration's Nodes; self is skipped). Known ones keep their state. */
void liveness_set_peers(struct liveness *l, const char *const *names, size_t n, uint64_t now);

/* An authenticated message; key names the key it was made with (the transport's id, kept as is). */
enum lv_verdict liveness_receive(struct liveness *l, const struct hb_msg *m, uint64_t key, uint64_t now,
				 uint64_t wall_ms);
const char *lv_verdict_name(enum lv_verdict v);

/* Runs the timers due by now. */
void liveness_poll(struct liveness *l, uint64_t now);
/* When the next timer is due (monotonic ms), or LV_NEVER. */
uint64_t liveness_next_deadline(const struct liveness *l);

/* Increments whenever a state, a relation or this speaker's readiness changes. */
uint64_t liveness_generation(const struct liveness *l);

/* The heartbeat for peer i (its sequence number taken now). */
void liveness_message(struct liveness *l, size_t i, enum hb_state st, uint64_t wall_ms, struct hb_msg *out);

/*
 * Per VIP: r is its eligible nodes, best first (owner_rank_sort), each
 * tagged with its peer index, LV_TAG_SELF for this node, or LV_TAG_UNKNOWN.
 * Returns the node that answers for it as this speaker sees it (NULL: none)
 * and sets *claim when that is this speaker.
 */
#define LV_TAG_SELF (-1)
#define LV_TAG_UNKNOWN (-2)
const struct owner_rank *liveness_decide(const struct liveness *l, const struct owner_rank *r, size_t n, bool *claim);

bool liveness_ready(const struct liveness *l);
/* Why not ready ("" when ready). */
const char *liveness_why(const struct liveness *l);
unsigned liveness_nup(const struct liveness *l);
size_t liveness_npeers(const struct liveness *l);
const struct lv_peer *liveness_peer(const struct liveness *l, size_t i);
/* Index of the peer, or -1. */
long liveness_find(const struct liveness *l, const char *name);
const char *lv_state_name(enum lv_state s);

#endif
