/*
 * The configuration kinds in Kubernetes mode: IPAddressPools (of the
 * controller's namespace), the L2Advertisements, BGPAdvertisements and
 * Communities beside them (read only to validate, as MetalLB's controller
 * does), Namespaces and Kube-OVN Subnets.
 *
 * Their changes do not go into the configuration at once: each object's
 * newest version waits as a pending change, and kctl_config_apply() puts all
 * pending changes in, validates the whole (config_validate, and at least one
 * pool), and either keeps them (the allocator then gets the new
 * configuration) or takes every one of them out again, putting back the
 * objects that were in force. So an invalid or empty pool set never clears an
 * address (MetalLB #2887): the last valid configuration stays in force until
 * a later change makes the whole valid again. Why it was refused goes to the
 * log, to an Event on each offending object and to the ConfigurationState
 * "controller" in the controller's namespace, shaped as MetalLB v0.15.3
 * writes it (status.result, errorSummary, a configReconcilerValid condition).
 *
 * A change that leaves what allocation reads unchanged (a pool's status, a
 * Namespace's annotations) is dropped before it costs a validation.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "kctl_int.h"
#include "kube_request.h"
#include "log.h"
#include "reload_metrics.h"
#include "xalloc.h"

#define SUMMARY_MAX 4096
#define CS_RETRY_MS 10000

static const struct kube_resource res_config_state = {
	KIND_COUNT, "metallb.io", "v1beta1", "configurationstates", "ConfigurationState", "metallb.io/v1beta1", true,
};

/* One configuration object: what is in force, and a change that is not yet. */
struct cobj {
	struct avl_node node;
	enum kind kind;
	char *ns, *name;     /* ns NULL for cluster-scoped kinds */
	char *uid;
	json_t *sig;         /* what allocation reads of the version in force */
	json_t *raw;         /* pools: the API object as last seen, for status writes */
	bool in_cfg;
	bool pending;
	struct object *pobj; /* the pending version; NULL: deleted, or it did not decode (perror) */
	char *perror;
	json_t *psig;
	char *verror;        /* why the last attempt refused it; NULL when it did not */
	char *reported;      /* the message last recorded as an Event on it */
};

struct kctl_cfgstate {
	struct avl_tree objs;
	size_t npending;
	char *summary;       /* why the last attempt was refused; NULL: the configuration in force is the newest */
	char *logged;        /* the summary last logged */
	struct kube_call *call;
	int cs_step;         /* in flight: 1 the object, 2 its status */
	bool object_done;    /* the object exists (applied this term) */
	char *cs_writing, *cs_written;
	bool cs_absent;
	struct event *cs_retry;
};

/* ------------------------------------------------------------------ the objects */

static int key_cmp3(enum kind ka, const char *nsa, const char *na, enum kind kb, const char *nsb, const char *nb)
{
	if (ka != kb)
		return ka < kb ? -1 : 1;
	int r = strcmp(nsa ? nsa : "", nsb ? nsb : "");
	return r ? r : strcmp(na, nb);
}

static int cobj_cmp(const struct avl_node *a, const struct avl_node *b)
{
	const struct cobj *x = avl_entry(a, struct cobj, node), *y = avl_entry(b, struct cobj, node);
	return key_cmp3(x->kind, x->ns, x->name, y->kind, y->ns, y->name);
}

struct cobj_key {
	enum kind kind;
	const char *ns, *name;
};

static int cobj_key_cmp(const void *key, const struct avl_node *n)
{
	const struct cobj_key *k = key;
	const struct cobj *c = avl_entry(n, struct cobj, node);
	return key_cmp3(k->kind, k->ns, k->name, c->kind, c->ns, c->name);
}

static struct cobj *cobj_find(const struct kctl_cfgstate *cs, enum kind kind, const char *ns, const char *name)
{
	struct cobj_key key = { kind, ns, name };
	struct avl_node *n = avl_find(&cs->objs, &key, cobj_key_cmp);
	return n ? avl_entry(n, struct cobj, node) : NULL;
}

static struct cobj *cobj_get(struct kctl_cfgstate *cs, enum kind kind, const char *ns, const char *name)
{
	struct cobj *c = cobj_find(cs, kind, ns, name);

	if (c)
		return c;
	c = xcalloc(1, sizeof(*c));
	c->kind = kind;
	c->ns = ns ? xstrdup(ns) : NULL;
	c->name = xstrdup(name);
	avl_insert(&cs->objs, &c->node);
	return c;
}

static void clear_pending(struct cobj *c)
{
	object_free(c->pobj);
	c->pobj = NULL;
	free(c->perror);
	c->perror = NULL;
	json_decref(c->psig);
	c->psig = NULL;
	c->pending = false;
}

static void cobj_free(struct avl_node *n, void *arg)
{
	struct cobj *c = avl_entry(n, struct cobj, node);
	(void)arg;

	clear_pending(c);
	json_decref(c->sig);
	json_decref(c->raw);
	free(c->ns);
	free(c->name);
	free(c->uid);
	free(c->verror);
	free(c->reported);
	free(c);
}

static void set_str(char **dst, const char *s)
{
	free(*dst);
	*dst = s ? xstrdup(s) : NULL;
}

static json_t *copy_or_null(const json_t *j)
{
	json_t *c = j ? json_deep_copy(j) : json_null();
	if (!c)
		xalloc_die("json_deep_copy");
	return c;
}

/* What allocation reads of an object: a pool's and a Subnet's spec and labels, a Namespace's labels. */
static json_t *signature(enum kind kind, const json_t *raw)
{
	const json_t *md = json_object_get(raw, "metadata");
	json_t *sig = json_object();

	json_object_set_new(sig, "labels", copy_or_null(json_object_get(md, "labels")));
	if (kind != KIND_NAMESPACE)
		json_object_set_new(sig, "spec", copy_or_null(json_object_get(raw, "spec")));
	return sig;
}

static void ref_of(const struct cobj *c, struct kube_ref *ref)
{
	const struct kube_resource *r = kube_resource_of(c->kind);
	*ref = (struct kube_ref){ r->api_version, r->kind_name, c->ns, c->name, c->uid, NULL };
}

/* ------------------------------------------------------------------ events */

void kctl_config_event(struct kctl *k, enum kind kind, enum kube_event_type t, const struct kube_item *it)
{
	struct kctl_cfgstate *cs = k->cs;
	struct cobj *c = cobj_get(cs, kind, it->ns, it->name);
	bool was_pending = c->pending;

	if (t == KUBE_DELETED) {
		if (c->uid && it->uid && strcmp(c->uid, it->uid) != 0)
			return;  /* a relist found it gone after its successor under the same name */
		if (!c->in_cfg && !c->pending) {
			avl_remove(&cs->objs, &c->node);
			cobj_free(&c->node, NULL);
			return;
		}
		clear_pending(c);
		c->pending = c->in_cfg;  /* deleting what never was in force changes nothing */
		json_decref(c->raw);
		c->raw = NULL;
	} else {
		if (it->uid)
			set_str(&c->uid, it->uid);
		if (kind == KIND_IPADDRESSPOOL && it->raw) {
			json_decref(c->raw);
			c->raw = copy_or_null(it->raw);
		}
		json_t *sig = it->raw ? signature(kind, it->raw) : NULL;
		const json_t *against = c->pending ? c->psig : c->in_cfg ? c->sig : NULL;
		if (sig && against && json_equal(sig, against) && (!c->pending || c->pobj)) {
			object_free(kube_item_take(it));  /* nothing allocation reads changed */
			json_decref(sig);
			return;
		}
		clear_pending(c);
		c->pending = true;
		c->psig = sig;
		c->pobj = kube_item_take(it);
		if (!c->pobj) {
			char first[512] = "the object cannot be read";
			for (size_t i = 0; it->diags && i < it->diags->n; i++)
				if (it->diags->v[i].sev == DIAG_ERROR) {
					snprintf(first, sizeof(first), "%s%s%s", it->diags->v[i].path ? it->diags->v[i].path : "",
						 it->diags->v[i].path ? ": " : "", it->diags->v[i].msg);
					break;
				}
			c->perror = xstrdup(first);
		}
	}
	if (c->pending != was_pending)
		cs->npending += c->pending ? 1 : (size_t)-1;
	if (!c->pending && !c->in_cfg) {
		avl_remove(&cs->objs, &c->node);
		cobj_free(&c->node, NULL);
	}
	kctl_config_apply(k);
}

const json_t *kctl_config_raw(const struct kctl *k, enum kind kind, const char *ns, const char *name)
{
	const struct cobj *c = cobj_find(k->cs, kind, ns, name);
	return c ? c->raw : NULL;
}

/* ------------------------------------------------------------------ apply */

struct summary {
	char buf[SUMMARY_MAX];
	size_t off;
	unsigned n;
};

static void summary_add(struct summary *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void summary_add(struct summary *s, const char *fmt, ...)
{
	va_list ap;

	if (s->off + 8 >= sizeof(s->buf))
		return;
	if (s->n++)
		s->off += (size_t)snprintf(s->buf + s->off, sizeof(s->buf) - s->off, "; ");
	va_start(ap, fmt);
	int n = vsnprintf(s->buf + s->off, sizeof(s->buf) - s->off, fmt, ap);
	va_end(ap);
	if (n > 0)
		s->off = s->off + (size_t)n < sizeof(s->buf) ? s->off + (size_t)n : sizeof(s->buf) - 1;
}

/* "IPAddressPool ns/name" or "Namespace name" -> the object's entry. */
static struct cobj *cobj_by_id(struct kctl_cfgstate *cs, const char *id)
{
	char buf[512];
	const char *sp = id ? strchr(id, ' ') : NULL;

	if (!sp || strlen(id) >= sizeof(buf))
		return NULL;
	for (int kind = 0; kind < KIND_COUNT; kind++) {
		if (strlen(kind_name((enum kind)kind)) != (size_t)(sp - id) ||
		    strncmp(kind_name((enum kind)kind), id, (size_t)(sp - id)) != 0)
			continue;
		strcpy(buf, sp + 1);
		char *slash = strchr(buf, '/');
		if (slash)
			*slash = 0;
		return cobj_find(cs, (enum kind)kind, slash ? buf : NULL, slash ? slash + 1 : buf);
	}
	return NULL;
}

static bool has_pool(const struct config *c)
{
	return c->kinds[KIND_IPADDRESSPOOL].n > 0;
}

static void refused(struct kctl *k, struct summary *s)
{
	struct kctl_cfgstate *cs = k->cs;

	k->stats.config_rejected++;
	k->config_stale = true;
	set_str(&cs->summary, s->buf);
	if (!cs->logged || strcmp(cs->logged, s->buf) != 0) {
		log_error("config", "configuration not applied, the last valid one stays in force%s: %s",
			  k->config_ok ? "" : " (none yet: nothing is allocated)", s->buf);
		set_str(&cs->logged, s->buf);
	}
	kctl_config_report(k);
}

struct undo {
	struct cobj *c;
	struct object *old;
};

/* Takes every pending change back out and puts back what was in force. */
static void roll_back(struct kctl *k, struct undo *u, size_t n)
{
	for (size_t i = n; i-- > 0;) {
		struct cobj *c = u[i].c;
		if (c->pobj)
			config_take(k->cfg, c->kind, c->ns, c->name);
		if (u[i].old)
			config_put(k->cfg, u[i].old);
	}
	if (n) {
		struct diags d;  /* resolves again what the configuration in force resolved */
		diags_init(&d);
		config_validate(k->cfg, &d);
		diags_free(&d);
	}
}

static void commit(struct kctl *k, struct undo *u, size_t n, const struct diags *d)
{
	struct kctl_cfgstate *cs = k->cs;

	for (size_t i = 0; i < n; i++) {
		struct cobj *c = u[i].c;
		json_decref(c->sig);
		c->sig = c->psig;
		c->psig = NULL;
		c->in_cfg = c->pobj != NULL;
		c->pobj = NULL;  /* the configuration's now */
		c->pending = false;
	}
	cs->npending = 0;
	if (k->alloc && n)
		alloc_set_config(k->alloc, k->cfg, kctl_service_lost, k);
	for (size_t i = 0; i < n; i++) {
		object_free(u[i].old);
		if (!u[i].c->in_cfg) {
			avl_remove(&cs->objs, &u[i].c->node);
			cobj_free(&u[i].c->node, NULL);
		}
	}
	for (struct avl_node *x = avl_first(&cs->objs); x; x = avl_next(x)) {
		struct cobj *c = avl_entry(x, struct cobj, node);
		free(c->verror);
		c->verror = NULL;
		free(c->reported);
		c->reported = NULL;
	}
	for (size_t i = 0; i < d->n; i++)  /* "BGPPeer ... does not exist": the speaker's concern */
		if (d->v[i].sev == DIAG_WARNING)
			log_debug("config", "%s: %s%s%s", d->v[i].object ? d->v[i].object : "configuration",
				 d->v[i].path ? d->v[i].path : "", d->v[i].path ? ": " : "", d->v[i].msg);
	if (cs->summary || !k->config_ok)
		log_info("config", "configuration in force: %zu IPAddressPool%s, %zu Namespace%s, %zu Subnet%s",
			 k->cfg->kinds[KIND_IPADDRESSPOOL].n, k->cfg->kinds[KIND_IPADDRESSPOOL].n == 1 ? "" : "s",
			 k->cfg->kinds[KIND_NAMESPACE].n, k->cfg->kinds[KIND_NAMESPACE].n == 1 ? "" : "s",
			 k->cfg->kinds[KIND_SUBNET].n, k->cfg->kinds[KIND_SUBNET].n == 1 ? "" : "s");
	set_str(&cs->summary, NULL);
	set_str(&cs->logged, NULL);
	k->config_ok = true;
	k->config_stale = false;
	if (k->serving && n) {
		kctl_services_resync(k);
		kctl_pools_dirty(k);
	}
	kctl_config_report(k);
	kctl_try_serve(k);
}

void kctl_config_apply(struct kctl *k)
{
	struct kctl_cfgstate *cs = k->cs;
	struct summary s = { .off = 0 };
	struct undo *u;
	size_t n = 0;
	bool unreadable = false;

	/* Nothing pending, but the last attempt was refused: the refused changes were withdrawn. Check again. */
	if (!k->synced || (!cs->npending && !cs->summary))
		return;
	uint64_t t0 = clock_ns(CLOCK_MONOTONIC);
	for (struct avl_node *x = avl_first(&cs->objs); x; x = avl_next(x)) {
		struct cobj *c = avl_entry(x, struct cobj, node);
		if (c->pending && c->perror) {
			unreadable = true;
			summary_add(&s, "%s %s%s%s: %s", kind_name(c->kind), c->ns ? c->ns : "", c->ns ? "/" : "", c->name,
				    c->perror);
			set_str(&c->verror, c->perror);
		}
	}
	u = xcalloc(cs->npending ? cs->npending : 1, sizeof(*u));
	for (struct avl_node *x = avl_first(&cs->objs); x && !unreadable; x = avl_next(x)) {
		struct cobj *c = avl_entry(x, struct cobj, node);
		if (!c->pending)
			continue;
		u[n].c = c;
		u[n].old = c->pobj ? config_put(k->cfg, c->pobj) : config_take(k->cfg, c->kind, c->ns, c->name);
		n++;
	}
	struct diags d;
	diags_init(&d);
	bool ok = !unreadable && config_validate(k->cfg, &d);
	for (size_t i = 0; i < d.n; i++) {
		if (d.v[i].sev != DIAG_ERROR)
			continue;
		summary_add(&s, "%s: %s%s%s", d.v[i].object ? d.v[i].object : "configuration", d.v[i].path ? d.v[i].path : "",
			    d.v[i].path ? ": " : "", d.v[i].msg);
		struct cobj *c = cobj_by_id(cs, d.v[i].object);
		if (c && !c->verror) {
			char m[1400];
			snprintf(m, sizeof(m), "%s%s%s", d.v[i].path ? d.v[i].path : "", d.v[i].path ? ": " : "", d.v[i].msg);
			set_str(&c->verror, m);
		}
	}
	if (ok && !has_pool(k->cfg)) {
		ok = false;
		summary_add(&s, "no IPAddressPool in namespace %s", k->ns);
	}
	if (ok)
		commit(k, u, n, &d);
	else {
		roll_back(k, u, n);
		refused(k, &s);
	}
	diags_free(&d);
	free(u);
	metric_hist_observe(&k->config_hist, (double)(clock_ns(CLOCK_MONOTONIC) - t0) / 1e9);
}

/* ------------------------------------------------------------------ reporting */

static void cs_write(struct kctl *k);

static void cs_retry(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	cs_write(arg);
}

static void cs_done(void *arg, const struct kube_resp *r, json_t *body)
{
	struct kctl *k = arg;
	struct kctl_cfgstate *cs = k->cs;
	int step = cs->cs_step;
	char msg[256];

	cs->call = NULL;
	cs->cs_step = 0;
	if (r->status == 404 && step == 1) {
		if (!cs->cs_absent)
			log_info("config", "no ConfigurationState resource (metallb.io/v1beta1): validation results go to "
					   "the log and to Events only");
		cs->cs_absent = true;
		set_str(&cs->cs_written, cs->cs_writing);
		return;
	}
	if (r->status != 200 && r->status != 201) {
		cs->object_done = false;
		log_warn("config", "ConfigurationState %s/controller: %s; again in %d s", k->ns,
			 kube_resp_message(r, body, msg, sizeof(msg)), CS_RETRY_MS / 1000);
		struct timeval tv = { CS_RETRY_MS / 1000, 0 };
		evtimer_add(cs->cs_retry, &tv);
		return;
	}
	cs->cs_absent = false;
	if (step == 1)
		cs->object_done = true;
	else
		set_str(&cs->cs_written, cs->cs_writing);
	cs_write(k);  /* the status next, or again if the state changed meanwhile */
}

/* Server-side apply, as MetalLB does: the object with its label, then its status. */
static void cs_write(struct kctl *k)
{
	struct kctl_cfgstate *cs = k->cs;
	const char *want = cs->summary ? cs->summary : "";
	char path[512], query[] = "fieldManager=vipcast-controller&force=true", now[40];
	json_t *o;

	if (cs->call || evtimer_pending(cs->cs_retry, NULL) || !k->leading || !k->synced || (!cs->summary && !k->config_ok))
		return;
	if (cs->cs_written && strcmp(cs->cs_written, want) == 0)
		return;
	set_str(&cs->cs_writing, want);
	if (!cs->object_done) {
		cs->cs_step = 1;
		o = json_pack("{s:s, s:s, s:{s:s, s:s, s:{s:s}}}", "apiVersion", res_config_state.api_version, "kind",
			      res_config_state.kind_name, "metadata", "name", "controller", "namespace", k->ns, "labels",
			      "metallb.io/component-type", "controller");
		kube_path(path, sizeof(path), &res_config_state, k->ns, "controller", NULL, query);
	} else {
		bool valid = !*want;
		char message[SUMMARY_MAX + 32];
		cs->cs_step = 2;
		kube_timestamp(now, 0);
		snprintf(message, sizeof(message), "%s%s", valid ? "" : "configuration error: ", want);
		json_t *cond = json_pack("{s:s, s:s, s:s, s:s, s:s}", "type", "configReconcilerValid", "status",
					 valid ? "True" : "False", "reason", valid ? "Reconciled" : "ConfigurationError",
					 "message", message, "lastTransitionTime", now);
		json_t *status = json_pack("{s:s, s:[o]}", "result", valid ? "Valid" : "Invalid", "conditions", cond);
		if (!valid)
			json_object_set_new(status, "errorSummary", json_string(message));
		o = json_pack("{s:s, s:s, s:{s:s, s:s}, s:o}", "apiVersion", res_config_state.api_version, "kind",
			      res_config_state.kind_name, "metadata", "name", "controller", "namespace", k->ns, "status",
			      status);
		kube_path(path, sizeof(path), &res_config_state, k->ns, "controller", "status", query);
	}
	cs->call = kube_json_request(k->h, "PATCH", path, o, KUBE_CT_APPLY_PATCH, cs_done, k);
	json_decref(o);
}

void kctl_config_report(struct kctl *k)
{
	struct kctl_cfgstate *cs = k->cs;

	if (!k->leading || !k->synced)
		return;
	for (struct avl_node *x = avl_first(&cs->objs); x; x = avl_next(x)) {
		struct cobj *c = avl_entry(x, struct cobj, node);
		if (!c->verror || (c->reported && strcmp(c->reported, c->verror) == 0))
			continue;
		struct kube_ref ref;
		ref_of(c, &ref);
		kctl_record(k, &ref, true, "InvalidConfiguration",
			    "%s; not applied, the last valid configuration stays in force", c->verror);
		set_str(&c->reported, c->verror);
	}
	cs_write(k);
}

void kctl_config_stop(struct kctl *k)
{
	struct kctl_cfgstate *cs = k->cs;

	kube_call_cancel(cs->call);
	cs->call = NULL;
	cs->cs_step = 0;
	cs->object_done = false;
	evtimer_del(cs->cs_retry);
	set_str(&cs->cs_written, NULL);
	for (struct avl_node *x = avl_first(&cs->objs); x; x = avl_next(x))
		set_str(&avl_entry(x, struct cobj, node)->reported, NULL);
}

void kctl_config_init(struct kctl *k)
{
	k->cs = xcalloc(1, sizeof(*k->cs));
	avl_init(&k->cs->objs, cobj_cmp);
	reload_hist_init(&k->config_hist);
	k->cs->cs_retry = evtimer_new(k->base, cs_retry, k);
	if (!k->cs->cs_retry)
		xalloc_die("evtimer_new");
}

void kctl_config_free(struct kctl *k)
{
	struct kctl_cfgstate *cs = k->cs;

	if (!cs)
		return;
	kube_call_cancel(cs->call);
	event_free(cs->cs_retry);
	avl_clear(&cs->objs, cobj_free, NULL);
	free(cs->summary);
	free(cs->logged);
	free(cs->cs_writing);
	free(cs->cs_written);
	free(cs);
	k->cs = NULL;
}
