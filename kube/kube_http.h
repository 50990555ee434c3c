/*
 * HTTP requests to the API server on the daemon's libevent loop, through
 * libcurl's multi-socket interface: curl tells us which sockets to watch
 * (CURLMOPT_SOCKETFUNCTION -> one event each) and when to wake it
 * (CURLMOPT_TIMERFUNCTION -> one evtimer); we hand readiness back with
 * curl_multi_socket_action(). Nothing blocks and nothing polls.
 *
 * All requests share curl's connection cache, and over TLS they ask for HTTP/2
 * and wait to be multiplexed on a connection being set up (PIPEWAIT), so many
 * watches need one connection. A request gets the whole body at the end; a
 * stream (a watch) gets each piece of a 2xx body as it arrives, and the status
 * and error at the end. A non-2xx body is never streamed: it is kept (bounded)
 * and handed to done. A 401 re-reads a file token and, if it changed, sends
 * the request again once, unseen by the caller.
 *
 * Callbacks run on the loop. A callback may start and cancel requests (a
 * cancelled request's done is never called); kube_http_free must not be called
 * from one.
 */
#ifndef VIPCAST_KUBE_HTTP_H
#define VIPCAST_KUBE_HTTP_H

#include <event2/event.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kube_auth.h"

struct kube_http;
struct kube_req;

struct kube_resp {
	long status;        /* HTTP status; 0 when no response came (see error) */
	const char *error;  /* transport error (curl's words), or NULL */
	const char *body;   /* NUL-terminated; a stream's 2xx body is not kept: "" */
	size_t len;
	long retry_after;   /* seconds from Retry-After, 0: none */
	bool too_large;     /* the body passed the limit (max_body): the request failed */
};

typedef void (*kube_done_fn)(void *arg, const struct kube_resp *r);
/*
 * A piece of a stream's 2xx body; return false to abort the request. First a
 * chunk of length 0 when the 2xx answer's headers arrived: the stream is open.
 */
typedef bool (*kube_chunk_fn)(void *arg, const char *data, size_t len);

struct kube_http_opts {
	long connect_timeout_ms;  /* TCP and TLS; default 10 s */
	long timeout_ms;          /* a whole request (not a stream); default 30 s */
	size_t max_body;          /* a request's body; default 64 MiB */
	bool http1;               /* never HTTP/2 */
	const char *user_agent;   /* default "vipcast" */
};

struct kube_http_stats {
	uint64_t requests;  /* transfers started, a 401 retry included */
	uint64_t connects;  /* new connections made */
	uint64_t bytes_in;  /* body bytes received */
	uint64_t failures;  /* transfers without a response */
	unsigned active;
};

/* auth must outlive the client. opts may be NULL. */
struct kube_http *kube_http_new(struct event_base *base, struct kube_auth *auth, const struct kube_http_opts *opts);
void kube_http_free(struct kube_http *h);

/*
 * path starts with '/' and carries its query. body may be NULL; content_type
 * is its type ("application/json", "application/merge-patch+json", ...).
 */
struct kube_req *kube_http_request(struct kube_http *h, const char *method, const char *path, const char *body,
				   size_t len, const char *content_type, kube_done_fn done, void *arg);
/*
 * A GET whose 2xx body goes to chunk as it arrives. It fails when no byte came
 * for idle_s seconds or after max_s seconds in all (0: no limit).
 */
struct kube_req *kube_http_stream(struct kube_http *h, const char *path, long idle_s, long max_s, kube_chunk_fn chunk,
				  kube_done_fn done, void *arg);
/* Stops the request; its done is not called. */
void kube_http_cancel(struct kube_req *r);

struct event_base *kube_http_base(const struct kube_http *h);
struct kube_auth *kube_http_auth(const struct kube_http *h);
void kube_http_get_stats(const struct kube_http *h, struct kube_http_stats *out);

#endif
