#include "memberlist.h"

#include <event2/event.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "kube_request.h"
#include "kube_resource.h"
#include "log.h"
#include "xalloc.h"

#define RETRY_MIN_MS 1000
#define RETRY_MAX_MS 30000

struct memberlist {
	struct kube_http *h;
	char *ns, *name;
	struct kube_call *call;
	struct event *retry;
	uint32_t backoff_ms;
	bool exists, may_write;
};

bool memberlist_new_key(char out[32])
{
	unsigned char raw[16], b64[32];

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return false;
	int n = EVP_EncodeBlock(b64, raw, sizeof(raw));  /* 24 characters, "==" at the end */
	while (n > 0 && b64[n - 1] == '=')
		n--;
	memcpy(out, b64, (size_t)n);
	out[n] = 0;
	OPENSSL_cleanse(raw, sizeof(raw));
	return true;
}

static void create(struct memberlist *m);

static void created(void *arg, const struct kube_resp *r, json_t *body)
{
	struct memberlist *m = arg;
	char msg[256];

	m->call = NULL;
	if (r->status == 201 || r->status == 409) {  /* 409: someone made it meanwhile, fine */
		if (r->status == 201)
			log_info("controller", "Secret %s/%s created (key %s)", m->ns, m->name, MEMBERLIST_KEY_NAME);
		m->exists = true;
		m->backoff_ms = 0;
		return;
	}
	m->backoff_ms = m->backoff_ms ? m->backoff_ms * 2 : RETRY_MIN_MS;
	if (m->backoff_ms > RETRY_MAX_MS)
		m->backoff_ms = RETRY_MAX_MS;
	log_warn("controller", "Secret %s/%s: cannot create it: %s; again in %u ms", m->ns, m->name,
		 kube_resp_message(r, body, msg, sizeof(msg)), m->backoff_ms);
	struct timeval tv = { m->backoff_ms / 1000, (m->backoff_ms % 1000) * 1000 };
	evtimer_add(m->retry, &tv);
}

static void create(struct memberlist *m)
{
	char key[32], path[512];
	unsigned char b64[64];

	if (m->call || m->exists || !m->may_write || evtimer_pending(m->retry, NULL))
		return;
	if (!memberlist_new_key(key) ||
	    !kube_path(path, sizeof(path), kube_resource_of(KIND_SECRET), m->ns, NULL, NULL, NULL)) {
		log_error("controller", "Secret %s/%s: cannot make a key", m->ns, m->name);
		return;
	}
	EVP_EncodeBlock(b64, (const unsigned char *)key, (int)strlen(key));  /* the API's data values are base64 */
	json_t *s = json_pack("{s:s, s:s, s:{s:s, s:s, s:{s:s}}, s:s, s:{s:s}}", "apiVersion", "v1", "kind", "Secret",
			      "metadata", "name", m->name, "namespace", m->ns, "labels", "app.kubernetes.io/managed-by",
			      "vipcast-controller", "type", "Opaque", "data", MEMBERLIST_KEY_NAME, (const char *)b64);
	m->call = kube_json_request(m->h, "POST", path, s, NULL, created, m);
	json_decref(s);
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(b64, sizeof(b64));
}

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	create(arg);
}

struct memberlist *memberlist_new(struct kube_http *h, const char *ns, const char *name)
{
	struct memberlist *m = xcalloc(1, sizeof(*m));

	m->h = h;
	m->ns = xstrdup(ns);
	m->name = xstrdup(name);
	m->retry = evtimer_new(kube_http_base(h), on_retry, m);
	if (!m->retry)
		xalloc_die("evtimer_new");
	return m;
}

const char *memberlist_name(const struct memberlist *m)
{
	return m->name;
}

void memberlist_update(struct memberlist *m, bool exists, bool may_write)
{
	m->exists = exists;
	m->may_write = may_write;
	if (!may_write || exists) {
		kube_call_cancel(m->call);
		m->call = NULL;
		evtimer_del(m->retry);
		m->backoff_ms = 0;
		return;
	}
	create(m);
}

void memberlist_free(struct memberlist *m)
{
	if (!m)
		return;
	kube_call_cancel(m->call);
	event_free(m->retry);
	free(m->ns);
	free(m->name);
	free(m);
}
