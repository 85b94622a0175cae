#!/usr/bin/env bash
# test/contract/run.sh: the FDW's contract tests against Cloudflare's own
# OpenAPI document, with Prism (the validator Cloudflare's SDKs test against)
# judging every request the FDW sends and every response it accepts.
#
#   test/contract/run.sh            # after `make && sudo make install`
#
# Runs from make test as test/runners.d/30-contract, with the test bed's
# environment (PGHOST, PGPORT, PGUSER, CF_EMULATOR_URL, CF_PG_BINDIR, ...).
# Started without one, it starts its own test bed (scripts/testbed.sh) and
# stops it on exit.
#
# 1. Installs @stainless-api/prism-cli@5.15.0 with npm into $CF_CACHE_DIR
#    (default <repo>/.cache/prism) unless it is there, as test/prism/run.sh does.
# 2. proxy suite: `prism proxy $CF_OPENAPI $CF_EMULATOR_URL/client/v4 --errors`
#    on a free port, test/contract/tap.py in front of it, and the project's
#    pg_regress files (as rewritten by test/contract/prepare.py: email + key
#    credentials, fault-rule blocks cut, Prism's query encoding in the request
#    log) plus test/contract/proxy/sql/*, with CF_API_URL pointing at the tap.
# 3. mock suite: `prism mock $CF_OPENAPI` (no emulator) and the pg_regress
#    files of test/contract/mock/: every table reads the document's examples,
#    every write is accepted, a full scan meets the pagination guard.
# 4. After each suite, test/contract/check.py fails on any violation in the
#    tap's record or in Prism's log that no test asserted, and on any query
#    parameter name the document does not declare (Prism lets those through).
#    Negative controls then prove that check.py does report each kind.
#
# Each pg_regress file counts as one test, each check as one.  Prints
# "contract: N passed, N failed" last; exits non-zero on any failure.  Fails
# loudly (never skips) when node, npm, Prism or the document is missing.
#
# Env: CF_OPENAPI    the OpenAPI document (default <repo>/spec/organizations.json, made by scripts/derive-spec.py)
#      CF_CACHE_DIR  where Prism is installed (default <repo>/.cache/prism)
#      CF_CONTRACT_KEEP=1  keep the work folder (results, diffs, logs) and print its path
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT" || exit 1
SPEC="${CF_OPENAPI:-$ROOT/spec/organizations.json}"
CACHE="${CF_CACHE_DIR:-$ROOT/.cache/prism}"
PRISM_VERSION=5.15.0
WORK="$(mktemp -d "${TMPDIR:-/tmp}/cf-contract.XXXXXX")"
chmod 0755 "$WORK"
PIDS=()          # process groups we started (prism, tap)
OWN_TB=""        # the test bed folder, when we started one
PASSED=0
FAILED=0

log() { printf 'contract: %s\n' "$*" >&2; }

stop_pid() {
	local pid="$1"
	if kill -0 "$pid" 2>/dev/null; then
		kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null
		for _ in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL -- "-$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || true
}

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	local pid
	for pid in "${PIDS[@]}"; do
		stop_pid "$pid"
	done
	if [[ -n "$OWN_TB" ]]; then
		"$ROOT/scripts/testbed.sh" stop "$OWN_TB" >/dev/null 2>&1 || true
	fi
	if [[ "${CF_CONTRACT_KEEP:-0}" == 1 ]]; then
		log "work folder kept: $WORK"
	else
		rm -rf "$WORK"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

pass() {
	PASSED=$((PASSED + 1))
	printf 'ok     %s\n' "$*"
}
fail() {
	FAILED=$((FAILED + 1))
	printf 'FAILED %s\n' "$*"
}
die() {
	log "$*"
	fail "set-up: $*"
	echo "contract: $PASSED passed, $FAILED failed"
	exit 1
}

# ---- prerequisites ------------------------------------------------------------

[[ -f "$SPEC" ]] || die "OpenAPI document not found: $SPEC (set CF_OPENAPI)"
command -v node >/dev/null || die "node is not installed (scripts/install-deps.sh installs nodejs and npm)"
command -v npm >/dev/null || die "npm is not installed (scripts/install-deps.sh installs nodejs and npm)"
command -v python3 >/dev/null || die "python3 is not installed"

# shellcheck source=../prism/install.sh
. "$ROOT/test/prism/install.sh"
prism_install

# The test bed: make test's, or our own.
if [[ -z "${PGHOST:-}" || -z "${CF_EMULATOR_URL:-}" || -z "${CF_PG_BINDIR:-}" ]]; then
	log "no test bed in the environment: starting one (scripts/testbed.sh)"
	OWN_TB="$WORK/testbed"
	mkdir "$OWN_TB"
	envtext="$("$ROOT/scripts/testbed.sh" start --dir "$OWN_TB")" || die "could not start a test bed"
	eval "$envtext"
fi
PG_REGRESS="$(dirname "$("${PG_CONFIG:-$CF_PG_BINDIR/pg_config}" --pgxs)")/../../src/test/regress/pg_regress"
[[ -x "$PG_REGRESS" ]] || die "pg_regress not found at $PG_REGRESS (postgresql-server-dev-N)"
# pg_regress 16 and later read expected files from --expecteddir (default:
# the current folder), not from --inputdir
EXPECTEDDIR_OPT=()
if "$PG_REGRESS" --help 2>/dev/null | grep -q -- '--expecteddir'; then
	EXPECTEDDIR_OPT=(--expecteddir=)
fi

# ---- helpers --------------------------------------------------------------------

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# start_prism NAME ARGS...: prism ARGS on a free port, in its own process
# group, logging to $WORK/NAME.prism.log; sets PRISM_URL.
start_prism() {
	local name="$1" plog="$WORK/$1.prism.log" port up pid attempt
	shift
	PRISM_URL=""
	for attempt in 1 2 3; do
		port="$(free_port)"
		: >"$plog"
		setsid "$PRISM" "$@" -p "$port" -h 127.0.0.1 </dev/null >"$plog" 2>&1 &
		pid=$!
		up=""
		for _ in $(seq 900); do
			if grep -q "Prism is listening" "$plog"; then
				up=1
				break
			fi
			kill -0 "$pid" 2>/dev/null || break
			grep -qi "fatal" "$plog" && break
			sleep 0.1
		done
		if [[ -n "$up" ]]; then
			PIDS+=("$pid")
			PRISM_URL="http://127.0.0.1:$port"
			return 0
		fi
		stop_pid "$pid"
		log "prism $name did not start (attempt $attempt); tail of its log:"
		tail -n 15 "$plog" >&2
	done
	return 1
}

# start_tap NAME UPSTREAM: tap.py in front of UPSTREAM, recording to
# $WORK/NAME.tap.jsonl; sets TAP_URL and exports CF_CONTRACT_TAP_RECORD.
start_tap() {
	local name="$1" upstream="$2" pf="$WORK/$1.tap.url" pid
	TAP_URL=""
	export CF_CONTRACT_TAP_RECORD="$WORK/$name.tap.jsonl"
	: >"$CF_CONTRACT_TAP_RECORD"
	setsid python3 "$ROOT/test/contract/tap.py" serve "$upstream" --port-file "$pf" \
		--record "$CF_CONTRACT_TAP_RECORD" </dev/null >"$WORK/$name.tap.log" 2>&1 &
	pid=$!
	PIDS+=("$pid")
	for _ in $(seq 100); do
		[[ -s "$pf" ]] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	[[ -s "$pf" ]] || {
		cat "$WORK/$name.tap.log" >&2
		return 1
	}
	TAP_URL="$(head -n 1 "$pf")"
}

# run_regress NAME DB INPUTDIR TESTS...: pg_regress from the checkout's root
# (the tests run `python3 emulator/ctl.py` and `test/contract/tap.py`), one
# test counted per file.
run_regress() {
	local name="$1" db="$2" inputdir="$3" out="$WORK/$1.out" line t
	shift 3
	mkdir -p "$out"
	"$CF_PG_BINDIR/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
	"$PG_REGRESS" --inputdir="$inputdir" "${EXPECTEDDIR_OPT[@]/%/$inputdir}" --outputdir="$out" \
		--bindir="$CF_PG_BINDIR" --dbname="$db" --load-extension=cloudflare_fdw "$@" \
		</dev/null >"$out/pg_regress.log" 2>&1
	for t in "$@"; do
		# pg_regress 15: "test name ... ok"; 16 and later: "ok N - name"
		line="$(grep -E "^test $t +\.\.\. |^(not )?ok [0-9]+ +- $t( |$)" "$out/pg_regress.log" | tail -n 1)"
		if [[ "$line" =~ \.\.\.\ ok || "$line" =~ ^ok\  ]]; then
			pass "$name: $t"
		elif [[ -n "$line" ]]; then
			fail "$name: $t (see the diff below)"
		else
			fail "$name: $t did not run (pg_regress output below)"
		fi
	done
	if grep -qE '\.\.\. FAILED|^not ok [0-9]+ ' "$out/pg_regress.log" || ! grep -qE 'All [0-9]+ tests passed' "$out/pg_regress.log"; then
		echo "---- $name: pg_regress output ----"
		cat "$out/pg_regress.log"
		if [[ -s "$out/regression.diffs" ]]; then
			echo "---- $name: regression.diffs (first 400 lines of $(wc -l <"$out/regression.diffs")) ----"
			head -n 400 "$out/regression.diffs"
		fi
		echo "---- end of $name ----"
	fi
}

# check_suite NAME: check.py on the suite's tap record and Prism log.
check_suite() {
	local name="$1"
	if python3 "$ROOT/test/contract/check.py" --label "$name" --record "$WORK/$name.tap.jsonl" \
		--prism-log "$WORK/$name.prism.log" --document "$SPEC"; then
		pass "$name: no contract violation (tap record and Prism's log)"
	else
		fail "$name: contract violations (listed above)"
	fi
}

# ---- proxy suite: the regression tests through prism proxy --errors ------------

log "prism $PRISM_VERSION, document $SPEC"
start_prism proxy proxy "$SPEC" "${CF_EMULATOR_URL%/}/client/v4" --errors || die "prism proxy did not start"
start_tap proxy "$PRISM_URL" || die "the tap in front of prism proxy did not start"
PROXY_TAP_URL="$TAP_URL"
log "proxy suite: FDW -> tap $TAP_URL -> prism proxy $PRISM_URL -> emulator $CF_EMULATOR_URL/client/v4"

mkdir -p "$WORK/proxy.in"
if ! python3 "$ROOT/test/contract/prepare.py" "$WORK/proxy.in" >"$WORK/proxy.tests"; then
	fail "proxy: test/contract/prepare.py could not rewrite the regression tests (message above)"
else
	read -r -a PROXY_TESTS <"$WORK/proxy.tests"
	for f in "$ROOT"/test/contract/proxy/sql/*.sql; do
		[[ -f "$f" ]] || continue
		t="$(basename "$f" .sql)"
		if [[ -e "$WORK/proxy.in/sql/$t.sql" ]]; then
			fail "proxy: test/contract/proxy/sql/$t.sql has the name of a file in sql/: rename it"
			continue
		fi
		cp "$f" "$WORK/proxy.in/sql/"
		cp "$ROOT/test/contract/proxy/expected/$t.out" "$WORK/proxy.in/expected/" 2>/dev/null ||
			: >"$WORK/proxy.in/expected/$t.out"
		PROXY_TESTS+=("$t")
	done
	# The tests read \getenv cf_api_url CF_API_URL: the FDW talks to the tap.
	export CF_API_URL="$TAP_URL"
	run_regress proxy contrib_regression "$WORK/proxy.in" "${PROXY_TESTS[@]}"
fi
check_suite proxy

# ---- mock suite: prism mock, no emulator ----------------------------------------

start_prism mock mock "$SPEC" || die "prism mock did not start"
start_tap mock "$PRISM_URL" || die "the tap in front of prism mock did not start"
log "mock suite: FDW -> tap $TAP_URL -> prism mock $PRISM_URL"
MOCK_TESTS=()
for f in "$ROOT"/test/contract/mock/sql/*.sql; do
	[[ -f "$f" ]] && MOCK_TESTS+=("$(basename "$f" .sql)")
done
((${#MOCK_TESTS[@]})) || die "no test/contract/mock/sql/*.sql"
export CF_API_URL="$TAP_URL"
run_regress mock cf_contract_mock "$ROOT/test/contract/mock" "${MOCK_TESTS[@]}"
"$CF_PG_BINDIR/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS cf_contract_mock WITH (FORCE)" >/dev/null 2>&1 || true
check_suite mock

# ---- negative controls: check.py reports violations nobody asserted ------------

# control NAME SUITE TAP PATH PATTERN: send GET PATH (email + key) through
# the tap at TAP, then check.py on SUITE's record and Prism log must fail with
# a line matching PATTERN.
control() {
	local name="$1" suite="$2" tap="$3" path="$4" pattern="$5"
	python3 - "$tap" "$path" <<'PY' >"$WORK/control.out" 2>&1
import sys, urllib.request, urllib.error
req = urllib.request.Request(sys.argv[1] + sys.argv[2],
                             headers={"X-Auth-Email": "user@example.com", "X-Auth-Key": "144c9defac04969c7bfad8efaa8ea194"})
try:
    print("HTTP", urllib.request.urlopen(req, timeout=60).status)
except urllib.error.HTTPError as e:
    print("HTTP", e.code)
PY
	if python3 "$ROOT/test/contract/check.py" --label control --record "$WORK/$suite.tap.jsonl" \
		--prism-log "$WORK/$suite.prism.log" --document "$SPEC" >"$WORK/control.check" 2>&1; then
		fail "control: check.py missed $name"
		cat "$WORK/control.out" "$WORK/control.check"
	elif grep -qE "$pattern" "$WORK/control.check"; then
		pass "control: check.py reports $name"
	else
		fail "control: check.py failed, but did not report $name"
		cat "$WORK/control.out" "$WORK/control.check"
	fi
}

# A request that breaks the document (page_size above its maximum of 1000):
# Prism's 422 with its validation text.
control "a request violation (page_size=1001 -> Prism's 422)" mock "$TAP_URL" "/organizations?page_size=1001" \
	'GET /organizations\?page_size=1001 .*-> 422; prism: .*page_size must be <= 1000'

# A query parameter the document does not declare (Prism lets unknown names
# through; check.py compares them with the document).
control "an undeclared query parameter (pagesize)" mock "$TAP_URL" "/organizations?pagesize=5" \
	'GET /organizations\?pagesize=5 .*-> 200: query parameter pagesize not declared for GET /organizations'

# A response that breaks it: the emulator's wrong_types fault behind prism
# proxy --errors (ids and names as numbers, booleans as "yes"/"no").
if python3 "$ROOT/emulator/ctl.py" fault '{"method": "GET", "path": "^/memberships$", "kind": "wrong_types"}' >/dev/null; then
	control "a response violation (wrong_types -> Prism's 500)" proxy "$PROXY_TAP_URL" "/memberships" \
		'GET /memberships .*-> 500; prism: Request/Response not valid: .*response/body/result/0/.* must be'
	python3 "$ROOT/emulator/ctl.py" faults-clear >/dev/null || true
else
	fail "control: could not add the emulator's wrong_types fault"
fi

echo "contract: $PASSED passed, $FAILED failed"
((FAILED == 0))
