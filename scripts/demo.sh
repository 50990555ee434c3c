#!/bin/sh
# The main job: install what is missing, build, then for every example
# configuration in deploy/examples/ check it the way a user would before
# applying it, and show which VIPs the controller gives its Services.
# (The BGP lab demo replaces this once the speaker exists.)
set -eu
cd "$(dirname "$0")/.."

sh scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVIPCAST_TESTS=OFF >/dev/null
cmake --build build -j"$(nproc)" >/dev/null

status=0
for dir in deploy/examples/*/; do
	echo "== vipcast-controller --check --config $dir"
	build/vipcast-controller --check --config "$dir" || status=1
	echo "== vipcast-controller --dry-run --config $dir"
	build/vipcast-controller --dry-run --config "$dir" 2>/dev/null || status=1
	echo
done
exit $status
