/*
 * One BGP session to one peer (RFC 4271): the finite state machine, its
 * timers, and the Adj-RIB-Out it keeps in step with the plan.
 *
 * A session has two connection slots, embedded in it and never freed on
 * their own: the connection it dialled and the one the peer dialled
 * (accepted by the speaker's listener and handed over). Each runs the RFC
 * 4271 state machine as a table of (state, event) -> action, next state;
 * one function changes a connection's state, arms its timers and derives
 * the session's state from its two slots. The collision rule of RFC 4271
 * 6.8 keeps one connection. Every close goes through one teardown that
 * sends the NOTIFICATION saying why (RFC 6608 subcodes for unexpected
 * messages) and hands the socket to a linger that flushes it. After a
 * failure the session waits ConnectRetry (connectTime, or exponential
 * backoff from 1 s without it) with jitter before it dials again (RFC 4271
 * 8.2.1.3, 10), so a peer that refuses never causes a busy loop. The hold timer runs on what is
 * received; a send hold timer (RFC 9687) drops a peer that stops reading,
 * and the output a connection may queue is bounded.
 */
#ifndef VIPCAST_SPEAKER_BGP_SESSION_H
#define VIPCAST_SPEAKER_BGP_SESSION_H

#include <event2/event.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "addr.h"
#include "model.h"
#include "plan.h"

struct bgp_session_config {
	char name[256];               /* BGPPeer "namespace/name" */
	uint32_t local_as, peer_as;   /* local_as: localASN, else myASN; peer_as 0: dynamic */
	enum dynamic_asn dynamic;
	struct ipaddr peer, source;   /* source family 0: the kernel's choice */
	uint16_t port;
	uint32_t router_id;           /* host order */
	uint16_t hold_time;           /* seconds; 0: no keepalives */
	uint16_t keepalive_time;      /* seconds */
	uint32_t connect_retry_ms;    /* ConnectRetry interval (connectTime); 0: backoff from 1 s */
	bool multihop, graceful_restart, dual_stack;
	bool disable_mp;              /* deprecated in MetalLB, no effect: only shown */
	char password[81];
	struct ipaddr other_next_hop; /* the node's address of the other family (dualStackAddressFamily);
	                                 unnumbered: a global IPv6 address on the interface, if any */
	/*
	 * Unnumbered BGP (BGPPeer interface): peer is the link-local address
	 * found on ifname (bgp_unnumbered.h), ifindex its scope. Both families
	 * are offered, with the RFC 8950 extended next hop for IPv4.
	 */
	char ifname[16];
	int ifindex;
};

/* The first parameter that differs, by its BGPPeer name ("holdTime"), or NULL when none does. */
const char *bgp_session_config_diff(const struct bgp_session_config *a, const struct bgp_session_config *b);

enum bgp_state { BS_IDLE, BS_CONNECT, BS_ACTIVE, BS_OPENSENT, BS_OPENCONFIRM, BS_ESTABLISHED };
const char *bgp_state_name(enum bgp_state s);

struct bgp_session;

/*
 * Starts dialling at once. restarted: this process just started, so the
 * first OPEN carries the graceful restart R bit (see send_open()).
 */
struct bgp_session *bgp_session_new(struct event_base *base, const struct bgp_session_config *cfg, bool restarted);
const struct bgp_session_config *bgp_session_cfg(const struct bgp_session *s);
enum bgp_state bgp_session_state(const struct bgp_session *s);

/*
 * Replaces the TCP connect: dial returns a connected socket (or -1 with
 * errno). For tests over socketpairs; set it before the loop runs.
 */
void bgp_session_set_dialer(struct bgp_session *s, int (*dial)(void *arg), void *arg);

/* The routes the plan gives this peer; an Established session sends the difference at once. */
void bgp_session_set_routes(struct bgp_session *s, const struct plan_route *routes, size_t n,
			    const struct plan_attrs *attrs, size_t nattrs);

/*
 * A connection the listener accepted from this peer's address; the session
 * owns fd from now on. While a connection is Established a second one is
 * refused on the socket itself (Cease / Connection Rejected), unless the
 * peer does graceful restart: then it replaces the old one (RFC 4724 4.2).
 */
void bgp_session_accept(struct bgp_session *s, int fd);

/*
 * Closes the session with Cease/subcode (BGP_CEASE_*) and frees it. The
 * NOTIFICATION is flushed in the background; bgp_closing_count() says how
 * many are still going (a stopping daemon waits for them, briefly).
 */
void bgp_session_close(struct bgp_session *s, uint8_t cease_subcode);
unsigned bgp_closing_count(void);

/*
 * Why the speaker ends a session, when the peer's routes should follow
 * (RFC 4724, RFC 8538):
 * BGP_END_RESTART: this process stops and starts again. Where graceful
 * restart was negotiated the peer is left forwarding on our routes for
 * the restart time: with the N bit on both sides, Cease / Administrative
 * Shutdown (RFC 8538 4: the peer treats it as a restart); without it, the
 * TCP connection closes with no NOTIFICATION (RFC 4724 4.2). Otherwise
 * Cease / Administrative Shutdown, and the peer withdraws our routes.
 * BGP_END_LEAVE: the node leaves for good: Cease / Hard Reset where N was
 * negotiated (RFC 8538 3), else Cease / Administrative Shutdown; both make
 * the peer flush our routes at once.
 * Logs which path it took; then as bgp_session_close().
 */
enum bgp_end { BGP_END_RESTART, BGP_END_LEAVE };
void bgp_session_end(struct bgp_session *s, enum bgp_end how);

/*
 * BFD for this peer (RFC 5882 4.3). While held, the session neither dials
 * nor accepts a connection, and shows Idle; releasing the hold dials at
 * once. bgp_session_bfd_down(): the BFD session went Down after being Up:
 * every connection ends at once with Cease / BFD Down (RFC 9384), and the
 * session is held.
 */
void bgp_session_bfd_hold(struct bgp_session *s, bool held);
void bgp_session_bfd_down(struct bgp_session *s);

/* Graceful restart (and its N bit) as negotiated on the last Established connection. */
bool bgp_session_gr_negotiated(const struct bgp_session *s, bool *notification);

json_t *bgp_session_status(const struct bgp_session *s);

/*
 * For metrics (MetalLB's metallb_bgp_*): updates_out counts the UPDATE
 * messages sent (End-of-RIB markers too) since the session was made;
 * pending the routes the plan gives the peer; announced those of them the
 * peer holds (0 while not Established; routes that could not be encoded
 * are not held).
 */
struct bgp_session_counters {
	bool up;
	uint64_t updates_out;
	/* Messages by type, as MetalLB's FRR mode counts them (a closing NOTIFICATION included). */
	uint64_t opens_sent, opens_received, notifications_sent, updates_received, keepalives_sent,
		keepalives_received, route_refresh_sent, total_sent, total_received;
	size_t announced, pending;
};
void bgp_session_counters(const struct bgp_session *s, struct bgp_session_counters *c);

/* A NOTIFICATION sent or received: code 0 when none yet. */
struct bgp_notif_seen {
	uint8_t code, subcode;
	time_t at;  /* wall clock */
};

/* For the control socket: the state, since when, and what last went wrong. */
struct bgp_session_info {
	enum bgp_state state;
	time_t since;                  /* wall clock of the last state change */
	uint64_t prefixes_received;
	size_t routes;                 /* the routes the plan gives the peer */
	const char *last_error;        /* "" when none */
	struct bgp_notif_seen notif_sent, notif_rcvd;
};
void bgp_session_info(const struct bgp_session *s, struct bgp_session_info *out);

#endif
