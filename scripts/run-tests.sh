#!/usr/bin/env bash
# scripts/run-tests.sh: cloudflare_fdw's test driver (make test, make
# check-deep, make installcheck-only).
#
#   scripts/run-tests.sh test          # make test: the whole suite
#   scripts/run-tests.sh deep          # make check-deep: test/deep.d/* runners
#   scripts/run-tests.sh installcheck  # make installcheck-only: pg_regress only,
#                                      # against the test bed of this shell
#
# `test` and `deep` first install missing system packages
# (scripts/install-deps.sh), build and install the extension, and start a test
# bed (scripts/testbed.sh: a throwaway PostgreSQL cluster plus the API
# emulator, in a fresh temp folder); they stop it and delete the folder when
# done, also on failure or Ctrl-C.  `test` runs, in this order:
#   1. pg_regress: `make installcheck` (sql/*.sql against expected/*.out),
#      each test counting as one; on failure regression.diffs is printed
#   2. emulator unit tests: python3 -m unittest discover -s emulator/tests,
#      each test counting as one (when the folder exists)
#   3. test/prism/run.sh, the Prism contract tests (when present)
#   4. every runner in test/runners.d/
# `deep` runs every runner in test/deep.d/ instead.
#
# Every run ends with exactly one line "N passed, N failed" that adds up every
# test of every runner, and exits non-zero when anything failed (a runner that
# could not run, or whose set-up failed, counts as one failure).
#
# Plug-in folders: test/runners.d/ (make test) and test/deep.d/ (make
# check-deep).  A runner is any executable file there whose name does not start
# with "." or end in "~" (others, like a README, are skipped); they run in
# name order (LC_ALL=C), each:
#   - from the checkout's root, with no standard input, under a time limit
#     (CF_RUNNER_TIMEOUT seconds: default 900 for make test, 2700 for
#     check-deep; then TERM, to the runner's whole process group);
#   - against a freshly restarted emulator holding its sample data (so earlier
#     runners' writes do not leak in), and the same PostgreSQL cluster;
#   - with these variables in its environment:
#       PGHOST PGPORT PGUSER  the cluster: socket dir, port, superuser role
#       PGDATABASE            postgres (make your own database; the pg_regress
#                             one, contrib_regression, is pg_cron's and is
#                             dropped and re-made by pg_regress)
#       CF_EMULATOR_URL       emulator base URL (emulator/ctl.py reads it)
#       CF_API_URL            $CF_EMULATOR_URL/client/v4, the FDW's api_url
#       CF_TESTBED_DIR        the test bed's temp folder (deleted afterwards);
#                             CF_TESTBED_DIR/scratch is free for runners
#       CF_PGDATA CF_PG_LOG   the cluster's data folder and server log
#       CF_EMULATOR_LOG       the emulator's log
#       CF_PG_BINDIR          PostgreSQL 15's bin folder; PG_CONFIG its pg_config
#       CF_PG_RUN_AS          OS user the server runs as ("" = this user; as
#                             root it is nobody: run your own servers as it too)
#       CF_ROOT               the checkout
#       CF_SUITE              test or deep
#   - printing, as its last such line, "N passed, N failed" (one word and a
#     colon may stand before it, ", N skipped" may follow), and exiting
#     non-zero if anything failed.  A runner that prints no such line counts
#     as one failure, and so does one that exits non-zero yet reports none.
# If a runner leaves the server down, that counts as one more failure and the
# test bed is restarted for the next runner.
#
# Knobs (env): CF_SKIP_DEPS=1 (no package check), CF_SKIP_BUILD=1 (use the
# installed build), CF_KEEP_TESTBED=1 (leave the test bed running and print how
# to reach it), CF_RUNNER_TIMEOUT, and those of scripts/testbed.sh (CF_PRELOAD,
# CF_CRON_DB, CF_EMULATOR_DATA, ...).  Make variables given to make
# (WERROR=1, REGRESS=name ...) reach the inner make calls.
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SUITE="${1:-test}"
case "$SUITE" in
test | deep | installcheck) ;;
*)
	sed -n '2,8p' "$0" >&2
	exit 2
	;;
esac
export CF_SUITE="$SUITE"

if [[ "$SUITE" == deep ]]; then
	TIMEOUT="${CF_RUNNER_TIMEOUT:-2700}"
else
	TIMEOUT="${CF_RUNNER_TIMEOUT:-900}"
fi

TESTBED="$CF_ROOT/scripts/testbed.sh"
WORK=""          # temp folder for logs and the test bed
TB=""            # the test bed folder
OWN_TB=0         # 1 when we started it (and so stop it)
TB_SERIAL=0      # test beds started so far (a crashed server gets a new one)
RUNNER_PID=""    # the runner now running, for the traps
TAIL_PID=""
TOTAL_PASSED=0
TOTAL_FAILED=0
TOTAL_SKIPPED=0
SUMMARY=()
FAILED_ANY=0

# ---- teardown ---------------------------------------------------------------

kill_runner() {
	if [[ -n "$RUNNER_PID" ]]; then
		kill -TERM "$RUNNER_PID" 2>/dev/null || true
		wait "$RUNNER_PID" 2>/dev/null || true
		RUNNER_PID=""
	fi
	if [[ -n "$TAIL_PID" ]]; then
		kill "$TAIL_PID" 2>/dev/null || true
		wait "$TAIL_PID" 2>/dev/null || true
		TAIL_PID=""
	fi
}

stop_testbed() {
	if [[ -n "$TB" && "$OWN_TB" == 1 ]]; then
		if [[ "${CF_KEEP_TESTBED:-0}" == 1 && -f "$TB/env.sh" ]]; then
			cf_log "CF_KEEP_TESTBED=1: the test bed stays up; reach it with"
			cf_log "  eval \"\$(scripts/testbed.sh env '$TB')\"   and stop it with   scripts/testbed.sh stop '$TB'"
		else
			"$TESTBED" stop "$TB" >/dev/null 2>&1 || "$TESTBED" stop "$TB" || true
		fi
		TB=""
	fi
}

# shellcheck disable=SC2317  # called from the EXIT trap
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	kill_runner
	stop_testbed
	if [[ -n "$WORK" && -d "$WORK" && "${CF_KEEP_TESTBED:-0}" != 1 ]]; then
		rm -rf -- "$WORK"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- counting ---------------------------------------------------------------

# record NAME PASSED FAILED [SKIPPED [NOTE]]
record() {
	local name="$1" p="$2" f="$3" s="${4:-0}" note="${5:-}" line
	TOTAL_PASSED=$((TOTAL_PASSED + p))
	TOTAL_FAILED=$((TOTAL_FAILED + f))
	TOTAL_SKIPPED=$((TOTAL_SKIPPED + s))
	((f == 0)) || FAILED_ANY=1
	line="$(printf '%-28s %4d passed, %4d failed' "$name" "$p" "$f")"
	((s == 0)) || line+=", $s skipped"
	[[ -z "$note" ]] || line+="  ($note)"
	SUMMARY+=("$line")
}

finish() {
	local line
	echo
	echo "================ summary ($SUITE) ================"
	if ((${#SUMMARY[@]} == 0)); then
		echo "no runners"
	else
		for line in "${SUMMARY[@]}"; do
			echo "$line"
		done
	fi
	((TOTAL_SKIPPED == 0)) || echo "($TOTAL_SKIPPED skipped, not counted)"
	if ((FAILED_ANY)) && [[ -n "$TB" && -d "$TB" ]]; then
		echo "---- tail of the server log ($TB/postgres.log) ----"
		tail -n 40 "$TB/postgres.log" 2>/dev/null || true
		echo "---- tail of the emulator log ($TB/emulator.log) ----"
		tail -n 40 "$TB/emulator.log" 2>/dev/null || true
	fi
	# Tear down before the closing line, so that it is the last one.
	kill_runner
	stop_testbed
	echo "$TOTAL_PASSED passed, $TOTAL_FAILED failed"
	if ((FAILED_ANY || TOTAL_FAILED > 0)); then
		exit 1
	fi
	exit 0
}

setup_failed() {
	cf_warn "set-up failed: $*"
	record "set-up" 0 1 0 "$*"
	finish
}

# ---- the test bed -----------------------------------------------------------

start_testbed() {
	TB_SERIAL=$((TB_SERIAL + 1))
	TB="$WORK/tb$TB_SERIAL"
	OWN_TB=1
	mkdir "$TB"
	local envtext
	envtext="$("$TESTBED" start --dir "$TB")" || return 1
	eval "$envtext"
}

restart_emulator() {
	local envtext
	envtext="$("$TESTBED" restart-emulator "$TB")" || return 1
	eval "$envtext"
}

server_alive() {
	"$CF_PG_BINDIR/pg_isready" -q -t 5 >/dev/null 2>&1
}

# ---- running one runner -----------------------------------------------------

# run_logged LOG CMD...: run CMD from the checkout's root with no stdin under
# the time limit, its output going to LOG and, as it comes, to our stdout.
# Sets RC.  Runs in the background so that our traps fire at once.
run_logged() {
	local log="$1"
	shift
	: >"$log"
	(cd "$CF_ROOT" && exec timeout -k 10 "$TIMEOUT" "$@") </dev/null >"$log" 2>&1 &
	RUNNER_PID=$!
	tail -n +1 -s 0.2 -f --pid="$RUNNER_PID" "$log" &
	TAIL_PID=$!
	RC=0
	wait "$RUNNER_PID" || RC=$?
	RUNNER_PID=""
	wait "$TAIL_PID" 2>/dev/null || true
	TAIL_PID=""
	if ((RC == 124)); then
		cf_warn "timed out after ${TIMEOUT}s: $*"
	fi
}

# Parse a protocol runner's output: prints "P F S" or nothing.
protocol_counts() {
	sed -n -E 's/^[[:space:]]*([A-Za-z0-9_.-]+:[[:space:]]*)?([0-9]+) passed, ([0-9]+) failed(, ([0-9]+) skipped)?[[:space:]]*$/\2 \3 \5/p' "$1" |
		tail -n 1 | awk '{ print $1, $2, ($3 == "" ? 0 : $3) }'
}

# Count the result of a runner with its exit code: a runner that reports no
# failure but exits non-zero, or reports nothing, counts as one failure.
record_protocol() {
	local name="$1" log="$2" counts p f s
	counts="$(protocol_counts "$log")"
	if ((RC == 124 || RC == 137)); then
		p="${counts%% *}"
		record "$name" "${p:-0}" 1 0 "timed out after ${TIMEOUT}s"
		return
	fi
	if [[ -z "$counts" ]]; then
		record "$name" 0 1 0 "no 'N passed, N failed' line; exit $RC"
		return
	fi
	read -r p f s <<<"$counts"
	if ((RC != 0 && f == 0)); then
		record "$name" "$p" 1 "$s" "exit $RC"
	else
		record "$name" "$p" "$f" "$s"
	fi
}

after_runner() {
	local name="$1"
	if [[ "$OWN_TB" == 1 ]] && ! server_alive; then
		cf_warn "PostgreSQL is down after $name; tail of its log:"
		tail -n 40 "$TB/postgres.log" >&2 || true
		record "$name: server down" 0 1
		stop_testbed
		start_testbed || setup_failed "could not restart the test bed"
	fi
}

run_plugin() {
	local file="$1" name log
	name="${file#"$CF_ROOT"/}"
	log="$WORK/logs/$(basename "$file").log"
	echo
	echo "================ $name ================"
	if ! restart_emulator; then
		record "$name" 0 1 0 "emulator restart failed"
		return
	fi
	run_logged "$log" "$file"
	record_protocol "$name" "$log"
	after_runner "$name"
}

run_plugin_dir() {
	local dir="$1" f found=0
	[[ -d "$dir" ]] || return 0
	while IFS= read -r -d '' f; do
		case "$(basename "$f")" in
		.* | *~) continue ;;
		esac
		[[ -f "$f" ]] || continue
		if [[ ! -x "$f" ]]; then
			cf_log "skipping ${f#"$CF_ROOT"/}: not executable"
			continue
		fi
		found=1
		run_plugin "$f"
	done < <(find "$dir" -mindepth 1 -maxdepth 1 -print0 | LC_ALL=C sort -z)
	((found)) || cf_log "no runners in ${dir#"$CF_ROOT"/}"
}

# ---- pg_regress -------------------------------------------------------------

run_pg_regress() {
	local log="$WORK/logs/pg_regress.log" ok failed sum p f
	echo
	echo "================ pg_regress (make installcheck) ================"
	if ! compgen -G "$CF_ROOT/sql/*.sql" >/dev/null; then
		cf_log "no sql/*.sql: pg_regress skipped"
		return
	fi
	# pg_cron's launcher stays connected to cron.database_name, which is the
	# regression database; pg_regress's plain DROP DATABASE would then fail.
	"$CF_PG_BINDIR/psql" -X -q -d postgres -c \
		"DROP DATABASE IF EXISTS contrib_regression WITH (FORCE)" >/dev/null 2>&1 || true
	rm -f "$CF_ROOT/regression.diffs" "$CF_ROOT/regression.out"
	run_logged "$log" make installcheck PG_CONFIG="$PG_CONFIG"

	# pg_regress 15 prints "test name ... ok"; 16 and later print TAP,
	# "ok N - name" and "not ok N - name", and "# " before the summary.
	ok="$(grep -cE '\.\.\. ok( |$)|^ok [0-9]+ ' "$log" || true)"
	failed="$(grep -cE '\.\.\. FAILED|^not ok [0-9]+ ' "$log" || true)"
	sum="$(grep -E 'All [0-9]+ tests passed|[0-9]+ of [0-9]+ tests (failed|passed)' "$log" | tail -n 1 || true)"
	if [[ "$sum" =~ All\ ([0-9]+)\ tests\ passed ]]; then
		p="${BASH_REMATCH[1]}"
		f=0
	elif [[ "$sum" =~ ([0-9]+)\ of\ ([0-9]+)\ tests\ failed(,\ ([0-9]+)\ of\ these\ failures\ ignored)? ]]; then
		f=$((BASH_REMATCH[1] - ${BASH_REMATCH[4]:-0}))
		p=$((BASH_REMATCH[2] - f))
	elif [[ "$sum" =~ ([0-9]+)\ of\ ([0-9]+)\ tests\ passed ]]; then
		# "N of M tests passed, K failed test(s) ignored."
		p="${BASH_REMATCH[2]}"
		f=0
	else
		# No summary: pg_regress did not get to the end.  Count what it
		# reported, plus one for the run itself.
		p="$ok"
		f=$((failed + 1))
	fi
	if ((RC != 0 && f == 0)); then
		record "pg_regress" "$p" 1 0 "exit $RC"
	else
		record "pg_regress" "$p" "$f"
	fi
	if ((RC != 0 || f > 0)); then
		if [[ -s "$CF_ROOT/regression.diffs" ]]; then
			echo "---- regression.diffs (first 300 lines of $(wc -l <"$CF_ROOT/regression.diffs")) ----"
			head -n 300 "$CF_ROOT/regression.diffs"
			echo "---- end of regression.diffs ----"
		fi
	fi
	after_runner pg_regress
}

# ---- emulator unit tests and Prism -------------------------------------------

run_unittest() {
	local log="$WORK/logs/unittest.log" ran status p f s kv k v fails=0 errs=0 skips=0 unexp=0
	[[ -d "$CF_ROOT/emulator/tests" ]] || {
		cf_log "no emulator/tests: emulator unit tests skipped"
		return
	}
	echo
	echo "================ emulator unit tests ================"
	run_logged "$log" python3 -m unittest discover -s emulator/tests
	ran="$(sed -n -E 's/^Ran ([0-9]+) tests? in .*/\1/p' "$log" | tail -n 1)"
	status="$(grep -E '^(OK|FAILED|NO TESTS RAN)( \(.*\))?$' "$log" | tail -n 1 || true)"
	if [[ "$status" == "NO TESTS RAN"* ]]; then
		# Python 3.12+ exits 5 when discovery finds nothing: an honest 0/0.
		record "emulator unit tests" 0 0 0 "no tests found"
		return
	fi
	if [[ -z "$ran" || -z "$status" ]]; then
		record "emulator unit tests" 0 1 0 "no unittest summary; exit $RC"
		return
	fi
	if [[ "$status" =~ \((.*)\) ]]; then
		IFS=',' read -r -a kv <<<"${BASH_REMATCH[1]}"
		for k in "${kv[@]}"; do
			v="${k##*=}"
			k="${k%%=*}"
			k="${k# }"
			case "$k" in
			failures) fails="$v" ;;
			errors) errs="$v" ;;
			skipped) skips="$v" ;;
			"unexpected successes") unexp="$v" ;;
			esac
		done
	fi
	f=$((fails + errs + unexp))
	s="$skips"
	p=$((ran - f - s))
	((p >= 0)) || p=0
	if ((RC != 0 && f == 0)); then
		record "emulator unit tests" "$p" 1 "$s" "exit $RC"
	else
		record "emulator unit tests" "$p" "$f" "$s"
	fi
}

run_prism() {
	local script="$CF_ROOT/test/prism/run.sh" log="$WORK/logs/prism.log"
	[[ -f "$script" ]] || {
		cf_log "no test/prism/run.sh: Prism contract tests skipped"
		return
	}
	echo
	echo "================ test/prism/run.sh ================"
	if [[ -x "$script" ]]; then
		run_logged "$log" "$script"
	else
		run_logged "$log" bash "$script"
	fi
	record_protocol "test/prism/run.sh" "$log"
}

# ---- main -------------------------------------------------------------------

WORK="$(mktemp -d "${TMPDIR:-/tmp}/cf_fdw_run.XXXXXX")"
chmod 0755 "$WORK"
mkdir "$WORK/logs"

if [[ "$SUITE" == installcheck ]]; then
	[[ -n "${PGHOST:-}" && -n "${CF_API_URL:-}" && -n "${CF_PG_BINDIR:-}" ]] ||
		cf_die "no test bed in this shell: first  eval \"\$(scripts/testbed.sh start)\""
	TB="${CF_TESTBED_DIR:-}"
	run_pg_regress
	finish
fi

cf_log "suite: $SUITE (checkout: $CF_ROOT)"
bash "$CF_ROOT/scripts/install-deps.sh" || setup_failed "installing system packages"
PG_CONFIG="$(cf_pg_config)"
export PG_CONFIG
if [[ "${CF_SKIP_BUILD:-0}" != 1 ]]; then
	cf_build_install || setup_failed "building or installing the extension"
fi
start_testbed || setup_failed "starting the test bed (cluster + emulator)"

if [[ "$SUITE" == test ]]; then
	run_pg_regress
	run_unittest
	run_prism
	run_plugin_dir "$CF_ROOT/test/runners.d"
else
	run_plugin_dir "$CF_ROOT/test/deep.d"
fi
finish
