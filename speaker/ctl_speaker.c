#include "ctl_speaker.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bgp.h"
#include "bfd_peers.h"
#include "bgp_session.h"
#include "ctl_server.h"
#include "generation.h"
#include "log.h"
#include "plan.h"
#include "plan_why.h"

#define CTL_SERVICES_WORK_MAX 2000000u  /* about 10 ms of the plan's walk: under the L2 detection time at 10 ms heartbeats */

static json_t *notif_json(const struct bgp_notif_seen *n)
{
	if (!n->code)
		return json_null();
	return json_pack("{s:i, s:i, s:s, s:s, s:I}", "code", n->code, "subcode", n->subcode, "code_name",
			 bgp_err_code_name(n->code), "subcode_name", bgp_err_subcode_name(n->code, n->subcode), "at",
			 (json_int_t)n->at);
}

static json_t *session_json(const struct bgp_session *ses)
{
	struct bgp_session_info in;
	bgp_session_info(ses, &in);
	struct bgp_session_counters n;
	bgp_session_counters(ses, &n);
	const struct bgp_session_config *cfg = bgp_session_cfg(ses);
	char addr[IPADDR_STRLEN];
	ipaddr_format(&cfg->peer, addr);
	time_t now = time(NULL);
	return json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:s?, s:o, s:o}", "peer", cfg->name, "address", addr,
			 "state", bgp_state_name(in.state), "since", (json_int_t)in.since, "uptime_s",
			 (json_int_t)(in.state == BS_ESTABLISHED && now >= in.since ? now - in.since : 0),
			 "routes_sent", (json_int_t)n.announced, "prefixes_received",
			 (json_int_t)in.prefixes_received, "last_error", in.last_error[0] ? in.last_error : NULL,
			 "last_notification_sent", notif_json(&in.notif_sent), "last_notification_received",
			 notif_json(&in.notif_rcvd));
}

static const struct bgp_session *session_named(struct speaker *s, const char *name)
{
	size_t n;
	struct bgp_session *const *v = speaker_sessions(s, &n);
	for (size_t i = 0; i < n; i++)
		if (strcmp(bgp_session_cfg(v[i])->name, name) == 0)
			return v[i];
	return NULL;
}

static json_t *cmd_status(struct speaker *s)
{
	size_t n;
	struct bgp_session *const *v = speaker_sessions(s, &n);
	json_t *sessions = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(sessions, session_json(v[i]));
	const struct generation *g = speaker_generation(s);
	const char *silent = g && g->plan->node_silent ? g->plan->node_silent
			     : g && !g->plan->node_found ? "the Node is not in the configuration"
							 : NULL;
	struct l2 *l2 = speaker_l2(s);
	return json_pack("{s:s, s:s, s:s, s:b, s:b, s:b, s:s?, s:o, s:o, s:o, s:o}", "daemon", "speaker", "node",
			 speaker_node(s), "mode", speaker_file_mode(s) ? "file" : "kubernetes", "loaded", g != NULL,
			 "stopped", speaker_stopped(s), "drained", speaker_drained(s), "silent", silent, "sessions", sessions,
			 "bfd", bfd_peers_status(speaker_bfd(s)), "l2", l2 ? l2_status(l2) : json_null(), "bgp_unnumbered",
			 speaker_unnumbered_status(s));
}

static void prefix_text(const struct bgp_prefix *p, char *buf, size_t len)
{
	struct ipaddr ip = {.family = p->family};
	char s[IPADDR_STRLEN];
	memcpy(ip.b, p->addr, 16);
	ipaddr_format(&ip, s);
	snprintf(buf, len, "%s/%u", s, p->len);
}

static json_t *route_json(const struct plan_route *r, const struct plan_attrs *a)
{
	char pfx[IPADDR_STRLEN + 8], c[40];
	prefix_text(&r->pfx, pfx, sizeof(pfx));
	json_t *comm = json_array(), *large = json_array();
	for (size_t i = 0; i < a->ncommunities; i++) {
		snprintf(c, sizeof(c), "%u:%u", a->communities[i] >> 16, a->communities[i] & 0xffff);
		json_array_append_new(comm, json_string(c));
	}
	for (size_t i = 0; i < a->nlarge; i++) {
		snprintf(c, sizeof(c), "%u:%u:%u", a->large[i][0], a->large[i][1], a->large[i][2]);
		json_array_append_new(large, json_string(c));
	}
	json_t *j = json_pack("{s:s, s:o, s:o}", "prefix", pfx, "communities", comm, "large_communities", large);
	json_object_set_new(j, "local_pref", a->has_local_pref ? json_integer(a->local_pref) : json_null());
	if (a->link_bw_eps)
		json_object_set_new(j, "link_bandwidth_endpoints", json_integer(a->link_bw_eps));
	return j;
}

static bool peer_matches(const struct object *peer, const char *want)
{
	char full[300], addr[IPADDR_STRLEN] = "";
	snprintf(full, sizeof(full), "%s/%s", peer->meta.namespace, peer->meta.name);
	if (peer->peer.peer_address.set)
		ipaddr_format(&peer->peer.peer_address.a, addr);
	return !strcmp(want, peer->meta.name) || !strcmp(want, full) || !strcmp(want, addr);
}

static json_t *cmd_routes(struct speaker *s, const char *want, char *err, size_t errlen)
{
	const struct generation *g = speaker_generation(s);
	if (!g) {
		snprintf(err, errlen, "no configuration loaded yet");
		return NULL;
	}
	const struct plan *p = g->plan;
	json_t *peers = json_array();
	for (size_t i = 0; i < p->npeers; i++) {
		const struct plan_peer *pp = &p->peers[i];
		if (want && !peer_matches(pp->peer, want))
			continue;
		char name[300], addr[IPADDR_STRLEN] = "";
		snprintf(name, sizeof(name), "%s/%s", pp->peer->meta.namespace, pp->peer->meta.name);
		if (pp->peer->peer.peer_address.set)
			ipaddr_format(&pp->peer->peer.peer_address.a, addr);
		const struct bgp_session *ses = session_named(s, name);
		const char *state = ses ? bgp_state_name(bgp_session_state(ses)) : "none";
		json_t *routes = json_array();
		for (size_t k = 0; k < pp->nroutes; k++)
			json_array_append_new(routes, route_json(&pp->routes[k], &p->attrs[pp->routes[k].attrs]));
		json_array_append_new(peers, json_pack("{s:s, s:s, s:s, s:b, s:o}", "peer", name, "address", addr,
						       "state", state, "announced",
						       ses && bgp_session_state(ses) == BS_ESTABLISHED, "routes", routes));
	}
	if (want && !json_array_size(peers)) {
		json_decref(peers);
		snprintf(err, errlen, "no BGPPeer \"%s\" selects node %s", want, speaker_node(s));
		return NULL;
	}
	return json_pack("{s:s, s:o}", "node", speaker_node(s), "peers", peers);
}

static json_t *l2_vip(struct speaker *s, const char *ip)
{
	struct l2 *l2 = speaker_l2(s);
	json_t *st = l2 ? l2_status(l2) : NULL, *v, *found = NULL;
	size_t i;
	json_array_foreach(json_object_get(st, "vips"), i, v) {
		if (json_is_string(json_object_get(v, "ip")) && !strcmp(json_string_value(json_object_get(v, "ip")), ip)) {
			found = json_incref(v);
			break;
		}
	}
	json_decref(st);
	return found;
}

static json_t *cmd_services(struct speaker *s, char *err, size_t errlen)
{
	const struct generation *g = speaker_generation(s);
	if (!g) {
		snprintf(err, errlen, "no configuration loaded yet");
		return NULL;
	}
	const struct objects *nodes = &g->cfg->kinds[KIND_NODE];
	/* Which nodes announce each address is the plan's walk once per node and address: on the
	 * daemon's loop, so only while that stays small; beyond, "why" on a node answers for it. */
	size_t nips = 0;
	for (size_t i = 0; i < g->nsvcs; i++)
		nips += g->svcs[i].nips;
	uint64_t work = (uint64_t)nodes->n * nips *
			(g->nsvcs + g->cfg->kinds[KIND_SERVICE].n + g->cfg->kinds[KIND_ENDPOINTSLICE].n + g->cfg->ready.n + 1);
	bool per_node = work <= CTL_SERVICES_WORK_MAX;
	json_t *out = json_array();
	for (size_t i = 0; i < g->nsvcs; i++) {
		const struct svc_addrs *sa = &g->svcs[i];
		json_t *ips = json_array();
		for (size_t k = 0; k < sa->nips; k++) {
			char ip[IPADDR_STRLEN];
			ipaddr_format(&sa->ips[k], ip);
			const struct object *pool = plan_pool_of(g->cfg, &sa->ips[k]);
			json_t *bgp = per_node ? json_array() : json_null();
			for (size_t n = 0; per_node && n < nodes->n; n++)
				if (plan_why_bgp(g->cfg, nodes->v[n]->meta.name, g->svcs, g->nsvcs, &sa->ips[k]))
					json_array_append_new(bgp, json_string(nodes->v[n]->meta.name));
			json_t *l2 = l2_vip(s, ip);
			json_t *owner = l2 ? json_incref(json_object_get(l2, "owner")) : json_null();
			json_decref(l2);
			json_array_append_new(ips, json_pack("{s:s, s:s?, s:o, s:o}", "ip", ip, "pool",
							     pool ? pool->meta.name : NULL, "bgp_nodes", bgp, "l2_owner",
							     owner ? owner : json_null()));
		}
		json_array_append_new(out, json_pack("{s:s, s:s, s:o, s:s?}", "namespace", sa->svc->meta.namespace,
						     "name", sa->svc->meta.name, "ips", ips, "error",
						     sa->nips ? NULL : "no address: none in the status and none could be allocated"));
	}
	json_t *j = json_pack("{s:s, s:o}", "node", speaker_node(s), "services", out);
	if (!per_node)
		json_object_set_new(j, "bgp_nodes_skipped",
				    json_string("too many nodes and Services to compute here; ask \"why VIP\" on a node"));
	return j;
}

/* What only the running daemon knows: sessions towards the peers, and the L2 owner election. */
static void why_runtime(struct speaker *s, const struct ipaddr *vip, const char *ip, struct plan_why *w, bool *bgp,
			bool *l2)
{
	*bgp = *l2 = false;
	for (size_t i = 0; w->bgp && i < w->npeers; i++) {
		char name[300];
		snprintf(name, sizeof(name), "%s/%s", w->peers[i]->meta.namespace, w->peers[i]->meta.name);
		const struct bgp_session *ses = session_named(s, name);
		if (ses && bgp_session_state(ses) == BS_ESTABLISHED) {
			*bgp = true;
			continue;
		}
		struct bgp_session_info in = {0};
		if (ses)
			bgp_session_info(ses, &in);
		plan_why_add(w, WHY_SESSION_DOWN, "bgp", "the session to BGPPeer %s is %s%s%s", name,
			     ses ? bgp_state_name(in.state) : "not running", in.last_error && in.last_error[0] ? ": " : "",
			     in.last_error ? in.last_error : "");
	}
	if (!w->l2)
		return;
	struct l2 *l = speaker_l2(s);
	if (!l) {
		plan_why_add(w, WHY_L2_OFF, "l2", "L2 is not running on this node");
		return;
	}
	const char *const *ifaces = NULL;
	size_t nifaces = 0;
	if (l2_claims(l, vip, &ifaces, &nifaces)) {
		char list[256] = "";
		for (size_t i = 0; i < nifaces; i++)
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? ", " : "", ifaces[i]);
		*l2 = true;
		plan_why_add(w, WHY_L2_OWNER, "l2", "this node is the owner and answers ARP/NDP for %s on %s", ip,
			     nifaces ? list : "every suitable interface");
		return;
	}
	json_t *v = l2_vip(s, ip);
	json_t *owner = json_object_get(v, "owner");
	if (json_is_string(owner))
		plan_why_add(w, WHY_L2_NOT_OWNER, "l2", "not the owner: %s is", json_string_value(owner));
	else
		plan_why_add(w, WHY_L2_NOT_OWNER, "l2", "not the owner: no live eligible node owns it yet");
	json_decref(v);
}

static json_t *cmd_why(struct speaker *s, const char *arg, char *err, size_t errlen)
{
	struct ipaddr vip;
	if (!arg || !ipaddr_parse(arg, strlen(arg), &vip)) {
		snprintf(err, errlen, "why: \"%s\" is not an IP address", arg ? arg : "");
		return NULL;
	}
	const struct generation *g = speaker_generation(s);
	if (!g) {
		snprintf(err, errlen, "no configuration loaded yet");
		return NULL;
	}
	struct plan_why w;
	char ip[IPADDR_STRLEN];
	ipaddr_format(&vip, ip);
	plan_why(g->cfg, speaker_node(s), g->svcs, g->nsvcs, &vip, &w);
	bool bgp, l2;
	if (speaker_stopped(s) || speaker_drained(s))
		plan_why_add(&w, WHY_NODE_EXCLUDED, NULL, "this speaker was drained: it announces nothing");
	why_runtime(s, &vip, ip, &w, &bgp, &l2);
	json_t *reasons = json_array();
	for (size_t i = 0; i < w.n; i++)
		json_array_append_new(reasons, json_pack("{s:s, s:s?, s:s}", "code", why_code_name(w.v[i].code),
							 "mode", w.v[i].mode, "text", w.v[i].text));
	return json_pack("{s:s, s:s, s:b, s:b, s:o}", "vip", ip, "node", speaker_node(s), "bgp", bgp, "l2", l2,
			 "reasons", reasons);
}

json_t *ctl_speaker_handle(const struct ctl_request *r, void *arg, char *err, size_t errlen)
{
	struct speaker *s = arg;
	size_t max = !strcmp(r->cmd, "routes") || !strcmp(r->cmd, "why") ? 1 : 0;
	if (r->nargs > max || (!strcmp(r->cmd, "why") && r->nargs != 1)) {
		snprintf(err, errlen, "%s: wrong number of arguments", r->cmd);
		return NULL;
	}
	if (!strcmp(r->cmd, "status"))
		return cmd_status(s);
	if (!strcmp(r->cmd, "routes"))
		return cmd_routes(s, r->nargs ? r->args[0] : NULL, err, errlen);
	if (!strcmp(r->cmd, "services"))
		return cmd_services(s, err, errlen);
	if (!strcmp(r->cmd, "why"))
		return cmd_why(s, r->args[0], err, errlen);
	if (!strcmp(r->cmd, "drain")) {
		log_info("ctl", "drain asked on the control socket: withdrawing everything this node announces");
		speaker_drain(s);
		return json_pack("{s:b}", "drained", 1);
	}
	snprintf(err, errlen, "unknown command \"%s\" (status, routes, services, why, drain)", r->cmd);
	return NULL;
}

struct ctl_server *ctl_speaker_new(struct event_base *base, struct speaker *s, const char *path)
{
	char err[256];
	struct ctl_server *c = ctl_server_new(base, path, ctl_speaker_handle, s, err, sizeof(err));
	if (!c)
		log_error("ctl", "control socket: %s", err);
	else
		log_info("ctl", "control socket on %s", path);
	return c;
}
