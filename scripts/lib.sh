# shellcheck shell=bash
# scripts/lib.sh: helpers shared by install-deps.sh, testbed.sh, run-tests.sh,
# demo.sh and the benchmarks (bench/*.sh).  Sourced, never run.  Everything here quotes its paths: the
# checkout may live under a folder whose name has spaces.

CF_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CF_ROOT

# Messages go to stderr so that stdout stays clean for what callers eval or
# parse (testbed.sh start prints only export lines there).
cf_log() { printf '%s\n' "==> $*" >&2; }
cf_warn() { printf '%s\n' "warning: $*" >&2; }
cf_die() {
	printf '%s\n' "error: $*" >&2
	exit 1
}

cf_is_root() { [[ "$(id -u)" -eq 0 ]]; }

# Run a command as root: directly when we are root, through sudo otherwise.
cf_as_root() {
	if cf_is_root; then
		"$@"
	else
		command -v sudo >/dev/null 2>&1 ||
			cf_die "need root for: $* (install sudo or run as root)"
		sudo "$@"
	fi
}

# The PostgreSQL major to build against: that of $PG_CONFIG (read from its
# path /usr/lib/postgresql/N/bin/pg_config, or from its --version), else
# $CF_PG_MAJOR, else 15.
cf_pg_major() {
	local v=""
	if [[ -n "${PG_CONFIG:-}" ]]; then
		if [[ "$PG_CONFIG" =~ /postgresql/([0-9]+)/bin/pg_config$ ]]; then
			v="${BASH_REMATCH[1]}"
		else
			v="$("$PG_CONFIG" --version 2>/dev/null | sed -n -E 's/^PostgreSQL ([0-9]+).*/\1/p')"
		fi
	fi
	printf '%s\n' "${v:-${CF_PG_MAJOR:-15}}"
}

# The pg_config of PostgreSQL N itself, not Debian's /usr/bin/pg_config
# wrapper, which picks the newest installed server version.
cf_pg_config() {
	if [[ -n "${PG_CONFIG:-}" ]]; then
		printf '%s\n' "$PG_CONFIG"
	elif [[ -x "/usr/lib/postgresql/${CF_PG_MAJOR:-15}/bin/pg_config" ]]; then
		printf '%s\n' "/usr/lib/postgresql/${CF_PG_MAJOR:-15}/bin/pg_config"
	else
		printf '%s\n' pg_config
	fi
}

# Print the last "N passed, N failed" line of a file as "N N", or nothing.
# One word and a colon may stand before the counts, ", N skipped" may follow.
cf_parse_counts() {
	sed -n -E 's/^[[:space:]]*([A-Za-z0-9_.-]+:[[:space:]]*)?([0-9]+) passed, ([0-9]+) failed(, [0-9]+ skipped)?[[:space:]]*$/\2 \3/p' "$1" |
		tail -n 1
}

# Ask the kernel for a free TCP port on the loopback interface.
cf_free_port() {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# Build and install the extension.  WERROR and other make variables given on
# the outer make's command line reach these through MAKEFLAGS.
cf_build_install() {
	local pgc
	pgc="$(cf_pg_config)"
	cf_log "building cloudflare_fdw"
	make -C "$CF_ROOT" PG_CONFIG="$pgc" || return 1
	cf_log "installing cloudflare_fdw into $("$pgc" --pkglibdir)"
	if cf_is_root; then
		make -C "$CF_ROOT" PG_CONFIG="$pgc" install || return 1
	else
		cf_as_root make -C "$CF_ROOT" PG_CONFIG="$pgc" install || return 1
	fi
}

# cf_copy_sources DIR: copy the checkout's files (tracked, and untracked but
# not ignored) into DIR, keeping their modes; nothing built, no .git.
cf_copy_sources() {
	local dest="$1"
	if git -C "$CF_ROOT" rev-parse --git-dir >/dev/null 2>&1; then
		(cd "$CF_ROOT" && git ls-files -z -c -o --exclude-standard |
			while IFS= read -r -d '' f; do [[ -e "$f" ]] && printf '%s\0' "$f"; done |
			tar --null -T - -cf -) | tar -C "$dest" -xf -
	else
		(cd "$CF_ROOT" && tar --exclude=./.cache --exclude='*.o' --exclude='*.so' \
			--exclude=./dist --exclude=./results -cf - .) | tar -C "$dest" -xf -
	fi
}

# cf_bench_prepare: the first steps of make bench, soak and bench-dashboard:
# missing packages (CF_SKIP_DEPS=1 skips), then build and install
# (CF_SKIP_BUILD=1 skips).  Exports PG_CONFIG.
cf_bench_prepare() {
	if [[ "${CF_SKIP_DEPS:-0}" != 1 ]]; then
		bash "$CF_ROOT/scripts/install-deps.sh"
	fi
	PG_CONFIG="$(cf_pg_config)"
	export PG_CONFIG
	if [[ "${CF_SKIP_BUILD:-0}" != 1 ]]; then
		cf_build_install
	fi
}

# cf_bench_workdir PREFIX: a fresh temp folder for a benchmark's own test
# bed (mode 0755: the cluster's user reads the files kept there), with an
# empty tb/ for scripts/testbed.sh, in CF_BENCH_WORK, and an EXIT trap
# (cf_bench_cleanup) that stops the test bed and deletes the folder, also on
# failure or Ctrl-C.  A caller that started more sets CF_BENCH_BEFORE_CLEANUP
# to a function that stops it first; BENCH_KEEP=1 keeps the folder.
CF_BENCH_WORK=""
CF_BENCH_BEFORE_CLEANUP=""
cf_bench_workdir() {
	CF_BENCH_WORK="$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")"
	chmod 0755 "$CF_BENCH_WORK"
	mkdir "$CF_BENCH_WORK/tb"
	trap cf_bench_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

# shellcheck disable=SC2317  # called from the EXIT trap
cf_bench_cleanup() {
	local rc=$? testbed="$CF_ROOT/scripts/testbed.sh"
	trap - EXIT INT TERM
	if [[ -n "$CF_BENCH_WORK" && -d "$CF_BENCH_WORK" ]]; then
		[[ -z "$CF_BENCH_BEFORE_CLEANUP" ]] || "$CF_BENCH_BEFORE_CLEANUP" || true
		if [[ -f "$CF_BENCH_WORK/tb/env.sh" || -f "$CF_BENCH_WORK/tb/run_as" ]]; then
			"$testbed" stop "$CF_BENCH_WORK/tb" >/dev/null 2>&1 ||
				"$testbed" stop "$CF_BENCH_WORK/tb" || true
		fi
		if [[ "${BENCH_KEEP:-0}" == 1 ]]; then
			cf_log "BENCH_KEEP=1: kept $CF_BENCH_WORK"
		else
			rm -rf -- "$CF_BENCH_WORK"
		fi
	fi
	exit "$rc"
}
