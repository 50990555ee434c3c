/*
 * A small Prometheus registry: counters, gauges and histograms with fixed
 * buckets, each family with a fixed list of label names, rendered in the
 * text exposition format 0.0.4 (HELP and TYPE lines, label values escaped).
 * Pure: no I/O. Families come out in the order they were declared, samples
 * sorted by their label set. A daemon that computes its values at scrape
 * time declares the families, sets the samples, renders, and frees.
 */
#ifndef VIPCAST_LIB_METRICS_H
#define VIPCAST_LIB_METRICS_H

#include <stddef.h>

enum metric_type { METRIC_COUNTER, METRIC_GAUGE, METRIC_HISTOGRAM };

#define METRICS_MAX_LABELS 8
#define METRICS_MAX_BUCKETS 32

struct metrics;
struct metric_family;

/* The Content-Type of metrics_render()'s text. */
#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct metrics *metrics_new(void);
void metrics_free(struct metrics *m);

/*
 * labels: NULL-terminated label names (NULL: none), at most METRICS_MAX_LABELS.
 * buckets: a histogram's upper bounds, ascending, at most METRICS_MAX_BUCKETS
 * (+Inf is implied). Names are the caller's constants: not checked.
 */
struct metric_family *metrics_family(struct metrics *m, const char *name, const char *help, enum metric_type type,
				     const char *const *labels, const double *buckets, size_t nbuckets);

/* values: one per label name of the family (NULL when it has none); any bytes, escaped on output. */
void metric_set(struct metric_family *f, const char *const *values, double v);
void metric_add(struct metric_family *f, const char *const *values, double v);
void metric_observe(struct metric_family *f, const char *const *values, double v);

/*
 * A histogram a daemon keeps between scrapes (the registry is built anew at
 * each one): bounds are the family's buckets, ascending (+Inf implied), and
 * must outlive it. metric_set_hist() puts its state in a sample of a family
 * declared with the same bounds.
 */
struct metric_hist {
	const double *bounds;
	size_t nbounds;
	unsigned long long bucket[METRICS_MAX_BUCKETS];  /* per bucket, not cumulative */
	unsigned long long count;
	double sum;
};
void metric_hist_init(struct metric_hist *h, const double *bounds, size_t nbounds);
void metric_hist_observe(struct metric_hist *h, double v);
void metric_set_hist(struct metric_family *f, const char *const *values, const struct metric_hist *h);

/* The exposition text, NUL-terminated (caller frees); *len its length. */
char *metrics_render(const struct metrics *m, size_t *len);

#endif
