/*
 * The probes the kubelet asks (deploy/controller.yaml, port "monitoring"):
 * GET /healthz answers 200 while the event loop runs, GET /readyz 200 when
 * the caller says it is ready (its caches synced) and 503 with the reason
 * when not. libevent's evhttp on the daemon's loop; GET and HEAD only, small
 * headers, no body, a short timeout: nothing a client sends is kept.
 * GET /metrics: the Prometheus text the caller's collector fills at each
 * scrape (lib/metrics.h), when it set one.
 */
#ifndef VIPCAST_KUBE_HEALTH_H
#define VIPCAST_KUBE_HEALTH_H

#include <event2/event.h>
#include <stdbool.h>
#include <stddef.h>

#define HEALTH_DEFAULT_LISTEN ":7472"  /* MetalLB's controller metrics port */

typedef bool (*health_ready_fn)(void *arg, char *why, size_t len);
struct metrics;
/* Declares the families and sets their samples in m, a fresh registry, at each scrape. */
typedef void (*health_metrics_fn)(void *arg, struct metrics *m);

/*
 * listen: "ADDR:PORT", "[V6ADDR]:PORT" or ":PORT" (every address); port 0
 * picks a free one. NULL with err set when it cannot listen.
 */
struct health *health_new(struct event_base *base, const char *listen, health_ready_fn ready, void *arg, char *err,
			  size_t errlen);
void health_free(struct health *h);
/* Serves GET /metrics from fn (NULL: 404). */
void health_set_metrics(struct health *h, health_metrics_fn fn, void *arg);
/* "127.0.0.1:40123": where it listens, the port chosen. */
const char *health_address(const struct health *h);

#endif
