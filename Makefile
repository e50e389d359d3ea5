# pbictl: build, test, demo, bench, install.  GNU make.
#
#   make            build pbictl and pbisim into $(B)/
#   make check      install missing packages, build a copy of the tree from
#                   scratch with -j, build with -Werror, run every test,
#                   then again under AddressSanitizer + UBSan
#   make deps       install the Debian packages the build and tests need
#   make demo       the whole flow against pbisim
#   make bench-local the ledger at 100,000 customers (bench scenario 5)
#   make chaos      onboarding under faults, kills and contention
#   make fuzz       the libFuzzer targets, each for FUZZ_SECONDS
#   make install    PREFIX=/usr/local (DESTDIR honoured)
#
# CC, CFLAGS, CPPFLAGS and LDFLAGS are honoured (Debian's dpkg-buildflags
# among them); warnings are errors only under 'make check' (WERROR).
# gcc and clang both build it.

PREFIX	?= /usr/local
MANDIR	?= $(PREFIX)/share/man
B	?= build
ASAN_B	?= build-asan
PKG_CONFIG ?= pkg-config
CHECK_JOBS ?= 4

PKGS	 = libcurl json-c openssl sqlite3 libpq
SIMPKGS	 = libmicrohttpd json-c openssl
TESTPKGS = cmocka libmicrohttpd

# cc_flag FLAG: FLAG if $(CC) knows it, else nothing.  Lazy and computed
# once (the first use assigns the result), so that a compiler installed
# by 'make deps' is probed by the make that builds, not the one before.
cc_flag = $(shell $(CC) -Werror $(1) -x c -c -o /dev/null /dev/null \
	  >/dev/null 2>&1 && echo $(1))
NO_FMT_TRUNC = $(eval NO_FMT_TRUNC := $(if \
	       $(call cc_flag,-Wformat-truncation),-Wno-format-truncation)) \
	       $(NO_FMT_TRUNC)

CFLAGS	?= -O2 -g
WERROR	?=
WARN	 = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	   -Wpointer-arith -Wformat=2 -Wno-format-nonliteral \
	   $(NO_FMT_TRUNC) $(WERROR)
STD	 = -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
ifeq ($(SAN),1)
SANFLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer \
	   -fno-sanitize-recover=all
endif
# The fuzz build (clang): the code instrumented for libFuzzer, which only
# the targets' link brings in (-fsanitize=fuzzer).
ifeq ($(SAN),fuzz)
SANFLAGS = -fsanitize=fuzzer-no-link,address,undefined \
	   -fno-omit-frame-pointer -fno-sanitize-recover=all
endif
ALLCPPFLAGS = -I. -I$(B) $(CPPFLAGS)
ALLCFLAGS = $(STD) $(WARN) $(CFLAGS) $(SANFLAGS) -pthread
DEPFLAGS = -MMD -MP
LIBS	 = $(shell $(PKG_CONFIG) --libs $(PKGS))
SIMLIBS	 = $(shell $(PKG_CONFIG) --libs $(SIMPKGS)) -lm
TESTLIBS = $(shell $(PKG_CONFIG) --libs $(TESTPKGS))

LIB_SRCS  = $(wildcard core/*.c graph/*.c powerbi/*.c provision/*.c)
CMD_SRCS  = $(wildcard cmd/*.c)
SIM_SRCS  = $(wildcard sim/*.c) core/json.c
UNIT_SRCS = $(wildcard tests/unit/test_*.c)
MIGRATIONS = $(sort $(wildcard migrations/[0-9][0-9][0-9][0-9]_*.sql))

LIB_OBJS  = $(LIB_SRCS:%.c=$(B)/%.o) $(B)/migrations.o
CMD_OBJS  = $(CMD_SRCS:%.c=$(B)/%.o)
SIM_OBJS  = $(SIM_SRCS:%.c=$(B)/sim-obj/%.o)
UNIT_BINS = $(UNIT_SRCS:tests/unit/%.c=$(B)/tests/%)

ifneq ($(wildcard sim/*.c),)
SIM_BIN	= $(B)/pbisim
endif

all: $(B)/pbictl $(SIM_BIN)

# The compiler's command line, rewritten only when it changes, so that a
# change of CC or flags (a 'make check' after a 'make') rebuilds all.
FLAGS	= $(B)/build-flags
$(FLAGS): FORCE
	@mkdir -p $(B)
	@echo '$(CC) $(ALLCPPFLAGS) $(ALLCFLAGS) $(LDFLAGS)' >$@.new
	@if cmp -s $@.new $@; then rm -f $@.new; else mv -f $@.new $@; fi

$(B)/pbictl: $(CMD_OBJS) $(B)/libpbi.a
	$(CC) $(ALLCFLAGS) $(LDFLAGS) -o $@ $(CMD_OBJS) $(B)/libpbi.a \
	    $(LIBS)

$(B)/pbisim: $(SIM_OBJS)
	$(CC) $(ALLCFLAGS) $(LDFLAGS) -o $@ $(SIM_OBJS) $(SIMLIBS)

$(B)/libpbi.a: $(LIB_OBJS)
	rm -f $@
	ar rcs $@ $(LIB_OBJS)

# Header dependencies come from the compiler (-MMD -MP, the .d files
# included at the end).  The generated migrations.h is order-only: it
# must exist before the first compile; once it does, the .d files name
# it for the objects that include it.
$(B)/%.o: %.c $(FLAGS) | $(B)/migrations.h
	@mkdir -p $(dir $@)
	$(CC) $(ALLCPPFLAGS) $(shell $(PKG_CONFIG) --cflags $(PKGS)) \
	    $(ALLCFLAGS) $(DEPFLAGS) -c -o $@ $<

$(B)/sim-obj/%.o: %.c $(FLAGS)
	@mkdir -p $(dir $@)
	$(CC) $(ALLCPPFLAGS) $(shell $(PKG_CONFIG) --cflags $(SIMPKGS)) \
	    $(ALLCFLAGS) $(DEPFLAGS) -c -o $@ $<

# The migrations, built into the binary as NUL-terminated strings.  One
# file a rule: no rule writes two targets, so -j cannot run one twice.
$(B)/migrations.c: tools/mkembed.sh $(MIGRATIONS)
	@mkdir -p $(B)
	sh tools/mkembed.sh $@ $(MIGRATIONS)

$(B)/migrations.h: tools/mkembed.sh
	@mkdir -p $(B)
	sh tools/mkembed.sh $@

$(B)/migrations.o: $(B)/migrations.c $(FLAGS) | $(B)/migrations.h
	$(CC) $(ALLCPPFLAGS) $(ALLCFLAGS) $(DEPFLAGS) -c -o $@ $<

$(B)/tests/%: tests/unit/%.c $(B)/libpbi.a $(FLAGS) | $(B)/migrations.h
	@mkdir -p $(dir $@)
	$(CC) $(ALLCPPFLAGS) $(shell $(PKG_CONFIG) --cflags $(PKGS) \
	    $(TESTPKGS)) $(ALLCFLAGS) $(DEPFLAGS) -MF $@.d $(LDFLAGS) \
	    -o $@ $< $(B)/libpbi.a $(LIBS) $(TESTLIBS)

# pbisim's ground floor (utilities, state, tokens), without its services.
SIM_UNIT_OBJS = $(B)/sim-obj/sim/util.o $(B)/sim-obj/sim/state.o \
	$(B)/sim-obj/sim/jwt.o $(B)/sim-obj/core/json.o
$(B)/tests/test_sim: tests/unit/test_sim.c $(SIM_UNIT_OBJS) $(FLAGS)
	@mkdir -p $(dir $@)
	$(CC) $(ALLCPPFLAGS) $(shell $(PKG_CONFIG) --cflags $(SIMPKGS) \
	    $(TESTPKGS)) $(ALLCFLAGS) $(DEPFLAGS) -MF $@.d $(LDFLAGS) \
	    -o $@ $< $(SIM_UNIT_OBJS) $(SIMLIBS) $(TESTLIBS)

tests: all $(UNIT_BINS)

# The libFuzzer targets (tests/fuzz/fuzz_NAME.c, fuzz_util.c shared),
# built by 'make fuzz-build' into $(FUZZ_B)/fuzz/ with clang.
FUZZ_B	?= build-fuzz
FUZZ_CC	?= clang
FUZZ_SECONDS ?= 60
FUZZ_BINS = $(patsubst tests/fuzz/%.c,$(B)/fuzz/%,$(filter-out \
	    tests/fuzz/fuzz_util.c,$(wildcard tests/fuzz/fuzz_*.c)))
FUZZ_DEPS = tests/fuzz/fuzz_util.c tests/fuzz/fuzz.h $(FLAGS)
$(B)/fuzz/fuzz_sim: tests/fuzz/fuzz_sim.c $(SIM_UNIT_OBJS) $(FUZZ_DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(ALLCPPFLAGS) $(shell $(PKG_CONFIG) --cflags $(SIMPKGS)) \
	    $(ALLCFLAGS) -fsanitize=fuzzer $(LDFLAGS) -o $@ $< \
	    tests/fuzz/fuzz_util.c $(SIM_UNIT_OBJS) $(SIMLIBS)
$(B)/fuzz/%: tests/fuzz/%.c $(B)/libpbi.a $(FUZZ_DEPS) | $(B)/migrations.h
	@mkdir -p $(dir $@)
	$(CC) $(ALLCPPFLAGS) $(shell $(PKG_CONFIG) --cflags $(PKGS)) \
	    $(ALLCFLAGS) -fsanitize=fuzzer $(LDFLAGS) -o $@ $< \
	    tests/fuzz/fuzz_util.c $(B)/libpbi.a $(LIBS)
fuzz-bins: $(FUZZ_BINS)
fuzz-build:
	$(MAKE) B=$(FUZZ_B) CC=$(FUZZ_CC) SAN=fuzz CFLAGS="-O1 -g" \
	    WERROR='$(WERROR)' fuzz-bins

# Everything the build, the tests, the demo and the bench run, as Debian
# 12 packages; tools/deps.sh installs those missing (as root).  The
# compiler and libraries; the test runners (bats, cmocka, node and npm
# for MSAL, ca-certificates for the npm registry); and whatever provides
# a command the tests and scripts call: awk, bash, base64, cmp, col,
# curl, flock, grep, jq, mandoc, openssl, ps, python3, script, sed,
# sha256sum, sqlite3, tar, time (peak memory), unzip (many are always
# installed; they are named so that none is forgotten); chromium renders
# the audit's evidence page; postgresql (its server, for the tests) and
# libpq-dev for the team ledger.
DEBS = gcc make pkg-config libc6-dev binutils \
       libcurl4-openssl-dev libjson-c-dev libssl-dev libsqlite3-dev \
       libmicrohttpd-dev libcmocka-dev \
       bats nodejs npm ca-certificates \
       bash bsdextrautils bsdutils coreutils curl diffutils grep jq mandoc \
       mawk openssl procps python3 sed sqlite3 tar time unzip util-linux \
       chromium postgresql libpq-dev
# clang builds the fuzz targets ('make fuzz', and 'make check' runs
# them); it needs its sanitizer and libFuzzer runtimes (a recommendation
# of clang's, which deps.sh does not install).
DEBS += clang libclang-rt-dev
deps:
	@sh tools/deps.sh $(DEBS)

# A clean copy of the tree built with -j, as a fresh clone would be.
check-build:
	@MAKE='$(MAKE)' sh tools/cleanbuild.sh $(CHECK_JOBS) CC='$(CC)' \
	    CFLAGS='$(CFLAGS)' CPPFLAGS='$(CPPFLAGS)' LDFLAGS='$(LDFLAGS)' \
	    WERROR=-Werror

check: deps
	$(MAKE) check-build
	$(MAKE) WERROR=-Werror tests
	$(MAKE) B=$(ASAN_B) SAN=1 CFLAGS="-O1 -g" WERROR=-Werror tests
	if command -v $(FUZZ_CC) >/dev/null; then \
	    $(MAKE) WERROR=-Werror fuzz-build; fi
	FUZZ_B=$(FUZZ_B) sh tests/run.sh $(B) $(ASAN_B)

demo: deps all
	sh examples/demo.sh $(B)

bench: deps all
	sh tests/bench.sh $(B)

bench-local: deps all
	sh tests/bench_local.sh $(B)

fuzz: deps
	$(MAKE) fuzz-build
	sh tests/fuzz/run.sh $(FUZZ_B) $(FUZZ_SECONDS)

chaos: deps all
	sh tests/chaos.sh $(B)

lint-man:
	mandoc -Tlint -W warning man/*.[0-9]

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(MANDIR)/man1 \
	    $(DESTDIR)$(MANDIR)/man5
	install -m 755 $(B)/pbictl $(SIM_BIN) $(DESTDIR)$(PREFIX)/bin/
	install -m 644 man/*.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 644 man/*.5 $(DESTDIR)$(MANDIR)/man5/

clean:
	rm -rf $(B) $(ASAN_B) $(FUZZ_B)

FORCE:

.PHONY: all tests deps check check-build demo bench bench-local chaos \
	fuzz fuzz-build fuzz-bins lint-man install clean FORCE

-include $(LIB_OBJS:.o=.d) $(CMD_OBJS:.o=.d) $(SIM_OBJS:.o=.d) \
	$(UNIT_BINS:=.d)
