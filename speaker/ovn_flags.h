/*
 * kube-ovn-speaker's command line (Kube-OVN v1.16), so that its DaemonSet
 * runs vipcast-speaker with only the image changed. The flags become one
 * BGPPeer per neighbor for this node, annotated to take Kube-OVN's routes
 * (plan_ovn.h), read with every configuration as if written in it.
 *
 * pflag forms: --name=value or --name value; booleans --name or
 * --name=true|false. klog's flags (--logtostderr, --log_file, --v, ...) and
 * GoBGP's (--grpc-host, --grpc-port) are accepted and ignored with a notice.
 */
#ifndef VIPCAST_SPEAKER_OVN_FLAGS_H
#define VIPCAST_SPEAKER_OVN_FLAGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

#define OVN_MAX_NEIGHBORS 16

struct ovn_flags {
	struct ipaddr neighbors[OVN_MAX_NEIGHBORS];  /* --neighbor-address, then --neighbor-ipv6-address */
	size_t nneighbors;
	uint32_t neighbor_as, cluster_as;
	struct ipaddr router_id;                      /* --router-id, else POD_IPS/POD_IP's IPv4; NONE: the Node's */
	struct ipaddr node_ip4, node_ip6;             /* --node-ips */
	const char *node_name;                        /* --node-name, lower-cased; NULL: vipcast's --node/NODE_NAME */
	const char *password;
	int64_t hold_ns, gr_time_ns, gr_deferral_ns;
	bool graceful_restart, passive, announce_cluster_ip, enable_metrics, metrics_set;
	unsigned ebgp_multihop;                       /* TTL; 1: directly connected */
	int metrics_port;                             /* --pprof-port, where kube-ovn-speaker serves /metrics */
	const char *kubeconfig;
	char notices[512];                            /* what is accepted but ignored */
};

/*
 * Whether argv is kube-ovn-speaker's (it names a neighbor or an AS). Then
 * parses it: the flags it knows go into f, the others into rest (in order,
 * *nrest of them; rest has room for argc). env stands in for getenv.
 * False with err set when a flag is wrong or a required one is missing.
 */
bool ovn_flags_is_kube_ovn(int argc, char *const *argv);
bool ovn_flags_parse(int argc, char *const *argv, const char *(*env)(const char *), struct ovn_flags *f, char **rest,
		     int *nrest, char *err, size_t errlen);
/* The BGPPeers, as a JSON List (malloc'd). */
char *ovn_flags_peers_json(const struct ovn_flags *f);

/*
 * main's one call: with kube-ovn-speaker's command line, *argv becomes
 * vipcast's (node name and metrics translated) and the BGPPeers are set as
 * built-in objects of every load, file or Kubernetes mode (config_set_builtin). False (after
 * printing why) when the command line is wrong.
 */
bool ovn_flags_take(int *argc, char ***argv);

#endif
