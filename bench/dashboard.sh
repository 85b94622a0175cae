#!/usr/bin/env bash
# bench/dashboard.sh: `make bench-dashboard`, a reporting dashboard's
# refreshes with and without the response cache (bench/dashboard.py says
# what it runs).  Writes bench/results/dashboard.md and dashboard.json.
#
# Like bench/soak.sh it installs missing packages (CF_SKIP_DEPS=1 skips),
# builds and installs the extension (CF_SKIP_BUILD=1 skips), starts a test
# bed of its own with the library preloaded and a 64MB cache, and stops it
# and deletes its folder on exit.  bench/dashboard.py starts its emulator.
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

TESTBED="$CF_ROOT/scripts/testbed.sh"

cf_bench_prepare

cf_bench_workdir cf_dashboard_bed
eval "$(CF_PRELOAD=cloudflare_fdw CF_PG_CONF="cloudflare_fdw.cache_size = '64MB'" \
	"$TESTBED" start --dir "$CF_BENCH_WORK/tb")"

mkdir -p "$CF_ROOT/bench/results"
python3 "$CF_ROOT/bench/dashboard.py" --md "$CF_ROOT/bench/results/dashboard.md" \
	--json "$CF_ROOT/bench/results/dashboard.json" "$@"
