#!/bin/sh
# vipcast-speaker against BIRD 2 over IPv4, iBGP: session, VIPs with next hop,
# local-pref and communities (standard, named, well-known, large), withdrawal on
# Service deletion, ETP Local following the endpoints, node label and condition
# changes, peer restart, hold timer expiry. See bgp_bird_common.sh.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/bgp_bird_common.sh"
e2e_init bird "$1" bird birdc
bird_ibgp_suite 4
e2e_finish
