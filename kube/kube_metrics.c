#include "kube_metrics.h"

#include "metrics.h"

void kube_client_metrics(struct metrics *m, uint64_t updates, uint64_t errors, bool loaded, bool stale)
{
	metric_set(metrics_family(m, "metallb_k8s_client_updates_total",
				  "Number of k8s object updates that have been processed.", METRIC_COUNTER, NULL, NULL, 0),
		   NULL, (double)updates);
	metric_set(metrics_family(m, "metallb_k8s_client_update_errors_total",
				  "Number of k8s object updates that failed for some reason.", METRIC_COUNTER, NULL, NULL, 0),
		   NULL, (double)errors);
	metric_set(metrics_family(m, "metallb_k8s_client_config_loaded_bool",
				  "1 if the MetalLB configuration was successfully loaded at least once.", METRIC_GAUGE, NULL,
				  NULL, 0),
		   NULL, loaded);
	metric_set(metrics_family(m, "metallb_k8s_client_config_stale_bool",
				  "1 if running on a stale configuration, because the latest config failed to load.",
				  METRIC_GAUGE, NULL, NULL, 0),
		   NULL, stale);
}
