#!/usr/bin/env bash
# scripts/testbed.sh: a throwaway PostgreSQL cluster (the major of
# $PG_CONFIG, default 15) plus the Cloudflare API emulator, for the tests, the
# demo, and developers re-running tests by hand.
#
# Usage from a shell (the extension must be built and installed first:
# `make && sudo make install`, or one `make test`):
#
#   eval "$(scripts/testbed.sh start)"    # start; sets PGHOST, PGPORT, ... here
#   make installcheck-only                # pg_regress against it (REGRESS=scan for one file)
#   psql contrib_regression               # poke around (after a pg_regress run)
#   eval "$(scripts/testbed.sh restart-emulator)"   # fresh emulator, sample data, new port
#   eval "$(scripts/testbed.sh env)"      # the exports again (e.g. in another shell,
#                                         # after export CF_TESTBED_DIR=...)
#   scripts/testbed.sh status
#   scripts/testbed.sh stop               # stop both, delete the folder
#
# Prefer `make installcheck-only` to a plain `make installcheck`: pg_cron's
# launcher stays connected to contrib_regression, so pg_regress's own DROP
# DATABASE fails on a second run; installcheck-only drops it WITH (FORCE) first.
#
# `stop`, `env`, `status` and `restart-emulator` act on $CF_TESTBED_DIR, or on
# the folder given as their argument.  `start --dir DIR` uses DIR (which must
# exist and be empty) instead of a new mktemp folder; run-tests.sh and demo.sh
# do that so their traps know what to delete even if start is interrupted.
# If start fails it stops what it started and deletes the folder.
#
# What start exports (also written to $CF_TESTBED_DIR/env.sh):
#   PGHOST PGPORT PGUSER PGDATABASE   the cluster: socket dir, port, superuser, postgres
#   CF_EMULATOR_URL                   emulator base URL, http://127.0.0.1:PORT
#   CF_API_URL                        $CF_EMULATOR_URL/client/v4 (the FDW's api_url)
#   CF_TESTBED_DIR                    the temp folder holding everything below
#   CF_PGDATA CF_PG_LOG CF_EMULATOR_LOG CF_PG_BINDIR PG_CONFIG
#   CF_PG_RUN_AS                      OS user the server runs as ("" = the caller)
#
# The server listens on a Unix socket only (listen_addresses = ''), in a folder
# of its own, on a port the kernel says is free: a system cluster on 5432, or
# another test bed, is never touched.  As root, initdb and postgres run as an
# unprivileged user (CF_RUN_AS, default nobody) that owns the temp folder.
#
# Knobs (env):
#   CF_PRELOAD        shared_preload_libraries (default cloudflare_fdw,pg_cron;
#                     empty for none)
#   CF_CRON_DB        cron.database_name (default contrib_regression, the
#                     pg_regress database; demo.sh uses its own)
#   CF_PG_SUPERUSER   the superuser role initdb creates (default postgres)
#   CF_RUN_AS         OS user for postgres when we are root (default nobody)
#   CF_PG_CONF        extra postgresql.conf lines, appended verbatim
#   CF_EMULATOR_DATA  data file passed to the emulator as --data (default: none,
#                     i.e. the emulator's own sample data)
#   CF_EMULATOR_ARGS  more emulator options, split on blanks (e.g. "--seed 7")
#   TMPDIR            where the temp folder goes (default /tmp)
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PG_CONFIG="$(cf_pg_config)"
PG_BINDIR="$("$PG_CONFIG" --bindir)"
PG_PKGLIBDIR="$("$PG_CONFIG" --pkglibdir)"
EMULATOR="$CF_ROOT/emulator/cf_emulator.py"

# ---- running things as the server's OS user ---------------------------------

run_as_pg() {
	# Run a command as the user that owns the cluster, from inside the test
	# bed so that a cwd the user cannot read (a checkout under /root) is moot.
	local user
	user="$(pg_user_of "$DIR")"
	if [[ -z "$user" ]]; then
		(cd "$DIR" && "$@")
	elif command -v runuser >/dev/null 2>&1; then
		(cd "$DIR" && runuser -u "$user" -- "$@")
	else
		(cd "$DIR" && setpriv --reuid="$user" --regid="$(id -g "$user")" --clear-groups -- "$@")
	fi
}

pg_user_of() {
	if [[ -f "$1/run_as" ]]; then
		cat "$1/run_as"
	fi
}

# ---- start ------------------------------------------------------------------

write_env() {
	local url="$1" user
	user="$(pg_user_of "$DIR")"
	{
		# These would send libpq elsewhere than PGHOST/PGPORT.
		printf 'unset PGHOSTADDR PGSERVICE PGSERVICEFILE PGOPTIONS\n'
		printf 'export PGHOST=%q\n' "$DIR/sock"
		printf 'export PGPORT=%q\n' "$(cat "$DIR/port")"
		printf 'export PGUSER=%q\n' "${CF_PG_SUPERUSER:-postgres}"
		printf 'export PGDATABASE=%q\n' postgres
		printf 'export CF_EMULATOR_URL=%q\n' "$url"
		printf 'export CF_API_URL=%q\n' "$url/client/v4"
		printf 'export CF_TESTBED_DIR=%q\n' "$DIR"
		printf 'export CF_PGDATA=%q\n' "$DIR/data"
		printf 'export CF_PG_LOG=%q\n' "$DIR/postgres.log"
		printf 'export CF_EMULATOR_LOG=%q\n' "$DIR/emulator.log"
		printf 'export CF_PG_BINDIR=%q\n' "$PG_BINDIR"
		printf 'export PG_CONFIG=%q\n' "$PG_CONFIG"
		printf 'export CF_PG_RUN_AS=%q\n' "$user"
	} >"$DIR/env.sh"
}

start_postgres() {
	local port user preload lib
	preload="${CF_PRELOAD-cloudflare_fdw,pg_cron}"
	IFS=',' read -r -a libs <<<"$preload"
	for lib in "${libs[@]}"; do
		lib="${lib//[[:space:]]/}"
		[[ -z "$lib" ]] && continue
		[[ -f "$PG_PKGLIBDIR/$lib.so" ]] ||
			cf_die "shared_preload_libraries names $lib, but $PG_PKGLIBDIR/$lib.so is missing (make install? postgresql-N-cron? or set CF_PRELOAD)"
	done

	user=""
	if cf_is_root; then
		user="${CF_RUN_AS:-nobody}"
		id -u "$user" >/dev/null 2>&1 || cf_die "CF_RUN_AS user $user does not exist"
	fi
	printf '%s\n' "$user" >"$DIR/run_as"
	mkdir -p "$DIR/sock" "$DIR/scratch"
	if [[ -n "$user" ]]; then
		chown -R "$user:$(id -g "$user")" "$DIR"
		run_as_pg test -w "$DIR" ||
			cf_die "$user cannot write $DIR: its parent folders must be searchable (set TMPDIR=/tmp)"
	fi

	port="$(cf_free_port)"
	printf '%s\n' "$port" >"$DIR/port"
	cf_log "initdb (as ${user:-$(id -un)}) in $DIR/data"
	if ! run_as_pg "$PG_BINDIR/initdb" -D "$DIR/data" -U "${CF_PG_SUPERUSER:-postgres}" \
		--auth=trust -E UTF8 --locale=C --no-sync >"$DIR/initdb.log" 2>&1; then
		tail -n 30 "$DIR/initdb.log" >&2
		return 1
	fi
	{
		printf '\n# test bed settings (scripts/testbed.sh)\n'
		printf "port = %s\n" "$port"
		printf "listen_addresses = ''\n"
		printf "unix_socket_directories = '%s'\n" "${DIR//\'/\'\'}/sock"
		printf "shared_preload_libraries = '%s'\n" "$preload"
		printf "cron.database_name = '%s'\n" "${CF_CRON_DB:-contrib_regression}"
		# a small response cache, so that sql/cache.sql can fill it
		if [[ ",$preload," == *,cloudflare_fdw,* ]]; then
			printf "cloudflare_fdw.cache_size = '2MB'\n"
		fi
		printf "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
		printf "max_connections = 40\n"
		printf "log_line_prefix = '%%m [%%p] %%q%%u@%%d '\n"
		printf "lc_messages = 'C'\n"
		printf '%s\n' "${CF_PG_CONF:-}"
	} >>"$DIR/data/postgresql.conf"

	cf_log "starting PostgreSQL on port $port, socket dir $DIR/sock"
	if ! run_as_pg "$PG_BINDIR/pg_ctl" -w -t 60 -D "$DIR/data" -l "$DIR/postgres.log" start >/dev/null; then
		cf_warn "PostgreSQL did not start; tail of $DIR/postgres.log:"
		tail -n 40 "$DIR/postgres.log" >&2 || true
		return 1
	fi
}

start_emulator() {
	local i url=""
	if [[ ! -f "$EMULATOR" ]]; then
		cf_warn "$EMULATOR is missing"
		return 1
	fi
	rm -f "$DIR/emulator.url"
	local args=(-u "$EMULATOR" --port 0 --port-file "$DIR/emulator.url")
	if [[ -n "${CF_EMULATOR_DATA:-}" ]]; then
		args+=(--data "$CF_EMULATOR_DATA")
	fi
	if [[ -n "${CF_EMULATOR_ARGS:-}" ]]; then
		local extra
		read -r -a extra <<<"$CF_EMULATOR_ARGS"
		args+=("${extra[@]}")
	fi
	# Started from the checkout, as the caller (it may need to read /root).
	(cd "$CF_ROOT" && exec python3 "${args[@]}") </dev/null >>"$DIR/emulator.log" 2>&1 &
	printf '%s\n' "$!" >"$DIR/emulator.pid"
	for ((i = 0; i < 200; i++)); do
		if [[ -s "$DIR/emulator.url" ]]; then
			url="$(head -n 1 "$DIR/emulator.url")"
			url="${url%/}"
			# A bare port number is accepted too.
			[[ "$url" =~ ^[0-9]+$ ]] && url="http://127.0.0.1:$url"
			[[ "$url" == http://* ]] && break
			url=""
		fi
		if ! kill -0 "$(cat "$DIR/emulator.pid")" 2>/dev/null; then
			break
		fi
		sleep 0.1
	done
	if [[ -z "$url" ]]; then
		cf_warn "the emulator did not start; tail of $DIR/emulator.log:"
		tail -n 40 "$DIR/emulator.log" >&2 || true
		return 1
	fi
	cf_log "emulator at $url (pid $(cat "$DIR/emulator.pid"))"
	write_env "$url"
}

cmd_start() {
	DIR=""
	while (($# > 0)); do
		case "$1" in
		--dir)
			DIR="$2"
			shift 2
			;;
		*) cf_die "start: unknown option $1" ;;
		esac
	done
	if [[ -z "$DIR" ]]; then
		DIR="$(mktemp -d "${TMPDIR:-/tmp}/cf_fdw_testbed.XXXXXX")"
	else
		[[ -d "$DIR" ]] || cf_die "start --dir: $DIR is not a folder"
		[[ -z "$(ls -A "$DIR")" ]] || cf_die "start --dir: $DIR is not empty"
	fi
	DIR="$(cd "$DIR" && pwd)"
	chmod 0755 "$DIR"
	# The socket path must fit in sun_path (107 bytes).
	((${#DIR} < 80)) || cf_die "temp folder path too long for a Unix socket: $DIR (set TMPDIR=/tmp)"

	# On any failure (set -e, cf_die, a signal) stop what was started and
	# delete the folder; on success leave everything running.
	START_OK=0
	trap 'on_start_exit' EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	start_postgres
	start_emulator
	START_OK=1
	trap - EXIT INT TERM
	cf_log "test bed up in $DIR; stop it with: scripts/testbed.sh stop '$DIR'"
	cat "$DIR/env.sh"
}

on_start_exit() {
	if [[ "$START_OK" != 1 ]]; then
		cf_warn "start failed; stopping what started and deleting $DIR"
		stop_dir "$DIR" || true
	fi
}

# ---- stop -------------------------------------------------------------------

# Stop the emulator started by this test bed, checking that the pid still
# belongs to it before signalling.
stop_emulator() {
	local dir="$1" pid i
	[[ -f "$dir/emulator.pid" ]] || return 0
	pid="$(cat "$dir/emulator.pid")"
	if [[ -n "$pid" ]] && grep -q cf_emulator "/proc/$pid/cmdline" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		for ((i = 0; i < 50; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -f "$dir/emulator.pid"
}

stop_postgres() {
	local dir="$1" pid i
	[[ -f "$dir/data/postmaster.pid" ]] || return 0
	DIR="$dir"
	if ! run_as_pg "$PG_BINDIR/pg_ctl" -w -t 30 -D "$dir/data" -m fast stop >/dev/null 2>&1; then
		# pg_ctl could not do it: signal the postmaster ourselves.
		pid="$(head -n 1 "$dir/data/postmaster.pid" 2>/dev/null || true)"
		if [[ -n "$pid" ]] && grep -q postgres "/proc/$pid/cmdline" 2>/dev/null; then
			kill -QUIT "$pid" 2>/dev/null || true
			for ((i = 0; i < 50; i++)); do
				kill -0 "$pid" 2>/dev/null || break
				sleep 0.1
			done
			kill -KILL "$pid" 2>/dev/null || true
		fi
	fi
}

stop_dir() {
	local dir="$1"
	[[ -n "$dir" && -d "$dir" ]] || return 0
	# Refuse to delete anything that is not a test bed folder.
	if [[ ! -f "$dir/run_as" && ! -f "$dir/port" && -n "$(ls -A "$dir")" ]]; then
		cf_warn "$dir does not look like a test bed; not deleting it"
		return 1
	fi
	stop_emulator "$dir"
	stop_postgres "$dir" || true
	rm -rf -- "$dir"
}

dir_arg() {
	DIR="${1:-${CF_TESTBED_DIR:-}}"
	[[ -n "$DIR" ]] || cf_die "no test bed: give its folder or set CF_TESTBED_DIR"
	[[ -d "$DIR" ]] || cf_die "no test bed folder $DIR"
}

cmd_stop() {
	DIR="${1:-${CF_TESTBED_DIR:-}}"
	[[ -n "$DIR" ]] || cf_die "stop: give the test bed folder or set CF_TESTBED_DIR"
	if [[ ! -d "$DIR" ]]; then
		cf_log "no test bed at $DIR (already stopped)"
		return 0
	fi
	cf_log "stopping the test bed in $DIR"
	stop_dir "$DIR"
}

cmd_env() {
	dir_arg "$@"
	cat "$DIR/env.sh"
}

cmd_status() {
	dir_arg "$@"
	local ok=0
	printf 'test bed: %s\n' "$DIR"
	if run_as_pg "$PG_BINDIR/pg_ctl" -D "$DIR/data" status >/dev/null 2>&1; then
		printf 'postgres: running, port %s, socket dir %s\n' "$(cat "$DIR/port")" "$DIR/sock"
	else
		printf 'postgres: not running\n'
		ok=1
	fi
	if [[ -f "$DIR/emulator.pid" ]] && kill -0 "$(cat "$DIR/emulator.pid")" 2>/dev/null; then
		printf 'emulator: running, %s\n' "$(head -n 1 "$DIR/emulator.url")"
	else
		printf 'emulator: not running\n'
		ok=1
	fi
	return "$ok"
}

cmd_restart_emulator() {
	dir_arg "$@"
	stop_emulator "$DIR"
	start_emulator || cf_die "could not restart the emulator"
	cat "$DIR/env.sh"
}

case "${1:-}" in
start)
	shift
	cmd_start "$@"
	;;
stop)
	shift
	cmd_stop "$@"
	;;
env)
	shift
	cmd_env "$@"
	;;
status)
	shift
	cmd_status "$@"
	;;
restart-emulator)
	shift
	cmd_restart_emulator "$@"
	;;
*)
	sed -n '2,27p' "$0" >&2
	exit 2
	;;
esac
