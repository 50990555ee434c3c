#!/bin/sh
# Builds the test control plane from the Go module proxy, pinned:
#   kube-apiserver, kube-controller-manager, kubectl   from k8s.io/kubernetes
#   etcd, etcdctl                                      from go.etcd.io/etcd
# and caches the binaries outside any build tree, keyed by version:
#   $VIPCAST_KUBE_CACHE/kube/$KUBE_VERSION/   $VIPCAST_KUBE_CACHE/etcd/$ETCD_VERSION/
# (default /var/cache/vipcast). A cached component is not rebuilt: a second run
# takes seconds. Go's module and build caches live in $VIPCAST_KUBE_CACHE/go, so
# a rebuild after a version bump compiles only what changed.
#
# `go install …@version` cannot build either project: their go.mod files carry
# replace lines, which Go ignores in a dependency. So each is built from a
# throwaway module (a temporary directory, removed on exit) that requires it;
# for Kubernetes it also maps every staging module (`k8s.io/X => ./staging/…`
# in Kubernetes' go.mod) to the published k8s.io/X v0.N.M.
#
# The machine is shared: the compiler runs under nice with two threads.
# Usage: kube-build.sh [--print-dirs]
set -eu

KUBE_VERSION=v1.37.2
ETCD_VERSION=v3.6.17
KUBE_TOOLS="kube-apiserver kube-controller-manager kubectl"
ETCD_TOOLS="etcd etcdctl"

CACHE=${VIPCAST_KUBE_CACHE:-/var/cache/vipcast}
KUBE_BIN=$CACHE/kube/$KUBE_VERSION
ETCD_BIN=$CACHE/etcd/$ETCD_VERSION

if [ "${1:-}" = --print-dirs ]; then
	printf 'KUBE_BIN=%s\nETCD_BIN=%s\n' "$KUBE_BIN" "$ETCD_BIN"
	exit 0
fi

log() { printf '%s kube-build: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# cached DIR TOOLS... -> every tool is in DIR and executable
cached() {
	dir=$1
	shift
	for t in "$@"; do [ -x "$dir/$t" ] || return 1; done
}

if cached "$KUBE_BIN" $KUBE_TOOLS && cached "$ETCD_BIN" $ETCD_TOOLS; then
	log "cached: $KUBE_BIN, $ETCD_BIN"
	exit 0
fi

# One build at a time per cache; a run that waited finds the binaries made.
mkdir -p "$CACHE"
exec 9>"$CACHE/.build.lock"
flock 9
if cached "$KUBE_BIN" $KUBE_TOOLS && cached "$ETCD_BIN" $ETCD_TOOLS; then
	log "cached (built by a concurrent run): $KUBE_BIN, $ETCD_BIN"
	exit 0
fi

GO=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
[ -x "$GO" ] || { log "no Go toolchain (looked for go in PATH and /usr/local/go/bin/go)"; exit 1; }

export GOMODCACHE="$CACHE/go/mod" GOCACHE="$CACHE/go/build"
export GOTOOLCHAIN=local GOFLAGS=-mod=mod CGO_ENABLED=0 GOMAXPROCS=2
export GOPROXY="${GOPROXY:-https://proxy.golang.org}"
mkdir -p "$GOMODCACHE" "$GOCACHE"

WORK=$(mktemp -d /tmp/vipcast-kube-build.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

gobuild() { nice -n 19 "$GO" build -p 2 -trimpath -pgo=off "$@"; }

# install_bin SRCDIR DESTDIR TOOLS... -> moves the fresh binaries into the cache
# all together, so a cache directory is complete or absent.
install_bin() {
	src=$1 dest=$2
	shift 2
	mkdir -p "$(dirname "$dest")"
	rm -rf "$dest.new"
	mkdir "$dest.new"
	for t in "$@"; do mv "$src/$t" "$dest.new/$t"; done
	rm -rf "$dest"
	mv "$dest.new" "$dest"
}

# timed NAME CMD... -> runs CMD and logs its wall time
timed() {
	name=$1
	shift
	t0=$(date +%s)
	"$@"
	log "$name built in $(($(date +%s) - t0)) s"
}

build_kube() {
	mod=$WORK/kube
	mkdir -p "$mod/out"
	cd "$mod"
	log "k8s.io/kubernetes $KUBE_VERSION: resolving modules"
	gomod=$("$GO" mod download -json "k8s.io/kubernetes@$KUBE_VERSION" |
		sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p')
	[ -f "$gomod" ] || { log "no go.mod for k8s.io/kubernetes@$KUBE_VERSION"; return 1; }
	staging=$(sed -n 's|^[[:space:]]*\(k8s\.io/[^[:space:]]*\)[[:space:]]*=>[[:space:]]*\./staging/.*|\1|p' "$gomod")
	[ -n "$staging" ] || { log "no staging replace lines in $gomod"; return 1; }
	pub="v0.${KUBE_VERSION#v1.}"
	{
		echo "module vipcast.invalid/kubebuild"
		echo
		sed -n 's/^go \([0-9.]*\)$/go \1/p' "$gomod"
		echo
		echo "require k8s.io/kubernetes $KUBE_VERSION"
		echo
		echo "replace ("
		for m in $staging; do printf '\t%s => %s %s\n' "$m" "$m" "$pub"; done
		echo ")"
	} >go.mod
	log "$(echo "$staging" | wc -l) staging modules mapped to $pub"
	"$GO" mod download
	ld="-X k8s.io/component-base/version.gitVersion=$KUBE_VERSION"
	ld="$ld -X k8s.io/component-base/version.gitMajor=1"
	ld="$ld -X k8s.io/component-base/version.gitMinor=$(echo "$KUBE_VERSION" | cut -d. -f2)"
	ld="$ld -X k8s.io/component-base/version.gitTreeState=clean"
	for t in $KUBE_TOOLS; do
		timed "$t" gobuild -ldflags "$ld" -o "out/$t" "k8s.io/kubernetes/cmd/$t"
	done
	install_bin out "$KUBE_BIN" $KUBE_TOOLS
	"$KUBE_BIN/kube-apiserver" --version >&2
}

build_etcd() {
	mod=$WORK/etcd
	mkdir -p "$mod/out"
	cd "$mod"
	log "go.etcd.io/etcd $ETCD_VERSION: resolving modules"
	{
		echo "module vipcast.invalid/etcdbuild"
		echo
		echo "go 1.24"
		echo
		echo "require ("
		echo "	go.etcd.io/etcd/server/v3 $ETCD_VERSION"
		echo "	go.etcd.io/etcd/etcdctl/v3 $ETCD_VERSION"
		echo ")"
	} >go.mod
	"$GO" mod download
	# The etcd binary is the server module's root package (main.go there).
	timed etcd gobuild -o out/etcd go.etcd.io/etcd/server/v3
	timed etcdctl gobuild -o out/etcdctl go.etcd.io/etcd/etcdctl/v3
	install_bin out "$ETCD_BIN" $ETCD_TOOLS
	"$ETCD_BIN/etcd" --version >&2
}

# Each component builds on its own: one that fails leaves the other cached.
rc=0
cached "$ETCD_BIN" $ETCD_TOOLS || (build_etcd) || { log "etcd $ETCD_VERSION: build failed"; rc=1; }
cached "$KUBE_BIN" $KUBE_TOOLS || (build_kube) || { log "kubernetes $KUBE_VERSION: build failed"; rc=1; }
exit $rc
