#!/bin/sh
# vipcast-controller --check over each file of deploy/examples/invalid/, alone.
# Each file says in its header what refuses it:
#   # refused-by: vipcast        -> --check must refuse it (exit 2), naming
#   # vipcast-error: TEXT           TEXT in its diagnostics;
#   # refused-by: schema         -> the API server refuses it (tests/e2e/test_deploy.sh);
#   # vipcast-check: refused|accepted   and --check must do as written here.
# usage: check_invalid_examples.sh VIPCAST_CONTROLLER DIR
set -u
ctl=$1
dir=$2
fails=0
n=0
for f in "$dir"/*.yaml; do
	n=$((n + 1))
	by=$(sed -n 's/^# refused-by: *//p' "$f")
	want_err=$(sed -n 's/^# vipcast-error: *//p' "$f")
	want_check=$(sed -n 's/^# vipcast-check: *//p' "$f")
	out=$("$ctl" --check --config "$f" 2>&1)
	rc=$?
	case $by in
	vipcast)
		if [ "$rc" = 2 ] && printf '%s\n' "$out" | grep -qF -- "$want_err"; then
			echo "ok   $(basename "$f"): refused by vipcast --check ($want_err)"
		else
			echo "FAIL $(basename "$f"): vipcast --check should refuse it with \"$want_err\"; exit $rc:"
			printf '%s\n' "$out" | sed 's/^/     /'
			fails=$((fails + 1))
		fi ;;
	schema)
		case $want_check in refused) want_rc=2 ;; accepted) want_rc=0 ;; *) want_rc=header ;; esac
		if [ "$rc" = "$want_rc" ]; then
			echo "ok   $(basename "$f"): the schema refuses it; vipcast --check: $want_check"
		else
			echo "FAIL $(basename "$f"): vipcast --check should say $want_check; exit $rc:"
			printf '%s\n' "$out" | sed 's/^/     /'
			fails=$((fails + 1))
		fi ;;
	*)
		echo "FAIL $(basename "$f"): no '# refused-by: schema|vipcast' header"
		fails=$((fails + 1)) ;;
	esac
done
[ "$n" -gt 0 ] || { echo "no examples in $dir"; exit 1; }
echo "$n invalid examples, $fails mismatches"
[ "$fails" = 0 ]
