#include "reload_metrics.h"

#include "metrics.h"

static const double buckets[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
enum { NBUCKETS = sizeof(buckets) / sizeof(buckets[0]) };

void reload_hist_init(struct metric_hist *h)
{
	metric_hist_init(h, buckets, NBUCKETS);
}

void reload_metrics(struct metrics *m, uint64_t errors, const struct metric_hist *h)
{
	metric_set(metrics_family(m, "vipcast_config_load_errors_total", "Number of configurations refused as invalid",
				  METRIC_COUNTER, NULL, NULL, 0),
		   NULL, (double)errors);
	metric_set_hist(metrics_family(m, "vipcast_reload_duration_seconds",
				       "Time taken to read, validate and plan a configuration, refused or not",
				       METRIC_HISTOGRAM, NULL, buckets, NBUCKETS),
			NULL, h);
}
