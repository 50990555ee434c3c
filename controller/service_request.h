/*
 * What a Service asks of the allocator, read from its spec and annotations
 * with MetalLB's rules: whether it is ours at all, which families, which IPs
 * it requests, which pool it names, and with whom it may share an address.
 */
#ifndef VIPCAST_CONTROLLER_SERVICE_REQUEST_H
#define VIPCAST_CONTROLLER_SERVICE_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

#include "model.h"

/* Both annotation spellings are honoured; the metallb.io one wins. */
#define ANN_ADDRESS_POOL "address-pool"
#define ANN_LOADBALANCER_IPS "loadBalancerIPs"
#define ANN_ALLOW_SHARED_IP "allow-shared-ip"

struct svc_request {
	bool ours;                     /* type LoadBalancer, and the class this controller serves */
	enum ip_family_policy policy;  /* never FAMILY_POLICY_UNSET */
	uint8_t families[2];           /* preferred first */
	size_t nfamilies;              /* 1 for SingleStack, 2 otherwise */
	struct ipaddr want[2];         /* requested IPs */
	size_t nwant;
	const char *pool;              /* the annotated pool, or NULL */
	const char *sharing_key;       /* allow-shared-ip, or NULL */
	char *backend_key;             /* NULL for Cluster; sorted "k=v,k=v" of the selector for Local */
	const struct service_port *ports;
	size_t nports;
	char error[256];               /* set when the request itself is unservable */
};

/* type LoadBalancer, and of the class served (lb_class NULL: Services with no class). */
bool svc_is_ours(const struct object *svc, const char *lb_class);

/* lb_class: the loadBalancerClass this controller serves, or NULL for "none". */
void svc_request_read(const struct object *svc, const char *lb_class, struct svc_request *r);
void svc_request_free(struct svc_request *r);

#endif
