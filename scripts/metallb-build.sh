#!/bin/sh
# Builds MetalLB's controller and speaker from the Go module proxy, pinned to
# one release, for the side-by-side benchmark (tests/bench/metallb_side_by_side.sh),
# and caches them outside any tree, like scripts/kube-build.sh:
#   $VIPCAST_KUBE_CACHE/metallb/$METALLB_VERSION/{controller,speaker}
# MetalLB's go.mod has no replace lines, so `go install module/cmd@version`
# builds it directly. Its CRDs are read from the downloaded module
# (config/crd/bases in the module cache); --print-dirs names both places.
# Usage: metallb-build.sh [--print-dirs]
set -eu

METALLB_VERSION=v0.15.2
METALLB_MODULE=go.universe.tf/metallb

CACHE=${VIPCAST_KUBE_CACHE:-/var/cache/vipcast}
METALLB_BIN=$CACHE/metallb/$METALLB_VERSION
GOMODCACHE=$CACHE/go/mod
METALLB_SRC=$GOMODCACHE/$METALLB_MODULE@$METALLB_VERSION

if [ "${1:-}" = --print-dirs ]; then
	printf 'METALLB_VERSION=%s\nMETALLB_BIN=%s\nMETALLB_CRDS=%s\n' \
		"$METALLB_VERSION" "$METALLB_BIN" "$METALLB_SRC/config/crd/bases"
	exit 0
fi

log() { printf '%s metallb-build: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

cached() {
	[ -x "$METALLB_BIN/controller" ] && [ -x "$METALLB_BIN/speaker" ] &&
		[ -d "$METALLB_SRC/config/crd/bases" ]
}

if cached; then
	log "cached: $METALLB_BIN"
	exit 0
fi

mkdir -p "$CACHE"
exec 9>"$CACHE/.metallb-build.lock"
flock 9
if cached; then
	log "cached (built by a concurrent run): $METALLB_BIN"
	exit 0
fi

GO=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
[ -x "$GO" ] || { log "no Go toolchain (looked for go in PATH and /usr/local/go/bin/go)"; exit 1; }

export GOMODCACHE GOCACHE="$CACHE/go/build"
export GOTOOLCHAIN=local GOFLAGS=-mod=mod CGO_ENABLED=0 GOMAXPROCS=2
export GOPROXY="${GOPROXY:-https://proxy.golang.org}"
mkdir -p "$GOMODCACHE" "$GOCACHE"

OUT=$(mktemp -d /tmp/vipcast-metallb-build.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log "$METALLB_MODULE $METALLB_VERSION: downloading the module and its dependencies"
if ! "$GO" mod download -json "$METALLB_MODULE@$METALLB_VERSION" >"$OUT/dl.json" 2>&1; then
	log "the module proxy did not serve $METALLB_MODULE@$METALLB_VERSION:"
	cat "$OUT/dl.json" >&2
	exit 1
fi
ld="-X $METALLB_MODULE/internal/version.gitCommit=$METALLB_VERSION"
ld="$ld -X $METALLB_MODULE/internal/version.gitBranch=release"
for t in controller speaker; do
	t0=$(date +%s)
	# go install reports a dependency the proxy does not serve by its path.
	GOBIN=$OUT nice -n 19 "$GO" install -p 2 -trimpath -pgo=off -ldflags "$ld" \
		"$METALLB_MODULE/$t@$METALLB_VERSION" ||
		{ log "$t $METALLB_VERSION: build failed (see above for a module not served)"; exit 1; }
	log "$t built in $(($(date +%s) - t0)) s"
done
mkdir -p "$CACHE/metallb"
rm -rf "$METALLB_BIN.new"
mkdir "$METALLB_BIN.new"
mv "$OUT/controller" "$OUT/speaker" "$METALLB_BIN.new/"
rm -rf "$METALLB_BIN"
mv "$METALLB_BIN.new" "$METALLB_BIN"
log "installed in $METALLB_BIN; CRDs in $METALLB_SRC/config/crd/bases"
