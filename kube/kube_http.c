#include "kube_http.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "xalloc.h"

#define DEFAULT_CONNECT_TIMEOUT_MS 10000
#define DEFAULT_TIMEOUT_MS 30000
#define DEFAULT_MAX_BODY (64u << 20)
/* A stream's error body (a Status object) is small. */
#define STREAM_ERROR_MAX (64u << 10)

struct kube_req {
	struct kube_http *h;
	struct kube_req *prev, *next;  /* the client's active requests */
	CURL *easy;
	struct curl_slist *headers;
	char *method, *url, *body, *content_type;
	size_t body_len;
	kube_chunk_fn chunk;
	kube_done_fn done;
	void *arg;
	char *buf;
	size_t len, cap, max;
	bool cancelled, retried, too_large;
	bool deferred;  /* started inside a curl callback: added to the multi handle later */
	char errbuf[CURL_ERROR_SIZE];
};

/* A socket curl asked us to watch. */
struct kube_sock {
	struct event *ev;
	struct kube_sock *prev, *next;
};

struct kube_http {
	struct event_base *base;
	struct kube_sock *socks;
	struct kube_auth *auth;
	struct kube_http_opts o;
	CURLM *multi;
	struct event *timer, *deferred;
	struct kube_req *reqs;
	unsigned in_curl;  /* inside curl_multi_socket_action: no handle may be removed */
	struct kube_http_stats stats;
};

static void check_done(struct kube_http *h);

static void socket_action(struct kube_http *h, curl_socket_t fd, int flags)
{
	int running;

	h->in_curl++;
	curl_multi_socket_action(h->multi, fd, flags, &running);
	h->in_curl--;
	check_done(h);
}

static void on_socket(evutil_socket_t fd, short what, void *arg)
{
	int flags = (what & EV_READ ? CURL_CSELECT_IN : 0) | (what & EV_WRITE ? CURL_CSELECT_OUT : 0);
	socket_action(arg, fd, flags);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	socket_action(arg, CURL_SOCKET_TIMEOUT, 0);
}

static void sock_free(struct kube_http *h, struct kube_sock *k)
{
	event_free(k->ev);
	if (k->prev)
		k->prev->next = k->next;
	else
		h->socks = k->next;
	if (k->next)
		k->next->prev = k->prev;
	free(k);
}

static int sock_cb(CURL *e, curl_socket_t s, int what, void *userp, void *socketp)
{
	(void)e;
	struct kube_http *h = userp;
	struct kube_sock *k = socketp;

	if (what == CURL_POLL_REMOVE) {
		if (k)
			sock_free(h, k);
		curl_multi_assign(h->multi, s, NULL);
		return 0;
	}
	short kind = EV_PERSIST | (what & CURL_POLL_IN ? EV_READ : 0) | (what & CURL_POLL_OUT ? EV_WRITE : 0);
	if (k) {
		event_del(k->ev);
		event_assign(k->ev, h->base, s, kind, on_socket, h);
	} else {
		k = xcalloc(1, sizeof(*k));
		k->ev = event_new(h->base, s, kind, on_socket, h);
		if (!k->ev)
			xalloc_die("event_new");
		k->next = h->socks;
		if (h->socks)
			h->socks->prev = k;
		h->socks = k;
		curl_multi_assign(h->multi, s, k);
	}
	event_add(k->ev, NULL);
	return 0;
}

/* curl may not be called back into from here: it only asks to be woken. */
static int timer_cb(CURLM *m, long timeout_ms, void *userp)
{
	(void)m;
	struct kube_http *h = userp;

	if (timeout_ms < 0) {
		evtimer_del(h->timer);
	} else {
		struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
		evtimer_add(h->timer, &tv);
	}
	return 0;
}

static bool status_ok(long s)
{
	return s >= 200 && s < 300;
}

/* A stream's chunk function hears of a 2xx answer's headers with a chunk of length 0: it is open. */
static size_t header_cb(char *data, size_t size, size_t n, void *userp)
{
	struct kube_req *r = userp;
	size_t len = size * n;
	long status = 0;

	if (r->cancelled)
		return 0;
	if (!r->chunk || len > 2 || (len && data[0] != '\r' && data[0] != '\n'))
		return len;
	curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
	if (status_ok(status))
		return r->chunk(r->arg, data, 0) ? len : 0;
	return len;
}

static size_t write_cb(char *data, size_t size, size_t n, void *userp)
{
	struct kube_req *r = userp;
	size_t len = size * n;
	long status = 0;

	if (r->cancelled)
		return 0;
	r->h->stats.bytes_in += len;
	curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
	if (r->chunk && status_ok(status))
		return r->chunk(r->arg, data, len) ? len : 0;
	if (len > r->max - r->len) {
		r->too_large = true;
		return 0;
	}
	if (r->len + len + 1 > r->cap) {
		size_t cap = r->cap ? r->cap : 4096;
		while (cap < r->len + len + 1)
			cap *= 2;
		r->buf = xrealloc(r->buf, cap, 1);
		r->cap = cap;
	}
	memcpy(r->buf + r->len, data, len);
	r->len += len;
	r->buf[r->len] = 0;
	return len;
}

static void set_headers(struct kube_req *r)
{
	const char *token = kube_auth_token(r->h->auth);

	curl_slist_free_all(r->headers);
	r->headers = curl_slist_append(NULL, "Accept: application/json");
	r->headers = curl_slist_append(r->headers, "Expect:");
	if (r->content_type) {
		char ct[128];
		snprintf(ct, sizeof(ct), "Content-Type: %s", r->content_type);
		r->headers = curl_slist_append(r->headers, ct);
	}
	if (token) {
		size_t n = strlen(token) + 32;
		char *hdr = xmalloc(n);
		snprintf(hdr, n, "Authorization: Bearer %s", token);
		r->headers = curl_slist_append(r->headers, hdr);
		free(hdr);
	}
	if (!r->headers)
		xalloc_die("curl_slist_append");
	curl_easy_setopt(r->easy, CURLOPT_HTTPHEADER, r->headers);
}

static void set_blob(CURL *e, CURLoption opt, const struct kube_pem *p)
{
	struct curl_blob b = { p->data, p->len, CURL_BLOB_COPY };
	if (p->data)
		curl_easy_setopt(e, opt, &b);
}

static void setup_easy(struct kube_req *r, long idle_s, long max_ms)
{
	struct kube_http *h = r->h;
	const struct kube_auth *a = h->auth;
	CURL *e = r->easy;

	curl_easy_setopt(e, CURLOPT_URL, r->url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, r);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->errbuf);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "https,http");
	curl_easy_setopt(e, CURLOPT_USERAGENT, h->o.user_agent);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, h->o.connect_timeout_ms);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, max_ms);
	if (idle_s > 0) {
		curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
		curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, idle_s);
	}
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPIDLE, 30L);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPINTVL, 10L);
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "gzip");
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, h->o.http1 ? CURL_HTTP_VERSION_1_1 : CURL_HTTP_VERSION_2TLS);
	curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
	set_blob(e, CURLOPT_CAINFO_BLOB, &a->ca);
	set_blob(e, CURLOPT_SSLCERT_BLOB, &a->cert);
	set_blob(e, CURLOPT_SSLKEY_BLOB, &a->key);
	if (a->cert.data) {
		curl_easy_setopt(e, CURLOPT_SSLCERTTYPE, "PEM");
		curl_easy_setopt(e, CURLOPT_SSLKEYTYPE, "PEM");
	}
	if (a->insecure) {
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (strcmp(r->method, "GET") != 0)
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r->method);
	if (r->body) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
	}
	set_headers(r);
}

static void start(struct kube_req *r)
{
	r->h->stats.requests++;
	r->h->stats.active++;
	/* curl refuses handles added from its own callbacks (a watch consumer writing): later. */
	if (r->h->in_curl) {
		r->deferred = true;
		event_active(r->h->deferred, 0, 0);
		return;
	}
	if (curl_multi_add_handle(r->h->multi, r->easy) != CURLM_OK)
		xalloc_die("curl_multi_add_handle");
}

static struct kube_req *req_new(struct kube_http *h, const char *method, const char *path, kube_done_fn done,
				void *arg)
{
	struct kube_req *r = xcalloc(1, sizeof(*r));
	size_t n = strlen(h->auth->server) + strlen(path) + 1;

	r->h = h;
	r->easy = curl_easy_init();
	if (!r->easy)
		xalloc_die("curl_easy_init");
	r->method = xstrdup(method);
	r->url = xmalloc(n);
	snprintf(r->url, n, "%s%s", h->auth->server, path);
	r->done = done;
	r->arg = arg;
	r->max = h->o.max_body;
	r->next = h->reqs;
	if (h->reqs)
		h->reqs->prev = r;
	h->reqs = r;
	return r;
}

static void req_free(struct kube_req *r)
{
	struct kube_http *h = r->h;

	curl_multi_remove_handle(h->multi, r->easy);
	curl_easy_cleanup(r->easy);
	curl_slist_free_all(r->headers);
	if (r->prev)
		r->prev->next = r->next;
	else
		h->reqs = r->next;
	if (r->next)
		r->next->prev = r->prev;
	free(r->method);
	free(r->url);
	free(r->body);
	free(r->content_type);
	free(r->buf);
	free(r);
}

struct kube_req *kube_http_request(struct kube_http *h, const char *method, const char *path, const char *body,
				   size_t len, const char *content_type, kube_done_fn done, void *arg)
{
	struct kube_req *r = req_new(h, method, path, done, arg);

	if (body) {
		r->body = xmalloc(len + 1);
		memcpy(r->body, body, len);
		r->body[len] = 0;
		r->body_len = len;
	}
	if (content_type)
		r->content_type = xstrdup(content_type);
	setup_easy(r, 0, h->o.timeout_ms);
	start(r);
	return r;
}

struct kube_req *kube_http_stream(struct kube_http *h, const char *path, long idle_s, long max_s, kube_chunk_fn chunk,
				  kube_done_fn done, void *arg)
{
	struct kube_req *r = req_new(h, "GET", path, done, arg);

	r->chunk = chunk;
	r->max = STREAM_ERROR_MAX;
	setup_easy(r, idle_s, max_s > 0 ? max_s * 1000 : 0);
	start(r);
	return r;
}

/* A 401 with a token file that has changed since: the same request again with the new token. */
static bool retry_401(struct kube_req *r, long status)
{
	if (status != 401 || r->retried || !kube_auth_token_reload(r->h->auth))
		return false;
	log_info("kube", "%s %s: 401 Unauthorized; sending again with the new token", r->method, r->url);
	r->retried = true;
	curl_multi_remove_handle(r->h->multi, r->easy);
	r->h->stats.active--;
	r->len = 0;
	set_headers(r);
	start(r);
	return true;
}

static void finish(struct kube_req *r, CURLcode code)
{
	struct kube_http *h = r->h;
	struct kube_resp resp = { 0 };
	curl_off_t retry = 0;
	long conns = 0;

	curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &resp.status);
	curl_easy_getinfo(r->easy, CURLINFO_RETRY_AFTER, &retry);
	curl_easy_getinfo(r->easy, CURLINFO_NUM_CONNECTS, &conns);
	h->stats.connects += (uint64_t)conns;
	h->stats.active--;
	if (code == CURLE_OK && retry_401(r, resp.status))
		return;
	resp.retry_after = retry > 0 && retry < 86400 ? (long)retry : 0;
	resp.too_large = r->too_large;
	if (r->too_large)
		resp.error = "response body too large";
	else if (code != CURLE_OK)
		resp.error = r->errbuf[0] ? r->errbuf : curl_easy_strerror(code);
	if (resp.status == 0)
		h->stats.failures++;
	resp.body = r->buf ? r->buf : "";
	resp.len = r->len;
	kube_done_fn done = r->done;
	void *arg = r->arg;
	/* The request is gone before done runs, but its body and error text are still needed. */
	char *body = r->buf, error[CURL_ERROR_SIZE];
	r->buf = NULL;
	if (resp.error) {
		snprintf(error, sizeof(error), "%s", resp.error);
		resp.error = error;
	}
	req_free(r);
	if (done)
		done(arg, &resp);
	free(body);
}

static void check_done(struct kube_http *h)
{
	CURLMsg *m;
	int left;

	while ((m = curl_multi_info_read(h->multi, &left))) {
		if (m->msg != CURLMSG_DONE)
			continue;
		char *priv = NULL;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &priv);
		struct kube_req *r = (struct kube_req *)priv;
		CURLcode code = m->data.result;
		if (r && !r->cancelled)
			finish(r, code);
	}
}

/* What could not be done inside a curl callback: free cancelled requests, add new ones. */
static void on_deferred(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	struct kube_http *h = arg;

	for (struct kube_req *r = h->reqs, *next; r; r = next) {
		next = r->next;
		if (r->cancelled) {
			h->stats.active--;
			req_free(r);
		} else if (r->deferred) {
			r->deferred = false;
			if (curl_multi_add_handle(h->multi, r->easy) != CURLM_OK)
				xalloc_die("curl_multi_add_handle");
		}
	}
}

void kube_http_cancel(struct kube_req *r)
{
	if (!r || r->cancelled)
		return;
	r->done = NULL;
	r->chunk = NULL;
	if (!r->h->in_curl) {
		r->h->stats.active--;
		req_free(r);
		return;
	}
	r->cancelled = true;
	event_active(r->h->deferred, 0, 0);
}

struct kube_http *kube_http_new(struct event_base *base, struct kube_auth *auth, const struct kube_http_opts *opts)
{
	static bool curl_ready;
	struct kube_http *h = xcalloc(1, sizeof(*h));

	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			xalloc_die("curl_global_init");
		curl_ready = true;
	}
	h->base = base;
	h->auth = auth;
	if (opts)
		h->o = *opts;
	if (!h->o.connect_timeout_ms)
		h->o.connect_timeout_ms = DEFAULT_CONNECT_TIMEOUT_MS;
	if (!h->o.timeout_ms)
		h->o.timeout_ms = DEFAULT_TIMEOUT_MS;
	if (!h->o.max_body)
		h->o.max_body = DEFAULT_MAX_BODY;
	if (!h->o.user_agent)
		h->o.user_agent = "vipcast";
	h->multi = curl_multi_init();
	h->timer = evtimer_new(base, on_timer, h);
	h->deferred = event_new(base, -1, 0, on_deferred, h);
	if (!h->multi || !h->timer || !h->deferred)
		xalloc_die("kube_http_new");
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
	curl_multi_setopt(h->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
	return h;
}

void kube_http_free(struct kube_http *h)
{
	if (!h)
		return;
	while (h->reqs)
		req_free(h->reqs);
	curl_multi_cleanup(h->multi);
	while (h->socks)
		sock_free(h, h->socks);
	event_free(h->timer);
	event_free(h->deferred);
	free(h);
}

struct event_base *kube_http_base(const struct kube_http *h)
{
	return h->base;
}

struct kube_auth *kube_http_auth(const struct kube_http *h)
{
	return h->auth;
}

void kube_http_get_stats(const struct kube_http *h, struct kube_http_stats *out)
{
	*out = h->stats;
}
