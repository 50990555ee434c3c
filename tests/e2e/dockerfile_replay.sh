# shellcheck shell=bash
# Replays a Dockerfile without a container engine: each stage is a Debian 12
# chroot made with debootstrap, its instructions run as a builder would run
# them. Sourced by tests/e2e/test_dockerfile.sh after lib.sh; needs root and a
# private mount namespace (the caller runs under `unshare --mount`), so every
# mount made here disappears with the test even if its cleanup does not run.
#
# What a stage's instructions before its first COPY make (FROM, ARG, ENV,
# WORKDIR, RUN: typically apt-get install of the package list) is cached in
# $DF_CACHE/<stage>-<hash of those instructions>/root, like a builder's layer
# cache: the package list changes, the hash changes. The rest of the stage runs
# on an overlay above that cached root, so the cache is never written to.
#
# Understood: FROM debian:12[-slim] [AS name], ARG/ENV NAME=VALUE (literal
# values), WORKDIR, RUN (shell form), COPY [--from=STAGE] SRC... DEST (context
# paths filtered by <Dockerfile>.dockerignore written as "*" then "!path"
# lines), USER, and LABEL/EXPOSE/CMD/ENTRYPOINT as metadata. Anything else
# fails the replay, so the Dockerfile cannot drift out of what is proven.

DF_CACHE=${VIPCAST_CHROOT_CACHE:-/var/cache/vipcast/chroot}
DF_MIRROR=${VIPCAST_DEBIAN_MIRROR:-http://deb.debian.org/debian}
DF_SECURITY_MIRROR=${VIPCAST_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
# Bumped when what a cached base holds changes for reasons outside the Dockerfile.
DF_BASE_FORMAT=1
DF_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

declare -a DF_KW=() DF_ARG=() DF_STAGE_FIRST=() DF_STAGE_NAME=() DF_STAGE_IMAGE=()
declare -a DF_STAGE_ROOT=() DF_MOUNTS=() DF_INCLUDES=() DF_MAKING=() DF_BASES=()
DF_STAGE_USER=""

df_fail() { log "dockerfile replay: $*"; return 1; }

# df_parse DOCKERFILE -> DF_KW[i], DF_ARG[i] (continuations joined, comments
# dropped, as a builder reads them) and the stages
df_parse() {
	local kw rest i=0 line
	DF_KW=() DF_ARG=() DF_STAGE_FIRST=() DF_STAGE_NAME=() DF_STAGE_IMAGE=()
	while IFS= read -r line; do
		kw=${line%%[[:space:]]*}
		rest=${line#"$kw"}
		rest=${rest#"${rest%%[![:space:]]*}"}
		kw=${kw^^}
		DF_KW[i]=$kw
		DF_ARG[i]=$rest
		if [ "$kw" = FROM ]; then
			DF_STAGE_FIRST+=("$i")
			set -- $rest
			DF_STAGE_IMAGE+=("$1")
			if [ $# = 3 ] && [ "${2^^}" = AS ]; then DF_STAGE_NAME+=("$3"); else DF_STAGE_NAME+=(""); fi
		fi
		i=$((i + 1))
	done < <(awk '
		/^[ \t]*#/ { next }
		{ line = line $0 }
		/\\[ \t]*$/ { sub(/\\[ \t]*$/, "", line); next }
		{ if (line !~ /^[ \t]*$/) print line; line = "" }
		END { if (line !~ /^[ \t]*$/) print line }' "$1")
	[ "${#DF_STAGE_FIRST[@]}" -gt 0 ] && [ "${DF_STAGE_FIRST[0]}" = 0 ] ||
		df_fail "$1 must start with FROM"
}

# df_stage_end S -> the index after stage S's last instruction
df_stage_end() {
	local n=$(($1 + 1))
	if [ "$n" -lt "${#DF_STAGE_FIRST[@]}" ]; then echo "${DF_STAGE_FIRST[$n]}"; else echo "${#DF_KW[@]}"; fi
}

# df_first_copy S -> index of stage S's first COPY (or its end)
df_first_copy() {
	local i end
	end=$(df_stage_end "$1")
	for ((i = DF_STAGE_FIRST[$1] + 1; i < end; i++)); do
		[ "${DF_KW[$i]}" = COPY ] && break
	done
	echo "$i"
}

# df_value TEXT -> TEXT without one pair of surrounding double quotes;
# refuses variable references (the replay has no expansion of its own)
df_value() {
	case $1 in *'$'*) df_fail "variable references in ARG/ENV values are not replayed: $1"; return 1 ;; esac
	case $1 in \"*\") printf '%s' "${1:1:${#1}-2}" ;; *) printf '%s' "$1" ;; esac
}

# df_stage_id S -> the cache directory name of stage S's base
df_stage_id() {
	local s=$1 i key
	key=$({
		echo "format $DF_BASE_FORMAT mirror $DF_MIRROR $DF_SECURITY_MIRROR"
		for ((i = DF_STAGE_FIRST[s]; i < $(df_first_copy "$s"); i++)); do
			printf '%s %s\n' "${DF_KW[$i]}" "${DF_ARG[$i]}"
		done
	} | sha256sum | cut -c1-16)
	printf 'stage%s-%s' "$s" "$key"
}

# df_suite IMAGE -> the Debian suite debootstrap makes for it
df_suite() {
	case $1 in
	debian:12 | debian:12-slim | debian:bookworm | debian:bookworm-slim) echo bookworm ;;
	*) df_fail "FROM $1: only debian:12 and debian:12-slim are replayed"; return 1 ;;
	esac
}

# df_exec ROOT WORKDIR USER ENVFILE CMD -> CMD by /bin/sh -c in the chroot,
# with /proc mounted, as USER, with the variables of ENVFILE (NAME=VALUE lines)
df_exec() {
	local root=$1 wd=$2 user=$3 envf=$4 cmd=$5 rc
	local -a envs=()
	[ -f "$envf" ] && mapfile -t envs <"$envf"
	mkdir -p "$root$wd"
	mountpoint -q "$root/proc" || mount -t proc proc "$root/proc" || return 1
	env -i PATH="$DF_PATH" HOME=/root "${envs[@]}" \
		chroot ${user:+--userspec="$user"} "$root" /bin/sh -c "cd '$wd' && $cmd"
	rc=$?
	umount "$root/proc"
	return "$rc"
}

# df_run_range ROOT FROM TO ENVFILE LOG -> replays instructions FROM..TO-1 of
# one stage in ROOT (COPY included); keeps WORKDIR in DF_WD, USER in DF_STAGE_USER
df_run_range() {
	local root=$1 i envf=$4 logf=$5 name val
	for ((i = $2; i < $3; i++)); do
		case ${DF_KW[$i]} in
		FROM | LABEL | EXPOSE | CMD | ENTRYPOINT) ;;
		ARG | ENV)
			name=${DF_ARG[$i]%%=*}
			case ${DF_ARG[$i]} in *=*) val=$(df_value "${DF_ARG[$i]#*=}") || return 1 ;; *) continue ;; esac
			printf '%s=%s\n' "$name" "$(printf '%s' "$val" | tr -s ' ')" >>"$envf" ;;
		WORKDIR) DF_WD=${DF_ARG[$i]} ;;
		USER) DF_STAGE_USER=${DF_ARG[$i]} ;;
		RUN)
			case ${DF_ARG[$i]} in \[*) df_fail "RUN in exec form is not replayed"; return 1 ;; esac
			log "  RUN ${DF_ARG[$i]:0:100}$([ "${#DF_ARG[$i]}" -gt 100 ] && echo ...)"
			df_exec "$root" "$DF_WD" "$DF_STAGE_USER" "$envf" "${DF_ARG[$i]}" >>"$logf" 2>&1 ||
				{ tail -n 30 "$logf" >&2; df_fail "RUN failed (log: $logf)"; return 1; } ;;
		COPY) df_copy "$root" "${DF_ARG[$i]}" || return 1 ;;
		*) df_fail "instruction ${DF_KW[$i]} is not replayed"; return 1 ;;
		esac
	done
}

# df_includes DOCKERIGNORE -> DF_INCLUDES: the context paths it lets through;
# only the "*" + "!path" form is understood
df_includes() {
	local line first=1
	DF_INCLUDES=()
	[ -f "$1" ] || { df_fail "$1 is missing"; return 1; }
	while IFS= read -r line; do
		case $line in '' | '#'*) continue ;; esac
		if [ "$first" = 1 ]; then
			[ "$line" = '*' ] || { df_fail "$1 must start with '*'"; return 1; }
			first=0
			continue
		fi
		case $line in
		'!'*) DF_INCLUDES+=("${line#!}") ;;
		*) df_fail "$1: only '!path' lines follow '*' (got '$line')"; return 1 ;;
		esac
	done <"$1"
}

# df_copy ROOT ARGS -> COPY from the context (DF_CONTEXT) or --from a stage
df_copy() {
	local root=$1 from="" dest src s p
	local -a args srcs
	read -r -a args <<<"$2"
	case ${args[0]} in --from=*) from=${args[0]#--from=}; args=("${args[@]:1}") ;; --*)
		df_fail "COPY ${args[0]} is not replayed"; return 1 ;; esac
	[ "${#args[@]}" -ge 2 ] || { df_fail "COPY needs a source and a destination"; return 1; }
	dest=${args[-1]}
	srcs=("${args[@]:0:${#args[@]}-1}")
	log "  COPY ${from:+--from=$from }${srcs[*]} $dest"
	if [ -n "$from" ]; then
		for ((s = 0; s < ${#DF_STAGE_NAME[@]}; s++)); do [ "${DF_STAGE_NAME[$s]}" = "$from" ] && break; done
		[ -n "${DF_STAGE_ROOT[$s]:-}" ] || { df_fail "COPY --from=$from: no such stage replayed"; return 1; }
		mkdir -p "$root$dest"
		for p in "${srcs[@]}"; do cp -a "${DF_STAGE_ROOT[$s]}$p" "$root$dest" || return 1; done
		return 0
	fi
	for p in "${srcs[@]}"; do
		[ "$p" = . ] || { df_fail "COPY from the context: only '.' is replayed"; return 1; }
	done
	mkdir -p "$root$dest"
	(cd "$DF_CONTEXT" && tar --owner=0 --group=0 -cf - "${DF_INCLUDES[@]}") | tar -C "$root$dest" -xf -
}

# df_base S LOG -> DF_BASE: the cached root of stage S's base, made if
# missing (the caller holds the cache lock exclusively)
df_base() {
	local s=$1 logf=$2 id dir tmp suite envf t0
	id=$(df_stage_id "$s")
	dir=$DF_CACHE/$id
	DF_BASE=$dir/root
	if [ -d "$dir/root" ]; then
		touch "$dir/used"
		return 0
	fi
	suite=$(df_suite "${DF_STAGE_IMAGE[$s]}") || return 1
	tmp=$DF_CACHE/.making-$id
	rm -rf "$tmp"
	mkdir -p "$tmp"
	DF_MAKING+=("$tmp")
	t0=$(now)
	log "stage $s (${DF_STAGE_IMAGE[$s]}): no cached base $id; debootstrap $suite from $DF_MIRROR"
	debootstrap --variant=minbase "$suite" "$tmp/root" "$DF_MIRROR" >>"$logf" 2>&1 ||
		{ tail -n 20 "$logf" >&2; df_fail "debootstrap failed (log: $logf)"; return 1; }
	# The apt sources of Debian's own container images.
	rm -f "$tmp/root/etc/apt/sources.list"
	cat >"$tmp/root/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $DF_MIRROR
Suites: $suite $suite-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $DF_SECURITY_MIRROR
Suites: $suite-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
	cp /etc/resolv.conf "$tmp/root/etc/resolv.conf"
	envf=$tmp/env
	: >"$envf"
	DF_WD=/ DF_STAGE_USER=""
	df_run_range "$tmp/root" "${DF_STAGE_FIRST[$s]}" "$(df_first_copy "$s")" "$envf" "$logf" || return 1
	cp "$envf" "$tmp/root.env"
	printf '%s\n' "$DF_WD" >"$tmp/root.wd"
	printf '%s\n' "$DF_STAGE_USER" >"$tmp/root.user"
	touch "$tmp/used"
	mv "$tmp" "$dir" || return 1
	log "stage $s: base $id made in $(elapsed "$t0") s"
}

# df_prune -> removes cached bases unused for 14 days, and what a killed run
# left half made (the caller holds the lock, so nobody is making one now)
df_prune() {
	local d
	for d in "$DF_CACHE"/.making-*; do
		[ -d "$d" ] && rm -rf --one-file-system "$d"
	done
	for d in "$DF_CACHE"/stage*-*; do
		[ -d "$d" ] || continue
		[ -n "$(find "$d/used" -mtime -14 2>/dev/null)" ] && continue
		log "removing cached base $(basename "$d") (unused for 14 days)"
		rm -rf --one-file-system "$d"
	done
}

# df_replay DOCKERFILE CONTEXT WORKDIR -> replays every stage; DF_STAGE_ROOT[s]
# is each stage's root (an overlay over its cached base), DF_FINAL_USER the
# last stage's USER. Takes the cache lock exclusively to make missing bases,
# then holds it shared (another run may use, never remove, the same bases).
df_replay() {
	local file=$1 work=$3 s id logf
	DF_CONTEXT=$2
	DF_MAKING=()
	df_parse "$file" || return 1
	df_includes "$file.dockerignore" || return 1
	mkdir -p "$DF_CACHE" || return 1
	exec {DF_LOCK}>"$DF_CACHE/.lock"
	flock -w 1800 "$DF_LOCK" || { df_fail "cache lock not taken within 30 min"; return 1; }
	for ((s = 0; s < ${#DF_STAGE_FIRST[@]}; s++)); do
		logf=$work/stage$s.log
		df_base "$s" "$logf" || return 1
		DF_BASES[s]=$DF_BASE
	done
	df_prune
	flock -s "$DF_LOCK"
	for ((s = 0; s < ${#DF_STAGE_FIRST[@]}; s++)); do
		id=$(basename "$(dirname "${DF_BASES[$s]}")")
		mkdir -p "$work/stage$s/upper" "$work/stage$s/work" "$work/stage$s/root"
		mount -t overlay overlay -o "lowerdir=${DF_BASES[$s]},upperdir=$work/stage$s/upper,workdir=$work/stage$s/work" \
			"$work/stage$s/root" || { df_fail "overlay mount"; return 1; }
		DF_MOUNTS+=("$work/stage$s/root")
		DF_STAGE_ROOT[s]=$work/stage$s/root
		log "stage $s (${DF_STAGE_IMAGE[$s]}${DF_STAGE_NAME[$s]:+ AS ${DF_STAGE_NAME[$s]}}): base $id"
		cp "$(dirname "${DF_BASES[$s]}")/root.env" "$work/stage$s.env"
		DF_WD=$(cat "$(dirname "${DF_BASES[$s]}")/root.wd")
		DF_STAGE_USER=$(cat "$(dirname "${DF_BASES[$s]}")/root.user")
		df_run_range "${DF_STAGE_ROOT[$s]}" "$(df_first_copy "$s")" "$(df_stage_end "$s")" \
			"$work/stage$s.env" "$work/stage$s.log" || return 1
	done
	DF_FINAL_USER=$DF_STAGE_USER
}

# df_cleanup -> unmounts what the replay mounted and removes a half-made base
df_cleanup() {
	local i m
	for ((i = ${#DF_MOUNTS[@]} - 1; i >= 0; i--)); do
		m=${DF_MOUNTS[$i]}
		mountpoint -q "$m/proc" && umount "$m/proc"
		mountpoint -q "$m" && umount "$m"
	done
	for m in "${DF_MAKING[@]}"; do
		[ -d "$m" ] || continue
		mountpoint -q "$m/root/proc" && umount "$m/root/proc"
		rm -rf --one-file-system "$m"
	done
}
