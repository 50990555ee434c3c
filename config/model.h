/*
 * The configuration model: every Kubernetes object vipcast reads, with
 * MetalLB's field names and meanings.
 *
 * Each object owns an arena holding all its strings and arrays. A field
 * remembers whether it was written and where (struct mark), so checks that
 * span objects can still point at the line. Defaults are applied when an
 * object is decoded; cross-object results (a BGPAdvertisement's community
 * values, a BGPPeer's password from a Secret) are filled in by validation.
 */
#ifndef VIPCAST_CONFIG_MODEL_H
#define VIPCAST_CONFIG_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "arena.h"
#include "community.h"
#include "diag.h"
#include "selector.h"

struct vstr {
	const char *s;  /* NULL: not written */
	struct mark mark;
};

struct vint {
	bool set;
	int64_t v;
	struct mark mark;
};

struct vbool {
	bool set;
	bool v;
	struct mark mark;
};

struct vstrs {
	struct vstr *v;
	size_t n;
	struct mark mark;
};

struct vip {
	bool set;
	struct ipaddr a;
	struct mark mark;
};

enum kind {
	KIND_IPADDRESSPOOL,
	KIND_L2ADVERTISEMENT,
	KIND_BGPADVERTISEMENT,
	KIND_BGPPEER,
	KIND_BFDPROFILE,
	KIND_COMMUNITY,
	KIND_SECRET,
	KIND_SERVICE,
	KIND_NODE,
	KIND_NAMESPACE,
	KIND_ENDPOINTSLICE,
	KIND_SUBNET,
	KIND_POD,
	KIND_COUNT
};

/* IPAddressPool (metallb.io/v1beta1) */
struct pool_addr {
	struct iprange r;
	struct mark mark;
};

struct ip_pool {
	struct pool_addr *addrs;
	size_t naddrs;
	struct vbool auto_assign;      /* default true */
	struct vbool avoid_buggy_ips;  /* default false */
	struct {
		struct vint priority;
		struct vstrs namespaces;
		struct selectors namespace_selectors, service_selectors;
	} alloc;
};

/* L2Advertisement */
struct preferred_node {
	int64_t weight;  /* 1..100 */
	struct selector preference;
	struct mark mark;
};

struct l2_adv {
	struct vstrs pools;
	struct selectors pool_selectors, node_selectors, service_selectors;
	struct vstrs interfaces;
	struct preferred_node *preferred;
	size_t npreferred;
};

/* BGPAdvertisement */
struct bgp_adv {
	struct vint aggregation_length;     /* default 32 */
	struct vint aggregation_length_v6;  /* default 128 */
	struct vint local_pref;
	struct vstrs communities;           /* as written: literals or Community names */
	struct vstrs pools;
	struct selectors pool_selectors, node_selectors, service_selectors;
	struct vstrs peers;
	/* Filled by validation. */
	struct community *community_values;
	size_t ncommunity_values;
};

/* BGPPeer (metallb.io/v1beta1, v1beta2) */
enum dynamic_asn { DYNAMIC_ASN_NONE, DYNAMIC_ASN_INTERNAL, DYNAMIC_ASN_EXTERNAL };

struct bgp_peer {
	struct vint my_asn, peer_asn;
	struct vint local_asn;                    /* 0 when not written: the session presents myASN */
	struct vstr dynamic_asn_text;
	enum dynamic_asn dynamic_asn;
	struct vip peer_address, source_address, router_id;
	struct vint peer_port;                    /* default 179 */
	struct vint hold_time, keepalive_time;    /* ns; defaults 90s and hold/3 */
	struct vint connect_time;                 /* ns; 0 when not written */
	struct selectors node_selectors;
	struct vstr password;
	struct {
		struct vstr name, namespace;
		struct mark mark;
	} password_secret;
	struct vstr bfd_profile;
	struct vbool graceful_restart, ebgp_multihop, disable_mp, dual_stack_af;
	struct vstr vrf, interface;
	/* Filled by validation: password or the passwordSecret's value. */
	const char *md5_password;
};

/* BFDProfile */
struct bfd_profile {
	struct vint receive_interval, transmit_interval;  /* ms, default 300 */
	struct vint detect_multiplier;                    /* default 3 */
	struct vint echo_interval;                        /* ms, default 50 */
	struct vbool echo_mode, passive_mode;
	struct vint minimum_ttl;                          /* default 254 */
};

/* Community: named aliases for community values */
struct community_alias {
	struct vstr name;
	struct community value;
	struct mark mark;
};

struct community_set {
	struct community_alias *v;
	size_t n;
};

/* Secret (v1) */
struct secret_entry {
	const char *key;
	const unsigned char *value;
	size_t len;
};

struct secret {
	struct vstr type;
	struct secret_entry *v;
	size_t n;
};

/* Service (v1) */
enum ip_family_policy { FAMILY_POLICY_UNSET, SINGLE_STACK, PREFER_DUAL_STACK, REQUIRE_DUAL_STACK };
enum traffic_policy { TRAFFIC_CLUSTER, TRAFFIC_LOCAL };
enum l4_proto { PROTO_TCP, PROTO_UDP, PROTO_SCTP };

struct service_port {
	const char *name;
	enum l4_proto proto;
	int64_t port, node_port;
	struct mark mark;
};

/* What only the allocator reads of a Service: lean objects (object_read_lean) have none. */
struct service_spec {
	struct vip load_balancer_ip;
	uint8_t families[2];  /* enum ip_family, in the order written */
	size_t nfamilies;
	struct mark families_mark;
	enum ip_family_policy family_policy;
	struct labels selector;
	struct service_port *ports;
	size_t nports;
};

/* 48 bytes: a speaker holds one per Service of the cluster. */
struct service {
	const char *type;                 /* one of decode_service.c's names; default ClusterIP */
	const char *load_balancer_class;  /* NULL: none */
	struct ipaddr *ingress;           /* status.loadBalancer.ingress[].ip */
	struct ipaddr *cluster_ips;       /* spec.clusterIPs (else spec.clusterIP), at most 2; none when headless */
	const struct service_spec *spec;  /* NULL in a lean object */
	uint16_t ningress;
	uint8_t ncluster_ips;
	uint8_t traffic_policy;           /* enum traffic_policy */
};

/* A Service's spec, empty for a lean object. */
static inline const struct service_spec *svc_spec(const struct service *s)
{
	static const struct service_spec none;
	return s->spec ? s->spec : &none;
}

/* Node (v1) */
struct node_address {
	const char *type;  /* InternalIP, ExternalIP, Hostname, ... */
	const char *address;
	struct ipaddr ip;  /* family NONE for a hostname */
};

struct node {
	struct node_address *addrs;
	size_t naddrs;
	bool network_unavailable;  /* condition NetworkUnavailable is True */
};

/* EndpointSlice (discovery.k8s.io/v1) */
struct endpoint {
	const char *node_name;
	bool ready, serving, terminating;  /* ready defaults to true when absent */
	struct ipaddr *addrs;
	size_t naddrs;
};

#define LABEL_SERVICE_NAME "kubernetes.io/service-name"

struct endpoint_slice {
	const char *service_name;  /* label kubernetes.io/service-name */
	uint8_t family;            /* from addressType; NONE for FQDN */
	struct endpoint *v;
	size_t n;
};

/* Kube-OVN Subnet (kubeovn.io/v1) */
struct ovn_subnet {
	struct iprange cidrs[2];  /* cidrBlock: "v4" or "v4,v6" */
	size_t ncidrs;
	struct mark cidr_mark;
	struct pool_addr *exclude;
	size_t nexclude;
	struct vbool external_lb;  /* enableExternalLBAddress */
	struct vstr vlan, protocol, provider;
	bool not_ready;            /* status.conditions has Ready, and it is not True */
};

/*
 * Pod (v1): only what announcing it for Kube-OVN reads (plan_ovn.h). An
 * attachment is one <provider>.kubernetes.io/ip_address annotation with the
 * <provider>.kubernetes.io/logical_switch naming its Subnet.
 */
struct pod_attachment {
	const char *provider, *subnet;
	struct ipaddr ips[2];
	size_t nips;
};

struct pod {
	const char *node_name;          /* spec.nodeName */
	bool host_network;              /* spec.hostNetwork */
	bool finished;                  /* will not run again: Kube-OVN's isPodAlive() is false */
	struct ipaddr *ips;             /* status.podIPs */
	size_t nips;
	struct pod_attachment *att;     /* in annotation order */
	size_t natt;
};

/* Namespace (v1): only its labels matter (serviceAllocation.namespaceSelectors). */

struct object_meta {
	const char *name, *namespace;  /* namespace NULL for cluster-scoped kinds */
	struct labels labels, annotations;
	const char *creation_timestamp, *uid, *api_version;
	struct mark mark;              /* where the object starts */
	const char *id;                /* "IPAddressPool metallb-system/pool1"; NULL in a lean object */
};

struct object {
	enum kind kind;
	/* Holders beyond the first (config_share(), object_ref()); 0 and 1 both mean one. */
	_Atomic unsigned refs;
	struct arena arena;
	struct object_meta meta;
	union {
		struct ip_pool pool;
		struct l2_adv l2adv;
		struct bgp_adv bgpadv;
		struct bgp_peer peer;
		struct bfd_profile bfd;
		struct community_set communities;
		struct secret secret;
		struct service svc;
		struct node node;
		struct endpoint_slice eps;
		struct ovn_subnet subnet;
		struct pod pod;
	};
};

const char *kind_name(enum kind k);
/* Drops one holder; the last frees it. Safe from any thread. */
void object_free(struct object *o);
/* One more holder (an object is read-only once shared). */
struct object *object_ref(struct object *o);

#endif
