/*
 * MetalLB's Kubernetes client metrics, the same in both daemons:
 * metallb_k8s_client_updates_total, _update_errors_total,
 * _config_loaded_bool and _config_stale_bool.
 */
#ifndef VIPCAST_KUBE_METRICS_H
#define VIPCAST_KUBE_METRICS_H

#include <stdbool.h>
#include <stdint.h>

struct metrics;

/* updates: watch events handled; errors: what failed (refused configurations, failed writes). */
void kube_client_metrics(struct metrics *m, uint64_t updates, uint64_t errors, bool loaded, bool stale);

#endif
