/*
 * The speaker's Prometheus metrics, MetalLB's names and vipcast's own
 * (README "Metrics"), computed at each scrape from the sessions, the L2
 * responder and liveness; the histograms are kept where their events happen.
 */
#ifndef VIPCAST_SPEAKER_SPEAKER_METRICS_H
#define VIPCAST_SPEAKER_SPEAKER_METRICS_H

struct metrics;

/* arg: the struct speaker; a health_metrics_fn (kube_health.h). */
void speaker_metrics(void *arg, struct metrics *m);

#endif
