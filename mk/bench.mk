# mk/bench.mk: `make bench`, included at the end of the top-level Makefile.
#
#   make bench              the benchmark: bench/run.sh (deps, build, install,
#                           its own test bed, every measurement, the profile);
#                           writes bench/results/latest.{md,png,json} and
#                           bench/results/profile.md and prints the table
#   make bench-smoke        every measurement once on tiny data (what
#                           `make test` runs through test/runners.d/50-bench-smoke)
#   make bench/build/floor  only the floor program (bench/floor.c)
#
# BENCH_RUNS=N (runs per figure, default 5) and the knobs of bench/run.sh
# pass through the environment.  See bench/README.md.

.PHONY: bench bench-smoke

BENCH_CFLAGS ?= -O2 -g -Wall -Wextra $(if $(filter 1,$(WERROR)),-Werror)

bench/build/floor: bench/floor.c
	@mkdir -p bench/build
	$(CC) $(BENCH_CFLAGS) -o $@ bench/floor.c \
		$(shell $(PKG_CONFIG) --cflags --libs libcurl json-c)

bench:
	@bash bench/run.sh

bench-smoke:
	@bash bench/run.sh --smoke

# make soak: the FDW under load and faults (bench/soak.sh, bench/soak.py);
# writes bench/results/soak.{md,json}.  Its short form runs in make check-deep
# (test/deep.d/40-soak).
.PHONY: soak

soak:
	@bash bench/soak.sh

# make bench-dashboard: a dashboard's refreshes with and without the
# response cache (bench/dashboard.sh, bench/dashboard.py); writes
# bench/results/dashboard.{md,json}.
.PHONY: bench-dashboard

bench-dashboard:
	@bash bench/dashboard.sh
