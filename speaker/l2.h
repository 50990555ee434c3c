/*
 * L2 mode: which speaker answers ARP/NDP for which VIP.
 *
 * The daemon gives this module every valid configuration and the plan built
 * from it; the module keeps an authenticated heartbeat with the other
 * speakers (speaker/liveness.h, proto/heartbeat.h), picks one owner per VIP
 * among the eligible live nodes with a rule every speaker computes alike
 * (speaker/owner.h), and tells the responder (speaker/l2_responder.h) which
 * VIPs this node owns.
 *
 * Without the memberlist key (Secret "memberlist", key "secretkey", in
 * metallb-system when there are several) nothing can tell a live speaker from
 * a dead one, so this speaker sends and accepts no heartbeats and answers only
 * for the VIPs whose single eligible node is itself: no other speaker can own
 * those, so answering for them is safe whatever the others do. Every other VIP
 * stays unanswered here and an error says why.
 */
#ifndef VIPCAST_SPEAKER_L2_H
#define VIPCAST_SPEAKER_L2_H

#include <jansson.h>
#include <stdint.h>

#include "config.h"
#include "l2_responder.h"
#include "plan.h"

struct event_base;

#define L2_DEFAULT_INTERVAL_MS 100
#define L2_MIN_INTERVAL_MS 10
#define L2_MAX_INTERVAL_MS 60000
#define L2_DEFAULT_DETECT_MULT 3
#define L2_DEFAULT_PORT 7946

struct l2_options {
	unsigned interval_ms;  /* heartbeat interval; 0: 100; 10..60000 */
	unsigned detect_mult;  /* missed heartbeats before a speaker counts as dead; 0: 3; 2..50 */
	uint16_t port;         /* UDP port of the heartbeats on every node; 0: 7946 */
	unsigned key_grace_ms; /* how long a rotated memberlist key is still accepted; 0: L2_KEYS_GRACE_MS */
	struct l2_responder_options responder;
};

struct l2;

/* NULL (and an error logged) when the heartbeat sockets cannot be opened. */
struct l2 *l2_new(struct event_base *base, const char *node, const struct l2_options *opt);

/*
 * After every (re)load of a valid configuration: the plan and the
 * configuration it came from. Nodes are the speakers that exist, their
 * InternalIP addresses where heartbeats go. Both pointers stay valid until the
 * next call or l2_free().
 */
void l2_apply(struct l2 *l, const struct plan *p, const struct config *c);

/*
 * {"node": this node, "key": bool, "previous_key_ms": how long the previous
 *  memberlist key is still accepted after a rotation (0: no rotation under way),
 *  "ready": bool (past the startup hold and seen by the speakers it sees),
 *  "vips": [{"ip", "owner" (null: none), "here", "interfaces": [...], "since"
 *            (Unix time of the last owner change, seconds)}...],
 *  "speakers": [{"node", "state": "down"|"rising"|"up"|"left", "ready",
 *                "last_heard_ms" (null: never)}...],
 *  "heartbeats": {"sent", "send_errors", "accepted", "accepted_previous_key"
 *                 (of accepted: made with the previous key), "duplicates", "dropped"}}
 * The caller owns the reference.
 */
json_t *l2_status(const struct l2 *l);
/* The responder's totals (l2_responder.h); all 0 while it does not run. */
void l2_responder_totals(const struct l2 *l, struct l2_responder_stats *out);
/* The responder's counters per VIP answered (l2_responder.h). */
void l2_vip_counters(const struct l2 *l,
		     void (*fn)(const struct ipaddr *ip, const struct l2_vip_counters *n, void *arg), void *arg);

/*
 * For vipcast_l2_failover*: failovers counts the VIPs this node took over
 * from an owner that stopped answering heartbeats or left (not first claims,
 * not handovers from a live owner); failover_seconds, per failover, the time
 * from that owner's last heartbeat heard here to this node's first
 * gratuitous ARP / unsolicited NA for the VIP. peers_up: the other speakers
 * whose heartbeats count them up now. heartbeat_gap_seconds: per heartbeat
 * accepted, the time since the previous one accepted from the same speaker
 * (same boot), as this node's loop saw them: how close the LAN and the nodes'
 * scheduling come to the detection time (interval x multiplier).
 * late_wakeups: the times this node's deadline timer ran late and gave the
 * other speakers one more interval (speaker/l2.c, on_deadline).
 */
struct metric_hist;
struct l2_takeover_stats {
	uint64_t failovers;
	uint64_t late_wakeups;
	const struct metric_hist *failover_seconds;
	const struct metric_hist *heartbeat_gap_seconds;
	unsigned peers_up;
};
void l2_takeover_stats(const struct l2 *l, struct l2_takeover_stats *out);

/* fn(arg) runs whenever the set of VIPs this node answers for changes. */
void l2_on_claims(struct l2 *l, void (*fn)(void *arg), void *arg);
/* This node answers for ip; *ifaces (may be NULL) gets the interfaces it was given (none: every suitable one). */
bool l2_claims(const struct l2 *l, const struct ipaddr *ip, const char *const **ifaces, size_t *nifaces);

/* Clean stop: tells the other speakers at once so they take over without waiting, stops answering. */
void l2_free(struct l2 *l);

#endif
