#!/bin/sh
# vipcast-controller --check over a configuration that writes every field of
# MetalLB's API (tests/vectors/metallb/all-fields.yaml): it must be valid, with
# no "unknown field", and its warnings must be exactly the "# expect-warning:"
# lines of the file's header (each matched as a substring, one warning each).
# usage: check_all_fields.sh VIPCAST_CONTROLLER FILE
set -u
ctl=$1
f=$2
out=$("$ctl" --check --config "$f" 2>&1)
rc=$?
fails=0
fail() { echo "FAIL $*"; fails=$((fails + 1)); }

[ "$rc" = 0 ] || fail "--check exit $rc, want 0"
if printf '%s\n' "$out" | grep -q 'unknown field'; then
	fail "an unknown field:"; printf '%s\n' "$out" | grep 'unknown field' | sed 's/^/     /'
fi
warnings=$(printf '%s\n' "$out" | grep ': warning: ')
got=$(printf '%s\n' "$warnings" | grep -c . )
want=$(grep -c '^# expect-warning: ' "$f")
[ "$got" = "$want" ] || fail "$got warnings, want $want"
grep '^# expect-warning: ' "$f" | sed 's/^# expect-warning: *//' | {
	missing=0
	while IFS= read -r w; do
		printf '%s\n' "$warnings" | grep -qF -- "$w" || { echo "FAIL no warning \"$w\""; missing=1; }
	done
	exit $missing
} || fails=$((fails + 1))
if [ "$fails" != 0 ]; then
	printf '%s\n' "$out" | sed 's/^/     /'
	exit 1
fi
echo "ok   $(basename "$f"): valid, no unknown field, exactly the $want expected warnings"
