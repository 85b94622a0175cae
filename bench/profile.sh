#!/usr/bin/env bash
# bench/profile.sh: one-off profile of the FDW's full scan, without the rest
# of the benchmark.  Starts its own test bed (as bench/run.sh does), serves
# the 100,000-organization data set, and profiles one backend running
# COPY (SELECT * FROM organizations) TO '/dev/null' (BENCH_PROFILE_SCANS
# times, default 3): perf record -e cpu-clock --call-graph dwarf when perf
# works here, else valgrind --tool=callgrind on the server.  Splits the CPU
# time into transfer, body checks, json-c parsing, freeing, conversion to
# Datums, tuple forming, FDW glue, COPY output and other (see
# bench/profile_split.py) and writes bench/results/profile.md.
#
#   bench/profile.sh                          # perf if it works, else callgrind
#   BENCH_PROFILER=callgrind bench/profile.sh # force callgrind
#   BENCH_KEEP=1 bench/profile.sh             # keep the temp folder: perf.folded
#                                             # (folded stacks for a flame graph)
# Knobs: those of bench/run.sh (CF_SKIP_DEPS, CF_SKIP_BUILD...).
set -euo pipefail
exec bash "$(dirname "${BASH_SOURCE[0]}")/run.sh" --profile-only "$@"
