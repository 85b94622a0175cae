#!/usr/bin/env bash
# scripts/deb.sh: make deb.  Builds the Debian binary package
# postgresql-N-cloudflare-fdw for the PostgreSQL major of $PG_CONFIG (else
# 15), the way Debian's own extension packages are built: debian/control
# made from debian/control.in by pg_buildext, then dpkg-buildpackage with
# the pgxs_loop debhelper addon, which installs into
# /usr/lib/postgresql/N/lib and /usr/share/postgresql/N/extension.
#
#   make deb                                           # PostgreSQL 15
#   make deb PG_CONFIG=/usr/lib/postgresql/17/bin/pg_config
#
# The build runs in a copy of the checkout's files (tracked and untracked,
# not ignored) in a temp folder, so the checkout gets no debian/control or
# build products; the .deb lands in dist/.  Installs what it needs first
# (debhelper, dpkg-dev, postgresql-server-dev-all: install-deps.sh --deb).
# CF_DEB_OUT=DIR puts the .deb elsewhere.
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PGM="$(cf_pg_major)"
OUT="${CF_DEB_OUT:-$CF_ROOT/dist}"

bash "$CF_ROOT/scripts/install-deps.sh" --deb
[[ -x "/usr/lib/postgresql/$PGM/bin/pg_config" ]] ||
	cf_die "postgresql-server-dev-$PGM is not installed"

work="$(mktemp -d "${TMPDIR:-/tmp}/cf_fdw_deb.XXXXXX")"
trap 'rm -rf -- "$work"' EXIT
src="$work/cloudflare-fdw"
mkdir "$src"
cf_copy_sources "$src"

cf_log "building postgresql-$PGM-cloudflare-fdw in $src"
(
	cd "$src"
	export PG_SUPPORTED_VERSIONS="$PGM"
	pg_buildext updatecontrol
	dpkg-buildpackage -b -us -uc --no-sign
) </dev/null >"$work/build.log" 2>&1 || {
	tail -n 40 "$work/build.log" >&2
	cf_die "dpkg-buildpackage failed"
}
mkdir -p "$OUT"
shopt -s nullglob
debs=("$work"/postgresql-"$PGM"-cloudflare-fdw_*.deb)
((${#debs[@]})) || cf_die "no package postgresql-$PGM-cloudflare-fdw was built (log: dpkg-buildpackage above)"
cp "${debs[@]}" "$OUT/"
for d in "${debs[@]}"; do
	printf '%s\n' "$OUT/$(basename "$d")"
done
