# cloudflare_fdw: PGXS build of the extension.  The project's own targets
# (demo, test, check-deep, bench, fuzz) live in mk/project.mk.

EXTENSION = cloudflare_fdw
EXTVERSION := $(shell sed -n "s/^default_version *= *'\(.*\)'/\1/p" $(dir $(lastword $(MAKEFILE_LIST)))cloudflare_fdw.control)
MODULE_big = cloudflare_fdw
OBJS = \
	src/body.o \
	src/cloudflare_fdw.o \
	src/connection.o \
	src/convert.o \
	src/count.o \
	src/cache.o \
	src/diag.o \
	src/direct.o \
	src/failure.o \
	src/fetch.o \
	src/http.o \
	src/jsonscan.o \
	src/judge.o \
	src/modify.o \
	src/option.o \
	src/page.o \
	src/pushdown.o \
	src/ratelimit.o \
	src/reqplan.o \
	src/request.o \
	src/resources.o \
	src/scan.o \
	src/stmtcache.o \
	src/window.o \
	src/writecall.o \
	src/writelog.o
DATA = $(wildcard cloudflare_fdw--*.sql)

PG_CONFIG ?= pg_config
PKG_CONFIG ?= pkg-config

PG_CPPFLAGS = $(shell $(PKG_CONFIG) --cflags libcurl json-c) \
	-DCF_FDW_VERSION='"$(EXTVERSION)"'
PG_CFLAGS = -Wall -Wextra -Wno-unused-parameter -Wno-sign-compare \
	-Wno-missing-field-initializers $(if $(filter 1,$(WERROR)),-Werror)
SHLIB_LINK = $(shell $(PKG_CONFIG) --libs libcurl json-c)

# pg_regress suite, one file per topic, run against the throwaway cluster
# by mk/project.mk (make test).
REGRESS = options scan types decode pushdown hostile joins modify surprises errors faults cancel security differential examples diagnostics reliability direct cache count dashboards
REGRESS_OPTS = --inputdir=. --load-extension=cloudflare_fdw

# Debian's PGXS would build LLVM bitcode with clang; the FDW gains nothing
# from JIT inlining, so skip it.
override with_llvm = no

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# Every object depends on the shared headers (PGXS tracks no header
# dependencies by itself): a changed struct must rebuild every user of it.
$(OBJS): src/cloudflare_fdw.h src/compat.h src/http.h src/jsonscan.h \
	src/connection.h src/convert.h src/modify.h src/option.h src/page.h \
	src/pushdown.h src/ratelimit.h src/reqplan.h src/request.h \
	src/request_int.h src/resources.h src/scan.h cloudflare_fdw.control

-include mk/project.mk
-include mk/bench.mk
-include mk/deep.mk
