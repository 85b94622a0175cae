#!/usr/bin/env bash
# test/deep.d/lib/one.sh RUNNER: run one runner of test/deep.d/ the way
# make check-deep does (from the checkout's root, no stdin, the test bed's
# variables in its environment), against a test bed of its own that is
# stopped and deleted afterwards.  `make deep-one DEEP=10-valgrind` calls it.
# The extension must be built and installed already (make && make install).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../../.."
runner="${1:?usage: one.sh test/deep.d/RUNNER}"
[[ -x "$runner" ]] || { echo "one.sh: $runner is not an executable runner" >&2; exit 2; }
tb="$(mktemp -d "${TMPDIR:-/tmp}/cf_deep_one.XXXXXX")"
trap 'scripts/testbed.sh stop "$tb" >/dev/null 2>&1 || true' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
eval "$(scripts/testbed.sh start --dir "$tb")"
export CF_ROOT="$PWD" CF_SUITE=deep
rc=0
timeout -k 10 "${CF_RUNNER_TIMEOUT:-2700}" "$runner" </dev/null || rc=$?
exit "$rc"
