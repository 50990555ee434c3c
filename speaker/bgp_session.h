/*
 * One BGP session to one peer (RFC 4271): the finite state machine, its
 * timers, and the Adj-RIB-Out it keeps in step with the plan.
 *
 * A session owns up to two TCP connections while it opens: the one it
 * dialled and one the peer dialled (accepted by the speaker's listener and
 * handed over). The connection collision rule of RFC 4271 6.8 keeps one.
 * Every close sends the NOTIFICATION that says why; after a failure the
 * session waits ConnectRetry with exponential backoff and jitter before it
 * dials again (RFC 4271 8.2.1.3, 10), so a peer that refuses never causes
 * a busy loop. The hold timer runs on what is received: a silent peer is
 * dropped after the hold time.
 */
#ifndef VIPCAST_SPEAKER_BGP_SESSION_H
#define VIPCAST_SPEAKER_BGP_SESSION_H

#include <event2/event.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "model.h"
#include "plan.h"

struct bgp_session_config {
	char name[256];               /* BGPPeer "namespace/name" */
	uint32_t local_as, peer_as;   /* peer_as 0: dynamic */
	enum dynamic_asn dynamic;
	struct ipaddr peer, source;   /* source family 0: the kernel's choice */
	uint16_t port;
	uint32_t router_id;           /* host order */
	uint16_t hold_time;           /* seconds; 0: no keepalives */
	uint16_t keepalive_time;      /* seconds */
	uint32_t connect_retry_ms;    /* first ConnectRetry interval */
	bool multihop, graceful_restart, disable_mp, dual_stack;
	char password[81];
	struct ipaddr other_next_hop; /* the node's address of the other family (dualStackAddressFamily) */
};

/* The first parameter that differs, by its BGPPeer name ("holdTime"), or NULL when none does. */
const char *bgp_session_config_diff(const struct bgp_session_config *a, const struct bgp_session_config *b);

enum bgp_state { BS_IDLE, BS_CONNECT, BS_ACTIVE, BS_OPENSENT, BS_OPENCONFIRM, BS_ESTABLISHED };
const char *bgp_state_name(enum bgp_state s);

struct bgp_session;

/* Starts dialling at once. restarted: this process just started (the graceful restart R bit). */
struct bgp_session *bgp_session_new(struct event_base *base, const struct bgp_session_config *cfg, bool restarted);
const struct bgp_session_config *bgp_session_cfg(const struct bgp_session *s);
enum bgp_state bgp_session_state(const struct bgp_session *s);

/* The routes the plan gives this peer; an Established session sends the difference at once. */
void bgp_session_set_routes(struct bgp_session *s, const struct plan_route *routes, size_t n,
			    const struct plan_attrs *attrs, size_t nattrs);

/* A connection the listener accepted from this peer's address; the session owns fd from now on. */
void bgp_session_accept(struct bgp_session *s, int fd);

/*
 * Closes the session with Cease/subcode (BGP_CEASE_*) and frees it. The
 * NOTIFICATION is flushed in the background; bgp_closing_count() says how
 * many are still going (a stopping daemon waits for them, briefly).
 */
void bgp_session_close(struct bgp_session *s, uint8_t cease_subcode);
unsigned bgp_closing_count(void);

json_t *bgp_session_status(const struct bgp_session *s);

#endif
