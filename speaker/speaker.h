/*
 * The speaker: one node's view of the configuration turned into BGP
 * sessions and L2 answers, in one libevent loop.
 *
 * Every (re)load reads the whole configuration (off the event loop, on
 * the reload thread, except the first), validates it (an invalid
 * one is refused and the previous stays in force), gives Services without
 * a status address one from the controller's allocator (deterministic, so
 * every speaker agrees), builds the plan, and applies only the difference:
 * sessions whose BGPPeer did not change stay up and get the UPDATEs that
 * the new plan implies; changed ones are closed with Cease/Configuration
 * Change and opened again; removed ones get Cease/Peer De-configured.
 */
#ifndef VIPCAST_SPEAKER_SPEAKER_H
#define VIPCAST_SPEAKER_SPEAKER_H

#include <event2/event.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "l2.h"

struct speaker_options {
	const char *config_path;  /* file mode; NULL: the Kubernetes source (kspeaker.h) hands generations */
	const char *node;
	const char *lb_class;     /* NULL: Services with no loadBalancerClass */
	uint16_t bgp_port;        /* listening port; 0: do not listen */
	const char *status_path;  /* JSON status written here on every change; NULL: none */
	struct l2_options l2;
};

struct speaker;

struct speaker *speaker_new(struct event_base *base, const struct speaker_options *o);
/* File mode: reads the configuration again, in place, and applies the difference. False when it was refused. */
bool speaker_reload(struct speaker *s);
struct generation;
struct diags;
/* Puts g in force (taken): only the difference reaches the sessions and L2. */
void speaker_apply(struct speaker *s, struct generation *g);
/* A configuration was refused: counted and logged; the one in force stays. */
void speaker_refused(struct speaker *s, const struct diags *d);
/* A configuration was read (or taken from the API), validated and planned in seconds, refused or not. */
void speaker_build_timed(struct speaker *s, double seconds);
/* For vipcast_config_load_errors_total and vipcast_reload_duration_seconds. */
struct metric_hist;
struct speaker_config_stats {
	unsigned refused;
	const struct metric_hist *build_seconds;
};
void speaker_config_stats(const struct speaker *s, struct speaker_config_stats *out);
/* A generation has been put in force. */
bool speaker_loaded(const struct speaker *s);
/* The L2 part, or NULL (none could be set up, or stopped). */
struct l2 *speaker_l2(struct speaker *s);
/* Unnumbered BGP: each interface a BGPPeer names, its state and the peer found there (an empty array when none). */
json_t *speaker_unnumbered_status(const struct speaker *s);
/* The generation in force, or NULL. */
const struct generation *speaker_generation(const struct speaker *s);
/* The same, to patch (generation_patch()); NULL also when drained or stopped, where nothing new is put in force. */
struct generation *speaker_generation_in_force(struct speaker *s);
/*
 * For a restart (SIGTERM, SIGINT): ends every session without withdrawing
 * anything, where graceful restart was negotiated so that the peer keeps
 * forwarding (bgp_session_end, BGP_END_RESTART), else with Cease /
 * Administrative Shutdown; hands L2 VIPs over; then the loop can end.
 */
void speaker_stop(struct speaker *s);
/*
 * For a node leaving for good: withdraws every route and closes every
 * session so that the peer flushes them (Cease / Hard Reset where RFC 8538
 * was negotiated, else Cease / Administrative Shutdown), releases the L2
 * VIPs. The process keeps running, announcing nothing and not ready, and
 * puts no later configuration in force, until speaker_stop().
 */
void speaker_drain(struct speaker *s);
bool speaker_drained(const struct speaker *s);
bool speaker_stopped(const struct speaker *s);
/* This node's name; whether the configuration comes from a file (else Kubernetes). */
const char *speaker_node(const struct speaker *s);
bool speaker_file_mode(const struct speaker *s);
void speaker_free(struct speaker *s);
/* The BFD sessions of the BGP peers. */
struct bfd_peers;
const struct bfd_peers *speaker_bfd(const struct speaker *s);
/* Rewrites the status file (options.status_path), if any. */
void speaker_write_status(struct speaker *s);
/* The whole state as JSON text (caller frees); NULL when out of memory. */
char *speaker_status(const struct speaker *s);

struct bgp_session;
/* The BGP sessions in force. */
struct bgp_session *const *speaker_sessions(const struct speaker *s, size_t *n);

struct object;
struct bgp_session_config;
/* The session parameters a BGPPeer gives on a Node (false, logged: the Node has no router ID). */
bool speaker_session_config(const struct object *peer, const struct object *node, struct bgp_session_config *c);

#endif
