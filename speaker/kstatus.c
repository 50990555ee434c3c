/*
 * The writer of ServiceL2Status / ServiceBGPStatus objects and nodeAssigned
 * Events (kstatus.h says what they are).
 *
 * State: an AVL of Services keyed by (ns, name), each with one struct ks_obj
 * per kind (L2, BGP) holding what the object should say (want), what the
 * server's object says as far as we know (have), and the object's name (a
 * generated one in place). The lists of interfaces and peers are interned
 * (most Services share one), so a Service costs about 140 bytes plus its
 * namespace and name.
 *
 * kstatus_set() only records the new wants and queues the objects whose want
 * changed; the queues are worked off a coalescing timer later, each object
 * reading its want when its turn comes, so a burst of sets writes the last one
 * only. At most KS_MAX_INFLIGHT requests are in flight; a failed one puts its
 * object back at the end of its queue and pauses the writer with exponential
 * backoff (an API server that is down is not asked 100k times a second).
 *
 * Per object, the next request follows from (want, name, have, owned):
 *   want, no object           -> POST (generateName, labels, owner), then
 *   want != have              -> merge PATCH of /status (404: create it again)
 *   object not owned by our Pod (adopted from an older Pod) -> GET, then PUT
 *                                with our ownerReference (409: GET again)
 *   no want, an object        -> DELETE (404 is success)
 * Before the first write of a kind, its objects of this node are LISTed
 * (labelSelector metallb.io/node): a valid one is adopted with the status it
 * has, a second one for the same Service and one that cannot be ours (status
 * of another node or Service: immutable fields) are deleted. Nothing is
 * written before the first kstatus_set(), so a restart deletes nothing that is
 * still true.
 */
#include "kstatus.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "avl.h"
#include "kube_backoff.h"
#include "kube_request.h"
#include "kube_resource.h"
#include "log.h"
#include "xalloc.h"

#define KS_COALESCE_MS 100
#define KS_MAX_INFLIGHT 8
#define KS_LIST_LIMIT 500
#define KS_BACKOFF_INITIAL_MS 500
#define KS_BACKOFF_MAX_MS 30000
#define KS_PATH_MAX 1024

#define LABEL_NODE "metallb.io/node"
#define LABEL_SVC_NAME "metallb.io/service-name"
#define LABEL_SVC_NS "metallb.io/service-namespace"

enum ks_kind { KS_L2, KS_BGP, KS_NKINDS };

static const struct kube_resource ks_res[KS_NKINDS] = {
	{ KIND_COUNT, "metallb.io", "v1beta1", "servicel2statuses", "ServiceL2Status", "metallb.io/v1beta1", true },
	{ KIND_COUNT, "metallb.io", "v1beta1", "servicebgpstatuses", "ServiceBGPStatus", "metallb.io/v1beta1", true },
};
static const struct kube_resource ks_res_pod = { KIND_COUNT, "", "v1", "pods", "Pod", "v1", true };
static const char *const ks_prefix[KS_NKINDS] = { "l2-", "bgp-" };
static const char *const ks_proto[KS_NKINDS] = { "layer2", "bgp" };

/* Names (interfaces or peers), each followed by a NUL; equal lists are one object. */
struct ks_list {
	struct avl_node node;
	unsigned refs;
	uint32_t n, len;
	char data[];
};

/* One status object of one Service. */
struct ks_obj {
	const struct ks_list *want;  /* NULL: there should be none */
	const struct ks_list *have;  /* its status as written or read; NULL: unknown, or no object */
	/* The object's name (obj_name()): a generated one ("bgp-" and 5 characters) in place, else a copy. */
	union {
		char *heap;
		char suffix[8];          /* after the kind's prefix, NUL-terminated */
	} name;
	struct ks_obj *qnext;
	uint8_t kind;
	uint8_t fails;               /* in a row */
	bool named;                  /* an object is known */
	bool name_inline;            /* its name is the prefix and name.suffix */
	bool queued, busy, owned;
};

/* Room for any name obj_name() writes out. */
#define KS_NAME_BUF 16

struct ks_svc {
	struct avl_node node;
	struct ks_obj obj[KS_NKINDS];
	uint32_t gen;                /* the kstatus_set() that named it last */
	char key[];                  /* ns NUL name NUL */
};

/* An object found at start that is not ours to keep. */
struct ks_orphan {
	struct ks_orphan *next;
	uint8_t kind;
	char name[];
};

enum ks_op { OP_NONE, OP_CREATE, OP_STATUS, OP_GET, OP_OWN, OP_DELETE };

struct ks_req {
	struct kstatus *k;
	struct kube_call *call;      /* NULL: the slot is free */
	struct ks_obj *obj;          /* or */
	struct ks_orphan *orphan;
	const struct ks_list *sent;  /* OP_STATUS: what it writes */
	enum ks_op op;
};

struct ks_queue {
	struct ks_obj *head, *tail;
};

/* The start: our Pod's uid, then each kind's objects of this node. */
struct ks_lister {
	struct kstatus *k;
	int kind;                    /* KS_NKINDS: the Pod */
	struct kube_call *call;
	struct event *retry;
	struct kube_backoff bo;
	char *cont;
	bool done;
};

struct kstatus {
	struct event_base *base;
	struct kube_http *h;
	struct kube_recorder *rec;
	char *ns, *node, *pod_name, *pod_uid;
	char *selector;              /* labelSelector=..., escaped */
	struct avl_tree svcs, lists;
	uint32_t gen;
	bool have_set, paused;
	struct ks_queue q[KS_NKINDS];
	size_t nqueued, norphans;
	struct ks_orphan *orphans, **orphans_tail;
	struct ks_req slots[KS_MAX_INFLIGHT];
	unsigned inflight;
	struct kube_backoff bo;
	struct event *flush, *resume;
	struct ks_lister pod, listers[KS_NKINDS];
	struct kstatus_stats stats;
};

static void ks_pump(struct kstatus *k);
static void lister_start(struct ks_lister *l);

/* ------------------------------------------------------------------ interned lists */

static int list_cmp_raw(uint32_t la, const char *da, uint32_t lb, const char *db)
{
	if (la != lb)
		return la < lb ? -1 : 1;
	return memcmp(da, db, la);
}

static int list_cmp(const struct avl_node *a, const struct avl_node *b)
{
	const struct ks_list *x = avl_entry(a, struct ks_list, node), *y = avl_entry(b, struct ks_list, node);
	return list_cmp_raw(x->len, x->data, y->len, y->data);
}

struct list_key {
	uint32_t len;
	const char *data;
};

static int list_key_cmp(const void *key, const struct avl_node *n)
{
	const struct list_key *k = key;
	const struct ks_list *l = avl_entry(n, struct ks_list, node);
	return list_cmp_raw(k->len, k->data, l->len, l->data);
}

/* The interned list of these names, with a reference for the caller. */
static const struct ks_list *list_intern(struct kstatus *k, const char *const *v, size_t n)
{
	size_t len = 0;
	for (size_t i = 0; i < n; i++)
		len += strlen(v[i]) + 1;
	if (len > UINT32_MAX || n > UINT32_MAX)
		xalloc_die("kstatus list");
	char *buf = xmalloc(len ? len : 1);
	size_t off = 0;
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(v[i]) + 1;
		memcpy(buf + off, v[i], l);
		off += l;
	}
	struct list_key key = { (uint32_t)len, buf };
	struct avl_node *f = avl_find(&k->lists, &key, list_key_cmp);
	struct ks_list *l;
	if (f) {
		l = avl_entry(f, struct ks_list, node);
	} else {
		l = xcalloc(1, sizeof(*l) + len);
		l->n = (uint32_t)n;
		l->len = (uint32_t)len;
		memcpy(l->data, buf, len);
		avl_insert(&k->lists, &l->node);
	}
	free(buf);
	l->refs++;
	return l;
}

static const struct ks_list *list_ref(const struct ks_list *l)
{
	if (l)
		((struct ks_list *)l)->refs++;
	return l;
}

static void list_unref(struct kstatus *k, const struct ks_list *cl)
{
	struct ks_list *l = (struct ks_list *)cl;
	if (l && --l->refs == 0) {
		avl_remove(&k->lists, &l->node);
		free(l);
	}
}

static void list_set(struct kstatus *k, const struct ks_list **dst, const struct ks_list *l)
{
	list_ref(l);
	list_unref(k, *dst);
	*dst = l;
}

/* ------------------------------------------------------------------ Services */

static const char *svc_ns(const struct ks_svc *s) { return s->key; }
static const char *svc_name(const struct ks_svc *s) { return s->key + strlen(s->key) + 1; }

static struct ks_svc *svc_of(struct ks_obj *o)
{
	return (struct ks_svc *)((char *)(o - o->kind) - offsetof(struct ks_svc, obj));
}

/* The object's name, or NULL when none is known. */
static const char *obj_name(const struct ks_obj *o, char buf[KS_NAME_BUF])
{
	if (!o->named)
		return NULL;
	if (!o->name_inline)
		return o->name.heap;
	snprintf(buf, KS_NAME_BUF, "%s%s", ks_prefix[o->kind], o->name.suffix);
	return buf;
}

static void obj_set_name(struct ks_obj *o, const char *name)
{
	const char *prefix = ks_prefix[o->kind];
	size_t lp = strlen(prefix);

	if (o->named && !o->name_inline)
		free(o->name.heap);
	o->named = name != NULL;
	o->name_inline = name && strncmp(name, prefix, lp) == 0 && strlen(name + lp) < sizeof(o->name.suffix);
	if (o->name_inline)
		memcpy(o->name.suffix, name + lp, strlen(name + lp) + 1);
	else
		o->name.heap = name ? xstrdup(name) : NULL;
}

static int svc_key_cmp3(const char *nsa, const char *na, const char *nsb, const char *nb)
{
	int r = strcmp(nsa, nsb);
	return r ? r : strcmp(na, nb);
}

static int svc_cmp(const struct avl_node *a, const struct avl_node *b)
{
	const struct ks_svc *x = avl_entry(a, struct ks_svc, node), *y = avl_entry(b, struct ks_svc, node);
	return svc_key_cmp3(svc_ns(x), svc_name(x), svc_ns(y), svc_name(y));
}

struct svc_key {
	const char *ns, *name;
};

static int svc_key_cmp(const void *key, const struct avl_node *n)
{
	const struct svc_key *k = key;
	const struct ks_svc *s = avl_entry(n, struct ks_svc, node);
	return svc_key_cmp3(k->ns, k->name, svc_ns(s), svc_name(s));
}

static struct ks_svc *svc_get(struct kstatus *k, const char *ns, const char *name)
{
	struct svc_key key = { ns, name };
	struct avl_node *f = avl_find(&k->svcs, &key, svc_key_cmp);
	if (f)
		return avl_entry(f, struct ks_svc, node);
	size_t lns = strlen(ns) + 1, lname = strlen(name) + 1;
	struct ks_svc *s = xcalloc(1, sizeof(*s) + lns + lname);
	memcpy(s->key, ns, lns);
	memcpy(s->key + lns, name, lname);
	for (int i = 0; i < KS_NKINDS; i++)
		s->obj[i].kind = (uint8_t)i;
	avl_insert(&k->svcs, &s->node);
	return s;
}

static void svc_free(struct kstatus *k, struct ks_svc *s)
{
	for (int i = 0; i < KS_NKINDS; i++) {
		list_unref(k, s->obj[i].want);
		list_unref(k, s->obj[i].have);
		obj_set_name(&s->obj[i], NULL);
	}
	free(s);
}

/* Forgets a Service with nothing left to write for it. */
static void svc_maybe_free(struct kstatus *k, struct ks_svc *s)
{
	for (int i = 0; i < KS_NKINDS; i++) {
		const struct ks_obj *o = &s->obj[i];
		if (o->want || o->named || o->busy || o->queued)
			return;
	}
	avl_remove(&k->svcs, &s->node);
	svc_free(k, s);
}

/* ------------------------------------------------------------------ what to do next */

static enum ks_op obj_next_op(const struct kstatus *k, const struct ks_obj *o)
{
	if (o->want) {
		if (!o->named)
			return OP_CREATE;
		if (k->pod_uid && !o->owned)
			return OP_GET;
		return o->have == o->want ? OP_NONE : OP_STATUS;
	}
	return o->named ? OP_DELETE : OP_NONE;
}

static void enqueue(struct kstatus *k, struct ks_obj *o)
{
	struct ks_queue *q = &k->q[o->kind];
	if (o->queued)
		return;
	o->queued = true;
	k->nqueued++;
	o->qnext = NULL;
	if (q->tail)
		q->tail->qnext = o;
	else
		q->head = o;
	q->tail = o;
}

static struct ks_obj *dequeue(struct kstatus *k, int kind)
{
	struct ks_queue *q = &k->q[kind];
	struct ks_obj *o = q->head;
	if (!o)
		return NULL;
	q->head = o->qnext;
	if (!q->head)
		q->tail = NULL;
	o->qnext = NULL;
	o->queued = false;
	k->nqueued--;
	return o;
}

static void schedule_flush(struct kstatus *k)
{
	if (!evtimer_pending(k->flush, NULL)) {
		struct timeval tv = { 0, KS_COALESCE_MS * 1000 };
		evtimer_add(k->flush, &tv);
	}
}

static void add_orphan(struct kstatus *k, int kind, const char *name)
{
	size_t l = strlen(name) + 1;
	struct ks_orphan *x = xcalloc(1, sizeof(*x) + l);
	x->kind = (uint8_t)kind;
	memcpy(x->name, name, l);
	*k->orphans_tail = x;
	k->orphans_tail = &x->next;
	k->norphans++;
	log_debug("kstatus", "%s %s/%s: stale or duplicate, to be deleted", ks_res[kind].kind_name, k->ns, name);
}

/* ------------------------------------------------------------------ the desired set */

static void obj_want(struct kstatus *k, struct ks_svc *s, int kind, const struct ks_list *want,
		     const struct kstatus_svc *sv)
{
	struct ks_obj *o = &s->obj[kind];

	if (o->want == want)
		return;
	if (!o->want && want && k->rec && sv) {
		struct kube_ref ref = { "v1", "Service", sv->ns, sv->name, sv->uid, NULL };
		kube_record(k->rec, &ref, false, "nodeAssigned", "announcing from node \"%s\" with protocol \"%s\"",
			    k->node, ks_proto[kind]);
		k->stats.events++;
	}
	list_set(k, &o->want, want);
	if (!o->busy && obj_next_op(k, o) != OP_NONE)
		enqueue(k, o);
}

static void want_svc(struct kstatus *k, const struct kstatus_svc *sv)
{
	struct ks_svc *s = svc_get(k, sv->ns, sv->name);
	const struct ks_list *l2 = sv->l2 ? list_intern(k, sv->l2_ifaces, sv->nl2_ifaces) : NULL;
	const struct ks_list *bgp = sv->nbgp_peers ? list_intern(k, sv->bgp_peers, sv->nbgp_peers) : NULL;
	s->gen = k->gen;
	obj_want(k, s, KS_L2, l2, sv);
	obj_want(k, s, KS_BGP, bgp, sv);
	list_unref(k, l2);
	list_unref(k, bgp);
	svc_maybe_free(k, s);
}

void kstatus_update(struct kstatus *k, const struct kstatus_svc *v, size_t n)
{
	if (!k->have_set)
		return;  /* the first whole set decides what is adopted and what deleted */
	for (size_t i = 0; i < n; i++)
		want_svc(k, &v[i]);
	schedule_flush(k);
}

void kstatus_set_begin(struct kstatus *k)
{
	k->gen++;
	k->have_set = true;
}

void kstatus_set_add(struct kstatus *k, const struct kstatus_svc *sv)
{
	want_svc(k, sv);
}

void kstatus_set(struct kstatus *k, const struct kstatus_svc *v, size_t n)
{
	kstatus_set_begin(k);
	for (size_t i = 0; i < n; i++)
		want_svc(k, &v[i]);
	kstatus_set_end(k);
}

void kstatus_set_end(struct kstatus *k)
{
	for (struct avl_node *x = avl_first(&k->svcs), *next; x; x = next) {
		struct ks_svc *s = avl_entry(x, struct ks_svc, node);
		next = avl_next(x);
		if (s->gen == k->gen)
			continue;
		for (int i = 0; i < KS_NKINDS; i++)
			obj_want(k, s, i, NULL, NULL);
		svc_maybe_free(k, s);
	}
	schedule_flush(k);
}

/* ------------------------------------------------------------------ requests */

static json_t *status_body(const struct kstatus *k, const struct ks_svc *s, int kind, const struct ks_list *l)
{
	json_t *items = l->n ? json_array() : json_null();
	for (uint32_t off = 0; off < l->len; off += (uint32_t)strlen(l->data + off) + 1) {
		const char *name = l->data + off;
		json_array_append_new(items, kind == KS_L2 ? json_pack("{s:s}", "name", name) : json_string(name));
	}
	json_t *st = json_pack("{s:s, s:s, s:s}", "node", k->node, "serviceName", svc_name(s), "serviceNamespace",
			       svc_ns(s));
	json_object_set_new(st, kind == KS_L2 ? "interfaces" : "peers", items);
	return json_pack("{s:o}", "status", st);
}

static json_t *owner_refs(const struct kstatus *k)
{
	return json_pack("[{s:s, s:s, s:s, s:s}]", "apiVersion", "v1", "kind", "Pod", "name", k->pod_name, "uid",
			 k->pod_uid);
}

static json_t *create_body(const struct kstatus *k, const struct ks_svc *s, int kind)
{
	json_t *md = json_pack("{s:s, s:s, s:{s:s, s:s, s:s}}", "generateName", ks_prefix[kind], "namespace", k->ns,
			       "labels", LABEL_NODE, k->node, LABEL_SVC_NAME, svc_name(s), LABEL_SVC_NS, svc_ns(s));
	if (k->pod_uid)
		json_object_set_new(md, "ownerReferences", owner_refs(k));
	return json_pack("{s:s, s:s, s:o}", "apiVersion", ks_res[kind].api_version, "kind", ks_res[kind].kind_name,
			 "metadata", md);
}

static void req_done(void *arg, const struct kube_resp *r, json_t *body);

static void obj_lost(struct kstatus *k, struct ks_obj *o)
{
	obj_set_name(o, NULL);
	list_set(k, &o->have, NULL);
	o->owned = false;
}

static bool req_send(struct ks_req *q, const char *method, const char *name, const char *sub, const json_t *body,
		     const char *ct)
{
	struct kstatus *k = q->k;
	int kind = q->obj ? q->obj->kind : q->orphan->kind;
	char path[KS_PATH_MAX];

	if (!kube_path(path, sizeof(path), &ks_res[kind], k->ns, name, sub, NULL)) {
		log_warn("kstatus", "%s %s/%s: a name that has no place in a path; left alone", ks_res[kind].kind_name,
			 k->ns, name ? name : "");
		return false;
	}
	q->call = kube_json_request(k->h, method, path, body, ct, req_done, q);
	return true;
}

static struct ks_req *slot_get(struct kstatus *k)
{
	for (int i = 0; i < KS_MAX_INFLIGHT; i++)
		if (!k->slots[i].call)
			return &k->slots[i];
	return NULL;
}

static void start_obj(struct kstatus *k, struct ks_req *q, struct ks_obj *o, enum ks_op op)
{
	struct ks_svc *s = svc_of(o);
	json_t *body = NULL;
	char nbuf[KS_NAME_BUF];
	const char *name = obj_name(o, nbuf);
	bool ok;

	*q = (struct ks_req){ .k = k, .obj = o, .op = op };
	switch (op) {
	case OP_CREATE:
		body = create_body(k, s, o->kind);
		ok = req_send(q, "POST", NULL, NULL, body, KUBE_CT_JSON);
		break;
	case OP_STATUS:
		q->sent = list_ref(o->want);
		body = status_body(k, s, o->kind, o->want);
		ok = req_send(q, "PATCH", name, "status", body, KUBE_CT_MERGE_PATCH);
		break;
	case OP_GET:
		ok = req_send(q, "GET", name, NULL, NULL, NULL);
		break;
	default:
		ok = req_send(q, "DELETE", name, NULL, NULL, NULL);
		break;
	}
	json_decref(body);
	if (!ok) {  /* an object we cannot address: forgotten (a create cannot fail this way) */
		list_unref(k, q->sent);
		q->sent = NULL;
		obj_lost(k, o);
		if (obj_next_op(k, o) != OP_NONE)
			enqueue(k, o);
		return;
	}
	o->busy = true;
	k->inflight++;
}

static void start_orphan(struct kstatus *k, struct ks_req *q, struct ks_orphan *x)
{
	*q = (struct ks_req){ .k = k, .orphan = x, .op = OP_DELETE };
	if (req_send(q, "DELETE", x->name, NULL, NULL, NULL))
		k->inflight++;
	else
		free(x);
}

static void ks_pump(struct kstatus *k)
{
	if (!k->have_set || k->paused)
		return;
	while (k->inflight < KS_MAX_INFLIGHT) {
		struct ks_req *q = slot_get(k);
		if (k->orphans) {
			struct ks_orphan *x = k->orphans;
			k->orphans = x->next;
			k->norphans--;
			if (!k->orphans)
				k->orphans_tail = &k->orphans;
			start_orphan(k, q, x);
			continue;
		}
		struct ks_obj *o = NULL;
		for (int i = 0; i < KS_NKINDS && !o; i++)
			if (k->listers[i].done)
				o = dequeue(k, i);
		if (!o)
			return;
		enum ks_op op = o->busy ? OP_NONE : obj_next_op(k, o);
		if (op == OP_NONE)
			svc_maybe_free(k, svc_of(o));  /* a busy one is queued again when its request ends */
		else
			start_obj(k, q, o, op);
	}
}

static void pause_writes(struct kstatus *k, const struct kube_resp *r)
{
	uint32_t ms = kube_backoff_next(&k->bo, r->retry_after, arc4random());
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	k->paused = true;
	evtimer_add(k->resume, &tv);
}

static const char *op_name(enum ks_op op)
{
	static const char *const n[] = { "-", "create", "status", "get", "update", "delete" };
	return n[op];
}

/* The object after a GET: our Pod as owner instead of any other Pod, for a PUT. */
static json_t *owned_copy(const struct kstatus *k, const json_t *obj)
{
	json_t *c = json_deep_copy(obj);
	if (!c)
		xalloc_die("json_deep_copy");
	json_t *md = kube_json_object_at(c, "metadata");
	json_t *refs = json_object_get(md, "ownerReferences"), *out = owner_refs(k);
	size_t i;
	json_t *ref;
	json_array_foreach(refs, i, ref) {
		const char *kind = json_string_value(json_object_get(ref, "kind"));
		if (!kind || strcmp(kind, "Pod") != 0)
			json_array_append(out, ref);
	}
	json_object_set_new(md, "ownerReferences", out);
	return c;
}

/* Whether the request went as it should; else whether to try again without pausing (*now). */
static bool obj_result(struct kstatus *k, struct ks_req *q, const struct kube_resp *r, json_t *body, bool *now)
{
	struct ks_obj *o = q->obj;
	long st = r->status;

	*now = false;
	switch (q->op) {
	case OP_CREATE:
		if (st == 201 || st == 200) {
			const char *name = json_string_value(json_object_get(json_object_get(body, "metadata"), "name"));
			if (!name)
				return false;
			obj_set_name(o, name);
			o->owned = true;
			k->stats.created++;
			return true;
		}
		*now = st == 409;  /* a generated name taken: another one */
		return false;
	case OP_STATUS:
		if (st == 200) {
			list_set(k, &o->have, q->sent);
			k->stats.updated++;
			return true;
		}
		if (st == 404) {  /* deleted under us: made again */
			obj_lost(k, o);
			*now = true;
		}
		return false;
	case OP_GET:
		if (st == 200 && json_is_object(body)) {
			json_t *c = owned_copy(k, body);
			char nbuf[KS_NAME_BUF];
			bool ok = req_send(q, "PUT", obj_name(o, nbuf), NULL, c, KUBE_CT_JSON);
			json_decref(c);
			if (ok) {
				q->op = OP_OWN;
				return true;
			}
			obj_lost(k, o);
			return true;
		}
		if (st == 404) {
			obj_lost(k, o);
			*now = true;
		}
		return false;
	case OP_OWN:
		if (st == 200) {
			o->owned = true;
			k->stats.updated++;
			return true;
		}
		if (st == 404)
			obj_lost(k, o);
		*now = st == 409 || st == 404;  /* changed meanwhile: read again */
		return false;
	default:
		if (st == 200 || st == 202 || st == 404) {
			obj_lost(k, o);
			if (st != 404)
				k->stats.deleted++;
			return true;
		}
		return false;
	}
}

static void req_done(void *arg, const struct kube_resp *r, json_t *body)
{
	struct ks_req *q = arg;
	struct kstatus *k = q->k;
	char msg[256];
	bool now, ok;

	q->call = NULL;
	if (q->orphan) {
		struct ks_orphan *x = q->orphan;
		k->inflight--;
		if (r->status == 200 || r->status == 202 || r->status == 404) {
			k->stats.deleted += r->status != 404;
			kube_backoff_reset(&k->bo);
			free(x);
		} else {
			log_warn("kstatus", "delete %s %s/%s: %s", ks_res[x->kind].kind_name, k->ns, x->name,
				 kube_resp_message(r, body, msg, sizeof(msg)));
			k->stats.failed++;
			x->next = NULL;
			*k->orphans_tail = x;
			k->orphans_tail = &x->next;
			k->norphans++;
			pause_writes(k, r);
		}
		ks_pump(k);
		return;
	}
	struct ks_obj *o = q->obj;
	struct ks_svc *s = svc_of(o);
	enum ks_op op = q->op;
	ok = obj_result(k, q, r, body, &now);
	if (q->call)  /* the GET went on with a PUT in this slot */
		return;
	list_unref(k, q->sent);
	q->sent = NULL;
	o->busy = false;
	k->inflight--;
	if (ok) {
		char nbuf[KS_NAME_BUF];
		const char *name = obj_name(o, nbuf);
		o->fails = 0;
		kube_backoff_reset(&k->bo);
		log_debug("kstatus", "%s %s %s/%s for %s/%s: done", op_name(op), ks_res[o->kind].kind_name, k->ns,
			  name ? name : "-", svc_ns(s), svc_name(s));
	} else if (!now) {
		if (o->fails < UINT8_MAX)
			o->fails++;
		k->stats.failed++;
		if (o->fails == 1)
			log_warn("kstatus", "%s %s for %s/%s: %s; trying again", op_name(op), ks_res[o->kind].kind_name,
				 svc_ns(s), svc_name(s), kube_resp_message(r, body, msg, sizeof(msg)));
		pause_writes(k, r);
	}
	if (obj_next_op(k, o) != OP_NONE)
		enqueue(k, o);
	else
		svc_maybe_free(k, s);
	ks_pump(k);
}

static void on_flush(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	ks_pump(arg);
}

static void on_resume(evutil_socket_t fd, short what, void *arg)
{
	struct kstatus *k = arg;
	(void)fd, (void)what;
	k->paused = false;
	ks_pump(k);
}

/* ------------------------------------------------------------------ the start: Pod and LISTs */

static const char *label_of(const json_t *labels, const char *key)
{
	return json_string_value(json_object_get(labels, key));
}

/* The names of a status read from the server; NULL when it is not complete or not in shape. */
static const struct ks_list *list_from_status(struct kstatus *k, int kind, const json_t *st)
{
	const json_t *arr = json_object_get(st, kind == KS_L2 ? "interfaces" : "peers");
	size_t n = 0, i;
	json_t *it;

	if (!json_is_string(json_object_get(st, "node")) || !json_is_string(json_object_get(st, "serviceName")) ||
	    !json_is_string(json_object_get(st, "serviceNamespace")))
		return NULL;
	if (arr && !json_is_array(arr))
		return NULL;
	const char **names = xcalloc(json_array_size(arr) + 1, sizeof(*names));
	json_array_foreach(arr, i, it) {
		const char *name = json_string_value(kind == KS_L2 ? json_object_get(it, "name") : it);
		if (!name) {
			free(names);
			return NULL;
		}
		names[n++] = name;
	}
	const struct ks_list *l = list_intern(k, names, n);
	free(names);
	return l;
}

static bool owned_by(const json_t *md, const char *uid)
{
	size_t i;
	json_t *ref;
	json_array_foreach(json_object_get(md, "ownerReferences"), i, ref) {
		const char *u = json_string_value(json_object_get(ref, "uid"));
		if (u && strcmp(u, uid) == 0)
			return true;
	}
	return false;
}

static bool field_differs(const json_t *st, const char *key, const char *want)
{
	const char *v = json_string_value(json_object_get(st, key));
	return v && strcmp(v, want) != 0;
}

static void adopt(struct kstatus *k, int kind, const json_t *item)
{
	const json_t *md = json_object_get(item, "metadata"), *labels = json_object_get(md, "labels");
	const json_t *st = json_object_get(item, "status");
	const char *name = json_string_value(json_object_get(md, "name"));
	const char *sname = label_of(labels, LABEL_SVC_NAME), *sns = label_of(labels, LABEL_SVC_NS);
	const char *node = label_of(labels, LABEL_NODE);

	if (!name || json_object_get(md, "deletionTimestamp"))
		return;
	if (!sname || !sns || !node || strcmp(node, k->node) != 0 || field_differs(st, "node", k->node) ||
	    field_differs(st, "serviceName", sname) || field_differs(st, "serviceNamespace", sns)) {
		add_orphan(k, kind, name);
		return;
	}
	struct ks_svc *s = svc_get(k, sns, sname);
	struct ks_obj *o = &s->obj[kind];
	const struct ks_list *have = list_from_status(k, kind, st);
	char nbuf[KS_NAME_BUF];
	const char *had = obj_name(o, nbuf);
	if (had) {
		/* A second one for the same Service: the one with a status is kept (nothing of this kind is in flight yet). */
		bool same = strcmp(had, name) == 0;
		if (same || o->have || !have || o->busy) {
			if (!same)
				add_orphan(k, kind, name);
			list_unref(k, have);
			return;
		}
		add_orphan(k, kind, had);
	}
	obj_set_name(o, name);
	list_set(k, &o->have, have);
	list_unref(k, have);
	o->owned = !k->pod_uid || owned_by(md, k->pod_uid);
	log_debug("kstatus", "%s %s/%s for %s/%s adopted", ks_res[kind].kind_name, k->ns, name, sns, sname);
	if (!o->busy && obj_next_op(k, o) != OP_NONE)
		enqueue(k, o);
	else
		svc_maybe_free(k, s);
}

static void lister_retry(struct ks_lister *l, const struct kube_resp *r)
{
	uint32_t ms = kube_backoff_next(&l->bo, r ? r->retry_after : 0, arc4random());
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	evtimer_add(l->retry, &tv);
}

static void pod_done(struct ks_lister *l, const struct kube_resp *r, json_t *body)
{
	struct kstatus *k = l->k;
	char msg[256];

	if (r->status == 200) {
		const char *uid = json_string_value(json_object_get(json_object_get(body, "metadata"), "uid"));
		if (uid)
			k->pod_uid = xstrdup(uid);
		log_info("kstatus", "status objects owned by Pod %s/%s (uid %s)", k->ns, k->pod_name, uid ? uid : "-");
	} else if (r->status == 404 || r->status == 403) {
		log_warn("kstatus", "Pod %s/%s: %s; the status objects get no owner", k->ns, k->pod_name,
			 kube_resp_message(r, body, msg, sizeof(msg)));
	} else {
		log_warn("kstatus", "Pod %s/%s: %s; trying again", k->ns, k->pod_name,
			 kube_resp_message(r, body, msg, sizeof(msg)));
		lister_retry(l, r);
		return;
	}
	l->done = true;
	for (int i = 0; i < KS_NKINDS; i++)
		lister_start(&k->listers[i]);
}

static void list_done(struct ks_lister *l, const struct kube_resp *r, json_t *body)
{
	struct kstatus *k = l->k;
	const char *kname = ks_res[l->kind].kind_name;
	char msg[256];

	if (r->status == 410) {  /* the continue token expired: from the start (adopt() knows what it has) */
		free(l->cont);
		l->cont = NULL;
		lister_start(l);
		return;
	}
	const json_t *items = json_object_get(body, "items");
	if (r->status != 200 || !json_is_array(items)) {
		if (l->bo.failures == 0)
			log_warn("kstatus", "list %s in %s: %s; trying again%s", kname, k->ns,
				 kube_resp_message(r, body, msg, sizeof(msg)),
				 r->status == 404 ? " (is its CRD installed?)" : "");
		lister_retry(l, r);
		return;
	}
	kube_backoff_reset(&l->bo);
	size_t i;
	json_t *it;
	json_array_foreach(items, i, it)
		adopt(k, l->kind, it);
	free(l->cont);
	l->cont = NULL;
	const char *cont = json_string_value(json_object_get(json_object_get(body, "metadata"), "continue"));
	if (cont && *cont) {
		l->cont = xstrdup(cont);
		lister_start(l);
		return;
	}
	l->done = true;
	log_info("kstatus", "%s of node %s listed: %zu Services known", kname, k->node, (size_t)k->svcs.count);
	ks_pump(k);
}

static void lister_done(void *arg, const struct kube_resp *r, json_t *body)
{
	struct ks_lister *l = arg;
	l->call = NULL;
	if (l->kind == KS_NKINDS)
		pod_done(l, r, body);
	else
		list_done(l, r, body);
}

static void lister_start(struct ks_lister *l)
{
	struct kstatus *k = l->k;
	char path[KS_PATH_MAX], query[KS_PATH_MAX];

	if (l->done || l->call)
		return;
	if (l->kind == KS_NKINDS) {
		if (!k->pod_name || !kube_path(path, sizeof(path), &ks_res_pod, k->ns, k->pod_name, NULL, NULL)) {
			if (k->pod_name)
				log_warn("kstatus", "Pod name %s has no place in a path: no owner", k->pod_name);
			l->done = true;
			for (int i = 0; i < KS_NKINDS; i++)
				lister_start(&k->listers[i]);
			return;
		}
	} else {
		char *cont = l->cont ? curl_easy_escape(NULL, l->cont, 0) : NULL;
		int n = snprintf(query, sizeof(query), "%s&limit=%d%s%s", k->selector, KS_LIST_LIMIT,
				 cont ? "&continue=" : "", cont ? cont : "");
		curl_free(cont);
		if (n < 0 || (size_t)n >= sizeof(query) ||
		    !kube_path(path, sizeof(path), &ks_res[l->kind], k->ns, NULL, NULL, query)) {
			log_error("kstatus", "no path for listing %s in %s", ks_res[l->kind].kind_name, k->ns);
			return;
		}
	}
	l->call = kube_json_request(k->h, "GET", path, NULL, NULL, lister_done, l);
}

static void on_lister_retry(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	lister_start(arg);
}

/* ------------------------------------------------------------------ life */

struct kstatus *kstatus_new(struct event_base *base, struct kube_http *h, struct kube_recorder *rec,
			    const struct kstatus_opts *o)
{
	struct kstatus *k = xcalloc(1, sizeof(*k));
	k->base = base;
	k->h = h;
	k->rec = rec;
	k->ns = xstrdup(o->ns);
	k->node = xstrdup(o->node);
	k->pod_name = o->pod_name ? xstrdup(o->pod_name) : NULL;
	avl_init(&k->svcs, svc_cmp);
	avl_init(&k->lists, list_cmp);
	k->orphans_tail = &k->orphans;
	kube_backoff_init(&k->bo, KS_BACKOFF_INITIAL_MS, KS_BACKOFF_MAX_MS);

	size_t sl = strlen(LABEL_NODE "=") + strlen(o->node) + 1;
	char *sel = xmalloc(sl);
	snprintf(sel, sl, LABEL_NODE "=%s", o->node);
	char *esc = curl_easy_escape(NULL, sel, 0);
	if (!esc)
		xalloc_die("curl_easy_escape");
	size_t ql = strlen("labelSelector=") + strlen(esc) + 1;
	k->selector = xmalloc(ql);
	snprintf(k->selector, ql, "labelSelector=%s", esc);
	curl_free(esc);
	free(sel);

	k->flush = evtimer_new(base, on_flush, k);
	k->resume = evtimer_new(base, on_resume, k);
	if (!k->flush || !k->resume)
		xalloc_die("evtimer_new");
	for (int i = 0; i <= KS_NKINDS; i++) {
		struct ks_lister *l = i == KS_NKINDS ? &k->pod : &k->listers[i];
		l->k = k;
		l->kind = i;
		kube_backoff_init(&l->bo, KS_BACKOFF_INITIAL_MS, KS_BACKOFF_MAX_MS);
		l->retry = evtimer_new(base, on_lister_retry, l);
		if (!l->retry)
			xalloc_die("evtimer_new");
	}
	lister_start(&k->pod);
	return k;
}

void kstatus_get_stats(const struct kstatus *k, struct kstatus_stats *out)
{
	*out = k->stats;
	out->pending = k->nqueued + k->norphans + k->inflight;
}

static void svc_free_node(struct avl_node *n, void *arg)
{
	svc_free(arg, avl_entry(n, struct ks_svc, node));
}

static void list_free_node(struct avl_node *n, void *arg)
{
	(void)arg;
	free(avl_entry(n, struct ks_list, node));
}

void kstatus_free(struct kstatus *k)
{
	if (!k)
		return;
	for (int i = 0; i < KS_MAX_INFLIGHT; i++) {
		struct ks_req *q = &k->slots[i];
		if (!q->call)
			continue;
		kube_call_cancel(q->call);
		free(q->orphan);
	}
	for (int i = 0; i <= KS_NKINDS; i++) {
		struct ks_lister *l = i == KS_NKINDS ? &k->pod : &k->listers[i];
		kube_call_cancel(l->call);
		event_free(l->retry);
		free(l->cont);
	}
	while (k->orphans) {
		struct ks_orphan *x = k->orphans;
		k->orphans = x->next;
		free(x);
	}
	event_free(k->flush);
	event_free(k->resume);
	avl_clear(&k->svcs, svc_free_node, k);
	avl_clear(&k->lists, list_free_node, NULL);  /* the requests' references too */
	free(k->ns);
	free(k->node);
	free(k->pod_name);
	free(k->pod_uid);
	free(k->selector);
	free(k);
}
