/*
 * The controller's control socket (vipcastctl): status (leadership, pools
 * and their usage) and services (Service -> IPs -> pool, the last allocation
 * failure). Read from the Kubernetes-mode state on the controller's loop.
 */
#include <string.h>

#include "ctl_server.h"
#include "kctl_int.h"
#include "log.h"
#include "service_request.h"

static void pool_json(const struct object *pool, const struct alloc_pool_usage *u, void *arg)
{
	json_t *pools = arg;
	json_array_append_new(pools, json_pack("{s:s, s:I, s:I, s:I, s:I}", "name", pool->meta.name, "assigned_ipv4",
					       (json_int_t)u->assigned[0], "assigned_ipv6", (json_int_t)u->assigned[1],
					       "available_ipv4", (json_int_t)u->available[0], "available_ipv6",
					       (json_int_t)u->available[1]));
}

static json_t *cmd_status(struct kctl *k)
{
	json_t *pools = json_array();
	if (k->alloc)
		alloc_pool_usage(k->alloc, pool_json, pools);
	return json_pack("{s:s, s:s, s:s, s:b, s:o, s:b, s:b, s:b, s:b, s:o}", "daemon", "controller", "mode",
			 "kubernetes", "identity", k->identity, "leader_election", k->o.leader_elect, "leader",
			 json_boolean(k->leading), "synced", k->synced, "config_ok", k->config_ok, "config_stale",
			 k->config_stale, "serving", k->serving, "pools", pools);
}

static json_t *cmd_services(struct kctl *k)
{
	const struct objects *svcs = &k->cfg->kinds[KIND_SERVICE];
	json_t *out = json_array();
	for (size_t i = 0; i < svcs->n; i++) {
		const struct object *o = svcs->v[i];
		if (!svc_is_ours(o, k->o.lb_class))
			continue;
		struct ipaddr ips[2];
		const char *pool = NULL;
		size_t n = k->alloc ? alloc_service_ips(k->alloc, o->meta.namespace, o->meta.name, ips, &pool) : 0;
		json_t *a = json_array();
		for (size_t j = 0; j < n; j++) {
			char s[IPADDR_STRLEN];
			ipaddr_format(&ips[j], s);
			json_array_append_new(a, json_pack("{s:s, s:s?}", "ip", s, "pool", pool));
		}
		json_array_append_new(out, json_pack("{s:s, s:s, s:o, s:s?}", "namespace", o->meta.namespace, "name",
						     o->meta.name, "ips", a, "error",
						     kctl_service_failed(k, o->meta.namespace, o->meta.name)));
	}
	return json_pack("{s:s, s:b, s:o}", "daemon", "controller", "serving", k->serving, "services", out);
}

static json_t *handle(const struct ctl_request *r, void *arg, char *err, size_t errlen)
{
	struct kctl *k = arg;
	if (r->nargs) {
		snprintf(err, errlen, "%s: takes no argument", r->cmd);
		return NULL;
	}
	if (!strcmp(r->cmd, "status"))
		return cmd_status(k);
	if (!strcmp(r->cmd, "services"))
		return cmd_services(k);
	snprintf(err, errlen, "unknown command \"%s\" (the controller answers status, services)", r->cmd);
	return NULL;
}

struct ctl_server *kctl_ctl_new(struct kctl *k, const char *path)
{
	char err[256];
	struct ctl_server *c = ctl_server_new(k->base, path, handle, k, err, sizeof(err));
	if (!c)
		log_error("ctl", "control socket: %s", err);
	else
		log_info("ctl", "control socket on %s", path);
	return c;
}
