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
WORK=""

# shellcheck disable=SC2317  # called from the EXIT trap
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	if [[ -n "$WORK" && -d "$WORK" ]]; then
		if [[ -f "$WORK/tb/env.sh" || -f "$WORK/tb/run_as" ]]; then
			"$TESTBED" stop "$WORK/tb" >/dev/null 2>&1 || true
		fi
		rm -rf -- "$WORK"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [[ "${CF_SKIP_DEPS:-0}" != 1 ]]; then
	bash "$CF_ROOT/scripts/install-deps.sh"
fi
PG_CONFIG="$(cf_pg_config)"
export PG_CONFIG
if [[ "${CF_SKIP_BUILD:-0}" != 1 ]]; then
	cf_build_install
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/cf_dashboard_bed.XXXXXX")"
chmod 0755 "$WORK"
mkdir "$WORK/tb"
eval "$(CF_PRELOAD=cloudflare_fdw CF_PG_CONF="cloudflare_fdw.cache_size = '64MB'" \
	"$TESTBED" start --dir "$WORK/tb")"

mkdir -p "$CF_ROOT/bench/results"
python3 "$CF_ROOT/bench/dashboard.py" --md "$CF_ROOT/bench/results/dashboard.md" \
	--json "$CF_ROOT/bench/results/dashboard.json" "$@"
