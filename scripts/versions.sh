#!/usr/bin/env bash
# scripts/versions.sh: make test-versions.  The whole `make test` again on the
# other PostgreSQL majors, each in a Debian chroot, and each major's Debian
# package installed into a clean chroot with no build tools.  Needs root
# (debootstrap, chroot, mount).
#
#   make test-versions                   # 17 (Debian trixie) and 18 (forky)
#   CF_VERSIONS="18:forky" make test-versions
#
# For each MAJOR:SUITE of CF_VERSIONS (default "17:trixie 18:forky"):
#   1. the build chroot SUITE (scripts/chroot.sh: made by debootstrap the first
#      time, about 3 minutes and 2 GB, then reused from CF_CHROOT_CACHE,
#      default /var/cache/cloudflare_fdw/chroots) with what make test and
#      make deb need for MAJOR (install-deps.sh --print test / deb);
#   2. a copy of the checkout's files in it, then, inside,
#      `make test PG_CONFIG=/usr/lib/postgresql/MAJOR/bin/pg_config` (WERROR
#      as given) and `make deb` for MAJOR;
#   3. the runtime chroot SUITE-runtime (debootstrap plus postgresql-MAJOR
#      only), copied afresh; the .deb installed into the copy with apt-get
#      (which takes its dependencies from the mirror), no compiler, no make
#      in it; then a cluster there, CREATE EXTENSION, a server against an
#      emulator started here on the host, and queries whose answers are
#      checked against the emulator's own data.
# Every step counts: the suite's own "N passed, N failed" inside each build
# chroot, plus one check per package step.  The last line adds up all
# versions: "N passed, N failed".  Mounts are undone at the end, also on
# failure or Ctrl-C; a process still running inside is stopped first.
#
# Env: CF_VERSIONS, CF_CHROOT_CACHE, WERROR (passed to the inner make test).
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=scripts/chroot.sh
. "$CF_ROOT/scripts/chroot.sh"

cf_is_root || cf_die "make test-versions needs root (debootstrap, chroot, mount)"

VERSIONS="${CF_VERSIONS:-17:trixie 18:forky}"
PASSED=0
FAILED=0
SUMMARY=()
MOUNTED=()
EMU_PID=""
WORK="$(mktemp -d "${TMPDIR:-/tmp}/cf_fdw_versions.XXXXXX")"

# shellcheck disable=SC2317  # called from the EXIT trap
cleanup() {
	local d
	for d in "${MOUNTED[@]}"; do
		cf_chroot_umount "$d" || true
	done
	MOUNTED=()
	if [[ -n "$EMU_PID" ]]; then
		kill "$EMU_PID" 2>/dev/null || true
		wait "$EMU_PID" 2>/dev/null || true
	fi
	rm -rf -- "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

pass() {
	PASSED=$((PASSED + 1))
	echo "ok: $*"
}
fail() {
	FAILED=$((FAILED + 1))
	SUMMARY+=("FAILED: $*")
	echo "FAILED: $*"
}

mount_chroot() {
	cf_chroot_mount "$1"
	MOUNTED+=("$1")
}

umount_chroot() {
	local d keep=()
	cf_chroot_umount "$1" || true
	for d in "${MOUNTED[@]}"; do
		[[ "$d" == "$1" ]] || keep+=("$d")
	done
	MOUNTED=("${keep[@]}")
}

# ---- the suite and the package, built inside the build chroot -------------------

# suite_in MAJOR DIR: make test and make deb inside DIR; the .deb goes to
# $WORK/deb-MAJOR/.
suite_in() {
	local major="$1" dir="$2" log="$WORK/test-$major.log" counts p f rc=0
	local pgc="/usr/lib/postgresql/$major/bin/pg_config"
	rm -rf -- "$dir/build"
	mkdir -p "$dir/build/cloudflare_fdw"
	cf_copy_sources "$dir/build/cloudflare_fdw"
	mount_chroot "$dir"

	echo "================ PostgreSQL $major: make test (in $dir) ================"
	CF_CHROOT_PASS="WERROR" cf_chroot_run "$dir" bash -c \
		'cd /build/cloudflare_fdw && make test PG_CONFIG="$1" CF_DEPS_MODE=test' \
		bash "$pgc" 2>&1 | tee "$log" || rc=$?
	counts="$(cf_parse_counts "$log")"
	if [[ -z "$counts" ]]; then
		fail "PostgreSQL $major: make test printed no 'N passed, N failed' line (exit $rc)"
	else
		read -r p f <<<"$counts"
		PASSED=$((PASSED + p))
		FAILED=$((FAILED + f))
		((f == 0)) || SUMMARY+=("FAILED: PostgreSQL $major: make test: $f failed")
		if ((rc != 0 && f == 0)); then
			fail "PostgreSQL $major: make test exited $rc"
		fi
		SUMMARY+=("PostgreSQL $major: make test: $p passed, $f failed")
	fi

	echo "================ PostgreSQL $major: make deb ================"
	mkdir -p "$WORK/deb-$major"
	if cf_chroot_run "$dir" bash -c \
		'cd /build/cloudflare_fdw && make deb PG_CONFIG="$1" CF_DEB_OUT=/build/dist' \
		bash "$pgc" >"$WORK/deb-$major.log" 2>&1 &&
		cp "$dir"/build/dist/postgresql-"$major"-cloudflare-fdw_*.deb "$WORK/deb-$major/"; then
		pass "PostgreSQL $major: make deb built $(basename "$WORK/deb-$major"/*.deb)"
	else
		tail -n 30 "$WORK/deb-$major.log"
		fail "PostgreSQL $major: make deb"
	fi
	umount_chroot "$dir"
}

# ---- the package, installed into a clean chroot --------------------------------

start_emulator() {
	[[ -n "$EMU_PID" ]] && return 0
	python3 -u "$CF_ROOT/emulator/cf_emulator.py" --port 0 --port-file "$WORK/emu.url" \
		</dev/null >"$WORK/emulator.log" 2>&1 &
	EMU_PID=$!
	local i
	for ((i = 0; i < 100; i++)); do
		[[ -s "$WORK/emu.url" ]] && break
		sleep 0.1
	done
	EMU_URL="$(head -n 1 "$WORK/emu.url")"
	[[ "$EMU_URL" =~ ^[0-9]+$ ]] && EMU_URL="http://127.0.0.1:$EMU_URL"
	EMU_URL="${EMU_URL%/}"
	[[ "$EMU_URL" == http://* ]] || cf_die "the emulator did not start: $(tail -n 5 "$WORK/emulator.log")"
}

# package_in MAJOR SUITE: install the .deb into a fresh copy of the runtime
# chroot and use it against the emulator.
package_in() {
	local major="$1" suite="$2" base run deb out expect
	deb="$(compgen -G "$WORK/deb-$major/*.deb" | head -n 1 || true)"
	if [[ -z "$deb" ]]; then
		fail "PostgreSQL $major: no package to install"
		return
	fi
	if ! (cf_chroot_ensure "$suite-runtime" "$suite" "postgresql-$major"); then
		fail "PostgreSQL $major: making the clean $suite-runtime chroot"
		return
	fi
	base="$CF_CHROOT_CACHE/$suite-runtime"
	run="$CF_CHROOT_CACHE/$suite-runtime.run"
	rm -rf -- "$run"
	cp -a "$base" "$run"
	mount_chroot "$run"
	cp "$deb" "$run/tmp/"

	echo "================ PostgreSQL $major: the package in a clean $suite ================"
	if cf_chroot_run "$run" sh -c 'command -v gcc || command -v cc || command -v make' >/dev/null; then
		fail "PostgreSQL $major: the runtime chroot has build tools"
	else
		pass "PostgreSQL $major: no compiler and no make in the runtime chroot"
	fi
	if cf_chroot_run "$run" sh -c 'apt-get install -y -q --no-install-recommends "/tmp/$1" >/tmp/apt.log 2>&1' \
		sh "$(basename "$deb")"; then
		pass "PostgreSQL $major: apt-get install $(basename "$deb")"
	else
		tail -n 20 "$run/tmp/apt.log"
		fail "PostgreSQL $major: apt-get install $(basename "$deb")"
		umount_chroot "$run"
		rm -rf -- "$run"
		return
	fi
	if [[ -f "$run/usr/lib/postgresql/$major/lib/cloudflare_fdw.so" &&
		-f "$run/usr/share/postgresql/$major/extension/cloudflare_fdw.control" ]]; then
		pass "PostgreSQL $major: files under /usr/lib/postgresql/$major/lib and /usr/share/postgresql/$major/extension"
	else
		fail "PostgreSQL $major: the package's files are not where Debian puts them"
	fi

	start_emulator
	# The truth: the emulator's own organizations, straight from its API.
	expect="$(CF_EMULATOR_URL="$EMU_URL" python3 "$CF_ROOT/emulator/ctl.py" dump organizations |
		python3 -c 'import json, sys; r = json.load(sys.stdin); print(len(r)); print(min(o["name"] for o in r))')" ||
		expect="(the emulator's data could not be read)"
	out="$(cf_chroot_run "$run" bash -c '
		set -e
		bin=/usr/lib/postgresql/$1/bin
		mkdir -p /tmp/pg && chown postgres: /tmp/pg
		cd /tmp
		runuser -u postgres -- "$bin/initdb" -D /tmp/pg/data -A trust -E UTF8 --locale=C >/tmp/initdb.log
		runuser -u postgres -- "$bin/pg_ctl" -w -D /tmp/pg/data -l /tmp/pg/log \
			-o "-c listen_addresses= -c unix_socket_directories=/tmp/pg -c port=5499" start >/dev/null
		psql() { runuser -u postgres -- "$bin/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h /tmp/pg -p 5499 -d postgres "$@"; }
		psql -c "CREATE EXTENSION cloudflare_fdw" \
			-c "CREATE SERVER cloudflare FOREIGN DATA WRAPPER cloudflare_fdw OPTIONS (api_url '\''$2/client/v4'\'')" \
			-c "CREATE USER MAPPING FOR CURRENT_USER SERVER cloudflare OPTIONS (api_token '\''test-token'\'')" \
			-c "IMPORT FOREIGN SCHEMA cloudflare FROM SERVER cloudflare INTO public"
		psql -c "SELECT extversion FROM pg_extension WHERE extname = '\''cloudflare_fdw'\''" \
			-c "SELECT count(*) FROM organizations" \
			-c "SELECT min(name) FROM organizations" \
			-c "SHOW server_version_num"
		runuser -u postgres -- "$bin/pg_ctl" -w -D /tmp/pg/data stop >/dev/null
	' bash "$major" "$EMU_URL" 2>&1)" || true
	echo "$out"
	# Expect: the extension's version, the emulator's count and first name,
	# and a server of this major.
	if [[ "$(sed -n 2p <<<"$out")" == "$(sed -n 1p <<<"$expect")" &&
		"$(sed -n 3p <<<"$out")" == "$(sed -n 2p <<<"$expect")" &&
		"$(sed -n 4p <<<"$out")" == "$major"* && -n "$(sed -n 1p <<<"$out")" ]]; then
		pass "PostgreSQL $major: CREATE EXTENSION from the package and queries against the emulator"
	else
		echo "expected: $(tr '\n' ' ' <<<"$expect")"
		fail "PostgreSQL $major: the packaged extension did not answer as the emulator's data says"
	fi
	umount_chroot "$run"
	rm -rf -- "$run"
}

for v in $VERSIONS; do
	major="${v%%:*}"
	suite="${v#*:}"
	[[ "$major" =~ ^[0-9]+$ && -n "$suite" && "$suite" != "$v" ]] ||
		cf_die "CF_VERSIONS entries are MAJOR:SUITE, not $v"
	mapfile -t pkgs < <(
		CF_PG_MAJOR="$major" PG_CONFIG="" bash "$CF_ROOT/scripts/install-deps.sh" --print test
		CF_PG_MAJOR="$major" PG_CONFIG="" bash "$CF_ROOT/scripts/install-deps.sh" --print deb
		printf '%s\n' git procps ca-certificates
	)
	mapfile -t pkgs < <(printf '%s\n' "${pkgs[@]}" | sort -u)
	if ! (cf_chroot_ensure "$suite" "$suite" "${pkgs[@]}"); then
		fail "PostgreSQL $major: making the $suite chroot"
		continue
	fi
	suite_in "$major" "$CF_CHROOT_CACHE/$suite"
	package_in "$major" "$suite"
done

echo
echo "================ summary (make test-versions) ================"
for line in "${SUMMARY[@]}"; do
	echo "$line"
done
echo "$PASSED passed, $FAILED failed"
((FAILED == 0))
