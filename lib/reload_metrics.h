/*
 * vipcast's configuration metrics, the same in both daemons:
 * vipcast_config_load_errors_total and vipcast_reload_duration_seconds.
 */
#ifndef VIPCAST_LIB_RELOAD_METRICS_H
#define VIPCAST_LIB_RELOAD_METRICS_H

#include <stdint.h>

struct metrics;
struct metric_hist;

/* Sets h up with the buckets of vipcast_reload_duration_seconds (1 ms to 10 s). */
void reload_hist_init(struct metric_hist *h);

/* errors: configurations refused; h: the reload durations (reload_hist_init). */
void reload_metrics(struct metrics *m, uint64_t errors, const struct metric_hist *h);

#endif
