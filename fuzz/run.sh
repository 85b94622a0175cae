#!/usr/bin/env bash
# fuzz/run.sh: build and run cloudflare_fdw's fuzz targets (make fuzz,
# make fuzz-build, make fuzz-repro; see fuzz/README.md).
#
#   fuzz/run.sh build                  build fuzz/build/<target> for every target
#   fuzz/run.sh run [SECONDS]          build, then fuzz each target SECONDS
#                                      (default $FUZZ_TIME, else 60); prints one
#                                      line per target and "N passed, N failed"
#   fuzz/run.sh repro TARGET FILE...   build, then run TARGET once on each FILE
#
# Engine: libFuzzer (clang -fsanitize=fuzzer, from libclang-rt-14-dev) when
# clang can link it, else fuzz/standalone.c, a mutation loop without coverage
# feedback, with gcc or clang.  Both build with AddressSanitizer and
# UndefinedBehaviorSanitizer (UB is fatal).  FUZZ_ENGINE=libfuzzer|standalone
# forces one.
#
# Env: FUZZ_TIME, FUZZ_TARGETS (default "fuzz_body fuzz_headers fuzz_jsonscan"),
# FUZZ_PARALLEL (default 1: targets run side by side; 0: one after the
# other), FUZZ_ENGINE, CC_FUZZ (compiler), WERROR=1 (warnings are errors).
# The corpus each target grows is
# kept in fuzz/build/corpus/<target> (not in git) and reused next time;
# crashes go to fuzz/build/artifacts/<target>/.  No stdin is read; every
# run is under a time limit.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT" || exit 1
BUILD="$ROOT/fuzz/build"
TARGETS="${FUZZ_TARGETS:-fuzz_body fuzz_headers fuzz_jsonscan}"
PKG_CONFIG="${PKG_CONFIG:-pkg-config}"

log() { printf '==> %s\n' "$*" >&2; }

seeds_of() {
	case "$1" in
	fuzz_body) echo "$ROOT/fuzz/seeds/body" ;;
	fuzz_headers) echo "$ROOT/fuzz/seeds/headers" ;;
	*) echo "$ROOT/fuzz/seeds/${1#fuzz_}" ;;
	esac
}

pick_engine() {
	local cc="$1" probe
	if [[ -n "${FUZZ_ENGINE:-}" && "${FUZZ_ENGINE}" != auto ]]; then
		echo "$FUZZ_ENGINE"
		return
	fi
	probe="$(mktemp -d)"
	printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { return 0; }\n' >"$probe/p.c"
	if command -v "$cc" >/dev/null 2>&1 &&
		timeout 60 "$cc" -fsanitize=fuzzer,address "$probe/p.c" -o "$probe/p" >/dev/null 2>&1; then
		echo libfuzzer
	else
		echo standalone
	fi
	rm -rf -- "$probe"
}

cmd_build() {
	local cc engine t flags libs warn san
	cc="${CC_FUZZ:-clang}"
	engine="$(pick_engine "$cc")"
	if [[ "$engine" == standalone ]] && ! command -v "$cc" >/dev/null 2>&1; then
		cc=gcc
	fi
	if [[ "$engine" == standalone ]]; then
		log "libFuzzer is not available to $cc (install clang and libclang-rt-14-dev);" \
			"building with fuzz/standalone.c instead (no coverage feedback)"
	fi
	flags="$("$PKG_CONFIG" --cflags libcurl json-c)" || return 1
	libs="$("$PKG_CONFIG" --libs libcurl json-c)" || return 1
	warn="-Wall -Wextra -Wno-unused-parameter -Wno-sign-compare -Wno-missing-field-initializers"
	[[ "${WERROR:-}" == 1 ]] && warn+=" -Werror"
	san="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
	mkdir -p "$BUILD"
	for t in $TARGETS; do
		# shellcheck disable=SC2086  # flag lists
		if [[ "$engine" == libfuzzer ]]; then
			timeout 300 "$cc" -g -O1 -fno-omit-frame-pointer $warn -I"$ROOT/src" $flags \
				-fsanitize=fuzzer $san "fuzz/$t.c" -o "$BUILD/$t.new" $libs || return 1
		else
			timeout 300 "$cc" -g -O1 -fno-omit-frame-pointer $warn -I"$ROOT/src" $flags \
				$san "fuzz/$t.c" fuzz/standalone.c -o "$BUILD/$t.new" $libs || return 1
		fi
		mv -f "$BUILD/$t.new" "$BUILD/$t"
		log "built fuzz/build/$t ($engine, $cc)"
	done
	echo "$engine" >"$BUILD/engine"
}

# run_one TARGET SECONDS: fuzz one target; writes $BUILD/logs/TARGET.{log,result}
run_one() {
	local t="$1" secs="$2" corpus arts logf rc execs note engine
	engine="$(cat "$BUILD/engine")"
	corpus="$BUILD/corpus/$t"
	arts="$BUILD/artifacts/$t"
	logf="$BUILD/logs/$t.log"
	mkdir -p "$corpus" "$arts"
	rm -f -- "$arts"/crash-* "$arts"/leak-* "$arts"/timeout-* "$arts"/oom-* "$arts"/current
	rc=0
	# -timeout: one input taking 20 s is a hang; -rss_limit_mb: a blow-up.
	timeout -k 10 "$((secs + 120))" "$BUILD/$t" \
		-max_total_time="$secs" -timeout=20 -rss_limit_mb=2048 -max_len=65536 \
		-print_final_stats=1 -artifact_prefix="$arts/" \
		"$corpus" "$(seeds_of "$t")" </dev/null >"$logf" 2>&1 || rc=$?
	if [[ "$engine" == standalone && $rc -ne 0 && -f "$arts/current" ]]; then
		mv -f "$arts/current" "$arts/crash-standalone-$(date +%s)"
	fi
	rm -f -- "$arts/current"
	execs="$(sed -n -E 's/^stat::number_of_executed_units: *([0-9]+).*/\1/p' "$logf" | tail -n 1)"
	[[ -n "$execs" ]] || execs="$(sed -n -E 's/^Done ([0-9]+) runs in.*/\1/p' "$logf" | tail -n 1)"
	note="${execs:-?} execs in ${secs}s ($engine), corpus $(find "$corpus" -type f | wc -l) files"
	if ((rc == 0)) && [[ -z "$(ls -A "$arts")" ]]; then
		printf 'ok %s %s\n' "$t" "$note" >"$BUILD/logs/$t.result"
	else
		printf 'fail %s %s, exit %s\n' "$t" "$note" "$rc" >"$BUILD/logs/$t.result"
	fi
}

cmd_run() {
	local secs="${1:-${FUZZ_TIME:-60}}" t pids=() pass=0 fail=0 status name rest a
	[[ "$secs" =~ ^[0-9]+$ ]] || {
		echo "fuzz/run.sh: bad time: $secs" >&2
		exit 2
	}
	if ! cmd_build; then
		echo "not ok - building the fuzz targets"
		echo "0 passed, 1 failed"
		exit 1
	fi
	mkdir -p "$BUILD/logs"
	for t in $TARGETS; do
		rm -f -- "$BUILD/logs/$t.result"
		log "fuzzing $t for ${secs}s (log: fuzz/build/logs/$t.log)"
		if [[ "${FUZZ_PARALLEL:-1}" == 1 ]]; then
			run_one "$t" "$secs" &
			pids+=("$!")
		else
			run_one "$t" "$secs"
		fi
	done
	# shellcheck disable=SC2064
	trap "kill ${pids[*]:-} 2>/dev/null" EXIT INT TERM
	for t in "${pids[@]}"; do
		wait "$t"
	done
	trap - EXIT INT TERM
	for t in $TARGETS; do
		if [[ ! -f "$BUILD/logs/$t.result" ]]; then
			echo "not ok - $t: no result"
			fail=$((fail + 1))
			continue
		fi
		read -r status name rest <"$BUILD/logs/$t.result"
		if [[ "$status" == ok ]]; then
			echo "ok - $name: $rest"
			pass=$((pass + 1))
		else
			echo "not ok - $name: $rest"
			fail=$((fail + 1))
			echo "---- fuzz/build/logs/$t.log (last 60 lines) ----"
			grep -v -E '^#[0-9]+' "$BUILD/logs/$t.log" | tail -n 60
			for a in "$BUILD/artifacts/$t"/*; do
				[[ -f "$a" ]] || continue
				echo "---- input ${a#"$ROOT"/} ($(wc -c <"$a") bytes), base64: ----"
				base64 -w 0 "$a" | head -c 4000
				echo
				echo "reproduce: make fuzz-repro FUZZ_TARGET=$t FUZZ_INPUT=${a#"$ROOT"/}"
			done
		fi
	done
	echo "$pass passed, $fail failed"
	((fail == 0))
}

cmd_repro() {
	local t="${1:-}"
	shift || true
	if [[ -z "$t" || $# -eq 0 ]]; then
		echo "usage: fuzz/run.sh repro TARGET FILE..." >&2
		exit 2
	fi
	TARGETS="$t" cmd_build || exit 1
	timeout -k 10 300 "$BUILD/$t" "$@" </dev/null
}

case "${1:-}" in
build) cmd_build ;;
run)
	shift
	cmd_run "$@"
	;;
repro)
	shift
	cmd_repro "$@"
	;;
*)
	sed -n '2,12p' "$0" >&2
	exit 2
	;;
esac
