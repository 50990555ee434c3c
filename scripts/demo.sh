#!/bin/sh
# The main job, as the README's first command: installs what is missing,
# builds, and runs the lab demo (scripts/lab-demo.sh): a BIRD router in a
# network namespace learns the VIPs that three vipcast-speaker nodes announce,
# with their communities, and a client reaches them. Needs root.
# `scripts/demo.sh --kube` tells the same story in Kubernetes mode
# (scripts/kube-demo.sh): the test control plane, kubectl apply of the
# examples, the controller and the speakers reading them from the API.
# `scripts/demo.sh --examples` instead checks every example configuration in
# deploy/examples/ and shows the VIPs the controller gives their Services.
set -eu
cd "$(dirname "$0")/.."

case ${1:-} in
--examples) ;;
--kube) shift; exec bash scripts/kube-demo.sh "$@" ;;
*) exec sh scripts/lab-demo.sh "$@" ;;
esac

sh scripts/install-deps.sh --no-kube
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVIPCAST_TESTS=OFF >/dev/null
cmake --build build -j"$(nproc)" >/dev/null

status=0
for dir in deploy/examples/*/; do
	# invalid/: one wrong object per file, each refused (deploy/README.md)
	[ "$dir" = deploy/examples/invalid/ ] && continue
	echo "== vipcast-controller --check --config $dir"
	build/vipcast-controller --check --config "$dir" || status=1
	echo "== vipcast-controller --dry-run --config $dir"
	build/vipcast-controller --dry-run --config "$dir" 2>/dev/null || status=1
	echo
done
exit $status
