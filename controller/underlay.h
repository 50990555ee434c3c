/*
 * Underlay pools: a pool whose addresses fall inside a Kube-OVN Subnet can
 * serve only if that Subnet sets enableExternalLBAddress and lists those
 * addresses in excludeIps, so that Kube-OVN never gives them to Pods.
 */
#ifndef VIPCAST_CONTROLLER_UNDERLAY_H
#define VIPCAST_CONTROLLER_UNDERLAY_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

/* False, with the reason, when some entry of the pool breaks the rule. */
bool underlay_pool_ok(const struct config *c, const struct object *pool, char *why, size_t len);

#endif
