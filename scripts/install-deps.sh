#!/bin/sh
# Installs every Debian 12 package that vipcast's build, tests and lab need, then
# builds the test control plane (scripts/kube-build.sh: etcd and Kubernetes from
# the Go module proxy, cached by version; needs Go, /usr/local/go/bin/go or in PATH)
# and MetalLB for the side-by-side benchmark (scripts/metallb-build.sh, the same way).
# Idempotent; run as root. VIPCAST_KUBE_OPTIONAL=1: a failed control plane build
# is reported but not fatal (its tests are then skipped). --no-kube: packages only
# (the lab demo needs no control plane).
set -eu

BUILD="build-essential cmake pkg-config git ca-certificates
  libevent-dev libnl-3-dev libnl-route-3-dev libcurl4-openssl-dev libssl-dev
  libjansson-dev libyaml-dev libcmocka-dev"
FUZZ="clang libclang-rt-14-dev"
# The end-to-end tests, the benchmarks and the lab demo: real BGP routers in
# network namespaces, L2 tools, packet capture. Every program they run is in
# tests/e2e/deps.sh with its package, and that package is here.
LAB="iproute2 procps mawk iputils-ping curl python3 python3-prometheus-client
  bird2 frr gobgpd exabgp keepalived arping ndisc6 tcpdump tshark"
# The test control plane (scripts/kube-env.sh): certificates, health probes.
KUBE="openssl curl"
# The image test (tests/e2e/test_dockerfile.sh) replays deploy/Dockerfile in
# Debian 12 chroots that debootstrap makes.
IMAGE="debootstrap"

missing=""
for p in $BUILD $FUZZ $LAB $KUBE $IMAGE; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done

if [ -n "$missing" ]; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing
fi

# The lab demo needs no Kubernetes: `--no-kube` leaves the control plane unbuilt.
[ "${1:-}" = --no-kube ] && exit 0
sh "$(dirname "$0")/kube-build.sh" || {
	[ "${VIPCAST_KUBE_OPTIONAL:-}" = 1 ] || exit 1
	echo "install-deps: the test control plane is not built (VIPCAST_KUBE_OPTIONAL=1)" >&2
}
# MetalLB, for the side-by-side benchmark and its short e2e test
# (scripts/metallb-build.sh, cached by version like the control plane). Exit 4:
# the module proxy does not serve it; the test then skips.
rc=0
sh "$(dirname "$0")/metallb-build.sh" || rc=$?
case $rc in
0) ;;
4) echo "install-deps: MetalLB is not served by the Go module proxy: its side-by-side test is skipped" >&2 ;;
*)
	[ "${VIPCAST_KUBE_OPTIONAL:-}" = 1 ] || exit 1
	echo "install-deps: MetalLB is not built (VIPCAST_KUBE_OPTIONAL=1)" >&2 ;;
esac
