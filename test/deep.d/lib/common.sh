# shellcheck shell=bash
# test/deep.d/lib/common.sh: helpers shared by the runners of test/deep.d/.
# Sourced, never run (this folder holds no runner: scripts/run-tests.sh
# skips folders).

PASS=0
FAIL=0

# check STATUS NAME [DETAIL]: count one test.
check() {
	if [[ "$1" == 0 ]]; then
		PASS=$((PASS + 1))
		echo "ok - $2${3:+ ($3)}"
	else
		FAIL=$((FAIL + 1))
		echo "not ok - $2${3:+ ($3)}"
	fi
}

# finish: the protocol line, and the exit status.
finish() {
	echo "$PASS passed, $FAIL failed"
	((FAIL == 0))
}

# bail MESSAGE: set-up failed; one failure.
bail() {
	echo "set-up failed: $*"
	check 1 "set-up: $*"
	finish
	exit 1
}

need_testbed() {
	local v
	for v in PGHOST PGPORT PGUSER CF_API_URL CF_EMULATOR_URL CF_TESTBED_DIR CF_PG_BINDIR; do
		[[ -n "${!v:-}" ]] || bail "\$$v is not set: run me through make check-deep or make deep-one"
	done
}

# as_pg CMD...: run CMD as the OS user the test bed's server runs as.
as_pg() {
	if [[ -n "${CF_PG_RUN_AS:-}" && "$(id -u)" == 0 ]]; then
		runuser -u "$CF_PG_RUN_AS" -- "$@"
	else
		"$@"
	fi
}

free_port() {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# wait_ready HOST PORT SECONDS [PID]: wait for the server to accept
# connections; give up early if PID (what started it) has exited.
wait_ready() {
	local i
	for ((i = 0; i < $3; i++)); do
		"$CF_PG_BINDIR/pg_isready" -q -h "$1" -p "$2" -t 2 && return 0
		if [[ -n "${4:-}" ]] && ! kill -0 "$4" 2>/dev/null; then
			return 1
		fi
		sleep 1
	done
	return 1
}

# Lines of a file from line N on (for "what did the server log since").
since_line() {
	tail -n "+$(($2 + 1))" "$1" 2>/dev/null
}

line_count() {
	if [[ -f "$1" ]]; then wc -l <"$1"; else echo 0; fi
}

# The settings of the test bed's postgresql.conf that a throwaway cluster
# must share to run the same SQL (the preloaded libraries, pg_cron's database).
testbed_setting() {
	sed -n -E "s/^[[:space:]]*$1[[:space:]]*=[[:space:]]*'?([^'#]*)'?.*/\1/p" \
		"${CF_PGDATA:-/nonexistent}/postgresql.conf" 2>/dev/null | tail -n 1
}
