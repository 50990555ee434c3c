#include "kube_health.h"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/util.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "metrics.h"
#include "xalloc.h"

#define MAX_HEADERS 4096
#define TIMEOUT_S 5

struct health {
	struct evhttp *http;
	health_ready_fn ready;
	void *arg;
	health_metrics_fn metrics;
	void *metrics_arg;
	char address[INET6_ADDRSTRLEN + 8];
};

static void reply(struct evhttp_request *req, int code, const char *reason, const char *text)
{
	struct evbuffer *b = evbuffer_new();

	if (b)
		evbuffer_add_printf(b, "%s\n", text);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "text/plain; charset=utf-8");
	evhttp_send_reply(req, code, reason, b);
	if (b)
		evbuffer_free(b);
}

static void reply_metrics(struct health *h, struct evhttp_request *req)
{
	struct metrics *m = metrics_new();
	h->metrics(h->metrics_arg, m);
	size_t len;
	char *text = metrics_render(m, &len);
	metrics_free(m);
	struct evbuffer *b = evbuffer_new();
	if (!b || evbuffer_add(b, text, len) != 0) {
		if (b)
			evbuffer_free(b);
		free(text);
		evhttp_send_error(req, 500, "Internal Server Error");
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", METRICS_CONTENT_TYPE);
	evhttp_send_reply(req, 200, "OK", b);
	evbuffer_free(b);
	free(text);
}

static void on_request(struct evhttp_request *req, void *arg)
{
	struct health *h = arg;
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	char why[256] = "not ready";

	if (path && strcmp(path, "/healthz") == 0)
		reply(req, 200, "OK", "ok");
	else if (path && strcmp(path, "/readyz") == 0 && h->ready(h->arg, why, sizeof(why)))
		reply(req, 200, "OK", "ok");
	else if (path && strcmp(path, "/readyz") == 0)
		reply(req, 503, "Service Unavailable", why);
	else if (path && strcmp(path, "/metrics") == 0 && h->metrics)
		reply_metrics(h, req);
	else
		reply(req, 404, "Not Found", "not found");
}

/* Splits "ADDR:PORT", "[ADDR]:PORT", ":PORT" into an address to bind and a port. */
static bool split(const char *listen, char *addr, size_t alen, unsigned *port)
{
	const char *colon = strrchr(listen, ':');
	char *end;

	if (!colon || colon[1] == 0)
		return false;
	unsigned long p = strtoul(colon + 1, &end, 10);
	if (*end || p > 65535)
		return false;
	*port = (unsigned)p;
	size_t n = (size_t)(colon - listen);
	if (n >= 2 && listen[0] == '[' && listen[n - 1] == ']') {
		listen++;
		n -= 2;
	}
	if (n >= alen)
		return false;
	memcpy(addr, listen, n);
	addr[n] = 0;
	return true;
}

struct health *health_new(struct event_base *base, const char *listen, health_ready_fn ready, void *arg, char *err,
			  size_t errlen)
{
	struct health *h = xcalloc(1, sizeof(*h));
	char addr[INET6_ADDRSTRLEN];
	unsigned port;

	if (!split(listen, addr, sizeof(addr), &port)) {
		snprintf(err, errlen, "%s: not ADDRESS:PORT", listen);
		free(h);
		return NULL;
	}
	h->ready = ready;
	h->arg = arg;
	h->http = evhttp_new(base);
	if (!h->http)
		xalloc_die("evhttp_new");
	evhttp_set_allowed_methods(h->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
	evhttp_set_max_headers_size(h->http, MAX_HEADERS);
	evhttp_set_max_body_size(h->http, 0);
	evhttp_set_timeout(h->http, TIMEOUT_S);
	evhttp_set_gencb(h->http, on_request, h);
	/* every address: IPv6 and IPv4 on one socket, or IPv4 alone where IPv6 is off */
	struct evhttp_bound_socket *s = evhttp_bind_socket_with_handle(h->http, *addr ? addr : "::", (ev_uint16_t)port);
	if (!s && !*addr)
		s = evhttp_bind_socket_with_handle(h->http, "0.0.0.0", (ev_uint16_t)port);
	if (!s) {
		snprintf(err, errlen, "cannot listen on %s", listen);
		health_free(h);
		return NULL;
	}
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned bound = port;
	if (getsockname(evhttp_bound_socket_get_fd(s), (struct sockaddr *)&ss, &len) == 0) {
		if (ss.ss_family == AF_INET6) {
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, host, sizeof(host));
			bound = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
		} else {
			inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, host, sizeof(host));
			bound = ntohs(((struct sockaddr_in *)&ss)->sin_port);
		}
	}
	snprintf(h->address, sizeof(h->address), strchr(host, ':') ? "[%s]:%u" : "%s:%u", host, bound);
	return h;
}

void health_set_metrics(struct health *h, health_metrics_fn fn, void *arg)
{
	h->metrics = fn;
	h->metrics_arg = arg;
}

const char *health_address(const struct health *h)
{
	return h->address;
}

void health_free(struct health *h)
{
	if (!h)
		return;
	if (h->http)
		evhttp_free(h->http);
	free(h);
}
