#!/bin/sh
# Installs every Debian 12 package that vipcast's build, tests and lab need.
# Idempotent; run as root.
set -eu

BUILD="build-essential cmake pkg-config git ca-certificates
  libevent-dev libnl-3-dev libnl-route-3-dev libcurl4-openssl-dev libssl-dev
  libjansson-dev libyaml-dev libcmocka-dev"
FUZZ="clang libclang-rt-14-dev"
# The end-to-end tests, the BGP benchmark and the lab demo: real BGP routers in
# network namespaces, L2 tools, packet capture.
LAB="iproute2 procps python3
  bird2 frr gobgpd exabgp keepalived arping ndisc6 tcpdump tshark"

missing=""
for p in $BUILD $FUZZ $LAB; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
