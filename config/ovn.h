/*
 * Kube-OVN's BGP annotation, ovn.kubernetes.io/bgp, as kube-ovn-speaker
 * (v1.16) reads it on Subnets, Pods and ClusterIP Services:
 *   "true", "cluster": announced from every speaker;
 *   "local":           a Pod's addresses only from the node running it
 *                      (on a Subnet: no CIDR, each Pod from its node);
 *   "yes":             what Kube-OVN's documentation shows; its code ignores
 *                      it, vipcast takes it as "true" with a warning.
 * Anything else announces nothing, with a warning.
 */
#ifndef VIPCAST_CONFIG_OVN_H
#define VIPCAST_CONFIG_OVN_H

#include <stdbool.h>

#include "model.h"

#define OVN_ANNOTATION_BGP "ovn.kubernetes.io/bgp"
#define OVN_IP_ADDRESS_SUFFIX ".kubernetes.io/ip_address"
#define OVN_LOGICAL_SWITCH_SUFFIX ".kubernetes.io/logical_switch"
/* A BGPPeer's opt-ins (plan_ovn.h) start with this. */
#define OVN_PEER_ANNOTATION_PREFIX "vipcast.io/kube-ovn-"

enum ovn_policy { OVN_BGP_NONE, OVN_BGP_CLUSTER, OVN_BGP_LOCAL };

/* The policy a value gives; *warning (may be NULL) says why a written value is questionable, else NULL. */
enum ovn_policy ovn_policy_parse(const char *value, const char **warning);
/* Whether a lean decode (object_read_lean) keeps this annotation: Kube-OVN's routes need it. */
bool ovn_annotation_kept(const char *key, size_t len);
/* The policy an object's annotation gives (NONE when absent). */
enum ovn_policy ovn_policy_of(const struct object *o);

#endif
