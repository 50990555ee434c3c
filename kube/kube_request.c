#include "kube_request.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xalloc.h"

struct kube_call {
	struct kube_req *req;
	kube_json_fn fn;
	void *arg;
};

static void call_done(void *arg, const struct kube_resp *r)
{
	struct kube_call *c = arg;
	json_t *body = r->len ? json_loadb(r->body, r->len, 0, NULL) : NULL;
	kube_json_fn fn = c->fn;
	void *fn_arg = c->arg;

	free(c);
	fn(fn_arg, r, body);
	json_decref(body);
}

struct kube_call *kube_json_request(struct kube_http *h, const char *method, const char *path, const json_t *body,
				    const char *content_type, kube_json_fn fn, void *arg)
{
	struct kube_call *c = xcalloc(1, sizeof(*c));
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;

	if (body && !text)
		xalloc_die("json_dumps");
	c->fn = fn;
	c->arg = arg;
	c->req = kube_http_request(h, method, path, text, text ? strlen(text) : 0,
				   text ? (content_type ? content_type : KUBE_CT_JSON) : NULL, call_done, c);
	free(text);
	return c;
}

void kube_call_cancel(struct kube_call *c)
{
	if (!c)
		return;
	kube_http_cancel(c->req);
	free(c);
}

const char *kube_resp_message(const struct kube_resp *r, const json_t *body, char *buf, size_t len)
{
	const json_t *m = json_object_get(body, "message");

	if (json_is_string(m))
		snprintf(buf, len, "HTTP %ld: %s", r->status, json_string_value(m));
	else if (r->error)
		snprintf(buf, len, "%s", r->error);
	else
		snprintf(buf, len, "HTTP %ld", r->status);
	return buf;
}

void kube_timestamp(char buf[40], int micro)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(buf, 40, "%Y-%m-%dT%H:%M:%S", &tm);
	if (micro)
		snprintf(buf + n, 40 - n, ".%06ldZ", ts.tv_nsec / 1000);
	else
		snprintf(buf + n, 40 - n, "Z");
}

json_t *kube_json_object_at(json_t *parent, const char *key)
{
	json_t *o = json_object_get(parent, key);

	if (!json_is_object(o)) {
		o = json_object();
		json_object_set_new(parent, key, o);
	}
	return o;
}
