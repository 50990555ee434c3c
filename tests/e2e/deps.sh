# shellcheck shell=sh
# The programs the end-to-end tests, the lab demo, the benchmarks and the test
# control plane (scripts/kube-env.sh) run, each with the Debian 12 package that
# has it (scripts/install-deps.sh installs them all), and a check that they are
# here. Sourced by lib.sh (bash) and by test_l2_responder.sh (sh). A program
# new to the tests goes in the table and its package in scripts/install-deps.sh.

# e2e_package PROGRAM -> its Debian package (a path counts by its last part)
e2e_package() {
	case ${1##*/} in
	ip | ss | bridge) echo iproute2 ;;
	sysctl) echo procps ;;
	awk) echo mawk ;;
	python3) echo python3 ;;
	ping) echo iputils-ping ;;
	arping) echo arping ;;
	ndisc6) echo ndisc6 ;;
	curl) echo curl ;;
	openssl) echo openssl ;;
	bird | birdc) echo bird2 ;;
	bgpd | zebra | bfdd | vtysh) echo frr ;;
	gobgpd | gobgp) echo gobgpd ;;
	exabgp) echo exabgp ;;
	keepalived) echo keepalived ;;
	cc) echo build-essential ;;
	pkg-config) echo pkg-config ;;
	debootstrap) echo debootstrap ;;
	unshare | flock | mountpoint) echo util-linux ;;
	chroot | sha256sum | realpath | tac) echo coreutils ;;
	tar) echo tar ;;
	find) echo findutils ;;
	*) return 1 ;;
	esac
}

# e2e_require PROGRAM... -> 0 when every one is here; else one line on stderr
# per missing program, naming its package, and 1
e2e_require() {
	local p pkg missing=0
	for p in "$@"; do
		command -v "$p" >/dev/null 2>&1 && continue
		missing=1
		if pkg=$(e2e_package "$p"); then
			echo "$p not found: install $pkg (scripts/install-deps.sh)" >&2
		else
			echo "$p not found, and tests/e2e/deps.sh does not know its package: add it there and to scripts/install-deps.sh" >&2
		fi
	done
	return "$missing"
}
