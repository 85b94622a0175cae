#!/usr/bin/env bash
# bench/soak.sh: `make soak`, the FDW under load and faults for several
# minutes (bench/soak.py says what each phase does).
#
#   bench/soak.sh            # the full soak (about 8 minutes); writes
#                            # bench/results/soak.md and soak.json
#   bench/soak.sh --short    # the short form test/deep.d/40-soak runs (about
#                            # 1 minute); writes only to its temp folder
#
# Like bench/run.sh it installs missing packages (CF_SKIP_DEPS=1 skips),
# builds and installs the extension (CF_SKIP_BUILD=1 skips), starts a test
# bed of its own (scripts/testbed.sh) in a temp folder, and stops it and
# deletes the folder on exit, also on failure or Ctrl-C.  bench/soak.py
# starts its own emulators.  Exit status: 0 when every phase ran.
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

SHORT=0
case "${1:-}" in
--short) SHORT=1 ;;
"") ;;
-h | --help)
	sed -n '2,15p' "$0"
	exit 0
	;;
*) cf_die "unknown option $1 (try --help)" ;;
esac

TESTBED="$CF_ROOT/scripts/testbed.sh"

cf_bench_prepare

cf_bench_workdir cf_soak_bed
eval "$(CF_PRELOAD=cloudflare_fdw "$TESTBED" start --dir "$CF_BENCH_WORK/tb")"

if ((SHORT)); then
	python3 "$CF_ROOT/bench/soak.py" --short
else
	mkdir -p "$CF_ROOT/bench/results"
	python3 "$CF_ROOT/bench/soak.py" --json "$CF_ROOT/bench/results/soak.json" \
		--md "$CF_ROOT/bench/results/soak.md"
fi
