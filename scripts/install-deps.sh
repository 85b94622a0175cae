#!/usr/bin/env bash
# scripts/install-deps.sh: install what building, running and testing
# cloudflare_fdw needs on Debian or Ubuntu, and nothing when it is there.
#
#   scripts/install-deps.sh            # everything: build, demo, all test targets
#   scripts/install-deps.sh --core     # only what `make demo` / pg_regress need
#   scripts/install-deps.sh --test     # what `make test` needs (no deep checks)
#   scripts/install-deps.sh --deb      # core, plus what `make deb` needs
#   scripts/install-deps.sh --check    # list what is missing, install nothing
#   scripts/install-deps.sh --print MODE   # the package names of core, test, deb or all
#
# The PostgreSQL major is that of $PG_CONFIG (its path or its --version),
# else $CF_PG_MAJOR, else 15 (Debian 12's).  CF_DEPS_MODE (core, test, all)
# is the mode when no option is given; make test-versions sets it to test.
# Packages the release does not have at all (Debian testing has no hyperfine)
# are left out with a warning.
#
# It asks dpkg first and runs `apt-get update` + `apt-get install` only when
# something is missing; as root directly, otherwise through sudo.  Before
# PostgreSQL is installed it sets create_main_cluster = false in
# /etc/postgresql-common/createcluster.conf, so that Debian's postinst neither
# creates nor starts a system cluster: the test bed runs its own throwaway one.
#
# Env: CF_SKIP_DEPS=1 skips the whole step (for machines you manage yourself).
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PGM="$(cf_pg_major)"

# Needed to build the extension and run the demo and the pg_regress suite.
CORE_PKGS=(
	"postgresql-$PGM" "postgresql-client-$PGM" "postgresql-server-dev-$PGM"
	"postgresql-$PGM-cron"
	libcurl4-openssl-dev libjson-c-dev pkg-config make gcc
	python3 curl
)
# Needed by the rest of make test: Prism contract tests (node), PL/Python,
# and the benchmark smoke run's chart and profile (gnuplot, valgrind).
TEST_PKGS=(
	nodejs npm "postgresql-plpython3-$PGM" gnuplot-nox valgrind
)
# Needed by make deb: Debian's packaging tools and PGXS helpers.
DEB_PKGS=(
	build-essential debhelper dpkg-dev postgresql-server-dev-all
)
# Needed by the other targets: the deep checks (valgrind, sqlsmith, afl++,
# clang and its libFuzzer runtime) and the benchmarks.
EXTRA_PKGS=(
	"${TEST_PKGS[@]}" sqlsmith afl++ clang libclang-rt-14-dev
	hyperfine
)

mode="${CF_DEPS_MODE:-all}"
case "${1:-}" in
"") ;;
--core) mode=core ;;
--test) mode=test ;;
--deb) mode=deb ;;
--check) mode=check ;;
--print)
	case "${2:-}" in
	core) printf '%s\n' "${CORE_PKGS[@]}" ;;
	test) printf '%s\n' "${CORE_PKGS[@]}" "${TEST_PKGS[@]}" ;;
	deb) printf '%s\n' "${CORE_PKGS[@]}" "${DEB_PKGS[@]}" ;;
	all) printf '%s\n' "${CORE_PKGS[@]}" "${EXTRA_PKGS[@]}" ;;
	*) cf_die "--print takes core, test, deb or all" ;;
	esac
	exit 0
	;;
-h | --help)
	sed -n '2,24p' "$0"
	exit 0
	;;
*) cf_die "unknown option: $1 (try --help)" ;;
esac

if [[ "${CF_SKIP_DEPS:-0}" == 1 ]]; then
	cf_log "CF_SKIP_DEPS=1: not checking system packages"
	exit 0
fi

pkg_installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

# A package counts as present when dpkg has it, or, for node and npm, when the
# command exists: NodeSource's nodejs ships npm and conflicts with Debian's
# npm package, and installing that would replace a working Node.js.
have() {
	case "$1" in
	nodejs) command -v node >/dev/null 2>&1 && return 0 ;;
	npm) command -v npm >/dev/null 2>&1 && return 0 ;;
	esac
	pkg_installed "$1"
}

missing_of() {
	local p
	for p in "$@"; do
		have "$p" || printf '%s\n' "$p"
	done
}

command -v dpkg-query >/dev/null 2>&1 ||
	cf_die "this script knows Debian and Ubuntu (dpkg/apt) only; install by hand: ${CORE_PKGS[*]} ${EXTRA_PKGS[*]}"

case "$mode" in
core | test | deb | all | check) ;;
*) cf_die "CF_DEPS_MODE must be core, test, deb or all, not $mode" ;;
esac

# Leave out what this release has no package of at all.  Asked only of
# packages that are missing, so a complete machine asks nothing, and only
# after apt-get update: a fresh machine may have no package lists yet.
available() {
	local p
	for p in "$@"; do
		if apt-cache show "$p" >/dev/null 2>&1; then
			printf '%s\n' "$p"
		else
			cf_warn "this release has no package $p; leaving it out"
		fi
	done
}

mapfile -t missing_core < <(missing_of "${CORE_PKGS[@]}")
case "$mode" in
core) missing_extra=() ;;
test) mapfile -t missing_extra < <(missing_of "${TEST_PKGS[@]}") ;;
deb) mapfile -t missing_extra < <(missing_of "${DEB_PKGS[@]}") ;;
*) mapfile -t missing_extra < <(missing_of "${EXTRA_PKGS[@]}") ;;
esac
if [[ "$mode" == check ]]; then
	if ((${#missing_core[@]} + ${#missing_extra[@]} == 0)); then
		echo "all packages present"
	else
		printf 'missing: %s\n' "${missing_core[*]} ${missing_extra[*]}"
	fi
	exit 0
fi

if ((${#missing_core[@]} + ${#missing_extra[@]} == 0)); then
	cf_log "system packages: all present"
	exit 0
fi

# Keep Debian from creating and starting the `main` cluster when postgresql-N
# (or postgresql-common) is installed now.
disable_main_cluster() {
	local conf=/etc/postgresql-common/createcluster.conf
	cf_log "setting create_main_cluster = false in $conf"
	cf_as_root mkdir -p "$(dirname "$conf")"
	if cf_as_root test -f "$conf"; then
		if cf_as_root grep -qE '^[[:space:]]*#?[[:space:]]*create_main_cluster' "$conf"; then
			cf_as_root sed -i -E 's/^[[:space:]]*#?[[:space:]]*create_main_cluster.*/create_main_cluster = false/' "$conf"
		else
			printf '%s\n' 'create_main_cluster = false' | cf_as_root tee -a "$conf" >/dev/null
		fi
	else
		printf '%s\n' 'create_main_cluster = false' | cf_as_root tee "$conf" >/dev/null
	fi
}

apt_install() {
	cf_as_root env DEBIAN_FRONTEND=noninteractive UCF_FORCE_CONFFOLD=1 \
		apt-get install -y -q --no-install-recommends \
		-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
		"$@" </dev/null
}

for p in "${missing_core[@]}"; do
	case "$p" in
	postgresql-*) disable_main_cluster && break ;;
	esac
done

cf_as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q </dev/null ||
	cf_warn "apt-get update failed; trying with the package lists we have"
if ((${#missing_extra[@]})); then
	mapfile -t missing_extra < <(available "${missing_extra[@]}")
fi
cf_log "installing: ${missing_core[*]} ${missing_extra[*]}"

core_failed() {
	if ! apt-cache show "postgresql-$PGM" >/dev/null 2>&1; then
		cf_warn "this release has no postgresql-$PGM package: add the PostgreSQL (PGDG) apt repository, then rerun"
	fi
	cf_die "could not install: ${missing_core[*]}"
}

if ! apt_install "${missing_core[@]}" "${missing_extra[@]}"; then
	if ((${#missing_extra[@]} == 0)); then
		core_failed
	fi
	cf_warn "could not install everything at once; retrying with the core packages only"
	cf_warn "targets that need ${missing_extra[*]} may fail"
	if ((${#missing_core[@]} > 0)); then
		apt_install "${missing_core[@]}" || core_failed
	fi
fi

mapfile -t still < <(missing_of "${CORE_PKGS[@]}")
((${#still[@]} == 0)) || cf_die "still missing after install: ${still[*]}"
cf_log "system packages: done"
