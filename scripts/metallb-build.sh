#!/bin/sh
# Builds MetalLB's controller and speaker from the Go module proxy, pinned to
# one release, for the side-by-side benchmark (tests/bench/metallb_side_by_side.sh),
# and caches them outside any tree, like scripts/kube-build.sh:
#   $VIPCAST_KUBE_CACHE/metallb/$METALLB_VERSION/{controller,speaker}
# MetalLB's go.mod has no replace lines, so `go install module/cmd@version`
# builds it directly. Its CRDs are read from the downloaded module
# (config/crd/bases in the module cache); --print-dirs names both places.
# Exit status: 0 built or cached, 4 the module proxy does not serve MetalLB or
# one of its dependencies (named on stderr), 1 another failure.
# Usage: metallb-build.sh [--print-dirs]
set -eu

# v0.16.1: v0.15.2's BGPPeer CRD declares myASN/peerASN `format: int32` with
# `maximum: 4294967295`, and Kubernetes 1.37 (scripts/kube-build.sh) refuses
# every BGPPeer under it (v0.16 declares int64); v0.16.2 needs
# github.com/metallb/frr-k8s v0.0.27, which proxy.golang.org does not serve
# (403 "This module version is not available"); v0.16.0 is not served either.
METALLB_VERSION=${VIPCAST_METALLB_VERSION:-v0.16.1}  # the override: for trying another release
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

# not_served FILE -> go's output in FILE says the proxy did not serve a module
# (or could not be reached): names it and exits 4, which the short e2e test
# turns into a skip; any other failure exits 1.
not_served() {
	grep -qE '(403|404|410) |not available|Not Found|dial tcp|no such host|proxyconnect|i/o timeout' "$1" || return 0
	log "the Go module proxy does not serve what MetalLB $METALLB_VERSION needs:"
	grep -E '(403|404|410) |not available|Not Found|dial tcp|no such host|proxyconnect|i/o timeout' "$1" | head -n 3 >&2
	exit 4
}

log "$METALLB_MODULE $METALLB_VERSION: downloading the module and its dependencies"
if ! "$GO" mod download -json "$METALLB_MODULE@$METALLB_VERSION" >"$OUT/go.log" 2>&1; then
	cat "$OUT/go.log" >&2
	not_served "$OUT/go.log"
	log "$METALLB_MODULE@$METALLB_VERSION: download failed"
	exit 1
fi
ld="-X $METALLB_MODULE/internal/version.gitCommit=$METALLB_VERSION"
ld="$ld -X $METALLB_MODULE/internal/version.gitBranch=release"
for t in controller speaker; do
	t0=$(date +%s)
	if ! GOBIN=$OUT nice -n 19 "$GO" install -p 2 -trimpath -pgo=off -ldflags "$ld" \
		"$METALLB_MODULE/$t@$METALLB_VERSION" >"$OUT/go.log" 2>&1; then
		cat "$OUT/go.log" >&2
		not_served "$OUT/go.log"
		log "$t $METALLB_VERSION: build failed"
		exit 1
	fi
	log "$t built in $(($(date +%s) - t0)) s"
done
mkdir -p "$CACHE/metallb"
rm -rf "$METALLB_BIN.new"
mkdir "$METALLB_BIN.new"
mv "$OUT/controller" "$OUT/speaker" "$METALLB_BIN.new/"
rm -rf "$METALLB_BIN"
mv "$METALLB_BIN.new" "$METALLB_BIN"
log "installed in $METALLB_BIN; CRDs in $METALLB_SRC/config/crd/bases"
