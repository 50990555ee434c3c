#!/bin/sh
# Builds and runs every test: installs what is missing, then
#  1. gcc, ASan+UBSan: unit tests, example checks and the end-to-end tests in
#     network namespaces against BIRD, FRR, GoBGP, ExaBGP (ctest; needs root);
#  2. clang, ASan+UBSan+libFuzzer: the unit tests again, the fuzz regression
#     corpora and a short fuzzing run of every parser (ctest).
# FUZZ_SECONDS (default 30) sets the length of each fuzzing run.
set -eu
cd "$(dirname "$0")/.."

sh scripts/install-deps.sh
jobs=$(nproc)

cmake -S . -B build-asan -DVIPCAST_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$jobs"
cmake --build build-asan -j"$jobs" --target alloc_bench  # kept compiling; run by hand
(cd build-asan && ctest --output-on-failure -j"$jobs")

CC=clang cmake -S . -B build-fuzz -DVIPCAST_FUZZ=ON -DFUZZ_SECONDS="${FUZZ_SECONDS:-30}" >/dev/null
cmake --build build-fuzz -j"$jobs"
(cd build-fuzz && ctest --output-on-failure -j"$jobs" -E '^e2e_')
