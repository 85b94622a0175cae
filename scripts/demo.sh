#!/usr/bin/env bash
# scripts/demo.sh: `make demo`.  Installs what is missing, builds and installs
# cloudflare_fdw, starts a throwaway PostgreSQL cluster and the Cloudflare API
# emulator with its sample data (scripts/testbed.sh), connects the two
# (demo/setup.sql: server, user mapping, IMPORT FOREIGN SCHEMA) and runs
# demo/showcase.sql.
#
# With a terminal on stdin it then leaves you at a psql prompt in the demo
# database; the cluster and the emulator go away when psql exits.  Without one
# it prints the showcase and exits (0 when every statement succeeded).
# Either way nothing is left behind: no server, no emulator, no temp folder,
# also on failure or Ctrl-C.
#
# scripts/demo.sh --shell (make shell) skips the showcase: the same set-up,
# plus pg_cron created in the database (cron.database_name names it), then
# psql at once, with CF_EMULATOR_URL set so that the emulator's control CLI
# is one \! away (\! python3 emulator/ctl.py log).  Without a terminal psql
# reads its commands from stdin, so a script can drive the shell.
#
# Knobs (env): CF_SKIP_DEPS=1, CF_SKIP_BUILD=1, CF_DEMO_INTERACTIVE=0|1 (force
# the mode), and those of scripts/testbed.sh.
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DEMO_DB=cloudflare_demo
SHELL_MODE=0
if [[ "${1:-}" == --shell ]]; then
	SHELL_MODE=1
fi
TESTBED="$CF_ROOT/scripts/testbed.sh"
WORK=""
IN_PSQL=0

# shellcheck disable=SC2317  # called from the EXIT trap
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	if [[ -n "$WORK" && -d "$WORK" ]]; then
		if [[ -f "$WORK/tb/env.sh" || -f "$WORK/tb/run_as" ]]; then
			"$TESTBED" stop "$WORK/tb" >/dev/null 2>&1 || "$TESTBED" stop "$WORK/tb" || true
		fi
		rm -rf -- "$WORK"
	fi
	if ((rc != 0)); then
		cf_warn "the demo failed (exit $rc); everything it started is stopped"
	fi
	exit "$rc"
}

# Ctrl-C at the psql prompt belongs to psql (it cancels the query there);
# anywhere else it ends the demo.
# shellcheck disable=SC2317  # called from the INT trap
on_int() {
	((IN_PSQL)) && return 0
	exit 130
}

trap cleanup EXIT
trap on_int INT
trap 'exit 143' TERM

if [[ -n "${CF_DEMO_INTERACTIVE:-}" ]]; then
	interactive="$CF_DEMO_INTERACTIVE"
elif [[ -t 0 ]]; then
	interactive=1
else
	interactive=0
fi

bash "$CF_ROOT/scripts/install-deps.sh"
PG_CONFIG="$(cf_pg_config)"
export PG_CONFIG
if [[ "${CF_SKIP_BUILD:-0}" != 1 ]]; then
	cf_build_install
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/cf_fdw_demo.XXXXXX")"
chmod 0755 "$WORK"
mkdir "$WORK/tb"
# pg_cron (preloaded, as in the tests) watches the demo database.
envtext="$(CF_CRON_DB="${CF_CRON_DB:-$DEMO_DB}" "$TESTBED" start --dir "$WORK/tb")"
eval "$envtext"

psql_demo() {
	"$CF_PG_BINDIR/psql" -X -v ON_ERROR_STOP=1 -d "$DEMO_DB" "$@"
}

"$CF_PG_BINDIR/createdb" "$DEMO_DB"
cf_log "connecting $DEMO_DB to the emulator at $CF_API_URL"
psql_demo -q -v api_url="$CF_API_URL" -v api_token=test-token \
	-f "$CF_ROOT/demo/setup.sql"

if ((SHELL_MODE)); then
	psql_demo -q -c "CREATE EXTENSION IF NOT EXISTS pg_cron" ||
		cf_warn "pg_cron is not available: cron.schedule() will not work here"
	cat <<EOF

cloudflare_fdw shell: psql in database $DEMO_DB, with the foreign tables
organizations, organization_accounts, organization_profiles,
organization_members and memberships (schema public, server "cloudflare")
served by the emulator at $CF_API_URL, and pg_cron.
  \\! python3 emulator/ctl.py log        the requests the FDW sent
  \\! python3 emulator/ctl.py clear      forget them
  \\! python3 emulator/ctl.py reset      the sample data again
  \\! python3 emulator/ctl.py --help     faults, latency, rate limits, dumps
Quit with \\q: the cluster and the emulator are then stopped and removed.

EOF
	IN_PSQL=1
	rc=0
	if [[ -t 0 ]]; then
		set -m
		"$CF_PG_BINDIR/psql" -d "$DEMO_DB" || rc=$?
		set +m
	else
		"$CF_PG_BINDIR/psql" -X -d "$DEMO_DB" || rc=$?
	fi
	IN_PSQL=0
	exit "$rc"
fi

echo
psql_demo -P pager=off -f "$CF_ROOT/demo/showcase.sql"

if [[ "$interactive" == 1 ]]; then
	cat <<EOF

You are in psql, database $DEMO_DB, with the foreign tables organizations,
organization_accounts, organization_profiles, organization_members and
memberships in schema public, served by the emulator at $CF_API_URL.
Try \\d organizations, or EXPLAIN (VERBOSE) on a query to see the request.
Quit with \\q: the cluster and the emulator are then stopped and removed.

EOF
	# With job control on, psql runs in a process group of its own that owns
	# the terminal, so Ctrl-C there reaches psql alone (which cancels the
	# query) and neither make nor this script.
	IN_PSQL=1
	rc=0
	set -m
	"$CF_PG_BINDIR/psql" -d "$DEMO_DB" || rc=$?
	set +m
	IN_PSQL=0
	exit "$rc"
fi
