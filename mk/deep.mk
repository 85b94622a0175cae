# mk/deep.mk: fuzzing and helpers for the deep checks, included at the end
# of the Makefile.  `make check-deep` (mk/project.mk) runs every runner in
# test/deep.d/ against a throwaway test bed; docs/testing-deep.md says what
# they do.
#
#   make fuzz [FUZZ_TIME=60]   build the fuzz targets (fuzz/*.c, with
#                              AddressSanitizer and UBSan) and run each for
#                              FUZZ_TIME seconds; ends with "N passed, N failed"
#   make fuzz-build            only build them, into fuzz/build/
#   make fuzz-repro FUZZ_INPUT=fuzz/build/artifacts/fuzz_body/crash-... [FUZZ_TARGET=fuzz_body]
#                              run one saved input again, with the sanitizers' report
#   make fuzz-seeds            rebuild fuzz/seeds/ from the OpenAPI document's
#                              examples and the emulator's bodies
#   make fuzz-clean            delete fuzz/build/ (binaries, grown corpus, crashes)
#   make deep-one DEEP=10-valgrind
#                              one runner of test/deep.d/ against a fresh test
#                              bed, without the deps/build/install steps (run
#                              `make && make install` first)
#   make deep-regress-list     print the pg_regress files, in order, and
#                              REGRESS_OPTS on a second line (the valgrind
#                              runner reads them from here)

FUZZ_TIME ?= 60
FUZZ_TARGET ?= fuzz_body
FUZZ_INPUT ?=
DEEP ?=

.PHONY: fuzz fuzz-build fuzz-repro fuzz-seeds fuzz-clean deep-one deep-regress-list

fuzz:
	@WERROR='$(WERROR)' bash fuzz/run.sh run '$(FUZZ_TIME)'

fuzz-build:
	@WERROR='$(WERROR)' bash fuzz/run.sh build

fuzz-repro:
	@test -n '$(FUZZ_INPUT)' || { echo 'usage: make fuzz-repro FUZZ_INPUT=file [FUZZ_TARGET=fuzz_body]' >&2; exit 2; }
	@WERROR='$(WERROR)' bash fuzz/run.sh repro '$(FUZZ_TARGET)' '$(FUZZ_INPUT)'

fuzz-seeds:
	@python3 fuzz/make-seeds.py

fuzz-clean:
	rm -rf fuzz/build

deep-one:
	@test -n '$(DEEP)' && test -x 'test/deep.d/$(DEEP)' || { echo 'usage: make deep-one DEEP=<file in test/deep.d>' >&2; exit 2; }
	@bash test/deep.d/lib/one.sh 'test/deep.d/$(DEEP)'

deep-regress-list:
	@echo $(REGRESS)
	@echo $(REGRESS_OPTS)
