#!/bin/sh
# MetalLB side by side, short form (issue 15): tests/bench/metallb_side_by_side.sh
# with 100 Services, a 5 s quiet window, 2 failovers of each kind and a "large"
# burst of 200 Services (the code path of the 10,000-Service rows). Both
# systems must give a figure on every row of the table; the figures themselves
# are not judged here (the benchmark's full run is for that).
#
# Exit 77 (skipped) only when the Go module proxy does not serve the pinned
# MetalLB or one of its dependencies (scripts/metallb-build.sh exits 4 and names
# it), or, as every Kubernetes-mode test, when the control plane is not built
# and VIPCAST_KUBE_OPTIONAL=1.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$ROOT/build}

sh "$ROOT/scripts/metallb-build.sh"
rc=$?
if [ "$rc" = 4 ]; then
	echo "metallb_side_by_side: the Go module proxy does not serve MetalLB (above): skipped" >&2
	exit 77
fi
[ "$rc" = 0 ] || { echo "metallb_side_by_side: scripts/metallb-build.sh failed ($rc)" >&2; exit 1; }

out=$(mktemp /tmp/vipcast-sbs-table.XXXXXX)
trap 'rm -f "$out"' EXIT
BENCH_N=100 BENCH_N_LARGE=200 BENCH_QUIET_S=5 BENCH_FAILOVERS=2 BENCH_TIMEOUT=120 BENCH_TIMEOUT_LARGE=120 \
	BENCH_OUT=$out VIPCAST_BUILD=$BUILD \
	bash "$ROOT/tests/bench/metallb_side_by_side.sh"
rc=$?
[ "$rc" = 77 ] && exit 77
[ "$rc" = 0 ] || { echo "metallb_side_by_side: the benchmark failed ($rc)" >&2; exit 1; }

# Every row: scenario, measure, vipcast, MetalLB, ratio. A figure is missing when
# its cell is empty, "-", "nan" or "timeout"; a count "(of K)" must be K.
fails=0
rows=0
while IFS='|' read -r _ scen measure v m _; do
	case $scen in *[0-9]*) ;; *) continue ;; esac
	rows=$((rows + 1))
	for cell in "$v" "$m"; do
		cell=$(echo "$cell" | sed 's/^ *//; s/ *$//')
		case $cell in
		"" | - | *nan* | *timeout* | "- / -")
			echo "FAIL: no figure on row '$scen|$measure': '$v' / '$m'" >&2
			fails=$((fails + 1))
			break ;;
		esac
	done
	want=$(echo "$measure" | sed -n 's/.*(of \([0-9]*\)).*/\1/p')
	[ -z "$want" ] || for cell in "$v" "$m"; do
		[ "$(echo "$cell" | tr -d ' ')" = "$want" ] || { echo "FAIL: '$measure': $v / $m, not $want" >&2; fails=$((fails + 1)); }
	done
done <"$out"
[ "$rows" -ge 37 ] || { echo "FAIL: the table has $rows rows" >&2; fails=$((fails + 1)); }
echo "metallb_side_by_side: $rows rows, $fails missing figures" >&2
[ "$fails" = 0 ]
