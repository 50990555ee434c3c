#!/bin/sh
# deploy/Dockerfile without a container engine: its stages are replayed in
# Debian 12 chroots that debootstrap makes (tests/e2e/dockerfile_replay.sh),
# the build stage compiles both binaries from this tree, and the runtime stage
# (debian:12-slim plus the Dockerfile's runtime package list, nothing else) must
# run them as the image's user: `vipcast-controller --version`,
# `vipcast-controller --check --config deploy/examples/bgp` and
# `vipcast-speaker --help`, with every shared library resolved and no
# development package in the image. This proves the image's package lists.
#
# The chroots before each stage's first COPY (debootstrap + apt-get install)
# are cached in /var/cache/vipcast/chroot (VIPCAST_CHROOT_CACHE), keyed by a
# hash of those instructions: the first run downloads and installs (a few
# minutes), later ones build on overlays above the cache (well under a minute).
# VIPCAST_DOCKERFILE replays another Dockerfile (its .dockerignore beside it).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# Every mount this test makes lives in a mount namespace of its own.
if [ -z "${VIPCAST_DF_UNSHARED:-}" ]; then
	command -v unshare >/dev/null || { echo "dockerfile: unshare not found: install util-linux" >&2; exit 1; }
	VIPCAST_DF_UNSHARED=1 exec unshare --mount --propagation private -- bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dockerfile_replay.sh"
e2e_init dockerfile "$1" debootstrap chroot flock mountpoint tar sha256sum find

SRC=$(cd "$(dirname "$0")/../.." && pwd)
DOCKERFILE=${VIPCAST_DOCKERFILE:-$SRC/deploy/Dockerfile}
e2e_cleanup_extra() { df_cleanup; }

scenario "replay $DOCKERFILE"
t0=$(now)
if ! check "every stage replays (base from the cache or made now)" df_replay "$DOCKERFILE" "$SRC" "$E2E_TMP"; then
	e2e_finish
fi
log "replayed in $(elapsed "$t0") s"
last=$((${#DF_STAGE_FIRST[@]} - 1))
ROOT=${DF_STAGE_ROOT[$last]}
USR=$DF_FINAL_USER
# arg NAME -> the value the Dockerfile gives ARG NAME (squeezed), from the parse
arg() {
	local i
	for ((i = 0; i < ${#DF_KW[@]}; i++)); do
		[ "${DF_KW[$i]}" = ARG ] && [ "${DF_ARG[$i]%%=*}" = "$1" ] &&
			{ df_value "${DF_ARG[$i]#*=}" | tr -s ' '; return 0; }
	done
	return 1
}
log "build packages: $(arg BUILD_PACKAGES)"
log "runtime packages: $(arg RUNTIME_PACKAGES)"

scenario "the runtime stage"
# in_image CMD -> CMD in the runtime root as the image's USER
in_image() { df_exec "$ROOT" / "$USR" /dev/null "$1"; }
mkdir -p "$ROOT/tmp/examples"
cp -r "$SRC/deploy/examples/bgp" "$ROOT/tmp/examples/"
chmod -R a+rX "$ROOT/tmp/examples"
check "the image runs as a non-root user (USER $USR)" [ "$(in_image 'id -u')" != 0 ]
check "both binaries are in /usr/local/bin" \
	test -x "$ROOT/usr/local/bin/vipcast-controller" -a -x "$ROOT/usr/local/bin/vipcast-speaker" -a -x "$ROOT/usr/local/bin/vipcastctl"
check "vipcast-controller --version" \
	eval 'in_image "vipcast-controller --version" >"$E2E_TMP/version.out" 2>&1 && grep -q "[0-9]\.[0-9]" "$E2E_TMP/version.out"'
log "  $(cat "$E2E_TMP/version.out")"
check "vipcast-controller --check --config deploy/examples/bgp" \
	eval 'in_image "vipcast-controller --check --config /tmp/examples/bgp" >"$E2E_TMP/check.out" 2>&1'
sed 's/^/    /' "$E2E_TMP/check.out" >&2
check "vipcast-speaker --help prints its usage" \
	eval 'in_image "vipcast-speaker --help" 2>&1 | grep -q "^usage: vipcast-speaker"'
# missing_libs -> the shared libraries of both binaries the image lacks
missing_libs() { in_image "ldd /usr/local/bin/vipcast-controller /usr/local/bin/vipcast-speaker /usr/local/bin/vipcastctl" 2>&1 | grep 'not found'; }
check "every shared library of both binaries resolves in the image" eval '[ -z "$(missing_libs)" ]'
# dev_packages -> the -dev packages (or a compiler) installed in the image
dev_packages() {
	df_exec "$ROOT" / "" /dev/null "dpkg-query -W -f '\${Package}\n'" | grep -E -- '-dev$|^(gcc|cpp)(-[0-9]+)?$|^binutils$|^cmake$'
}
check "no development package or compiler in the image" eval '[ -z "$(dev_packages)" ]'
installed() { df_exec "$ROOT" / "" /dev/null "dpkg-query -W -f '\${Status}' $1" | grep -q 'install ok installed'; }
for p in $(arg RUNTIME_PACKAGES); do
	check "runtime package $p is installed" installed "$p"
done

e2e_finish
