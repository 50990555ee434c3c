#include "plan_print.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <string.h>

#include "bfd_peers.h"
#include "bgp_session.h"
#include "diag.h"
#include "generation.h"
#include "l2_hb.h"
#include "plan.h"

static json_t *ip_json(const struct ipaddr *a)
{
	char buf[IPADDR_STRLEN];
	if (a->family != IPF_V4 && a->family != IPF_V6)
		return json_null();
	ipaddr_format(a, buf);
	return json_string(buf);
}

/* A fingerprint, so that a changed password shows without printing it. */
static json_t *password_json(const char *pw)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned len = 0;
	if (!*pw)
		return json_null();
	if (!EVP_Digest(pw, strlen(pw), md, &len, EVP_sha256(), NULL))
		return json_string("?");
	char hex[2 * 8 + 1];
	for (unsigned i = 0; i < 8 && i < len; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return json_string(hex);
}

static json_t *session_json(const struct bgp_session_config *c)
{
	static const char *const dyn[] = {"", "internal", "external"};
	char rid[16];
	snprintf(rid, sizeof(rid), "%u.%u.%u.%u", c->router_id >> 24, (c->router_id >> 16) & 255,
		 (c->router_id >> 8) & 255, c->router_id & 255);
	json_t *j = json_object();
	json_object_set_new(j, "local_as", json_integer(c->local_as));
	json_object_set_new(j, "peer_as", json_integer(c->peer_as));
	json_object_set_new(j, "dynamic", json_string((unsigned)c->dynamic < 3 ? dyn[c->dynamic] : "?"));
	json_object_set_new(j, "address", c->ifname[0] ? json_null() : ip_json(&c->peer));
	json_object_set_new(j, "interface", c->ifname[0] ? json_string(c->ifname) : json_null());
	json_object_set_new(j, "source", ip_json(&c->source));
	json_object_set_new(j, "port", json_integer(c->port));
	json_object_set_new(j, "router_id", json_string(rid));
	json_object_set_new(j, "hold_time", json_integer(c->hold_time));
	json_object_set_new(j, "keepalive_time", json_integer(c->keepalive_time));
	json_object_set_new(j, "connect_retry_ms", json_integer(c->connect_retry_ms));
	json_object_set_new(j, "multihop", json_boolean(c->multihop));
	json_object_set_new(j, "graceful_restart", json_boolean(c->graceful_restart));
	json_object_set_new(j, "disable_mp", json_boolean(c->disable_mp));
	json_object_set_new(j, "dual_stack", json_boolean(c->dual_stack));
	json_object_set_new(j, "password", password_json(c->password));
	json_object_set_new(j, "other_next_hop", ip_json(&c->other_next_hop));
	return j;
}

static json_t *route_json(const struct plan *p, const struct plan_route *r)
{
	struct ipaddr a = {.family = r->pfx.family};
	char ip[IPADDR_STRLEN], pfx[IPADDR_STRLEN + 4], buf[40];
	memcpy(a.b, r->pfx.addr, 16);
	ipaddr_format(&a, ip);
	snprintf(pfx, sizeof(pfx), "%s/%u", ip, r->pfx.len);
	const struct plan_attrs *at = &p->attrs[r->attrs];
	json_t *comms = json_array(), *large = json_array();
	for (size_t i = 0; i < at->ncommunities; i++) {
		snprintf(buf, sizeof(buf), "%u:%u", at->communities[i] >> 16, at->communities[i] & 0xffff);
		json_array_append_new(comms, json_string(buf));
	}
	for (size_t i = 0; i < at->nlarge; i++) {
		snprintf(buf, sizeof(buf), "%u:%u:%u", at->large[i][0], at->large[i][1], at->large[i][2]);
		json_array_append_new(large, json_string(buf));
	}
	json_t *j = json_pack("{s:s, s:o, s:o, s:o}", "prefix", pfx, "local_pref",
			      at->has_local_pref ? json_integer(at->local_pref) : json_null(), "communities", comms,
			      "large_communities", large);
	if (at->link_bw_eps)
		json_object_set_new(j, "link_bandwidth_endpoints", json_integer(at->link_bw_eps));
	return j;
}

static json_t *peers_json(const struct plan *p, const struct config *c)
{
	const struct object *node = config_find(c, KIND_NODE, NULL, p->node);
	json_t *peers = json_array();
	for (size_t i = 0; i < p->npeers; i++) {
		const struct plan_peer *pp = &p->peers[i];
		struct bgp_session_config cfg;
		json_t *routes = json_array();
		for (size_t k = 0; k < pp->nroutes; k++)
			json_array_append_new(routes, route_json(p, &pp->routes[k]));
		bool ok = node && speaker_session_config(pp->peer, node, &cfg);
		char name[512];
		snprintf(name, sizeof(name), "%s/%s", pp->peer->meta.namespace, pp->peer->meta.name);
		struct bfd_session_config bfd;
		bool with_bfd = ok && bfd_peers_config(pp->peer, c, &cfg, &bfd);
		json_array_append_new(peers, json_pack("{s:s, s:o, s:o, s:o}", "name", name, "session",
						       ok ? session_json(&cfg) : json_null(), "bfd",
						       with_bfd ? bfd_peers_config_json(&bfd) : json_null(), "routes", routes));
	}
	return peers;
}

static json_t *l2_json(const struct plan *p, const struct config *c)
{
	json_t *vips = json_array();
	for (size_t i = 0; i < p->nl2; i++) {
		const struct plan_l2_vip *v = &p->l2[i];
		json_t *svcs = json_array(), *nodes = json_array(), *ifaces = json_array();
		for (size_t k = 0; k < v->nservices; k++)
			json_array_append_new(svcs, json_string(v->services[k]));
		for (size_t k = 0; k < v->nnodes; k++)
			json_array_append_new(nodes, json_pack("{s:s, s:I}", "node", v->nodes[k].node, "weight",
							       (json_int_t)v->nodes[k].weight));
		for (size_t k = 0; k < v->ninterfaces; k++)
			json_array_append_new(ifaces, json_string(v->interfaces[k]));
		json_array_append_new(vips, json_pack("{s:o, s:o, s:o, s:b, s:o}", "ip", ip_json(&v->ip), "services",
						      svcs, "nodes", nodes, "here", v->here, "interfaces", ifaces));
	}
	return json_pack("{s:b, s:o}", "key", l2_hb_config_has_key(c), "vips", vips);
}

int plan_print(const struct speaker_options *o, FILE *out)
{
	struct diags d;
	struct generation g;
	diags_init(&d);
	bool ok = generation_build(&g, o->config_path, o->node, o->lb_class, &d);
	diags_print(&d, stderr);
	diags_free(&d);
	if (!ok)
		return 2;
	const struct plan *p = g.plan;
	json_t *j = json_pack("{s:s, s:b, s:o, s:o, s:o}", "node", o->node, "node_found", p->node_found, "silent",
			      p->node_silent ? json_string(p->node_silent) : json_null(), "peers", peers_json(p, g.cfg),
			      "l2", l2_json(p, g.cfg));
	json_dumpf(j, out, JSON_COMPACT);
	fputc('\n', out);
	json_decref(j);
	generation_free(&g);
	return 0;
}
