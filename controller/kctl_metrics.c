/*
 * The controller's Prometheus metrics, MetalLB's names (README "Metrics"),
 * computed at each scrape: the allocator's per-pool usage (while this
 * replica serves; a standby has none, as MetalLB's standby has no allocator
 * state), the API client's counters, and vipcast's configuration ones.
 */
#include "kctl_metrics.h"

#include "kctl_int.h"
#include "kube_metrics.h"
#include "metrics.h"
#include "reload_metrics.h"

struct pool_families {
	struct metric_family *total, *in_use;
};

/* Sums saturate: an IPv6 pool of 2^62 addresses or more counts INT64_MAX (alloc.h). */
static int64_t sat(int64_t a, int64_t b)
{
	return a > INT64_MAX - b ? INT64_MAX : a + b;
}

static void pool_usage(const struct object *pool, const struct alloc_pool_usage *u, void *arg)
{
	struct pool_families *f = arg;
	const char *const v[] = {pool->meta.name};
	int64_t usable = sat(sat(u->assigned[0], u->available[0]), sat(u->assigned[1], u->available[1]));
	metric_set(f->total, v, (double)usable);
	metric_set(f->in_use, v, (double)sat(u->assigned[0], u->assigned[1]));
}

void kctl_metrics(void *arg, struct metrics *m)
{
	struct kctl *k = arg;
	const char *const pool[] = {"pool", NULL};
	struct pool_families f = {
		.total = metrics_family(m, "metallb_allocator_addresses_total", "Number of usable IP addresses, per pool",
					METRIC_GAUGE, pool, NULL, 0),
		.in_use = metrics_family(m, "metallb_allocator_addresses_in_use_total",
					 "Number of IP addresses in use, per pool", METRIC_GAUGE, pool, NULL, 0),
	};
	if (k->alloc)
		alloc_pool_usage(k->alloc, pool_usage, &f);
	kube_client_metrics(m, k->stats.updates, k->stats.config_rejected + k->stats.status_failures, k->config_ok,
			    k->config_stale);
	reload_metrics(m, k->stats.config_rejected, &k->config_hist);
}
