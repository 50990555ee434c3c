/*
 * `vipcast-speaker --print-plan`: what a fresh load of the configuration gives
 * this node, as one JSON object on stdout, computed by the very path a reload
 * takes (generation_build, the BGPPeer -> session parameters). Tests compare what routers and the LAN see after a reload
 * with it: a reload must end where a fresh start would.
 *
 *   {"node", "node_found", "silent" (why this node announces nothing, or null),
 *    "peers": [{"name" "namespace/name", "session" (null: none can be made)
 *                 {"local_as", "peer_as" (0: dynamic), "dynamic", "address", "source", "port",
 *                  "router_id", "hold_time", "keepalive_time", "connect_retry_ms", "multihop",
 *                  "graceful_restart", "disable_mp", "dual_stack", "password" (null, or a
 *                  SHA-256 fingerprint), "other_next_hop"},
 *               "routes": [{"prefix", "local_pref" (null: unset), "communities" ["a:b"],
 *                           "large_communities" ["a:b:c"]}]}],
 *    "l2": {"key": a usable memberlist key,
 *           "vips": [{"ip", "services", "nodes" [{"node", "weight"}], "here",
 *                     "interfaces" ([]: every suitable one)}]}}
 *
 * The session object carries every parameter bgp_session_config_diff()
 * compares: two loads that print the same session keep that session up.
 */
#ifndef VIPCAST_SPEAKER_PLAN_PRINT_H
#define VIPCAST_SPEAKER_PLAN_PRINT_H

#include <stdio.h>

#include "speaker.h"

/* 0 printed; 2 the configuration is invalid (diagnostics on stderr, nothing on out). */
int plan_print(const struct speaker_options *o, FILE *out);

#endif
