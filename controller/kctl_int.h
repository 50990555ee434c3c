/*
 * Shared by the files of the Kubernetes mode (kctl*.c); not for other users.
 *
 * Who writes: only a replica that serves, i.e. leads, has every cache synced
 * and a valid configuration in force. k->alloc exists exactly while serving.
 */
#ifndef VIPCAST_CONTROLLER_KCTL_INT_H
#define VIPCAST_CONTROLLER_KCTL_INT_H

#include <event2/event.h>

#include "alloc.h"
#include "avl.h"
#include "config.h"
#include "kube_health.h"
#include "kctl.h"
#include "kube_event.h"
#include "kube_http.h"
#include "kube_resource.h"
#include "kube_watch.h"
#include "leader.h"
#include "memberlist.h"
#include "metrics.h"

#define ANN_ALLOCATED_FROM_POOL "metallb.io/ip-allocated-from-pool"

enum kctl_watch_id {
	KW_SERVICES, KW_NAMESPACES, KW_POOLS, KW_L2ADVS, KW_BGPADVS, KW_COMMUNITIES, KW_SECRETS, KW_SUBNETS, KW_COUNT
};

struct kctl;

struct kctl_watch {
	struct kctl *k;
	enum kctl_watch_id id;
	struct kube_watch *w;
	bool synced;
};

struct kctl_stats {
	uint64_t allocated, failed, cleared, status_writes, status_failures, config_rejected;
	uint64_t updates;  /* watch events handled */
};

struct kctl {
	struct kctl_opts o;
	char *ns, *identity;
	struct event_base *base;
	struct kube_auth auth;
	struct kube_http *h;
	struct kube_recorder *rec;
	struct kctl_watch watches[KW_COUNT];
	struct kube_api_probe *subnets_probe;
	bool subnets_decided;       /* the Subnet API is known absent, or its watch started */
	struct config *cfg;         /* Services, and the Pools/Namespaces/Subnets in force */
	struct kctl_cfgstate *cs;   /* kctl_config.c */
	struct kctl_pools *pools;   /* kctl_pool_status.c */
	struct alloc *alloc;        /* while serving */
	struct avl_tree svcs;       /* struct kctl_svc by ns/name (kctl_service.c) */
	struct event *retry_timer;  /* failed Service writes */
	uint32_t retry_ms;
	unsigned writes_active;     /* Service status writes in flight, at most KCTL_WRITES_MAX */
	struct kctl_svc *wq_head, *wq_tail;  /* Services waiting for a write slot, oldest first */
	struct leader *le;
	struct memberlist *ml;
	bool ml_exists;
	bool synced, leading, config_ok, serving, stopping;
	bool config_stale;          /* the last configuration seen was refused; an older one (or none) is in force */
	bool freed;                 /* addresses were released: Services waiting for one may get it */
	struct event *sig_term, *sig_int, *stop_timer;
	struct health *health;
	struct ctl_server *ctl;     /* the control socket, or NULL */
	struct kctl_stats stats;
	struct metric_hist config_hist;  /* kctl_config_apply's durations (vipcast_reload_duration_seconds) */
};

/* kctl.c */
void kctl_try_serve(struct kctl *k);
/* An Event, from the replica that leads only. */
void kctl_record(struct kctl *k, const struct kube_ref *ref, bool warning, const char *reason, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* kctl_config.c: IPAddressPools and what validates them (advertisements, Communities), Namespaces, Subnets */
void kctl_config_init(struct kctl *k);
void kctl_config_free(struct kctl *k);
void kctl_config_event(struct kctl *k, enum kind kind, enum kube_event_type t, const struct kube_item *it);
/* Puts the pending changes in force if the result is valid; after the first sync and after each change. */
void kctl_config_apply(struct kctl *k);
/* Writes what the last validation said (ConfigurationState, Events) if this replica serves. */
void kctl_config_report(struct kctl *k);
void kctl_config_stop(struct kctl *k);
/* The API object of a pool as last seen (for its status), or NULL. */
const json_t *kctl_config_raw(const struct kctl *k, enum kind kind, const char *ns, const char *name);

/* kctl_service.c */
void kctl_services_init(struct kctl *k);
void kctl_service_event(struct kctl *k, enum kube_event_type t, const struct kube_item *it);
/* Serving starts: the startup reclaim over every Service, then new allocations. */
void kctl_services_start(struct kctl *k);
/* After a new configuration was put in force: every Service again, oldest first. */
void kctl_services_resync(struct kctl *k);
void kctl_services_stop(struct kctl *k);
void kctl_service_lost(const char *ns, const char *name, const char *why, void *arg);
/* The last allocation failure of a Service (the AllocationFailed Event's text), or NULL. */
const char *kctl_service_failed(struct kctl *k, const char *ns, const char *name);

/* kctl_ctl.c: the control socket (status, services) */
struct ctl_server *kctl_ctl_new(struct kctl *k, const char *path);

/* kctl_pool_status.c */
void kctl_pools_init(struct kctl *k);
void kctl_pools_free(struct kctl *k);
/* Allocations changed: the pools' status counters are written soon (bursts coalesce). */
void kctl_pools_dirty(struct kctl *k);
void kctl_pools_stop(struct kctl *k);

#endif
