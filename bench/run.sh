#!/usr/bin/env bash
# bench/run.sh: cloudflare_fdw's benchmark (`make bench`), and its smoke
# version for `make test` (test/runners.d/50-bench-smoke).
#
#   bench/run.sh               # the full benchmark (about 6-8 minutes on 2 cores)
#   bench/run.sh --smoke       # every measurement once, on tiny data (< 1 minute);
#                              # ends with "N passed, N failed"
#   bench/run.sh --runs 3      # fewer (or more) runs per figure (default 5)
#   bench/run.sh --no-profile  # skip the perf/callgrind profile
#   bench/run.sh --profile-only  # only the profile (bench/profile.sh)
#
# What it does (bench/README.md has the details and the figures):
#   1. installs missing packages (scripts/install-deps.sh), builds and
#      installs the extension (make && make install), builds bench/build/floor
#      (bench/floor.c); CF_SKIP_DEPS=1 / CF_SKIP_BUILD=1 skip those steps;
#   2. starts its own test bed (scripts/testbed.sh: a throwaway cluster and
#      the emulator serving the 100,000-organization data set) in a fresh
#      temp folder; bench/bench.py starts the other emulators (fan-out,
#      memory) itself;
#   3. runs bench/bench.py: every measurement, the targets, the profile;
#      the full run writes bench/results/latest.{md,json,png} and
#      bench/results/profile.md; --smoke writes only to its temp folder;
#   4. stops everything it started and deletes the temp folder, also on
#      failure or Ctrl-C.
#
# Exit status: 0 when every measurement was taken (missed targets are only
# reported), 1 when one could not be taken.
#
# Knobs (env): CF_SKIP_DEPS=1, CF_SKIP_BUILD=1, BENCH_RUNS (default 5),
# BENCH_PROFILER=auto|perf|callgrind, BENCH_PROFILE_SCANS (default 3),
# BENCH_SERVER_OPTIONS (extra server options for every FDW server, e.g.
# "rate_budget 'off'"), BENCH_KEEP=1 (keep the temp folder and print it), and
# those of scripts/testbed.sh (TMPDIR, CF_RUN_AS...).
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

MODE=full
RUNS="${BENCH_RUNS:-5}"
PROFILE=1
while (($# > 0)); do
	case "$1" in
	--smoke) MODE=smoke ;;
	--profile-only) MODE=profile ;;
	--runs)
		RUNS="$2"
		shift
		;;
	--no-profile) PROFILE=0 ;;
	-h | --help)
		sed -n '2,30p' "$0"
		exit 0
		;;
	*) cf_die "unknown option $1 (try --help)" ;;
	esac
	shift
done
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || cf_die "--runs wants a positive number, not $RUNS"

TESTBED="$CF_ROOT/scripts/testbed.sh"

# What bench.py started besides the test bed: its emulators (it also ties
# them to its own life) and a profiler.
# shellcheck disable=SC2317  # called from cf_bench_cleanup, the EXIT trap
stop_extra() {
	local pid
	if [[ -f "$CF_BENCH_WORK/emulators.pids" ]]; then
		while read -r pid; do
			[[ -n "$pid" ]] || continue
			if grep -q cf_emulator "/proc/$pid/cmdline" 2>/dev/null; then
				kill -TERM "$pid" 2>/dev/null || true
			fi
		done <"$CF_BENCH_WORK/emulators.pids"
	fi
	if [[ -f "$CF_BENCH_WORK/perf.pid" ]]; then
		pid="$(cat "$CF_BENCH_WORK/perf.pid")"
		if [[ -n "$pid" ]] && grep -q perf "/proc/$pid/cmdline" 2>/dev/null; then
			kill -INT "$pid" 2>/dev/null || true
		fi
	fi
}
CF_BENCH_BEFORE_CLEANUP=stop_extra

cf_bench_prepare
make -s -C "$CF_ROOT" PG_CONFIG="$PG_CONFIG" bench/build/floor >&2

# A folder of our own (not cf_fdw_testbed.*): every file the server reads
# (the COPY FROM PROGRAM script) lives here, readable by the server's user.
cf_bench_workdir cf_bench
WORK="$CF_BENCH_WORK"

if [[ "$MODE" == smoke ]]; then
	MAIN_ORGS=3000
else
	MAIN_ORGS=100000
fi
# The test bed's emulator serves the main data set: organizations only.
envtext="$(CF_PRELOAD=cloudflare_fdw CF_EMULATOR_DATA='' \
	CF_EMULATOR_ARGS="--seed 1 --orgs $MAIN_ORGS --roots 3 --members-per-org 0 --accounts-per-org 0 --memberships 0 --log-limit 1000" \
	"$TESTBED" start --dir "$WORK/tb")"
eval "$envtext"

args=(--mode "$MODE" --runs "$RUNS" --work "$WORK" --main-orgs "$MAIN_ORGS"
	--floor "$CF_ROOT/bench/build/floor")
((PROFILE)) || args+=(--no-profile)
if [[ "$MODE" != smoke ]]; then
	args+=(--results "$CF_ROOT/bench/results")
fi
python3 "$CF_ROOT/bench/bench.py" "${args[@]}"
