# pbictl: build, test, demo, bench, install.
#
#   make            build pbictl and pbisim into $(B)/
#   make check      install missing packages, build with -Werror, run every
#                   test, then again under AddressSanitizer + UBSan
#   make demo       the whole flow against pbisim
#   make install    PREFIX=/usr/local (DESTDIR honoured)

PREFIX	?= /usr/local
MANDIR	?= $(PREFIX)/share/man
B	?= build
CC	?= gcc
PKG_CONFIG ?= pkg-config

PKGS	 = libcurl json-c openssl sqlite3
SIMPKGS	 = libmicrohttpd json-c openssl
TESTPKGS = cmocka libmicrohttpd

CFLAGS	?= -O2 -g
WARN	 = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	   -Wpointer-arith -Wformat=2 -Wno-format-nonliteral \
	   -Wno-format-truncation -Werror
STD	 = -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
ifeq ($(SAN),1)
SANFLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer \
	   -fno-sanitize-recover=all
endif
ALLCFLAGS = $(STD) $(WARN) $(CFLAGS) $(SANFLAGS) -I. -I$(B) -pthread
LIBS	 = $(shell $(PKG_CONFIG) --libs $(PKGS)) -pthread
SIMLIBS	 = $(shell $(PKG_CONFIG) --libs $(SIMPKGS)) -pthread
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

$(B)/pbictl: $(CMD_OBJS) $(B)/libpbi.a
	$(CC) $(ALLCFLAGS) -o $@ $(CMD_OBJS) $(B)/libpbi.a $(LIBS)

$(B)/pbisim: $(SIM_OBJS)
	$(CC) $(ALLCFLAGS) -o $@ $(SIM_OBJS) $(SIMLIBS) -lm

$(B)/libpbi.a: $(LIB_OBJS)
	rm -f $@
	ar rcs $@ $(LIB_OBJS)

$(B)/%.o: %.c $(wildcard */*.h) $(B)/migrations.h
	@mkdir -p $(dir $@)
	$(CC) $(ALLCFLAGS) $(shell $(PKG_CONFIG) --cflags $(PKGS)) -c -o $@ $<

$(B)/sim-obj/%.o: %.c $(wildcard sim/*.h core/json.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALLCFLAGS) $(shell $(PKG_CONFIG) --cflags $(SIMPKGS)) -c -o $@ $<

# The migrations, built into the binary as NUL-terminated strings.
$(B)/migrations.c $(B)/migrations.h: tools/mkembed.sh $(MIGRATIONS)
	@mkdir -p $(B)
	sh tools/mkembed.sh $(B)/migrations $(MIGRATIONS)

$(B)/migrations.o: $(B)/migrations.c
	$(CC) $(ALLCFLAGS) -c -o $@ $<

$(B)/tests/%: tests/unit/%.c $(B)/libpbi.a tests/unit/testsrv.h
	@mkdir -p $(dir $@)
	$(CC) $(ALLCFLAGS) $(shell $(PKG_CONFIG) --cflags $(PKGS) $(TESTPKGS)) \
	    -o $@ $< $(B)/libpbi.a $(LIBS) $(TESTLIBS)

# pbisim's ground floor (utilities, state, tokens), without its services.
SIM_UNIT_OBJS = $(B)/sim-obj/sim/util.o $(B)/sim-obj/sim/state.o \
	$(B)/sim-obj/sim/jwt.o $(B)/sim-obj/core/json.o
$(B)/tests/test_sim: tests/unit/test_sim.c $(SIM_UNIT_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(ALLCFLAGS) $(shell $(PKG_CONFIG) --cflags $(SIMPKGS) \
	    $(TESTPKGS)) -o $@ $< $(SIM_UNIT_OBJS) $(SIMLIBS) $(TESTLIBS) -lm

tests: all $(UNIT_BINS)

# Install what a fresh Debian machine lacks (as root), or say what to run.
DEBS = gcc make pkg-config libcurl4-openssl-dev libjson-c-dev libssl-dev \
       libsqlite3-dev libmicrohttpd-dev libcmocka-dev bats mandoc sqlite3 \
       jq procps chromium
deps:
	@sh tools/deps.sh $(DEBS)

check: deps
	$(MAKE) tests
	$(MAKE) B=build-asan SAN=1 CFLAGS="-O1 -g" tests
	sh tests/run.sh build build-asan

demo: deps all
	sh examples/demo.sh $(B)

bench: deps all
	sh tests/bench.sh $(B)

lint-man:
	mandoc -Tlint -W warning man/*.[0-9]

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(MANDIR)/man1 \
	    $(DESTDIR)$(MANDIR)/man5
	install -m 755 $(B)/pbictl $(SIM_BIN) $(DESTDIR)$(PREFIX)/bin/
	install -m 644 man/*.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 644 man/*.5 $(DESTDIR)$(MANDIR)/man5/

clean:
	rm -rf build build-asan

.PHONY: all tests deps check demo bench lint-man install clean
