/*
 * Services in Kubernetes mode: every change is allocated for at once, and
 * written back only when the Service does not already say it.
 *
 * What a Service should say is what the allocator holds for it:
 * status.loadBalancer.ingress lists the addresses and the annotation
 * metallb.io/ip-allocated-from-pool names their pool (no addresses: neither).
 * Both go in one PUT to the status subresource with the resourceVersion the
 * decision was made on (the API server keeps metadata changes made through a
 * Service's status, which is how MetalLB writes the annotation too); a 409
 * reads the Service again and applies the same decision (kube_status.c). A
 * write in flight that already makes the Service say the same is not sent
 * twice; one made stale by a newer decision is cancelled.
 *
 * Events use MetalLB's reasons and wording and are recorded only when
 * something changed: IPAllocated when addresses were given, ClearAssignment
 * when addresses held before stopped being valid, AllocationFailed when the
 * reason a Service cannot be served is new (kube_record counts repeats).
 *
 * Services that could not be served wait; whenever addresses are released
 * (a Service deleted, moved or no longer ours) they are tried again, oldest
 * first.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kctl_int.h"
#include "kube_request.h"
#include "kube_status.h"
#include "log.h"
#include "reconcile.h"
#include "service_request.h"

/* Lines about one Service: "service: ns/name: ..." as text, its own fields in JSON. */
#define SVC_OBJ(ns, name) (&(struct log_object){"Service", (ns), (name)})
#include "xalloc.h"

#define RETRY_MIN_MS 1000
#define RETRY_MAX_MS 30000
/*
 * Status writes in flight at once. The rest wait in a queue, oldest first:
 * thousands of Services to write at start (a cluster taken over from MetalLB)
 * must not become thousands of concurrent requests, which the API server
 * answers with 429 and the client with more connections.
 */
#define KCTL_WRITES_MAX 16

struct kctl_svc {
	struct avl_node node;
	struct kctl *k;
	struct kube_status_write *w;  /* in flight */
	struct ipaddr want[2];        /* what the last write sent (or is sending) makes it say */
	size_t nwant;
	char *want_pool;
	char *failed;                 /* the AllocationFailed reason last recorded */
	bool waiting;                 /* ours, without addresses */
	bool retry;                   /* its last write failed */
	bool queued;                  /* waits for a write slot (wq_*) */
	struct kctl_svc *qprev, *qnext;
	json_t *qraw;                 /* the Service as last seen, for the queued write; NULL: read it first */
	const char *ns, *name;        /* in key */
	char key[];                   /* "ns/name", then ns and name */
};

static int svc_cmp(const struct avl_node *a, const struct avl_node *b)
{
	return strcmp(avl_entry(a, struct kctl_svc, node)->key, avl_entry(b, struct kctl_svc, node)->key);
}

static int svc_key_cmp(const void *key, const struct avl_node *n)
{
	return strcmp(key, avl_entry(n, struct kctl_svc, node)->key);
}

static struct kctl_svc *st_find(struct kctl *k, const char *ns, const char *name)
{
	char key[512];

	snprintf(key, sizeof(key), "%s/%s", ns, name);
	struct avl_node *n = avl_find(&k->svcs, key, svc_key_cmp);
	return n ? avl_entry(n, struct kctl_svc, node) : NULL;
}

static struct kctl_svc *st_get(struct kctl *k, const char *ns, const char *name)
{
	struct kctl_svc *st = st_find(k, ns, name);
	size_t lns = strlen(ns), lname = strlen(name);

	if (st)
		return st;
	st = xcalloc(1, sizeof(*st) + 2 * (lns + lname + 2));
	st->k = k;
	memcpy(st->key, ns, lns);
	st->key[lns] = '/';
	memcpy(st->key + lns + 1, name, lname + 1);
	char *p = st->key + lns + lname + 2;
	memcpy(p, ns, lns + 1);
	st->ns = p;
	memcpy(p + lns + 1, name, lname + 1);
	st->name = p + lns + 1;
	avl_insert(&k->svcs, &st->node);
	return st;
}

static void dequeue(struct kctl *k, struct kctl_svc *st)
{
	if (!st->queued)
		return;
	*(st->qprev ? &st->qprev->qnext : &k->wq_head) = st->qnext;
	*(st->qnext ? &st->qnext->qprev : &k->wq_tail) = st->qprev;
	st->qprev = st->qnext = NULL;
	st->queued = false;
	json_decref(st->qraw);
	st->qraw = NULL;
}

static void cancel_write(struct kctl *k, struct kctl_svc *st)
{
	dequeue(k, st);
	if (st->w) {
		kube_status_cancel(st->w);
		st->w = NULL;
		k->writes_active--;
	}
}

static void st_free(struct avl_node *n, void *arg)
{
	struct kctl_svc *st = avl_entry(n, struct kctl_svc, node);
	(void)arg;

	cancel_write(st->k, st);
	free(st->want_pool);
	free(st->failed);
	free(st);
}

static void st_drop(struct kctl *k, struct kctl_svc *st)
{
	avl_remove(&k->svcs, &st->node);
	st_free(&st->node, NULL);
}

static void record(struct kctl *k, const struct object *svc, bool warning, const char *reason, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void record(struct kctl *k, const struct object *svc, bool warning, const char *reason, const char *fmt, ...)
{
	struct kube_ref ref = { "v1", "Service", svc->meta.namespace, svc->meta.name, svc->meta.uid, NULL };
	char msg[KUBE_EVENT_MESSAGE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	kctl_record(k, &ref, warning, reason, "%s", msg);
}

/* Go's %q of a []net.IP, as MetalLB's messages print addresses: ["192.0.2.1" "2001:db8::1"]. */
static const char *quoted_ips(const struct ipaddr *ips, size_t n, char *buf, size_t len)
{
	size_t off = (size_t)snprintf(buf, len, "[");

	for (size_t i = 0; i < n && off < len; i++) {
		char ip[IPADDR_STRLEN];
		ipaddr_format(&ips[i], ip);
		off += (size_t)snprintf(buf + off, len - off, "%s\"%s\"", i ? " " : "", ip);
	}
	if (off < len)
		snprintf(buf + off, len - off, "]");
	return buf;
}

static bool same_ips(const struct ipaddr *a, size_t na, const struct ipaddr *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++) {
		bool found = false;
		for (size_t j = 0; j < nb && !found; j++)
			found = ipaddr_eq(&a[i], &b[j]);
		if (!found)
			return false;
	}
	return true;
}

static bool same_pool(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* ------------------------------------------------------------------ writing */

/* The ingress list says exactly these addresses, and nothing else (the server adds ipMode: ignored). */
static bool ingress_says(const json_t *ingress, const struct ipaddr *want, size_t n)
{
	struct ipaddr have[2];
	size_t i;
	const json_t *e;

	if (!ingress)
		return n == 0;
	if (!json_is_array(ingress) || json_array_size(ingress) != n)
		return false;
	json_array_foreach(ingress, i, e)
	{
		const char *ip = json_string_value(json_object_get(e, "ip"));
		if (!ip || json_object_get(e, "hostname") || !ipaddr_parse(ip, strlen(ip), &have[i]))
			return false;
	}
	return same_ips(have, n, want, n);
}

static bool svc_mutate(void *arg, json_t *obj)
{
	struct kctl_svc *st = arg;
	json_t *md = kube_json_object_at(obj, "metadata");
	json_t *ann = json_object_get(md, "annotations");
	const char *pool = json_string_value(json_object_get(ann, ANN_ALLOCATED_FROM_POOL));
	json_t *status = kube_json_object_at(obj, "status");
	const json_t *ingress = json_object_get(json_object_get(status, "loadBalancer"), "ingress");
	bool ips_ok = ingress_says(ingress, st->want, st->nwant);
	bool pool_ok = same_pool(pool, st->want_pool);

	if (ips_ok && pool_ok)
		return false;
	if (!ips_ok) {
		json_t *lb = json_object(), *list = json_array();
		for (size_t i = 0; i < st->nwant; i++) {
			char ip[IPADDR_STRLEN];
			ipaddr_format(&st->want[i], ip);
			json_array_append_new(list, json_pack("{s:s}", "ip", ip));
		}
		if (st->nwant)
			json_object_set_new(lb, "ingress", list);
		else
			json_decref(list);
		json_object_set_new(status, "loadBalancer", lb);
	}
	if (!pool_ok) {
		if (st->want_pool)
			json_object_set_new(kube_json_object_at(md, "annotations"), ANN_ALLOCATED_FROM_POOL, json_string(st->want_pool));
		else
			json_object_del(ann, ANN_ALLOCATED_FROM_POOL);
	}
	return true;
}

static void arm_retry(struct kctl *k)
{
	if (evtimer_pending(k->retry_timer, NULL))
		return;
	k->retry_ms = k->retry_ms ? k->retry_ms * 2 : RETRY_MIN_MS;
	if (k->retry_ms > RETRY_MAX_MS)
		k->retry_ms = RETRY_MAX_MS;
	struct timeval tv = { k->retry_ms / 1000, (k->retry_ms % 1000) * 1000 };
	evtimer_add(k->retry_timer, &tv);
}

static void start_queued(struct kctl *k);

static void svc_written(void *arg, long status, const json_t *obj, unsigned writes, const char *message)
{
	struct kctl_svc *st = arg;
	struct kctl *k = st->k;
	(void)obj;

	st->w = NULL;
	k->writes_active--;
	start_queued(k);
	if (status == 200 || status == 204) {
		log_obj(LOG_DEBUG, "service", SVC_OBJ(st->ns, st->name), "status %s (%u write%s)",
			status == 200 ? "written" : "already right", writes, writes == 1 ? "" : "s");
		if (!evtimer_pending(k->retry_timer, NULL))
			k->retry_ms = 0;  /* while other writes wait to be tried again, the backoff stands */
		return;
	}
	if (status == 404)
		return;  /* deleted meanwhile: its DELETED event follows */
	k->stats.status_failures++;
	log_obj(LOG_WARN, "service", SVC_OBJ(st->ns, st->name), "cannot write its status: %s; trying again", message);
	st->retry = true;
	arm_retry(k);
}

/* The Service as it is (decoded) already says what st wants. */
static bool svc_says(const struct object *svc, const struct kctl_svc *st)
{
	const struct service *s = &svc->svc;
	struct ipaddr have[2];

	if (s->ningress > 2)
		return false;
	for (size_t i = 0; i < s->ningress; i++)
		have[i] = s->ingress[i];
	return same_ips(have, s->ningress, st->want, st->nwant) &&
	       same_pool(labels_get(&svc->meta.annotations, ANN_ALLOCATED_FROM_POOL), st->want_pool);
}

/* raw: the Service as the API gave it with this event, or NULL (read before writing). */
static void write_want(struct kctl *k, struct kctl_svc *st, const struct object *svc, const json_t *raw,
		       const struct ipaddr *ips, size_t n, const char *pool)
{
	if ((st->w || st->queued) && same_ips(st->want, st->nwant, ips, n) && same_pool(st->want_pool, pool))
		return;  /* on its way */
	cancel_write(k, st);
	if (n)
		memcpy(st->want, ips, n * sizeof(*ips));
	st->nwant = n;
	free(st->want_pool);
	st->want_pool = pool ? xstrdup(pool) : NULL;
	if (svc_says(svc, st))
		return;
	if (k->writes_active >= KCTL_WRITES_MAX) {
		st->queued = true;
		st->qraw = raw ? json_incref((json_t *)raw) : NULL;
		st->qprev = k->wq_tail;
		*(k->wq_tail ? &k->wq_tail->qnext : &k->wq_head) = st;
		k->wq_tail = st;
		return;
	}
	st->w = kube_status_update(k->h, kube_resource_of(KIND_SERVICE), st->ns, st->name, raw, svc_mutate, svc_written,
				   st);
	if (st->w) {
		k->writes_active++;
		k->stats.status_writes++;
	}
}

static void start_queued(struct kctl *k)
{
	while (k->wq_head && k->writes_active < KCTL_WRITES_MAX) {
		struct kctl_svc *st = k->wq_head;
		json_t *raw = st->qraw;
		st->qraw = NULL;
		dequeue(k, st);
		st->w = kube_status_update(k->h, kube_resource_of(KIND_SERVICE), st->ns, st->name, raw, svc_mutate,
					   svc_written, st);
		json_decref(raw);
		if (st->w) {
			k->writes_active++;
			k->stats.status_writes++;
		}
	}
}

/* ------------------------------------------------------------------ deciding */

static void apply_outcome(struct kctl *k, const struct object *svc, const struct alloc_result *res,
			  const char *not_kept, const json_t *raw)
{
	struct kctl_svc *st = st_get(k, svc->meta.namespace, svc->meta.name);
	const char *why = not_kept && *not_kept ? not_kept : res->cleared;
	char ips[128];

	if (*why) {
		k->stats.cleared++;
		log_obj(LOG_INFO, "service", SVC_OBJ(st->ns, st->name),
			"current addresses not allowed by the configuration: %s", why);
		record(k, svc, false, "ClearAssignment",
		       "current IP for \"%s\" not allowed by config, will attempt for new IP assignment: %s", st->key, why);
	}
	if (res->ok) {
		if (res->changed) {
			k->stats.allocated++;
			quoted_ips(res->ips, res->nips, ips, sizeof(ips));
			log_obj(LOG_INFO, "service", SVC_OBJ(st->ns, st->name), "%s from pool %s", ips, res->pool ? res->pool : "?");
			record(k, svc, false, "IPAllocated", "Assigned IP %s", ips);
		}
		free(st->failed);
		st->failed = NULL;
		st->waiting = false;
	} else {
		st->waiting = true;
		if (!st->failed || strcmp(st->failed, res->message) != 0) {
			k->stats.failed++;
			log_obj(LOG_WARN, "service", SVC_OBJ(st->ns, st->name), "cannot allocate: %s", res->message);
			record(k, svc, true, "AllocationFailed", "Failed to allocate IP for \"%s\": %s", st->key, res->message);
			free(st->failed);
			st->failed = xstrdup(res->message);
		}
	}
	write_want(k, st, svc, raw, res->ips, res->nips, res->ok ? res->pool : NULL);
}

static void sync_one(struct kctl *k, const struct object *svc, const json_t *raw)
{
	struct svc_request r;
	struct alloc_result res;
	struct ipaddr before[2];
	const char *ns = svc->meta.namespace, *name = svc->meta.name;
	size_t nbefore = alloc_service_ips(k->alloc, ns, name, before, NULL);

	svc_request_read(svc, k->o.lb_class, &r);
	if (!r.ours) {
		bool lb = strcmp(svc->svc.type, "LoadBalancer") == 0;
		struct kctl_svc *st = st_find(k, ns, name);
		alloc_release(k->alloc, ns, name);
		if (nbefore) {
			k->freed = true;
			kctl_pools_dirty(k);
			log_obj(LOG_INFO, "service", SVC_OBJ(ns, name),
				"released (no longer a Service this controller serves)");
		}
		/* MetalLB clears what it wrote when the type changes; a Service of another class is not touched. */
		if ((!lb && (svc->svc.ningress || labels_get(&svc->meta.annotations, ANN_ALLOCATED_FROM_POOL))) ||
		    (lb && nbefore))
			write_want(k, st ? st : st_get(k, ns, name), svc, raw, NULL, 0, NULL);
		else if (st && !st->w)
			st_drop(k, st);
		svc_request_free(&r);
		return;
	}
	/* Holding nothing but showing addresses (restored, or written before a restart): re-claimed if valid, as MetalLB does. */
	char not_kept[sizeof(res.message)] = "";
	bool kept = false;
	if (!nbefore && svc->svc.ningress && svc->svc.ningress <= 2) {
		struct ipaddr shown[2];
		for (size_t i = 0; i < svc->svc.ningress; i++)
			shown[i] = svc->svc.ingress[i];
		kept = alloc_reclaim(k->alloc, svc, &r, shown, svc->svc.ningress, &res);
		if (!kept)
			snprintf(not_kept, sizeof(not_kept), "%s", res.message);
	}
	if (!kept)
		alloc_assign(k->alloc, svc, &r, &res);
	if (res.changed || kept) {
		kctl_pools_dirty(k);
		if (nbefore)
			k->freed = true;
	}
	apply_outcome(k, svc, &res, not_kept, raw);
	svc_request_free(&r);
}

static int age_cmp(const void *a, const void *b)
{
	return service_age_cmp(*(const struct object *const *)a, *(const struct object *const *)b);
}

/* Services without addresses, oldest first, whenever some were released. Bounded: serving frees nothing. */
static void serve_waiting(struct kctl *k)
{
	for (int round = 0; round < 4 && k->freed && k->serving; round++) {
		const struct object **v = xcalloc(k->svcs.count ? k->svcs.count : 1, sizeof(*v));
		size_t n = 0;
		k->freed = false;
		for (struct avl_node *x = avl_first(&k->svcs); x; x = avl_next(x)) {
			struct kctl_svc *st = avl_entry(x, struct kctl_svc, node);
			const struct object *svc = st->waiting ? config_find(k->cfg, KIND_SERVICE, st->ns, st->name) : NULL;
			if (svc)
				v[n++] = svc;
		}
		qsort(v, n, sizeof(*v), age_cmp);
		for (size_t i = 0; i < n; i++)
			sync_one(k, v[i], NULL);
		free(v);
	}
}

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
	struct kctl *k = arg;
	(void)fd, (void)what;

	for (struct avl_node *x = avl_first(&k->svcs); x && k->serving;) {
		struct kctl_svc *st = avl_entry(x, struct kctl_svc, node);
		x = avl_next(x);  /* sync_one may drop st */
		if (!st->retry)
			continue;
		st->retry = false;
		const struct object *svc = config_find(k->cfg, KIND_SERVICE, st->ns, st->name);
		if (svc)
			sync_one(k, svc, NULL);
	}
	serve_waiting(k);
}

/* ------------------------------------------------------------------ entry points */

static void store(struct kctl *k, struct object *o)
{
	/* The first list only adds: append now, sort once when it is complete. */
	if (!k->watches[KW_SERVICES].synced && !config_add(k->cfg, o))
		return;
	object_free(config_put(k->cfg, o));
}

void kctl_service_event(struct kctl *k, enum kube_event_type t, const struct kube_item *it)
{
	if (t == KUBE_DELETED) {
		const struct object *cur = config_find(k->cfg, KIND_SERVICE, it->ns, it->name);
		if (cur && cur->meta.uid && it->uid && strcmp(cur->meta.uid, it->uid) != 0)
			return;  /* a relist found it gone after its successor under the same name */
		object_free(config_take(k->cfg, KIND_SERVICE, it->ns, it->name));
		struct kctl_svc *st = st_find(k, it->ns, it->name);
		if (st)
			st_drop(k, st);
		if (k->serving && alloc_service_ips(k->alloc, it->ns, it->name, (struct ipaddr[2]){ 0 }, NULL)) {
			alloc_release(k->alloc, it->ns, it->name);
			log_obj(LOG_INFO, "service", SVC_OBJ(it->ns, it->name), "deleted; its addresses are free");
			k->freed = true;
			kctl_pools_dirty(k);
			serve_waiting(k);
		}
		return;
	}
	if (!it->obj) {
		const struct object *svc = config_find(k->cfg, KIND_SERVICE, it->ns, it->name);
		char first[512] = "it cannot be read";
		if (it->diags && it->diags->n)
			diag_format(&it->diags->v[0], first, sizeof(first));
		log_obj(LOG_WARN, "service", SVC_OBJ(it->ns, it->name), "%s; what it held stays", first);
		if (svc && k->serving) {
			struct kctl_svc *st = st_get(k, it->ns, it->name);
			if (!st->failed || strcmp(st->failed, first) != 0) {
				record(k, svc, true, "AllocationFailed", "Failed to allocate IP for \"%s\": %s", st->key, first);
				free(st->failed);
				st->failed = xstrdup(first);
			}
		}
		return;
	}
	struct object *o = kube_item_take(it);
	store(k, o);
	if (k->serving) {
		sync_one(k, o, it->raw);
		serve_waiting(k);
	}
}

void kctl_services_start(struct kctl *k)
{
	const struct objects *svcs = &k->cfg->kinds[KIND_SERVICE];
	struct svc_outcome *v;
	size_t kept = 0, failed = 0;

	k->alloc = alloc_new();
	size_t n = reconcile_all(k->alloc, k->cfg, k->o.lb_class, &v);
	for (size_t i = 0; i < n; i++) {
		kept += v[i].res.ok && !v[i].res.changed;
		failed += !v[i].res.ok;
		apply_outcome(k, v[i].svc, &v[i].res, v[i].not_kept, NULL);
	}
	reconcile_free(v, n);
	for (size_t i = 0; i < svcs->n; i++) {
		const struct object *svc = svcs->v[i];
		if (!svc_is_ours(svc, k->o.lb_class) && strcmp(svc->svc.type, "LoadBalancer") != 0 &&
		    (svc->svc.ningress || labels_get(&svc->meta.annotations, ANN_ALLOCATED_FROM_POOL)))
			write_want(k, st_get(k, svc->meta.namespace, svc->meta.name), svc, NULL, NULL, 0, NULL);
	}
	log_info("controller", "serving: %zu LoadBalancer Service%s, %zu kept the addresses of their status, %zu failed",
		 n, n == 1 ? "" : "s", kept, failed);
	kctl_pools_dirty(k);
}

void kctl_services_resync(struct kctl *k)
{
	const struct objects *svcs = &k->cfg->kinds[KIND_SERVICE];
	const struct object **v = xcalloc(svcs->n ? svcs->n : 1, sizeof(*v));

	memcpy(v, svcs->v, svcs->n * sizeof(*v));
	qsort(v, svcs->n, sizeof(*v), age_cmp);
	for (size_t i = 0; i < svcs->n; i++)
		sync_one(k, v[i], NULL);
	free(v);
	k->freed = false;  /* every waiting Service was just tried, after the others */
}

void kctl_services_stop(struct kctl *k)
{
	while (k->wq_head)
		dequeue(k, k->wq_head);
	avl_clear(&k->svcs, st_free, NULL);
	k->writes_active = 0;
	evtimer_del(k->retry_timer);
	k->retry_ms = 0;
	alloc_free(k->alloc);
	k->alloc = NULL;
	k->freed = false;
}

void kctl_service_lost(const char *ns, const char *name, const char *why, void *arg)
{
	struct kctl *k = arg;
	const struct object *svc = config_find(k->cfg, KIND_SERVICE, ns, name);

	k->stats.cleared++;
	k->freed = true;
	log_obj(LOG_INFO, "service", SVC_OBJ(ns, name), "current addresses not allowed by the new configuration: %s", why);
	if (svc)
		record(k, svc, false, "ClearAssignment",
		       "current IP for \"%s/%s\" not allowed by config, will attempt for new IP assignment: %s", ns, name, why);
}

void kctl_services_init(struct kctl *k)
{
	avl_init(&k->svcs, svc_cmp);
	k->retry_timer = evtimer_new(k->base, on_retry, k);
	if (!k->retry_timer)
		xalloc_die("evtimer_new");
}

const char *kctl_service_failed(struct kctl *k, const char *ns, const char *name)
{
	const struct kctl_svc *st = st_find(k, ns, name);
	return st ? st->failed : NULL;
}
