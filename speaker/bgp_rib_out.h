/*
 * Adj-RIB-Out: the routes one session announces, and the UPDATEs that turn
 * one set into another.
 *
 * A set is a sorted route array with its own copy of the attribute sets, so
 * it outlives the plan it came from. The diff walks two sorted sets once:
 * withdrawals for prefixes that went, announcements for prefixes that came
 * or whose attributes changed, grouped by attribute set so the encoder packs
 * each group into the fewest UPDATEs.
 *
 * A route whose attributes leave no room for it in one UPDATE (validation
 * refuses such configurations; this is the last line) is not sent: it is
 * logged once while it stays unsendable, counted, and marked in its set, so
 * the peer is never told to withdraw what it never had, and an older
 * version the peer holds is withdrawn rather than left with attributes no
 * longer wanted.
 */
#ifndef VIPCAST_SPEAKER_BGP_RIB_OUT_H
#define VIPCAST_SPEAKER_BGP_RIB_OUT_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "bgp.h"
#include "plan.h"

struct rib_set {
	struct plan_route *routes;
	size_t n;
	struct plan_attrs *attrs;
	size_t nattrs;
	bool *unsent;  /* per route: the last attempt could not encode it (and said so in the log) */
	struct arena arena;
};

void rib_set_copy(struct rib_set *dst, const struct plan_route *routes, size_t n, const struct plan_attrs *attrs,
		  size_t nattrs);
void rib_set_clear(struct rib_set *s);

/* What a session may send: negotiated families and the attributes common to every route. */
struct rib_peer {
	bool af[BGP_AF_COUNT];
	struct bgp_route_attrs base;  /* ebgp, local_as, peer_as4, next hops; the rest comes per route */
	const char *log_name;         /* the log component ("bgp 192.0.2.1"); NULL: "bgp" */
};

struct rib_diff_stats {
	size_t announced, withdrawn, messages;
	size_t skipped;  /* routes that could not be encoded, not sent */
};

/*
 * Emits the UPDATEs that take the peer from `from` to `to` (either may be
 * empty), each a whole message of at most BGP_MAX_LEN bytes, and records in
 * to->unsent which routes could not be sent. From NULL it sends the whole of
 * `to` (a new session), trying again the routes that failed before.
 */
/*
 * `from` and `to` hold the same prefixes and differ, where they do, only in
 * the link bandwidth (plan_attrs.link_bw_eps): an update the session may
 * hold back (bgp_session.c, LINK_BW_MIN_INTERVAL_MS). False when equal.
 */
bool rib_bandwidth_only(const struct rib_set *from, const struct rib_set *to);

void rib_diff(const struct rib_set *from, struct rib_set *to, const struct rib_peer *peer,
	      void (*emit)(const uint8_t *msg, size_t len, void *arg), void *arg, struct rib_diff_stats *st);

#endif
