#include "kube_watch.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avl.h"
#include "clock.h"
#include "doc.h"
#include "failpoint.h"
#include "kube_backoff.h"
#include "kube_stream.h"
#include "kube_uid.h"
#include "log.h"
#include "object.h"
#include "text.h"
#include "xalloc.h"

#define DEFAULT_PAGE_LIMIT 500
#define DEFAULT_TIMEOUT_S 300
#define DEFAULT_IDLE_S 150
#define DEFAULT_MAX_EVENT (4u << 20)
#define DEFAULT_BACKOFF_INITIAL_MS 500
#define DEFAULT_BACKOFF_MAX_MS 30000
/* The client's own limit on a watch: the server's timeoutSeconds plus this. */
#define WATCH_GRACE_S 30
/* A watch that ends sooner than this having delivered nothing counts as a failure. */
#define WATCH_MIN_MS 1000

/* One cached object: 56 bytes and its uid (and names), for each of 100k Services. */
struct entry {
	struct avl_node node;  /* by uid */
	void *user;            /* kube_item_set_user() */
	union {
		uint64_t num;  /* rv_text false: a decimal resourceVersion, as etcd's always are */
		char *text;
	} rv;
	bool rv_text;
	bool uid_packed;       /* the uid is key's first KUBE_UID_BYTES bytes (kube_uid.h), else text */
	bool named;            /* key holds namespace and name (opts.forget_names false) */
	uint32_t epoch;        /* the last list that saw it */
	char key[];            /* uid (packed, or text and '\0'), then if named: namespace '\0', name '\0' */
};

/* An object handed to the consumer: the decoded object is its until the callback returns. */
struct delivery {
	struct kube_watch *w;
	struct entry *e;
	struct object *obj;
};

/* A uid looked for: packed when it packs. */
struct uid_key {
	bool packed;
	uint8_t b[KUBE_UID_BYTES];
	const char *text;
};

/* Room for a resourceVersion held as a number, written out. */
#define RV_DIGITS 21

enum state { ST_LISTING, ST_WATCHING, ST_WAITING };

struct kube_watch {
	struct kube_http *h;
	const struct kube_resource *res;
	char *ns, *label_selector, *field_selector;
	char name[96];  /* for messages: "services", "secrets in metallb-system" */
	struct kube_watch_opts o;
	struct kube_watch_cbs cb;
	struct avl_tree cache;
	uint32_t epoch;
	char *rv;                 /* seen everything up to here */
	char *cont, *list_rv;     /* the list in progress */
	unsigned page_limit;
	enum state state;
	bool synced;
	struct kube_req *req;
	struct event *timer;
	struct kube_splitter split;
	struct kube_backoff backoff;
	/* The watch in progress. */
	uint64_t watch_start_ms;
	uint64_t watch_events;
	bool relist;              /* end it and list again */
	bool resume;              /* a page failed: ask for it again (cont), not for the whole list */
	bool after_list;          /* it started from a list just made */
	char why[320];            /* why the stream was ended from here, or "" */
	struct diags diags;
	struct kube_watch_stats stats;
	uint64_t stale_since_ms;  /* mono_ms() of the first failure since the server last answered; 0: none */
};

static void start_list(struct kube_watch *w);
static void start_watch(struct kube_watch *w);
static void list_page(struct kube_watch *w);

/* ------------------------------------------------------------------ cache */

static size_t uid_len(const struct entry *e)
{
	return e->uid_packed ? KUBE_UID_BYTES : strlen(e->key) + 1;
}

static const char *e_uid(const struct entry *e, char buf[KUBE_UID_TEXT])
{
	if (!e->uid_packed)
		return e->key;
	kube_uid_unpack((const uint8_t *)e->key, buf);
	return buf;
}

static const char *e_ns(const struct entry *e)
{
	const char *ns = e->key + uid_len(e);
	return e->named && *ns ? ns : NULL;
}

static const char *e_name(const struct entry *e)
{
	const char *ns = e->key + uid_len(e);
	return e->named ? ns + strlen(ns) + 1 : NULL;
}

static struct uid_key uid_key_of(const char *uid)
{
	struct uid_key k = { .text = uid };
	k.packed = kube_uid_pack(uid, k.b);
	return k;
}

/* Packed uids first, by their bytes; then the others by their text. */
static int uid_cmp(const void *key, const struct avl_node *n)
{
	const struct uid_key *k = key;
	const struct entry *e = avl_entry(n, struct entry, node);
	if (k->packed != e->uid_packed)
		return k->packed ? -1 : 1;
	return k->packed ? memcmp(k->b, e->key, KUBE_UID_BYTES) : strcmp(k->text, e->key);
}

static int entry_cmp(const struct avl_node *a, const struct avl_node *b)
{
	const struct entry *e = avl_entry(a, struct entry, node);
	struct uid_key k = { .packed = e->uid_packed, .text = e->key };
	if (e->uid_packed)
		memcpy(k.b, e->key, KUBE_UID_BYTES);
	return uid_cmp(&k, b);
}

static struct entry *find(const struct kube_watch *w, const char *uid)
{
	struct uid_key k = uid_key_of(uid);
	struct avl_node *n = avl_find(&w->cache, &k, uid_cmp);
	return n ? avl_entry(n, struct entry, node) : NULL;
}

static struct entry *entry_new(struct kube_watch *w, const char *uid, const char *ns, const char *name)
{
	struct uid_key k = uid_key_of(uid);
	bool named = !w->o.forget_names;
	size_t lu = k.packed ? KUBE_UID_BYTES : strlen(uid) + 1;
	size_t ln = named && ns ? strlen(ns) : 0, lm = named ? strlen(name) : 0;
	struct entry *e = xcalloc(1, sizeof(*e) + lu + (named ? ln + lm + 2 : 0));

	e->uid_packed = k.packed;
	e->named = named;
	memcpy(e->key, k.packed ? (const void *)k.b : (const void *)uid, lu);
	if (named && ns)
		memcpy(e->key + lu, ns, ln);
	if (named)
		memcpy(e->key + lu + ln + 1, name, lm);
	avl_insert(&w->cache, &e->node);
	return e;
}

/* A resourceVersion is opaque: one that is a plain decimal number (no sign, no leading zero) is kept as one. */
static void entry_set_rv(struct entry *e, const char *rv)
{
	uint64_t v = 0;
	size_t len = strlen(rv);
	bool num = len > 0 && len < RV_DIGITS - 1 && (rv[0] != '0' || len == 1);
	for (size_t i = 0; num && i < len; i++)
		num = rv[i] >= '0' && rv[i] <= '9';
	for (size_t i = 0; num && i < len; i++)
		v = v * 10 + (uint64_t)(rv[i] - '0');
	if (e->rv_text)
		free(e->rv.text);
	e->rv_text = !num;
	if (num)
		e->rv.num = v;
	else
		e->rv.text = xstrdup(rv);
}

static bool entry_rv_is(const struct entry *e, const char *rv)
{
	char buf[RV_DIGITS];
	if (e->rv_text)
		return strcmp(e->rv.text, rv) == 0;
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)e->rv.num);
	return strcmp(buf, rv) == 0;
}

static const char *entry_rv(const struct entry *e, char buf[RV_DIGITS])
{
	if (e->rv_text)
		return e->rv.text;
	snprintf(buf, RV_DIGITS, "%llu", (unsigned long long)e->rv.num);
	return buf;
}

static void entry_free(struct kube_watch *w, struct entry *e)
{
	if (e->user && w->cb.user_free)
		w->cb.user_free(e->user);
	if (e->rv_text)
		free(e->rv.text);
	free(e);
}

static void entry_free_node(struct avl_node *n, void *arg)
{
	entry_free(arg, avl_entry(n, struct entry, node));
}

static void set_str(char **dst, const char *s)
{
	char *c = s ? xstrdup(s) : NULL;
	free(*dst);
	*dst = c;
}

/* ------------------------------------------------------------------ delivery */

/*
 * ns and name: the API's (raw's), else the entry's; obj (may be NULL) is freed
 * here unless the consumer took it.
 */
static void deliver(struct kube_watch *w, enum kube_event_type t, struct entry *e, const char *ns, const char *name,
		    struct object *obj, const json_t *raw, const struct diags *d)
{
	char rv[RV_DIGITS], uid[KUBE_UID_TEXT];
	struct delivery dv = { w, e, obj };
	struct kube_item it = { e_uid(e, uid), entry_rv(e, rv), name ? ns : e_ns(e), name ? name : e_name(e), obj,
				raw, d, e->user, &dv };

	w->stats.events++;
	if (w->cb.event)
		w->cb.event(w->cb.arg, t, &it);
	object_free(dv.obj);
}

struct object *kube_item_take(const struct kube_item *it)
{
	struct delivery *dv = it->entry;
	struct object *o = dv ? dv->obj : NULL;

	if (dv)
		dv->obj = NULL;
	return o;
}

void kube_item_set_user(const struct kube_item *it, void *user)
{
	struct delivery *dv = it->entry;
	if (!dv || dv->e->user == user)
		return;
	if (dv->e->user && dv->w->cb.user_free)
		dv->w->cb.user_free(dv->e->user);
	dv->e->user = user;
}

/* The API's object decoded into w->diags; NULL if it does not decode, or is no configuration kind. */
static struct object *decode(struct kube_watch *w, const json_t *obj, const char *ns, const char *name)
{
	struct object *o = NULL;
	struct mark m = { "api", 0, 0 };

	diags_free(&w->diags);
	if (w->res->kind == KIND_COUNT)
		return NULL;  /* a CustomResourceDefinition: the consumer reads the raw JSON */
	struct doc *doc = doc_from_jansson("api", obj);
	if (!doc) {
		diag_add(&w->diags, DIAG_ERROR, &m, NULL, NULL, "object nested too deeply");
	} else {
		enum object_read r = object_read_lean(doc->root, w->res->api_version, w->res->kind_name, w->o.lean,
						      &w->diags, &o);
		if (r == OBJECT_IGNORED)
			diag_add(&w->diags, DIAG_ERROR, &m, NULL, NULL, "not a %s", w->res->kind_name);
		doc_free(doc);
	}
	if (w->diags.errors && log_get_level() >= LOG_DEBUG) {
		char line[1024];
		diag_format(&w->diags.v[0], line, sizeof(line));
		log_debug("kube", "%s %s/%s does not decode: %s", w->res->kind_name, ns ? ns : "", name, line);
	}
	return o;
}

/* An object from a list page or a watch event: ADDED or MODIFIED, unless it is the version cached. */
static void apply(struct kube_watch *w, const json_t *obj, const char *uid, const char *rv, const char *ns,
		  const char *name)
{
	struct entry *e = find(w, uid);

	if (e && entry_rv_is(e, rv)) {
		e->epoch = w->epoch;
		return;
	}
	struct object *o = decode(w, obj, ns, name);
	enum kube_event_type t = e ? KUBE_MODIFIED : KUBE_ADDED;
	if (!e)
		e = entry_new(w, uid, ns, name);
	entry_set_rv(e, rv);
	e->epoch = w->epoch;
	deliver(w, t, e, ns, name, o, obj, &w->diags);
}

/* raw: the API's last state of it (ns and name its), or NULL when a relist found it gone. */
static void remove_entry(struct kube_watch *w, struct entry *e, const json_t *raw, const char *ns, const char *name)
{
	avl_remove(&w->cache, &e->node);
	deliver(w, KUBE_DELETED, e, ns, name, NULL, raw, NULL);
	entry_free(w, e);
}

/* ------------------------------------------------------------------ retry */

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	struct kube_watch *w = arg;

	if (w->resume) {
		w->resume = false;
		list_page(w);
	} else if (w->rv && !w->relist) {
		start_watch(w);
	} else {
		start_list(w);
	}
}

static void wait_ms(struct kube_watch *w, uint32_t ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	w->state = ST_WAITING;
	evtimer_add(w->timer, &tv);
}

/* The request failed: try again after the backoff (and Retry-After). */
static void failed(struct kube_watch *w, const char *what, const struct kube_resp *r)
{
	uint32_t ms = kube_backoff_next(&w->backoff, r ? r->retry_after : 0, arc4random());
	char why[512];
	int n = 0;

	w->stats.failures++;
	if (!w->stale_since_ms)
		w->stale_since_ms = mono_ms();
	if (w->why[0])
		n = snprintf(why, sizeof(why), "%s", w->why);
	else if (r && r->error)
		n = snprintf(why, sizeof(why), "%s", r->error);
	if (r && r->status && n >= 0 && (size_t)n < sizeof(why))
		n += snprintf(why + n, sizeof(why) - (size_t)n, "%sHTTP %ld", n ? ", " : "", r->status);
	if (r && r->status >= 300 && r->len && n >= 0 && (size_t)n < sizeof(why)) {
		/* The server's words: a Status object's message, else the body quoted. */
		char q[TEXT_QUOTE_MAX];
		json_t *st = json_loadb(r->body, r->len, 0, NULL);
		const char *m = json_string_value(json_object_get(st, "message"));
		snprintf(why + n, sizeof(why) - (size_t)n, ": %s",
			 text_quote(q, m ? m : r->body, m ? strlen(m) : r->len));
		json_decref(st);
	}
	if (!r && !w->why[0])
		snprintf(why, sizeof(why), "request not sent");
	w->why[0] = 0;
	/* Repeats of one failure are logged at debug level, with every tenth as a reminder. */
	if (w->backoff.failures == 1 || w->backoff.failures % 10 == 0)
		log_warn("kube", "%s: %s failed (%s); retrying in %u ms (failure %u)", w->name, what, why, ms,
			 w->backoff.failures);
	else
		log_debug("kube", "%s: %s failed (%s); retrying in %u ms", w->name, what, why, ms);
	wait_ms(w, ms);
}

/* ------------------------------------------------------------------ list */

/* "&labelSelector=...&fieldSelector=..." for those set; the length snprintf would write. */
static int add_selectors(const struct kube_watch *w, char *buf, size_t len)
{
	const char *names[2] = { "labelSelector", "fieldSelector" }, *vals[2] = { w->label_selector, w->field_selector };
	int n = 0;

	for (int i = 0; i < 2; i++) {
		if (!vals[i])
			continue;
		char *c = curl_easy_escape(NULL, vals[i], 0);
		n += snprintf(buf + n, (size_t)n < len ? len - (size_t)n : 0, "&%s=%s", names[i], c ? c : "");
		curl_free(c);
	}
	return n;
}

static void finish_list(struct kube_watch *w)
{
	for (struct avl_node *n = avl_first(&w->cache), *next; n; n = next) {
		next = avl_next(n);
		struct entry *e = avl_entry(n, struct entry, node);
		if (e->epoch != w->epoch)
			remove_entry(w, e, NULL, NULL, NULL);
	}
	set_str(&w->rv, w->list_rv);
	w->stats.lists++;
	log_debug("kube", "%s: listed %zu objects at resourceVersion %s", w->name, w->cache.count, w->rv);
	if (!w->synced) {
		w->synced = true;
		if (w->cb.synced)
			w->cb.synced(w->cb.arg);
	}
	start_watch(w);
	w->after_list = true;
}

static bool list_items(struct kube_watch *w, const struct kube_resp *r)
{
	json_error_t jerr;
	json_t *root = json_loadb(r->body, r->len, 0, &jerr);
	const json_t *items = json_object_get(root, "items"), *it;
	const char *rv, *cont;
	size_t i;

	kube_object_meta(root, NULL, &rv, NULL, NULL);
	cont = json_string_value(json_object_get(json_object_get(root, "metadata"), "continue"));
	if (!json_is_array(items) || !rv) {
		log_warn("kube", "%s: list response without items or resourceVersion%s%s", w->name,
			 root ? "" : ": ", root ? "" : jerr.text);
		json_decref(root);
		return false;
	}
	if (!w->list_rv)
		set_str(&w->list_rv, rv);
	json_array_foreach(items, i, it) {
		const char *uid, *irv, *ns, *name;
		kube_object_meta(it, &uid, &irv, &ns, &name);
		if (!uid || !irv || !name) {
			log_warn("kube", "%s: list item %zu without metadata.uid, resourceVersion or name; skipped",
				 w->name, i);
			continue;
		}
		apply(w, it, uid, irv, ns, name);
	}
	set_str(&w->cont, cont && *cont ? cont : NULL);
	json_decref(root);
	return true;
}

static void list_done(void *arg, const struct kube_resp *r)
{
	struct kube_watch *w = arg;

	w->req = NULL;
	/* Test builds: this page fails as one that timed out would. */
	bool fail = failpoint_nth("VIPCAST_FAILPOINT_LIST_PAGE_FAIL");
	if (fail)
		snprintf(w->why, sizeof(w->why), "failpoint");
	if (!fail && r->status == 200 && !r->error && list_items(w, r)) {
		w->stats.pages++;
		w->stale_since_ms = 0;
		if (w->cont)
			list_page(w);
		else
			finish_list(w);
		return;
	}
	if (r->status == 410 && w->cont) {
		log_info("kube", "%s: the list's continue token expired; listing again from the start", w->name);
		w->stats.gone++;
		start_list(w);
		return;
	}
	if (r->too_large && w->page_limit > 1)
		w->page_limit /= 2;  /* pages of fewer objects, until one fits */
	/*
	 * A list cut short is never followed by a watch from the older version:
	 * that would replay changes older than the pages already applied. A page
	 * that failed is asked for again with its continue token (the same
	 * snapshot: a 100k list does not start over for one slow page), unless it
	 * was the first or too large; then the list starts again.
	 */
	if (w->cont && !r->too_large)
		w->resume = true;
	else
		w->relist = true;
	failed(w, "list", r);
}

static void list_page(struct kube_watch *w)
{
	char query[4096], path[4608];
	int n = snprintf(query, sizeof(query), "limit=%u", w->page_limit);

	if (w->cont) {
		char *c = curl_easy_escape(NULL, w->cont, 0);
		n += snprintf(query + n, sizeof(query) - (size_t)n, "&continue=%s", c ? c : "");
		curl_free(c);
	}
	if (n < (int)sizeof(query))
		n += add_selectors(w, query + n, sizeof(query) - (size_t)n);
	if (n >= (int)sizeof(query) || !kube_path(path, sizeof(path), w->res, w->ns, NULL, NULL, query)) {
		log_error("kube", "%s: list request too long (continue token of %zu bytes)", w->name,
			  w->cont ? strlen(w->cont) : 0);
		set_str(&w->cont, NULL);
		w->relist = true;
		failed(w, "list", NULL);
		return;
	}
	w->state = ST_LISTING;
	w->req = kube_http_request(w->h, "GET", path, NULL, 0, NULL, list_done, w);
}

static void start_list(struct kube_watch *w)
{
	if (w->synced)
		w->stats.relists++;
	w->epoch++;
	w->relist = false;
	w->resume = false;
	set_str(&w->cont, NULL);
	set_str(&w->list_rv, NULL);
	list_page(w);
}

/* ------------------------------------------------------------------ watch */

static bool on_line(void *arg, const char *line, size_t len)
{
	struct kube_watch *w = arg;
	struct kube_stream_event ev;
	char why[512];
	struct entry *e;

	if (!kube_stream_parse(line, len, &ev, why, sizeof(why))) {
		log_warn("kube", "%s: unreadable watch event (%s); listing again", w->name, why);
		w->stats.refused++;
		w->relist = true;
		return false;
	}
	bool go = true;
	switch (ev.type) {
	case KUBE_EV_ADDED:
	case KUBE_EV_MODIFIED:
		apply(w, ev.object, ev.uid, ev.rv, ev.ns, ev.name);
		break;
	case KUBE_EV_DELETED:
		if ((e = find(w, ev.uid)))
			remove_entry(w, e, ev.object, ev.ns, ev.name);
		break;
	case KUBE_EV_BOOKMARK:
		w->stats.bookmarks++;
		break;
	case KUBE_EV_ERROR:
		if (ev.code == 410) {
			log_info("kube", "%s: resourceVersion %s is gone (%s); listing again", w->name,
				 w->rv, ev.message);
			w->stats.gone++;
			w->relist = true;
		} else {
			snprintf(w->why, sizeof(w->why), "ERROR event, code %ld: %.250s", ev.code, ev.message);
		}
		go = false;
		break;
	}
	if (go) {
		set_str(&w->rv, ev.rv);
		w->stale_since_ms = 0;
		if (w->watch_events++ == 0)
			kube_backoff_reset(&w->backoff);  /* the stream works */
	}
	kube_stream_event_clear(&ev);
	return go;
}

static bool on_chunk(void *arg, const char *data, size_t len)
{
	struct kube_watch *w = arg;

	if (!len) {
		w->stale_since_ms = 0;  /* the server answers */
		return true;
	}
	switch (kube_splitter_feed(&w->split, data, len, on_line, w)) {
	case KUBE_SPLIT_OK:
		return true;
	case KUBE_SPLIT_TOO_LONG:
		log_warn("kube", "%s: a watch event larger than %zu bytes; refused, listing again", w->name,
			 w->o.max_event);
		w->stats.refused++;
		w->relist = true;
		return false;
	case KUBE_SPLIT_STOPPED:
		break;
	}
	return false;
}

static void watch_done(void *arg, const struct kube_resp *r)
{
	struct kube_watch *w = arg;
	bool ended = r->status == 200 && !r->error;  /* the server closed it (timeoutSeconds) */
	bool quick = w->watch_events == 0 && mono_ms() - w->watch_start_ms < WATCH_MIN_MS;

	w->req = NULL;
	if (r->status == 410) {
		log_info("kube", "%s: resourceVersion %s is gone (HTTP 410); listing again", w->name, w->rv);
		w->stats.gone++;
		w->relist = true;
	}
	if (!quick)
		kube_backoff_reset(&w->backoff);
	if (w->relist) {
		if (!quick || !w->after_list) {
			start_list(w);
			return;
		}
		/* Listed, watched and told to list again at once: not in a tight loop. */
		uint32_t ms = kube_backoff_next(&w->backoff, r->retry_after, arc4random());
		log_info("kube", "%s: listing again in %u ms", w->name, ms);
		wait_ms(w, ms);
	} else if (ended && !quick) {
		start_watch(w);
	} else {
		failed(w, ended ? "watch (ended at once)" : "watch", r);
	}
}

static void start_watch(struct kube_watch *w)
{
	char query[1024], path[1536];
	unsigned t = w->o.timeout_s + arc4random_uniform(w->o.timeout_s);
	char *rv = curl_easy_escape(NULL, w->rv, 0);
	int n = snprintf(query, sizeof(query), "watch=1&allowWatchBookmarks=true&timeoutSeconds=%u&resourceVersion=%s",
			 t, rv ? rv : "");

	curl_free(rv);
	if (n < (int)sizeof(query))
		n += add_selectors(w, query + n, sizeof(query) - (size_t)n);
	if (n >= (int)sizeof(query) || !kube_path(path, sizeof(path), w->res, w->ns, NULL, NULL, query)) {
		log_error("kube", "%s: watch request too long; listing again", w->name);
		w->relist = true;
		failed(w, "watch", NULL);
		return;
	}
	kube_splitter_reset(&w->split);
	w->relist = false;
	w->after_list = false;
	w->why[0] = 0;
	w->watch_events = 0;
	w->watch_start_ms = mono_ms();
	w->state = ST_WATCHING;
	w->stats.watches++;
	w->req = kube_http_stream(w->h, path, w->o.idle_s, t + WATCH_GRACE_S, on_chunk, watch_done, w);
}

/* ------------------------------------------------------------------ lifetime */

struct kube_watch *kube_watch_new(struct kube_http *h, const struct kube_resource *r, const char *ns,
				  const struct kube_watch_opts *opts, const struct kube_watch_cbs *cbs)
{
	struct kube_watch *w = xcalloc(1, sizeof(*w));

	w->h = h;
	w->res = r;
	w->ns = ns && *ns && r->namespaced ? xstrdup(ns) : NULL;
	if (opts)
		w->o = *opts;
	if (!w->o.page_limit)
		w->o.page_limit = DEFAULT_PAGE_LIMIT;
	if (!w->o.timeout_s)
		w->o.timeout_s = DEFAULT_TIMEOUT_S;
	if (!w->o.idle_s)
		w->o.idle_s = DEFAULT_IDLE_S;
	if (!w->o.max_event)
		w->o.max_event = DEFAULT_MAX_EVENT;
	if (!w->o.backoff_initial_ms)
		w->o.backoff_initial_ms = DEFAULT_BACKOFF_INITIAL_MS;
	if (!w->o.backoff_max_ms)
		w->o.backoff_max_ms = DEFAULT_BACKOFF_MAX_MS;
	w->label_selector = w->o.label_selector ? xstrdup(w->o.label_selector) : NULL;
	w->o.label_selector = w->label_selector;
	w->field_selector = w->o.field_selector ? xstrdup(w->o.field_selector) : NULL;
	w->o.field_selector = w->field_selector;
	if (cbs)
		w->cb = *cbs;
	if (w->ns)
		snprintf(w->name, sizeof(w->name), "%s in %s", r->plural, w->ns);
	else
		snprintf(w->name, sizeof(w->name), "%s", r->plural);
	w->page_limit = w->o.page_limit;
	avl_init(&w->cache, entry_cmp);
	kube_splitter_init(&w->split, w->o.max_event);
	kube_backoff_init(&w->backoff, w->o.backoff_initial_ms, w->o.backoff_max_ms);
	diags_init(&w->diags);
	w->timer = evtimer_new(kube_http_base(h), on_timer, w);
	if (!w->timer)
		xalloc_die("evtimer_new");
	start_list(w);
	return w;
}

void kube_watch_free(struct kube_watch *w)
{
	if (!w)
		return;
	kube_http_cancel(w->req);
	event_free(w->timer);
	avl_clear(&w->cache, entry_free_node, w);
	kube_splitter_free(&w->split);
	diags_free(&w->diags);
	free(w->ns);
	free(w->label_selector);
	free(w->field_selector);
	free(w->rv);
	free(w->cont);
	free(w->list_rv);
	free(w);
}

uint64_t kube_watch_stale_since(const struct kube_watch *w)
{
	return w->stale_since_ms;
}

bool kube_watch_synced(const struct kube_watch *w)
{
	return w->synced;
}

const char *kube_watch_rv(const struct kube_watch *w)
{
	return w->rv;
}

size_t kube_watch_count(const struct kube_watch *w)
{
	return w->cache.count;
}

void kube_watch_get_stats(const struct kube_watch *w, struct kube_watch_stats *out)
{
	*out = w->stats;
}
