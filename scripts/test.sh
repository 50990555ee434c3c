#!/bin/sh
# Builds and runs every test: installs what is missing, then
#  1. Release builds (build only) of every target, the benchmarks included,
#     with gcc and with clang: a warning that only the optimizer finds fails
#     here, never in a user's Release build;
#  2. gcc, ASan+UBSan: unit tests, example checks and the end-to-end tests in
#     network namespaces against BIRD, FRR, GoBGP, ExaBGP (ctest; needs root);
#  3. clang, optimized (-O2 -g), ASan+UBSan+libFuzzer: the unit tests again,
#     the fuzz regression corpora and a short fuzzing run of every parser (ctest).
# Every build treats warnings as errors (VIPCAST_WERROR).
# FUZZ_SECONDS (default 30) sets the length of each fuzzing run.
set -eu
cd "$(dirname "$0")/.."

sh scripts/install-deps.sh
jobs=$(nproc)

for cc in gcc clang; do
	cmake -S . -B "build-release-$cc" -DCMAKE_C_COMPILER="$cc" -DCMAKE_BUILD_TYPE=Release \
		-DVIPCAST_WERROR=ON >/dev/null
	cmake --build "build-release-$cc" -j"$jobs" --target all benchmarks
done

cmake -S . -B build-asan -DVIPCAST_SANITIZE=ON -DVIPCAST_WERROR=ON >/dev/null
cmake --build build-asan -j"$jobs"
(cd build-asan && ctest --output-on-failure -j"$jobs")

cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVIPCAST_FUZZ=ON \
	-DVIPCAST_WERROR=ON -DFUZZ_SECONDS="${FUZZ_SECONDS:-30}" >/dev/null
cmake --build build-fuzz -j"$jobs"
(cd build-fuzz && ctest --output-on-failure -j"$jobs" -E '^e2e_')
