# mk/project.mk: the project's own targets, included at the end of the PGXS
# Makefile.  The work is done by scripts/ (see each script's header):
#
#   make demo               install deps, build, install, start a throwaway
#                           cluster + emulator, run demo/showcase.sql; psql
#                           prompt when interactive; cleans up on exit
#   make shell              the same set-up, no showcase: psql at once, with
#                           pg_cron and the emulator's ctl.py one \\! away
#   make test               the same set-up, then the whole suite (pg_regress,
#                           emulator unit tests, Prism, test/runners.d/*);
#                           ends with one "N passed, N failed" line
#   make check-deep         the same set-up, then test/deep.d/* runners
#   make test-versions      as root: the whole make test again inside Debian
#                           chroots with PostgreSQL 17 (trixie) and 18 (forky),
#                           plus each major's .deb installed into a clean
#                           chroot; one "N passed, N failed" line for all
#   make deb                the Debian package postgresql-N-cloudflare-fdw of
#                           $$PG_CONFIG's major (default 15), into dist/
#   make deps               only install the system packages
#   make installcheck-only  pg_regress against the test bed already running in
#                           this shell (eval "$$(scripts/testbed.sh start)"),
#                           without deps/build/install; REGRESS=name to pick
#   make testbed-env        print the test bed's exports for $$CF_TESTBED_DIR
#
# Make variables given on the command line (WERROR=1, REGRESS=..., PG_CONFIG=...)
# reach the inner `make` and `make installcheck` calls through MAKEFLAGS.
# Recipes use paths relative to the checkout (make runs there), so a checkout
# under a folder whose name has spaces works.

.PHONY: demo shell test check-deep test-versions deb deps installcheck-only testbed-env

demo:
	@bash scripts/demo.sh

shell:
	@bash scripts/demo.sh --shell

test:
	@bash scripts/run-tests.sh test

check-deep:
	@bash scripts/run-tests.sh deep

test-versions:
	@bash scripts/versions.sh

deb:
	@bash scripts/deb.sh

deps:
	@bash scripts/install-deps.sh

installcheck-only:
	@bash scripts/run-tests.sh installcheck

testbed-env:
	@bash scripts/testbed.sh env
