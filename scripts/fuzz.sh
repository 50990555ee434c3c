#!/bin/sh
# Usage: scripts/fuzz.sh [yaml|json|bgp|arp|ndp|heartbeat]...
#
# Builds the parser fuzzers with clang, ASan, UBSan and libFuzzer into
# build-fuzz/ (optimized, -O2 -g, as scripts/test.sh builds it), then fuzzes
# each named target (default: all of them, one after the other) for
# FUZZ_SECONDS seconds. A target is named by its corpus directory: yaml and
# json are the configuration loaders (fuzz_config_*), the others the wire
# decoders (fuzz_*).
#
# Each run starts from a copy of tests/fuzz/corpus/<target> in a temporary
# directory, so inputs libFuzzer finds never land in the repository; the
# temporary directory is removed on exit. Crashing, leaking or timing-out
# inputs are kept in FUZZ_ARTIFACTS (default build-fuzz/fuzz-artifacts/).
# To keep one as a regression, minimize it
#   build-fuzz/tests/fuzz/fuzz_config_yaml -minimize_crash=1 -runs=10000 <file>
# and add it to the corpus as crash-<short-description>.yaml.
#
# Environment:
#   FUZZ_SECONDS    seconds per target (default 60)
#   FUZZ_ARTIFACTS  where crashing inputs go (default build-fuzz/fuzz-artifacts)
#   FUZZ_ARGS       extra libFuzzer flags, e.g. "-jobs=2 -workers=2"
#
# Exits non-zero when a build fails or any target reports a crash, leak,
# timeout, out-of-memory or sanitizer error. Prints each target's number of
# executions and executions per second.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build-fuzz"
seconds=${FUZZ_SECONDS:-60}
artifacts=${FUZZ_ARTIFACTS:-$build/fuzz-artifacts}
extra=${FUZZ_ARGS:-}

case $seconds in
'' | *[!0-9]*)
	echo "fuzz.sh: FUZZ_SECONDS must be a whole number of seconds, not '$seconds'" >&2
	exit 2
	;;
esac
all=$(cd "$root/tests/fuzz/corpus" && ls -d -- */ | tr -d / | tr '\n' ' ')
all=${all% }
targets=${*:-$all}
for t in $targets; do
	case " $all " in
	*" $t "*) ;;
	*)
		sed -n '2p' "$0" >&2
		echo "fuzz.sh: unknown target '$t' (targets: $all)" >&2
		exit 2
		;;
	esac
done

# bin TARGET -> the fuzzer's executable name; max_len TARGET; dict TARGET -> its dictionary or nothing
bin() { case $1 in yaml | json) echo "fuzz_config_$1" ;; *) echo "fuzz_$1" ;; esac; }
max_len() { case $1 in yaml | json) echo 8192 ;; *) echo 4096 ;; esac; }
dict() {
	local f
	case $1 in yaml | json) f=config.dict ;; *) f=$1.dict ;; esac
	[ -f "$root/tests/fuzz/$f" ] && echo "-dict=$root/tests/fuzz/$f"
	return 0
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vipcast-fuzz.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "== building fuzzers in $build"
cmake -S "$root" -B "$build" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVIPCAST_FUZZ=ON \
	-DVIPCAST_WERROR=ON -DVIPCAST_TESTS=ON >"$tmp/cmake.log" 2>&1 ||
	{ cat "$tmp/cmake.log" >&2; exit 1; }
build_targets=""
for t in $targets; do
	build_targets="$build_targets --target $(bin "$t")"
done
# shellcheck disable=SC2086
cmake --build "$build" $build_targets -j"$(nproc 2>/dev/null || echo 2)" >"$tmp/build.log" 2>&1 ||
	{ cat "$tmp/build.log" >&2; exit 1; }
mkdir -p "$artifacts"

failed=""
for t in $targets; do
	exe="$build/tests/fuzz/$(bin "$t")"
	corpus="$tmp/corpus-$t"
	log="$tmp/fuzz-$t.log"
	mkdir -p "$corpus"
	cp "$root/tests/fuzz/corpus/$t/"* "$corpus/"
	dict=$(dict "$t")

	echo "== fuzzing $t for ${seconds}s ($(find "$corpus" -type f | wc -l) seed inputs)"
	rc=0
	# shellcheck disable=SC2086
	"$exe" -max_total_time="$seconds" -max_len="$(max_len "$t")" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$artifacts/$t-" $dict $extra \
		"$corpus" >"$log" 2>&1 || rc=$?

	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
	cov=$(grep -E '^#[0-9]+' "$log" | tail -n 1 | sed -n 's/.*\(cov: [0-9]*\).*\(corp: [0-9]*\).*/\1 \2/p')
	echo "   $t: ${runs:-?} executions, ${speed:-?} exec/s${cov:+, $cov}"

	# Any sanitizer or libFuzzer report fails the run, even if the exit status did not.
	if [ "$rc" -ne 0 ] ||
		grep -qE '^==[0-9]+==ERROR|runtime error:|^SUMMARY: |ERROR: libFuzzer|(crash|leak|timeout|oom)-[0-9a-f]{40}' "$log"; then
		echo "   $t: FAILED (exit status $rc); report:" >&2
		grep -nE -A40 '^==[0-9]+==ERROR|runtime error:|ERROR: libFuzzer|ALARM|Test unit written' "$log" | head -n 120 >&2 || tail -n 60 "$log" >&2
		cp "$log" "$artifacts/$t-fuzz.log"
		echo "   full log: $artifacts/$t-fuzz.log" >&2
		failed="$failed $t"
	fi
done

if [ -n "$failed" ]; then
	echo "fuzz.sh: failures in:$failed (inputs in $artifacts)" >&2
	exit 1
fi
echo "fuzz.sh: no crashes, leaks or sanitizer reports"
