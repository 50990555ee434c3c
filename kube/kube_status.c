#include "kube_status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube_request.h"
#include "log.h"
#include "xalloc.h"

struct kube_status_write {
	struct kube_http *h;
	char path[512];  /* the object; "/status" is appended for the write */
	char id[300];    /* for messages */
	kube_mutate_fn mutate;
	kube_status_fn done;
	void *arg;
	struct kube_call *call;
	unsigned writes;
};

static void finish(struct kube_status_write *w, long status, const json_t *obj, const char *msg)
{
	kube_status_fn done = w->done;
	void *arg = w->arg;
	unsigned writes = w->writes;

	free(w);
	done(arg, status, obj, writes, msg);
}

static void write_status(struct kube_status_write *w, json_t *obj);

static void read_done(void *arg, const struct kube_resp *r, json_t *body)
{
	struct kube_status_write *w = arg;
	char msg[512];

	w->call = NULL;
	if (r->status != 200 || !json_is_object(body)) {
		finish(w, r->status, NULL, kube_resp_message(r, body, msg, sizeof(msg)));
		return;
	}
	write_status(w, body);
}

static void reread(struct kube_status_write *w)
{
	w->call = kube_json_request(w->h, "GET", w->path, NULL, NULL, read_done, w);
}

static void write_done(void *arg, const struct kube_resp *r, json_t *body)
{
	struct kube_status_write *w = arg;
	char msg[512];

	w->call = NULL;
	if (r->status == 409 && w->writes < KUBE_STATUS_MAX_ATTEMPTS) {
		log_debug("kube", "%s: status write %u: conflict; reading it again", w->id, w->writes);
		reread(w);
		return;
	}
	if (r->status == 200)
		finish(w, 200, body, "written");
	else
		finish(w, r->status, NULL, kube_resp_message(r, body, msg, sizeof(msg)));
}

static void write_status(struct kube_status_write *w, json_t *obj)
{
	char path[520];

	if (!w->mutate(w->arg, obj)) {
		finish(w, 204, obj, "nothing to write");
		return;
	}
	w->writes++;
	snprintf(path, sizeof(path), "%s/status", w->path);
	w->call = kube_json_request(w->h, "PUT", path, obj, KUBE_CT_JSON, write_done, w);
}

struct kube_status_write *kube_status_update(struct kube_http *h, const struct kube_resource *r, const char *ns,
					     const char *name, const json_t *current, kube_mutate_fn mutate,
					     kube_status_fn done, void *arg)
{
	struct kube_status_write *w = xcalloc(1, sizeof(*w));

	w->h = h;
	w->mutate = mutate;
	w->done = done;
	w->arg = arg;
	snprintf(w->id, sizeof(w->id), "%s %s%s%s", r->kind_name, ns ? ns : "", ns ? "/" : "", name);
	if (!kube_path(w->path, sizeof(w->path), r, ns, name, NULL, NULL)) {
		log_error("kube", "%s: not a name a path can hold", w->id);
		free(w);
		return NULL;
	}
	if (current) {
		json_t *copy = json_deep_copy(current);
		if (!copy)
			xalloc_die("json_deep_copy");
		bool change = mutate(arg, copy);
		if (change) {
			w->writes++;
			char path[520];
			snprintf(path, sizeof(path), "%s/status", w->path);
			w->call = kube_json_request(h, "PUT", path, copy, KUBE_CT_JSON, write_done, w);
		}
		json_decref(copy);
		if (!change) {
			free(w);
			return NULL;
		}
		return w;
	}
	reread(w);
	return w;
}

void kube_status_cancel(struct kube_status_write *w)
{
	if (!w)
		return;
	kube_call_cancel(w->call);
	free(w);
}
