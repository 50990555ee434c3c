/*
 * vipcast-controller in Kubernetes mode: the allocator driven by the API
 * server instead of files.
 *
 * Watches (kube/) keep a live configuration (config/): Services, Namespaces,
 * the IPAddressPools, advertisements and Communities of the controller's
 * namespace and its memberlist Secret, Kube-OVN Subnets where that API
 * exists. Changes to any but Services are validated before they are put in
 * force; an invalid or empty set leaves the last valid one in force
 * (kctl_config.c). Once every cache is synced and this
 * replica leads, every valid address in a Service status is re-claimed, oldest
 * Service first, before anything new is allocated (reconcile.h); from then on
 * each Service event is allocated for and written back when something changed
 * (kctl_service.c), with the pools' status counters (kctl_pool_status.c), the
 * memberlist Secret (memberlist.c) and, with --leader-elect, a Lease
 * (leader.c) deciding who writes.
 */
#ifndef VIPCAST_CONTROLLER_KCTL_H
#define VIPCAST_CONTROLLER_KCTL_H

#include <stdbool.h>
#include <stdint.h>

#define KCTL_DEFAULT_NAMESPACE "metallb-system"
#define KCTL_DEFAULT_LEASE "vipcast-controller"
#define KCTL_DEFAULT_MEMBERLIST "memberlist"
#define KCTL_DEFAULT_SOCKET "/run/vipcast/controller.sock"

struct kctl_opts {
	const char *kubeconfig, *context;  /* kubeconfig NULL: in-cluster */
	const char *ns;                    /* NULL: the service account's namespace, else metallb-system */
	const char *lb_class;              /* NULL: Services without a loadBalancerClass */
	const char *identity;              /* NULL: $POD_NAME, else hostname_pid */
	const char *memberlist;            /* the Secret to create when missing; "" none */
	const char *health_listen;         /* /healthz and /readyz: "ADDR:PORT"; NULL or "" none */
	const char *ctl_socket;            /* the control socket for vipcastctl; NULL none */
	bool leader_elect;
	const char *lease_name;
	uint32_t lease_ms, renew_ms, retry_ms;
};

/* Runs until SIGTERM or SIGINT; the exit status. */
int kctl_run(const struct kctl_opts *o);

#endif
