#!/usr/bin/env bash
# test/prism/run.sh: contract tests of the emulator against Cloudflare's
# OpenAPI document, through Prism's validating proxy.
#
# Installs @stainless-api/prism-cli@5.15.0 (the version Cloudflare's SDKs pin)
# with npm into $CF_CACHE_DIR (default <repo>/.cache/prism) unless it is
# already there, starts the emulator (sample data) and
#   prism proxy <organizations.json> http://127.0.0.1:EMU/client/v4 --errors
# on free loopback ports, then runs test/prism/traffic.py through Prism: every
# operation, filter and pagination mode with X-Auth-Email/X-Auth-Key, each
# response checked for the expected status and for any Prism violation.
#
# Env: CF_OPENAPI   the OpenAPI document (default <repo>/spec/organizations.json, made by scripts/derive-spec.py)
#      CF_CACHE_DIR where Prism is installed (default <repo>/.cache/prism)
#      PYTHON       python3 to use (default python3)
# Prints "N passed, N failed" last; exits non-zero on any failure, and fails
# loudly (never skips) when npm, node or Prism is unavailable.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SPEC="${CF_OPENAPI:-$ROOT/spec/organizations.json}"
CACHE="${CF_CACHE_DIR:-$ROOT/.cache/prism}"
PY="${PYTHON:-python3}"
PRISM_VERSION=5.15.0
WORK="$(mktemp -d "${TMPDIR:-/tmp}/cf-prism.XXXXXX")"
EMU_PID=""
PRISM_PID=""

log() { printf 'prism/run.sh: %s\n' "$*" >&2; }

cleanup() {
	if [[ -n "$PRISM_PID" ]] && kill -0 "$PRISM_PID" 2>/dev/null; then
		kill -- "-$PRISM_PID" 2>/dev/null || kill "$PRISM_PID" 2>/dev/null
		wait "$PRISM_PID" 2>/dev/null
	fi
	if [[ -n "$EMU_PID" ]] && kill -0 "$EMU_PID" 2>/dev/null; then
		kill "$EMU_PID" 2>/dev/null
		wait "$EMU_PID" 2>/dev/null
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

die() {
	log "$*"
	for f in "$WORK/emulator.log" "$WORK/prism.log"; do
		if [[ -s "$f" ]]; then
			log "tail of $(basename "$f"):"
			tail -n 30 "$f" >&2
		fi
	done
	echo "0 passed, 1 failed"
	exit 1
}

[[ -f "$SPEC" ]] || die "OpenAPI document not found: $SPEC (set CF_OPENAPI)"
command -v node >/dev/null || die "node is not installed (apt-get install nodejs npm)"
command -v npm >/dev/null || die "npm is not installed (apt-get install npm)"
command -v "$PY" >/dev/null || die "$PY is not installed"

# shellcheck source=../prism/install.sh
. "$ROOT/test/prism/install.sh"
prism_install

# the emulator, on a free port
"$PY" -u "$ROOT/emulator/cf_emulator.py" --port 0 --port-file "$WORK/emulator.url" \
	</dev/null >"$WORK/emulator.log" 2>&1 &
EMU_PID=$!
for _ in $(seq 100); do
	[[ -s "$WORK/emulator.url" ]] && break
	kill -0 "$EMU_PID" 2>/dev/null || die "the emulator exited"
	sleep 0.1
done
[[ -s "$WORK/emulator.url" ]] || die "the emulator did not start"
EMU_URL="$(head -n 1 "$WORK/emulator.url")"
log "emulator at $EMU_URL"

# Prism's proxy, on a free port (retried if the port is taken meanwhile)
free_port() {
	"$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}
for attempt in 1 2 3; do
	PORT="$(free_port)"
	: >"$WORK/prism.log"
	setsid "$PRISM" proxy "$SPEC" "$EMU_URL/client/v4" --errors -p "$PORT" -h 127.0.0.1 \
		</dev/null >"$WORK/prism.log" 2>&1 &
	PRISM_PID=$!
	up=""
	for _ in $(seq 600); do
		if grep -q "Prism is listening" "$WORK/prism.log"; then
			up=1
			break
		fi
		kill -0 "$PRISM_PID" 2>/dev/null || break
		grep -q "fatal" "$WORK/prism.log" && break
		sleep 0.1
	done
	[[ -n "$up" ]] && break
	kill -- "-$PRISM_PID" 2>/dev/null
	wait "$PRISM_PID" 2>/dev/null
	PRISM_PID=""
	log "prism did not start (attempt $attempt)"
done
[[ -n "$PRISM_PID" ]] || die "prism proxy did not start"
log "prism $PRISM_VERSION proxy at http://127.0.0.1:$PORT -> $EMU_URL/client/v4"

"$PY" "$ROOT/test/prism/traffic.py" "http://127.0.0.1:$PORT" "$EMU_URL" </dev/null
rc=$?
if [[ $rc -ne 0 ]]; then
	log "traffic failed (exit $rc); prism log: $WORK/prism.log (tail below)"
	grep -i "violation\|error" "$WORK/prism.log" | tail -n 20 >&2
fi
exit $rc
