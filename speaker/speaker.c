#include "speaker.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bfd_peers.h"
#include "bgp.h"
#include "bgp_listener.h"
#include "bgp_session.h"
#include "bgp_unnumbered.h"
#include "clock.h"
#include "config_watch.h"
#include "generation.h"
#include "diag.h"
#include "load.h"
#include "log.h"
#include "metrics.h"
#include "plan.h"
#include "reload_metrics.h"
#include "reload_worker.h"
#include "status_writer.h"
#include "xalloc.h"

struct speaker {
	struct event_base *base;
	struct status_writer *status;  /* NULL without --status */
	struct speaker_options o;
	struct generation gen;
	bool loaded_once, stopped, drained;
	struct bgp_session **sessions;
	size_t nsessions;
	struct bgp_listener *listener;
	struct bfd_peers *bfd;
	struct config_watch *watch;
	struct reload_worker *worker;
	struct l2 *l2;
	struct bgp_unnumbered *unnumbered;  /* made when a BGPPeer first names an interface */
	unsigned reloads, refused;
	struct metric_hist build_hist;  /* vipcast_reload_duration_seconds */
};

/* ---- BGPPeer -> session parameters ---- */

static const struct ipaddr *node_address(const struct object *node, uint8_t family)
{
	const struct ipaddr *any = NULL;
	for (size_t i = 0; i < node->node.naddrs; i++) {
		const struct node_address *a = &node->node.addrs[i];
		if (a->ip.family != family)
			continue;
		if (a->type && strcmp(a->type, "InternalIP") == 0)
			return &a->ip;
		if (!any)
			any = &a->ip;
	}
	return any;
}

bool speaker_session_config(const struct object *peer, const struct object *node, struct bgp_session_config *c)
{
	const struct bgp_peer *p = &peer->peer;
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s/%s", peer->meta.namespace, peer->meta.name);
	if (p->interface.s && *p->interface.s && !p->peer_address.set) {
		/* Unnumbered: the peer's link-local address is found on the interface (bgp_unnumbered_resolve). */
		snprintf(c->ifname, sizeof(c->ifname), "%s", p->interface.s);
		c->peer.family = IPF_V6;
	} else if (!p->peer_address.set || ipaddr_is_unspecified(&p->peer_address.a)) {  /* never dial this host */
		log_warn("bgp", "BGPPeer %s: no session: spec.peerAddress is not an address a connection can go to",
			 c->name);
		return false;
	} else {
		c->peer = p->peer_address.a;
	}
	c->local_as = (uint32_t)(p->local_asn.set ? p->local_asn.v : p->my_asn.v);
	c->peer_as = p->peer_asn.set ? (uint32_t)p->peer_asn.v : 0;
	c->dynamic = p->dynamic_asn;
	if (p->source_address.set && !c->ifname[0])
		c->source = p->source_address.a;
	c->port = p->peer_port.set ? (uint16_t)p->peer_port.v : BGP_PORT;
	int64_t hold = p->hold_time.v / 1000000000, ka = p->keepalive_time.v / 1000000000;
	c->hold_time = (uint16_t)(hold > 0 && hold < 3 ? 3 : hold);
	c->keepalive_time = (uint16_t)ka;
	if (p->connect_time.set && p->connect_time.v > 0)
		c->connect_retry_ms = (uint32_t)(p->connect_time.v / 1000000);
	c->multihop = p->ebgp_multihop.v;
	c->graceful_restart = p->graceful_restart.v;
	c->disable_mp = p->disable_mp.v;
	c->dual_stack = p->dual_stack_af.v;
	if (p->md5_password)
		snprintf(c->password, sizeof(c->password), "%s", p->md5_password);

	const struct ipaddr *v4 = node_address(node, IPF_V4);
	if (p->router_id.set)
		c->router_id = (uint32_t)p->router_id.a.b[0] << 24 | (uint32_t)p->router_id.a.b[1] << 16 |
			       (uint32_t)p->router_id.a.b[2] << 8 | p->router_id.a.b[3];
	else if (v4)
		c->router_id = (uint32_t)v4->b[0] << 24 | (uint32_t)v4->b[1] << 16 | (uint32_t)v4->b[2] << 8 | v4->b[3];
	else {
		log_error("bgp", "BGPPeer %s: Node %s has no IPv4 address to use as router ID; set spec.routerID",
			  c->name, node->meta.name);
		return false;
	}
	const struct ipaddr *other = c->ifname[0] ? NULL : node_address(node, c->peer.family == IPF_V4 ? IPF_V6 : IPF_V4);
	if (other)
		c->other_next_hop = *other;
	if (p->vrf.s && *p->vrf.s)
		log_warn("bgp", "BGPPeer %s: spec.vrf is not supported yet; the session uses the default VRF", c->name);
	return true;
}

/* ---- applying a plan ---- */

static struct bgp_session *find_by_name(struct speaker *s, const char *name, size_t *at)
{
	for (size_t i = 0; i < s->nsessions; i++)
		if (strcmp(bgp_session_cfg(s->sessions[i])->name, name) == 0) {
			*at = i;
			return s->sessions[i];
		}
	return NULL;
}

static void *find_by_address(const struct ipaddr *peer, void *arg)
{
	struct speaker *s = arg;
	for (size_t i = 0; i < s->nsessions; i++)
		if (ipaddr_eq(&bgp_session_cfg(s->sessions[i])->peer, peer))
			return s->sessions[i];
	return NULL;
}

static void accept_for(void *session, int fd, void *arg)
{
	(void)arg;
	bgp_session_accept(session, fd);
}

static void apply_bgp(struct speaker *s, const struct plan *p, const struct config *c);

/* An unnumbered peer was found or lost: the sessions are built again from the plan in force. */
static void on_unnumbered_change(void *arg)
{
	struct speaker *s = arg;
	if (s->loaded_once && !s->stopped && !s->drained)
		apply_bgp(s, s->gen.plan, s->gen.cfg);
}

/* Fills in an unnumbered peer's address: false while none is known (no session yet). */
static bool resolve_unnumbered(struct speaker *s, struct bgp_session_config *cfg)
{
	if (!s->unnumbered)
		s->unnumbered = bgp_unnumbered_new(s->base, on_unnumbered_change, s);
	return s->unnumbered && bgp_unnumbered_resolve(s->unnumbered, cfg);
}

/*
 * The new set of sessions is built beside the old one, and only then are the
 * old sessions that are not carried over closed: nothing is freed while a
 * list that still holds it is being searched.
 */
static void apply_bgp(struct speaker *s, const struct plan *p, const struct config *c)
{
	const struct object *node = config_find(c, KIND_NODE, NULL, s->o.node);
	struct bgp_session **next = xcalloc(p->npeers + 1, sizeof(*next));
	size_t nnext = 0;
	bool *kept = xcalloc(s->nsessions + 1, sizeof(*kept));
	/* Old sessions to close once the new set stands, with the Cease subcode that says why. */
	uint8_t *cease = xcalloc(s->nsessions + 1, sizeof(*cease));
	bfd_peers_begin(s->bfd);

	if (s->unnumbered)
		bgp_unnumbered_begin(s->unnumbered);
	for (size_t i = 0; node && i < p->npeers; i++) {
		struct bgp_session_config cfg;
		if (!speaker_session_config(p->peers[i].peer, node, &cfg))
			continue;
		if (cfg.ifname[0] && !resolve_unnumbered(s, &cfg))
			continue;
		size_t at = 0;
		struct bgp_session *old = find_by_name(s, cfg.name, &at);
		struct bgp_session *ses = NULL;
		const char *changed = old ? bgp_session_config_diff(bgp_session_cfg(old), &cfg) : NULL;
		if (old && !changed) {
			ses = old;
			kept[at] = true;
		} else {
			if (old) {
				cease[at] = BGP_CEASE_CONFIG_CHANGE;
				log_info("bgp", "BGPPeer %s changed (%s): restarting its session", cfg.name, changed);
			}
			ses = bgp_session_new(s->base, &cfg, !s->loaded_once);
			if (!ses)
				continue;
		}
		bfd_peers_want(s->bfd, ses, p->peers[i].peer, c);
		bgp_session_set_routes(ses, p->peers[i].routes, p->peers[i].nroutes, p->attrs, p->nattrs);
		next[nnext++] = ses;
	}
	for (size_t i = 0; i < s->nsessions; i++)
		if (!kept[i])
			bgp_session_close(s->sessions[i], cease[i] ? cease[i] : BGP_CEASE_PEER_DECONFIGURED);
	if (s->unnumbered)
		bgp_unnumbered_end(s->unnumbered);
	bfd_peers_end(s->bfd);
	free(cease);
	free(kept);
	free(s->sessions);
	s->sessions = next;
	s->nsessions = nnext;

	if (s->nsessions && !s->listener && s->o.bgp_port)
		s->listener = bgp_listener_new(s->base, s->o.bgp_port, find_by_address, accept_for, s);
	if (s->listener) {
		struct ipaddr *peers = xcalloc(s->nsessions + 1, sizeof(*peers));
		const char **keys = xcalloc(s->nsessions + 1, sizeof(*keys));
		size_t n = 0;
		for (size_t i = 0; i < s->nsessions; i++) {
			const struct bgp_session_config *cfg = bgp_session_cfg(s->sessions[i]);
			if (cfg->password[0]) {
				peers[n] = cfg->peer;
				keys[n++] = cfg->password;
			}
		}
		bgp_listener_set_keys(s->listener, peers, keys, n);
		free(peers);
		free(keys);
	}
}

void speaker_write_status(struct speaker *s)
{
	if (!s->status)
		return;
	char *text = speaker_status(s);
	if (!text) {
		log_warn("speaker", "cannot build the status for %s: out of memory", s->o.status_path);
		return;
	}
	status_writer_put(s->status, text);
}

static const char *source_name(const struct speaker *s)
{
	return s->o.config_path ? s->o.config_path : "the Kubernetes configuration";
}

static void refused(struct speaker *s, const struct diags *d)
{
	s->refused++;
	log_event(LOG_ERROR, "config", "%s is invalid (%zu errors): %s", source_name(s), d->errors,
		  s->loaded_once ? "keeping the configuration in force" : "announcing nothing until it is fixed");
}

void speaker_refused(struct speaker *s, const struct diags *d)
{
	refused(s, d);
}

void speaker_build_timed(struct speaker *s, double seconds)
{
	metric_hist_observe(&s->build_hist, seconds);
}

void speaker_config_stats(const struct speaker *s, struct speaker_config_stats *out)
{
	out->refused = s->refused;
	out->build_seconds = &s->build_hist;
}

bool speaker_loaded(const struct speaker *s)
{
	return s->loaded_once;
}

struct l2 *speaker_l2(struct speaker *s)
{
	return s->l2;
}

json_t *speaker_unnumbered_status(const struct speaker *s)
{
	return bgp_unnumbered_status(s->unnumbered);
}

const struct generation *speaker_generation(const struct speaker *s)
{
	return s->loaded_once ? &s->gen : NULL;
}

struct generation *speaker_generation_in_force(struct speaker *s)
{
	return s->loaded_once && !s->drained && !s->stopped ? &s->gen : NULL;
}

/* Puts g in force: only the difference reaches the sessions and L2. Takes g. */
void speaker_apply(struct speaker *s, struct generation *g)
{
	const struct plan *p = g->plan;
	if (s->drained) {
		log_info("speaker", "drained: a new configuration is not put in force");
		generation_free(g);
		return;
	}
	if (!g->patched && !p->node_found)  /* a patch changes Services only: said when first planned */
		log_warn("speaker", "Node %s is not in the configuration: announcing nothing", s->o.node);
	else if (!g->patched && p->node_silent)
		log_info("speaker", "Node %s announces nothing: %s", s->o.node, p->node_silent);
	size_t routes = 0;
	for (size_t i = 0; i < p->npeers; i++)
		routes += p->peers[i].nroutes;

	uint64_t t0 = clock_ns(CLOCK_MONOTONIC);
	bool g_patched = g->patched;
	apply_bgp(s, p, g->cfg);
	if (s->l2)
		l2_apply(s->l2, p, g->cfg);
	/* Sessions copied what they need; L2 keeps pointers into the new generation. */
	generation_free(&s->gen);
	s->gen = *g;
	s->loaded_once = true;
	s->reloads++;
	log_event(g_patched ? LOG_DEBUG : LOG_INFO, "config", "%s %s in %.3f s (applied in %.3f s): %zu Services with addresses (%zu from the "
			   "allocator; %zu announced, %zu without a ready endpoint), %zu BGP peers for this node, %zu "
			   "routes over all of them, %zu L2 VIPs",
		 g_patched ? "patched" : "loaded", source_name(s), s->gen.seconds, (double)(clock_ns(CLOCK_MONOTONIC) - t0) / 1e9,
		 p->services_announced + p->services_without_endpoints, s->gen.allocated, p->services_announced,
		 p->services_without_endpoints, p->npeers, routes, p->nl2);
	speaker_write_status(s);
}

bool speaker_reload(struct speaker *s)
{
	struct diags d;
	struct generation g;
	diags_init(&d);
	bool ok = generation_build(&g, s->o.config_path, s->o.node, s->o.lb_class, &d);
	speaker_build_timed(s, g.seconds);
	diags_print(&d, stderr);
	if (ok)
		speaker_apply(s, &g);
	else
		refused(s, &d);
	diags_free(&d);
	return ok;
}

static void on_built(struct generation *g, bool ok, const struct diags *d, void *arg)
{
	struct speaker *s = arg;
	speaker_build_timed(s, g->seconds);
	diags_print(d, stderr);
	if (!ok)
		refused(s, d);
	else if (s->stopped)
		generation_free(g);
	else
		speaker_apply(s, g);
}

/* Reloads triggered while running are built off the loop and applied when ready. */
static void on_config_change(void *arg)
{
	struct speaker *s = arg;
	if (s->stopped)
		return;
	if (!s->worker || !reload_worker_request(s->worker))
		speaker_reload(s);
}

struct speaker *speaker_new(struct event_base *base, const struct speaker_options *o)
{
	struct speaker *s = xcalloc(1, sizeof(*s));
	s->base = base;
	s->o = *o;
	reload_hist_init(&s->build_hist);
	s->l2 = l2_new(base, o->node, &o->l2);
	s->bfd = bfd_peers_new(base);
	if (o->status_path)
		s->status = status_writer_new(o->status_path);
	if (o->config_path) {
		s->worker = reload_worker_new(base, o->config_path, o->node, o->lb_class, on_built, s);
		s->watch = config_watch_new(base, o->config_path, on_config_change, s);
	}
	return s;
}

/* Ends every session as `how` says (bgp_session_end) and hands the L2 VIPs over. */
static void speaker_end(struct speaker *s, enum bgp_end how)
{
	for (size_t i = 0; i < s->nsessions; i++)
		bgp_session_end(s->sessions[i], how);
	s->nsessions = 0;
	bfd_peers_begin(s->bfd);
	bfd_peers_end(s->bfd);  /* AdminDown to every BFD peer */
	if (s->l2)
		l2_free(s->l2);
	s->l2 = NULL;
}

void speaker_stop(struct speaker *s)
{
	if (s->stopped)
		return;
	s->stopped = true;
	/* Routes stay announced up to the close: on the graceful restart path the peer keeps them. */
	speaker_end(s, BGP_END_RESTART);
}

void speaker_drain(struct speaker *s)
{
	if (s->stopped || s->drained)
		return;
	s->drained = true;
	log_event(LOG_INFO, "speaker", "draining: withdrawing every route, closing %zu BGP sessions, releasing "
				       "the L2 VIPs; announcing nothing until stopped", s->nsessions);
	for (size_t i = 0; i < s->nsessions; i++)
		bgp_session_set_routes(s->sessions[i], NULL, 0, NULL, 0);
	speaker_end(s, BGP_END_LEAVE);
	speaker_write_status(s);
}

bool speaker_drained(const struct speaker *s)
{
	return s->drained;
}

const char *speaker_node(const struct speaker *s)
{
	return s->o.node;
}

bool speaker_file_mode(const struct speaker *s)
{
	return s->o.config_path != NULL;
}

bool speaker_stopped(const struct speaker *s)
{
	return s->stopped;
}

void speaker_free(struct speaker *s)
{
	if (!s)
		return;
	speaker_stop(s);
	free(s->sessions);
	reload_worker_free(s->worker);
	bgp_listener_free(s->listener);
	bgp_unnumbered_free(s->unnumbered);
	bfd_peers_free(s->bfd);
	config_watch_free(s->watch);
	generation_free(&s->gen);
	status_writer_free(s->status);
	free(s);
}

char *speaker_status(const struct speaker *s)
{
	json_t *sessions = json_array();
	for (size_t i = 0; i < s->nsessions; i++)
		json_array_append_new(sessions, bgp_session_status(s->sessions[i]));
	json_t *j = json_pack("{s:s, s:s, s:I, s:I, s:o}", "node", s->o.node, "source", source_name(s), "reloads", (json_int_t)s->reloads,
			      "refused_reloads", (json_int_t)s->refused, "bgp", sessions);
	json_object_set_new(j, "bfd", bfd_peers_status(s->bfd));
	if (s->l2)
		json_object_set_new(j, "l2", l2_status(s->l2));
	json_object_set_new(j, "bgp_unnumbered", bgp_unnumbered_status(s->unnumbered));
	char *text = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(j);
	return text;
}

struct bgp_session *const *speaker_sessions(const struct speaker *s, size_t *n)
{
	*n = s->nsessions;
	return s->sessions;
}

const struct bfd_peers *speaker_bfd(const struct speaker *s)
{
	return s->bfd;
}
