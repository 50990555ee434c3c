#!/bin/sh
# Usage: scripts/fuzz.sh [yaml|json]...
#
# Builds the configuration-parser fuzzers with clang, ASan, UBSan and
# libFuzzer into build-fuzz/, then fuzzes each named target (default: yaml and
# json, one after the other) for FUZZ_SECONDS seconds.
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
targets=${*:-yaml json}
for t in $targets; do
	case $t in
	yaml | json) ;;
	*)
		sed -n '2,3p' "$0" >&2
		echo "fuzz.sh: unknown target '$t'" >&2
		exit 2
		;;
	esac
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vipcast-fuzz.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "== building fuzzers in $build"
cmake -S "$root" -B "$build" -DCMAKE_C_COMPILER=clang -DVIPCAST_FUZZ=ON -DVIPCAST_TESTS=ON >"$tmp/cmake.log" 2>&1 ||
	{ cat "$tmp/cmake.log" >&2; exit 1; }
build_targets=""
for t in $targets; do
	build_targets="$build_targets --target fuzz_config_$t"
done
# shellcheck disable=SC2086
cmake --build "$build" $build_targets -j"$(nproc 2>/dev/null || echo 2)" >"$tmp/build.log" 2>&1 ||
	{ cat "$tmp/build.log" >&2; exit 1; }
mkdir -p "$artifacts"

failed=""
for t in $targets; do
	bin="$build/tests/fuzz/fuzz_config_$t"
	corpus="$tmp/corpus-$t"
	log="$tmp/fuzz-$t.log"
	mkdir -p "$corpus"
	cp "$root/tests/fuzz/corpus/$t/"* "$corpus/"
	dict=""
	[ -f "$root/tests/fuzz/config.dict" ] && dict="-dict=$root/tests/fuzz/config.dict"

	echo "== fuzzing $t for ${seconds}s ($(find "$corpus" -type f | wc -l) seed inputs)"
	rc=0
	# shellcheck disable=SC2086
	"$bin" -max_total_time="$seconds" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
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
