/* The controller's /metrics (kube_health.h's health_metrics_fn; arg: the struct kctl). */
#ifndef VIPCAST_CONTROLLER_KCTL_METRICS_H
#define VIPCAST_CONTROLLER_KCTL_METRICS_H

struct metrics;

void kctl_metrics(void *arg, struct metrics *m);

#endif
