/*
 * The Kubernetes mode's loop (see kctl.h): connection, watches, the startup
 * rule and leadership.
 *
 * Serving starts only when every cache has completed its first list, a valid
 * configuration is in force and this replica leads; it stops when the
 * replica stops leading, dropping the allocator, so that leading again starts
 * over from what the Services' statuses say (a restart never moves an
 * address, and neither does a change of leader).
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl_server.h"
#include "kctl_int.h"
#include "kctl_metrics.h"
#include "kube_api_probe.h"
#include "log.h"
#include "xalloc.h"

#define STOP_GRACE_MS 3000

static const char *const watch_names[KW_COUNT] = { "Services", "Namespaces", "IPAddressPools",
						   "L2Advertisements", "BGPAdvertisements", "Communities",
						   "Secrets", "Subnets" };
static const enum kind watch_kinds[KW_COUNT] = { KIND_SERVICE, KIND_NAMESPACE, KIND_IPADDRESSPOOL, KIND_L2ADVERTISEMENT,
						 KIND_BGPADVERTISEMENT, KIND_COMMUNITY, KIND_SECRET, KIND_SUBNET };

void kctl_record(struct kctl *k, const struct kube_ref *ref, bool warning, const char *reason, const char *fmt, ...)
{
	char msg[KUBE_EVENT_MESSAGE_MAX];
	va_list ap;

	if (!k->leading)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	kube_record(k->rec, ref, warning, reason, "%s", msg);
}

static void memberlist_sync(struct kctl *k)
{
	if (k->ml && k->watches[KW_SECRETS].synced)
		memberlist_update(k->ml, k->ml_exists, k->leading && !k->stopping);
}

void kctl_try_serve(struct kctl *k)
{
	if (k->serving || k->stopping || !k->synced || !k->leading || !k->config_ok)
		return;
	k->serving = true;
	kctl_services_start(k);
	kctl_config_report(k);
}

static void stop_serving(struct kctl *k)
{
	if (k->serving)
		log_info("controller", "serving stops");
	k->serving = false;
	kctl_pools_stop(k);
	kctl_services_stop(k);
	kctl_config_stop(k);
	memberlist_sync(k);
}

/* ------------------------------------------------------------------ watches */

static bool all_synced(const struct kctl *k)
{
	for (int i = 0; i < KW_COUNT; i++)
		if (i != KW_SUBNETS && !k->watches[i].synced)
			return false;
	return k->subnets_decided && (!k->watches[KW_SUBNETS].w || k->watches[KW_SUBNETS].synced);
}

static void check_synced(struct kctl *k)
{
	if (k->synced || !all_synced(k))
		return;
	k->synced = true;
	config_sort(k->cfg);
	log_info("controller", "every cache synced: %zu Services, %zu Namespaces, %zu IPAddressPools in %s%s",
		 kube_watch_count(k->watches[KW_SERVICES].w), kube_watch_count(k->watches[KW_NAMESPACES].w),
		 kube_watch_count(k->watches[KW_POOLS].w), k->ns, k->watches[KW_SUBNETS].w ? ", Subnets" : "");
	kctl_config_apply(k);
	kctl_config_report(k);
	memberlist_sync(k);
	kctl_try_serve(k);
}

static void on_event(void *arg, enum kube_event_type t, const struct kube_item *it)
{
	struct kctl_watch *wd = arg;
	struct kctl *k = wd->k;

	k->stats.updates++;
	switch (wd->id) {
	case KW_SERVICES:
		kctl_service_event(k, t, it);
		break;
	case KW_NAMESPACES:
	case KW_POOLS:
	case KW_L2ADVS:
	case KW_BGPADVS:
	case KW_COMMUNITIES:
	case KW_SUBNETS:
		kctl_config_event(k, watch_kinds[wd->id], t, it);
		break;
	case KW_SECRETS:
		if (k->ml && strcmp(it->name, memberlist_name(k->ml)) == 0) {
			k->ml_exists = t != KUBE_DELETED;
			memberlist_sync(k);
		}
		break;
	case KW_COUNT:
		break;
	}
}

static void on_synced(void *arg)
{
	struct kctl_watch *wd = arg;

	wd->synced = true;
	log_debug("controller", "%s synced: %zu", watch_names[wd->id], kube_watch_count(wd->w));
	if (wd->id == KW_SERVICES)
		config_sort(wd->k->cfg);
	check_synced(wd->k);
}

/* field: a field selector, or NULL */
static void start_watch(struct kctl *k, enum kctl_watch_id id, enum kind kind, const char *ns, const char *field)
{
	struct kctl_watch *wd = &k->watches[id];
	struct kube_watch_cbs cbs = { on_event, on_synced, wd, NULL };
	struct kube_watch_opts wo = { .field_selector = field };

	wd->k = k;
	wd->id = id;
	wd->w = kube_watch_new(k->h, kube_resource_of(kind), ns, &wo, &cbs);
}

static void on_subnets_api(void *arg, bool served)
{
	struct kctl *k = arg;

	if (served) {
		log_info("controller", "kubeovn.io/v1 is served: watching Subnets (underlay pools)");
		start_watch(k, KW_SUBNETS, KIND_SUBNET, NULL, NULL);
	} else {
		log_debug("controller", "kubeovn.io/v1 is not served: no Subnets");
	}
	k->subnets_decided = true;
	check_synced(k);
}

/* ------------------------------------------------------------------ leadership and signals */

static void on_leader(void *arg, bool leading)
{
	struct kctl *k = arg;

	k->leading = leading;
	if (!leading) {
		stop_serving(k);
		return;
	}
	memberlist_sync(k);
	kctl_config_report(k);
	kctl_try_serve(k);
}

static void released(void *arg)
{
	struct kctl *k = arg;
	event_base_loopbreak(k->base);
}

static void on_stop_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	released(arg);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct kctl *k = arg;
	(void)what;

	if (k->stopping) {
		released(k);
		return;
	}
	log_info("controller", "%s: stopping", strsignal((int)sig));
	k->stopping = true;
	stop_serving(k);
	struct timeval tv = { STOP_GRACE_MS / 1000, (STOP_GRACE_MS % 1000) * 1000 };
	evtimer_add(k->stop_timer, &tv);  /* the release is bounded in time */
	if (k->le)
		leader_release(k->le, released, k);
	else
		released(k);
}

/* ------------------------------------------------------------------ setup */

static char *read_namespace_file(void)
{
	char why[256];
	size_t len;
	char *s = kube_auth_read_file(KUBE_SA_DIR "/namespace", 256, &len, why, sizeof(why));

	if (!s)
		return NULL;
	while (len && (s[len - 1] == '\n' || s[len - 1] == ' '))
		s[--len] = 0;
	if (!len) {
		free(s);
		return NULL;
	}
	return s;
}

static char *default_identity(void)
{
	const char *pod = getenv("POD_NAME");
	char host[256], buf[300];

	if (pod && *pod)
		return xstrdup(pod);
	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "unknown");
	host[sizeof(host) - 1] = 0;
	snprintf(buf, sizeof(buf), "%s_%ld", host, (long)getpid());
	return xstrdup(buf);
}

static bool setup(struct kctl *k, const struct kctl_opts *o)
{
	struct diags d;

	k->o = *o;
	diags_init(&d);
	bool ok = o->kubeconfig ? kube_auth_from_kubeconfig(&k->auth, o->kubeconfig, o->context, &d)
				: kube_auth_in_cluster(&k->auth, NULL, &d);
	diags_print(&d, stderr);
	diags_free(&d);
	if (!ok)
		return false;
	if (o->ns)
		k->ns = xstrdup(o->ns);
	else if (!o->kubeconfig && k->auth.namespace)
		k->ns = xstrdup(k->auth.namespace);
	else if (!(k->ns = read_namespace_file()))
		k->ns = xstrdup(KCTL_DEFAULT_NAMESPACE);
	k->identity = o->identity ? xstrdup(o->identity) : default_identity();
	log_info("controller", "Kubernetes mode: API server %s (%s), namespace %s, identity %s%s%s", k->auth.server,
		 k->auth.source, k->ns, k->identity, o->lb_class ? ", loadBalancerClass " : "",
		 o->lb_class ? o->lb_class : "");
	return true;
}

static void start(struct kctl *k)
{
	k->h = kube_http_new(k->base, &k->auth, NULL);
	k->rec = kube_recorder_new(k->h, "vipcast-controller", k->identity);
	k->cfg = config_new();
	kctl_config_init(k);
	kctl_pools_init(k);
	kctl_services_init(k);
	if (k->o.memberlist && *k->o.memberlist)
		k->ml = memberlist_new(k->h, k->ns, k->o.memberlist);
	start_watch(k, KW_SERVICES, watch_kinds[KW_SERVICES], NULL, NULL);
	start_watch(k, KW_NAMESPACES, KIND_NAMESPACE, NULL, NULL);
	/* The advertisements and Communities only to validate as MetalLB's controller does: a
	 * configuration they make invalid is not applied. BGPPeers are the speaker's (their password
	 * Secrets are not the controller's to read). */
	for (enum kctl_watch_id id = KW_POOLS; id <= KW_COMMUNITIES; id++)
		start_watch(k, id, watch_kinds[id], k->ns, NULL);
	if (k->ml) {
		/* That one Secret only: RBAC grants the controller no other (deploy/rbac/controller.yaml). */
		char field[300];
		snprintf(field, sizeof(field), "metadata.name=%s", memberlist_name(k->ml));
		start_watch(k, KW_SECRETS, KIND_SECRET, k->ns, field);
	} else {
		k->watches[KW_SECRETS].synced = true;
	}
	k->stop_timer = evtimer_new(k->base, on_stop_timer, k);
	if (!k->stop_timer)
		xalloc_die("evtimer_new");
	k->subnets_probe = kube_api_probe_new(k->h, "kubeovn.io", "v1", "subnets.kubeovn.io", on_subnets_api, k);
	if (k->o.leader_elect) {
		struct leader_opts lo = { k->ns, k->o.lease_name ? k->o.lease_name : KCTL_DEFAULT_LEASE, k->identity,
					  k->o.lease_ms, k->o.renew_ms, k->o.retry_ms };
		k->le = leader_new(k->h, &lo, on_leader, k);
	} else {
		k->leading = true;
	}
}

static void teardown(struct kctl *k)
{
	stop_serving(k);
	leader_free(k->le);
	kube_api_probe_free(k->subnets_probe);
	for (int i = 0; i < KW_COUNT; i++)
		kube_watch_free(k->watches[i].w);
	memberlist_free(k->ml);
	kctl_pools_free(k);
	kctl_config_free(k);
	if (k->retry_timer)
		event_free(k->retry_timer);
	if (k->stop_timer)
		event_free(k->stop_timer);
	config_free(k->cfg);
	kube_recorder_free(k->rec);
	kube_http_free(k->h);
	kube_auth_free(&k->auth);
	free(k->ns);
	free(k->identity);
}

static bool ready(void *arg, char *why, size_t len)
{
	const struct kctl *k = arg;

	if (k->stopping)
		snprintf(why, len, "stopping");
	else if (!k->synced)
		snprintf(why, len, "caches not synced yet");
	return k->synced && !k->stopping;
}

int kctl_run(const struct kctl_opts *o)
{
	struct kctl k = { 0 };

	if (!setup(&k, o)) {
		kube_auth_free(&k.auth);
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	k.base = event_base_new();
	if (!k.base)
		xalloc_die("event_base_new");
	if (o->health_listen && *o->health_listen) {
		char err[256];
		if (!(k.health = health_new(k.base, o->health_listen, ready, &k, err, sizeof(err)))) {
			log_error("controller", "health endpoints: %s", err);
			event_base_free(k.base);
			kube_auth_free(&k.auth);
			free(k.ns);
			free(k.identity);
			return 1;
		}
		health_set_metrics(k.health, kctl_metrics, &k);
		log_info("controller", "health endpoints /metrics, /healthz and /readyz on %s", health_address(k.health));
	}
	start(&k);
	/* A controller without its control socket still does its job: the failure is logged. */
	if (o->ctl_socket)
		k.ctl = kctl_ctl_new(&k, o->ctl_socket);
	k.sig_term = evsignal_new(k.base, SIGTERM, on_signal, &k);
	k.sig_int = evsignal_new(k.base, SIGINT, on_signal, &k);
	if (!k.sig_term || !k.sig_int)
		xalloc_die("evsignal_new");
	event_add(k.sig_term, NULL);
	event_add(k.sig_int, NULL);
	event_base_dispatch(k.base);
	log_info("controller", "stopped: %llu allocated, %llu failed, %llu cleared, %llu status writes (%llu failed), "
			       "%llu configurations refused",
		 (unsigned long long)k.stats.allocated, (unsigned long long)k.stats.failed,
		 (unsigned long long)k.stats.cleared, (unsigned long long)k.stats.status_writes,
		 (unsigned long long)k.stats.status_failures, (unsigned long long)k.stats.config_rejected);
	ctl_server_free(k.ctl);
	teardown(&k);
	health_free(k.health);
	event_free(k.sig_term);
	event_free(k.sig_int);
	event_base_free(k.base);
	return 0;
}
