#include "kube_event.h"

#include <event2/event.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avl.h"
#include "clock.h"
#include "kube_request.h"
#include "kube_resource.h"
#include "log.h"
#include "xalloc.h"

/* One Event the recorder knows: by its key (object, type, reason, message). */
struct ev {
	struct avl_node node;
	struct ev *older, *newer;  /* by last use */
	struct kube_recorder *r;
	struct kube_call *call;
	char *body;            /* what a create sends, as compact JSON text (a third of the parsed form) */
	char *posted;          /* the name a create in flight asked for */
	char *ns, *name;       /* name NULL: not created (or gone) */
	uint64_t count;        /* as the server has it */
	uint64_t pending;      /* recorded since, not yet sent */
	uint64_t sending;
	bool queued;
	struct ev *qnext, *qprev;  /* waiting to be sent, oldest first */
	char key[];
};

struct kube_recorder {
	struct kube_http *h;
	char *component, *instance;
	struct avl_tree evs;
	struct ev *oldest, *newest;
	struct ev *qhead, *qtail;
	size_t nqueued;
	unsigned active;       /* requests in flight */
	double tokens;         /* the rate limiter's bucket */
	uint64_t tokens_at;    /* mono_ms() of its last refill */
	struct event *pace;    /* sends the queue's head when a token is due */
	uint64_t dropped_logged;
	struct kube_recorder_stats stats;
};

static int ev_cmp(const struct avl_node *a, const struct avl_node *b)
{
	return strcmp(avl_entry(a, struct ev, node)->key, avl_entry(b, struct ev, node)->key);
}

static int key_cmp(const void *key, const struct avl_node *n)
{
	return strcmp(key, avl_entry(n, struct ev, node)->key);
}

static void unlink_lru(struct kube_recorder *r, struct ev *e)
{
	if (e->older)
		e->older->newer = e->newer;
	else
		r->oldest = e->newer;
	if (e->newer)
		e->newer->older = e->older;
	else
		r->newest = e->older;
	e->older = e->newer = NULL;
}

static void touch(struct kube_recorder *r, struct ev *e)
{
	if (r->newest == e)
		return;
	if (e->older || e->newer || r->oldest == e)
		unlink_lru(r, e);
	e->older = r->newest;
	if (r->newest)
		r->newest->newer = e;
	r->newest = e;
	if (!r->oldest)
		r->oldest = e;
}

static void dequeue(struct kube_recorder *r, struct ev *e)
{
	if (!e->queued)
		return;
	*(e->qprev ? &e->qprev->qnext : &r->qhead) = e->qnext;
	*(e->qnext ? &e->qnext->qprev : &r->qtail) = e->qprev;
	e->qprev = e->qnext = NULL;
	e->queued = false;
	r->nqueued--;
}

static void ev_free(struct kube_recorder *r, struct ev *e)
{
	dequeue(r, e);
	if (e->call)
		r->active--;
	unlink_lru(r, e);
	avl_remove(&r->evs, &e->node);
	kube_call_cancel(e->call);
	free(e->body);
	free(e->posted);
	free(e->ns);
	free(e->name);
	free(e);
}

/* Forgets the least recently used Events with nothing in flight, down to KUBE_EVENT_KEEP. */
static void trim(struct kube_recorder *r)
{
	for (struct ev *e = r->oldest, *next; e && r->evs.count > KUBE_EVENT_KEEP; e = next) {
		next = e->newer;
		if (!e->call && !e->pending)
			ev_free(r, e);
	}
}

static void send_event(struct ev *e);

static bool take_token(struct kube_recorder *r, uint64_t *wait_ms)
{
	uint64_t now = mono_ms();
	r->tokens += (double)(now - r->tokens_at) * KUBE_EVENT_QPS / 1000.0;
	if (r->tokens > KUBE_EVENT_BURST)
		r->tokens = KUBE_EVENT_BURST;
	r->tokens_at = now;
	if (r->tokens >= 1) {
		r->tokens -= 1;
		return true;
	}
	*wait_ms = (uint64_t)((1 - r->tokens) * 1000.0 / KUBE_EVENT_QPS) + 1;
	return false;
}

/* Sends from the queue while a request slot and a token are free. */
static void pump(struct kube_recorder *r)
{
	uint64_t wait_ms = 0;
	while (r->qhead && r->active < KUBE_EVENT_INFLIGHT) {
		if (!take_token(r, &wait_ms)) {
			struct timeval tv = { (time_t)(wait_ms / 1000), (suseconds_t)(wait_ms % 1000) * 1000 };
			if (!evtimer_pending(r->pace, NULL))
				evtimer_add(r->pace, &tv);
			return;
		}
		struct ev *e = r->qhead;
		dequeue(r, e);
		send_event(e);
	}
}

static void on_pace(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	pump(arg);
}

/* e has something to send: into the queue, unless it is there or on its way; dropped when the queue is full. */
static void want_send(struct kube_recorder *r, struct ev *e)
{
	if (e->call || e->queued || !e->pending)
		return;
	if (r->nqueued >= KUBE_EVENT_QUEUE) {
		r->stats.dropped += e->pending;
		e->pending = 0;
		if (r->stats.dropped >= 2 * r->dropped_logged + 1 || r->dropped_logged == 0) {
			log_warn("kube", "Events dropped: %llu so far (more than %d waiting to be sent)",
				 (unsigned long long)r->stats.dropped, KUBE_EVENT_QUEUE);
			r->dropped_logged = r->stats.dropped;
		}
		return;
	}
	e->queued = true;
	e->qprev = r->qtail;
	*(r->qtail ? &r->qtail->qnext : &r->qhead) = e;
	r->qtail = e;
	r->nqueued++;
	pump(r);
}

static void sent(void *arg, const struct kube_resp *resp, json_t *body)
{
	struct ev *e = arg;
	struct kube_recorder *r = e->r;
	bool created = !e->name;
	char msg[512];

	e->call = NULL;
	r->active--;
	if (!created && resp->status == 404) {
		/* Expired or deleted: create it again with what it counted since. */
		free(e->name);
		e->name = NULL;
		e->pending += e->sending;
	} else if (resp->status == 200 || resp->status == 201) {
		if (created) {
			const char *name = json_string_value(json_object_get(json_object_get(body, "metadata"), "name"));
			e->name = xstrdup(name ? name : e->posted);
			e->count = e->sending;
			r->stats.created++;
		} else {
			e->count += e->sending;
			r->stats.patched++;
		}
	} else {
		r->stats.failed++;
		log_warn("kube", "Event %s: %s failed: %s", e->key, created ? "create" : "count update",
			 kube_resp_message(resp, body, msg, sizeof(msg)));
	}
	e->sending = 0;
	free(e->posted);
	e->posted = NULL;
	want_send(r, e);
	pump(r);
	trim(r);
}

static void send_event(struct ev *e)
{
	struct kube_recorder *r = e->r;
	char path[512], now[40];

	kube_timestamp(now, 0);
	e->sending = e->pending;
	e->pending = 0;
	if (++r->active > r->stats.max_active)
		r->stats.max_active = r->active;
	if (!e->name) {
		/* A fresh name each time: client-go's "<object>.<time in hex>". */
		json_t *body = json_loads(e->body, 0, NULL);
		if (!body)
			xalloc_die("kube_record");
		json_t *md = json_object_get(body, "metadata");
		const char *obj = json_string_value(json_object_get(json_object_get(body, "involvedObject"), "name"));
		char name[300];
		snprintf(name, sizeof(name), "%.200s.%llx", obj, (unsigned long long)clock_ns(CLOCK_REALTIME));
		json_object_set_new(md, "name", json_string(name));
		json_object_set_new(body, "count", json_integer((json_int_t)e->sending));
		json_object_set_new(body, "firstTimestamp", json_string(now));
		json_object_set_new(body, "lastTimestamp", json_string(now));
		free(e->posted);
		e->posted = xstrdup(name);
		kube_path(path, sizeof(path), &kube_res_event, e->ns, NULL, NULL, NULL);
		e->call = kube_json_request(r->h, "POST", path, body, KUBE_CT_JSON, sent, e);
		json_decref(body);
		return;
	}
	json_t *patch = json_pack("{s:I, s:s}", "count", (json_int_t)(e->count + e->sending), "lastTimestamp", now);
	if (!patch || !kube_path(path, sizeof(path), &kube_res_event, e->ns, e->name, NULL, NULL))
		xalloc_die("kube_record");
	e->call = kube_json_request(r->h, "PATCH", path, patch, KUBE_CT_MERGE_PATCH, sent, e);
	json_decref(patch);
}

static json_t *event_body(const struct kube_recorder *r, const struct kube_ref *ref, const char *ns, bool warning,
			  const char *reason, const char *message)
{
	json_t *io = json_pack("{s:s, s:s, s:s}", "apiVersion", ref->api_version, "kind", ref->kind, "name", ref->name);
	json_t *src = json_pack("{s:s}", "component", r->component);
	json_t *b = json_pack("{s:s, s:s, s:{s:s}, s:o, s:s, s:s, s:s, s:o, s:s}", "apiVersion", "v1", "kind", "Event",
			      "metadata", "namespace", ns, "involvedObject", io, "reason", reason, "message", message,
			      "type", warning ? "Warning" : "Normal", "source", src, "reportingComponent",
			      r->component);

	if (!b)
		xalloc_die("kube_record");
	if (ref->ns)
		json_object_set_new(io, "namespace", json_string(ref->ns));
	if (ref->uid)
		json_object_set_new(io, "uid", json_string(ref->uid));
	if (ref->rv)
		json_object_set_new(io, "resourceVersion", json_string(ref->rv));
	if (r->instance) {
		json_object_set_new(b, "reportingInstance", json_string(r->instance));
		json_object_set_new(src, "host", json_string(r->instance));
	}
	return b;
}

void kube_record(struct kube_recorder *r, const struct kube_ref *ref, bool warning, const char *reason,
		 const char *fmt, ...)
{
	char message[KUBE_EVENT_MESSAGE_MAX + 1];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	r->stats.recorded++;
	const char *ns = ref->ns && *ref->ns ? ref->ns : "default";
	if (!ref->api_version || !ref->kind || !ref->name || !reason) {
		log_error("kube", "an Event needs the object's apiVersion, kind and name and a reason");
		return;
	}
	size_t klen = strlen(ref->kind) + strlen(ns) + strlen(ref->name) + strlen(ref->uid ? ref->uid : "") +
		      strlen(reason) + strlen(message) + 16;
	char *key = xmalloc(klen);
	snprintf(key, klen, "%s %s/%s %s %s %s: %s", ref->kind, ns, ref->name, ref->uid ? ref->uid : "-",
		 warning ? "Warning" : "Normal", reason, message);
	struct avl_node *n = avl_find(&r->evs, key, key_cmp);
	struct ev *e;
	if (n) {
		e = avl_entry(n, struct ev, node);
	} else {
		e = xcalloc(1, sizeof(*e) + strlen(key) + 1);
		memcpy(e->key, key, strlen(key) + 1);
		e->r = r;
		e->ns = xstrdup(ns);
		json_t *body = event_body(r, ref, ns, warning, reason, message);
		e->body = json_dumps(body, JSON_COMPACT);
		json_decref(body);
		if (!e->body)
			xalloc_die("kube_record");
		avl_insert(&r->evs, &e->node);
	}
	free(key);
	touch(r, e);
	e->pending++;
	want_send(r, e);
	trim(r);
}

struct kube_recorder *kube_recorder_new(struct kube_http *h, const char *component, const char *instance)
{
	struct kube_recorder *r = xcalloc(1, sizeof(*r));

	r->h = h;
	r->component = xstrdup(component);
	r->instance = instance ? xstrdup(instance) : NULL;
	avl_init(&r->evs, ev_cmp);
	r->tokens = KUBE_EVENT_BURST;
	r->tokens_at = mono_ms();
	r->pace = evtimer_new(kube_http_base(h), on_pace, r);
	if (!r->pace)
		xalloc_die("evtimer_new");
	return r;
}

void kube_recorder_free(struct kube_recorder *r)
{
	if (!r)
		return;
	while (r->oldest)
		ev_free(r, r->oldest);
	event_free(r->pace);
	free(r->component);
	free(r->instance);
	free(r);
}

void kube_recorder_get_stats(const struct kube_recorder *r, struct kube_recorder_stats *out)
{
	*out = r->stats;
}
