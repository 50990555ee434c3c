#include "kube_stream.h"

#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "xalloc.h"

void kube_splitter_init(struct kube_splitter *s, size_t max)
{
	memset(s, 0, sizeof(*s));
	s->max = max;
}

void kube_splitter_reset(struct kube_splitter *s)
{
	s->len = 0;
}

void kube_splitter_free(struct kube_splitter *s)
{
	free(s->buf);
	memset(s, 0, sizeof(*s));
}

static bool emit(const char *line, size_t len, kube_line_fn fn, void *arg)
{
	if (len && line[len - 1] == '\r')
		len--;
	return len == 0 || fn(arg, line, len);
}

/* Appends to the partial line; false if it would pass max. */
static bool keep(struct kube_splitter *s, const char *data, size_t len)
{
	if (len > s->max - s->len)
		return false;
	if (s->len + len > s->cap) {
		size_t cap = s->cap ? s->cap : 1024;
		while (cap < s->len + len)
			cap *= 2;
		if (cap > s->max)
			cap = s->max;
		s->buf = xrealloc(s->buf, cap, 1);
		s->cap = cap;
	}
	memcpy(s->buf + s->len, data, len);
	s->len += len;
	return true;
}

enum kube_split kube_splitter_feed(struct kube_splitter *s, const char *data, size_t len, kube_line_fn fn,
				   void *arg)
{
	const char *p = data, *end = data + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			return keep(s, p, (size_t)(end - p)) ? KUBE_SPLIT_OK : KUBE_SPLIT_TOO_LONG;
		size_t n = (size_t)(nl - p);
		bool go;
		if (s->len) {
			if (!keep(s, p, n))
				return KUBE_SPLIT_TOO_LONG;
			go = emit(s->buf, s->len, fn, arg);
			s->len = 0;
		} else {
			if (n > s->max)
				return KUBE_SPLIT_TOO_LONG;
			go = emit(p, n, fn, arg);
		}
		if (!go)
			return KUBE_SPLIT_STOPPED;
		p = nl + 1;
	}
	return KUBE_SPLIT_OK;
}

static const char *str_of(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

void kube_object_meta(const json_t *obj, const char **uid, const char **rv, const char **ns, const char **name)
{
	const json_t *md = json_object_get(obj, "metadata");

	if (uid)
		*uid = str_of(md, "uid");
	if (rv)
		*rv = str_of(md, "resourceVersion");
	if (ns)
		*ns = str_of(md, "namespace");
	if (name)
		*name = str_of(md, "name");
}

static const struct {
	const char *name;
	enum kube_stream_type type;
} types[] = {
	{ "ADDED", KUBE_EV_ADDED },       { "MODIFIED", KUBE_EV_MODIFIED }, { "DELETED", KUBE_EV_DELETED },
	{ "BOOKMARK", KUBE_EV_BOOKMARK }, { "ERROR", KUBE_EV_ERROR },
};

bool kube_stream_parse(const char *line, size_t len, struct kube_stream_event *ev, char *why, size_t whylen)
{
	json_error_t jerr;
	char q[TEXT_QUOTE_MAX];

	memset(ev, 0, sizeof(*ev));
	ev->root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!ev->root)
		return text_fail(why, whylen, "not JSON (%s at byte %d): %s", jerr.text, jerr.position,
				 text_quote(q, line, len));
	const char *type = str_of(ev->root, "type");
	ev->object = json_object_get(ev->root, "object");
	if (!type || !json_is_object(ev->object)) {
		kube_stream_event_clear(ev);
		return text_fail(why, whylen, "not a watch event (a string type and an object): %s",
				 text_quote(q, line, len));
	}
	size_t i;
	for (i = 0; i < sizeof(types) / sizeof(*types); i++)
		if (strcmp(type, types[i].name) == 0)
			break;
	if (i == sizeof(types) / sizeof(*types)) {
		text_fail(why, whylen, "unknown watch event type %s", text_quote(q, type, strlen(type)));
		kube_stream_event_clear(ev);
		return false;
	}
	ev->type = types[i].type;
	if (ev->type == KUBE_EV_ERROR) {
		const json_t *code = json_object_get(ev->object, "code");
		ev->code = json_is_integer(code) ? (long)json_integer_value(code) : 0;
		ev->message = str_of(ev->object, "message");
		if (!ev->message)
			ev->message = "";
		return true;
	}
	kube_object_meta(ev->object, &ev->uid, &ev->rv, &ev->ns, &ev->name);
	if (!ev->rv || (ev->type != KUBE_EV_BOOKMARK && (!ev->uid || !ev->name))) {
		text_fail(why, whylen, "%s event without metadata.%s", type,
			  !ev->rv ? "resourceVersion" : "uid and name");
		kube_stream_event_clear(ev);
		return false;
	}
	return true;
}

void kube_stream_event_clear(struct kube_stream_event *ev)
{
	json_decref(ev->root);
	memset(ev, 0, sizeof(*ev));
}
