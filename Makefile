# SPDX-License-Identifier: GPL-2.0-or-later
#
# hostchannel: one entry point. `make help` lists the targets.
#
# Everything built goes under $(O) (build/ by default). SANITIZE=1 builds with
# ASan+UBSan into build/asan.

SHELL := /bin/bash
.DEFAULT_GOAL := all

ifeq ($(SANITIZE),1)
O ?= build/asan
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
else
O ?= build
SAN_FLAGS :=
endif

CC ?= gcc
PKG_CONFIG ?= pkg-config
PREFIX ?= /usr/local
DESTDIR ?=

WARN := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-unused-parameter
CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 $(WARN) $(SAN_FLAGS) -D_GNU_SOURCE -Iref
LDFLAGS += $(SAN_FLAGS)

PKGS := mount libcap json-c
PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)

# The kernel's kselftest harness: $(KSFT_DIR) when given, else extracted once
# from Debian's linux-source-6.1 into build/ (never committed). -isystem: the
# 6.1 header warns under -Wextra.
KSFT_TARBALL ?= /usr/src/linux-source-6.1.tar.xz
ifdef KSFT_DIR
KSFT_INC := $(KSFT_DIR)
KSFT_STAMP :=
else
KSFT_INC := build/ksft/linux-source-6.1/tools/testing/selftests
KSFT_STAMP := $(KSFT_INC)/kselftest_harness.h
endif
TEST_CFLAGS = -isystem $(KSFT_INC)

LIB_SRCS := $(wildcard ref/*.c)
LIB_OBJS := $(patsubst %.c,$(O)/obj/%.o,$(LIB_SRCS))
LIB_PIC_OBJS := $(patsubst %.c,$(O)/pic/%.o,$(LIB_SRCS))
HCRUN_SRCS := $(wildcard ref/hcrun/*.c)
HCRUN_OBJS := $(patsubst %.c,$(O)/obj/%.o,$(HCRUN_SRCS))
UNIT_SRCS := $(wildcard ref/tests/*_test.c)
UNIT_BINS := $(patsubst ref/tests/%.c,$(O)/tests/ref/%,$(UNIT_SRCS))

LIBA := $(O)/libhostchannel.a
LIBSO := $(O)/libhostchannel.so
HCRUN := $(O)/hcrun
PROBE := $(O)/hc-probe
ROOTFS := $(O)/rootfs
ROOTFS_STAMP := $(O)/rootfs.stamp

.PHONY: all deps lib run_tests run_unit_tests unit_tests check format install uninstall clean help

all: $(LIBA) $(LIBSO) $(HCRUN) $(PROBE) $(ROOTFS_STAMP) ## build the library, hcrun, hc-probe and the rootfs

help: ## list the targets
	@grep -E '^[a-z_-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s $$'\t'

deps: ## install what the project needs (apt-get; idempotent)
	scripts/deps.sh

$(O)/obj/%.o: %.c ref/hostchannel.h ref/hcrun/hcrun.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -c -o $@ $<

$(O)/pic/%.o: %.c ref/hostchannel.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -fPIC -c -o $@ $<

$(LIBA): $(LIB_OBJS)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(LIBSO): $(LIB_PIC_OBJS)
	$(CC) -shared -Wl,-soname,libhostchannel.so.0 $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(HCRUN): $(HCRUN_OBJS) $(LIBA)
	$(CC) $(LDFLAGS) -o $@ $(HCRUN_OBJS) $(LIBA) $(PKG_LIBS)

# The in-container helper is static: the rootfs has no libc. No sanitizer:
# ASan does not link statically.
$(PROBE): ref/probe/hc-probe.c
	@mkdir -p $(@D)
	$(CC) -std=gnu11 $(WARN) -O2 -g -D_GNU_SOURCE -static -o $@ $<

$(ROOTFS_STAMP): $(PROBE) scripts/mkrootfs.sh
	scripts/mkrootfs.sh $(ROOTFS) $(PROBE)
	@touch $@

$(KSFT_STAMP):
	scripts/ksft-headers.sh $(KSFT_TARBALL) build/ksft

$(O)/tests/ref/%: ref/tests/%.c $(LIBA) $(KSFT_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(TEST_CFLAGS) $(PKG_CFLAGS) $(LDFLAGS) -o $@ $< $(LIBA) $(PKG_LIBS)

unit_tests: $(UNIT_BINS)

# The suite (selftests/) builds into $(O)/selftests with its own Makefile;
# its programs join the unit tests in one KTAP stream.
SELFTESTS = $(MAKE) --no-print-directory -C selftests OUTPUT=$(abspath $(O))/selftests \
	KSFT_DIR=$(abspath $(KSFT_INC)) \
	$(if $(SAN_FLAGS),CFLAGS='-O1 -g $(SAN_FLAGS)' LDFLAGS='$(SAN_FLAGS)')

# The engine the channel tests drive: a driver in selftests/engines/.
ENGINE ?= ref
export HCT_ENGINE := $(ENGINE)

# T=PATTERN runs only the test programs whose path contains PATTERN.
run_tests: all unit_tests $(KSFT_STAMP) ## build, then run every test as one KTAP stream (as root; ENGINE=, T=)
	$(SELFTESTS) all
	scripts/ktap-run $(if $(T),-T '$(T)') $(UNIT_BINS) $$($(SELFTESTS) -s list)

run_unit_tests: $(LIBA) $(HCRUN) unit_tests
	scripts/ktap-run $(if $(T),-T '$(T)') $(UNIT_BINS)

check: ## clang-format, cppcheck, and the unit tests under ASan+UBSan
	scripts/check.sh

format: ## apply .clang-format to every C file
	clang-format -i $$(git ls-files '*.c' '*.h')

install: all ## install libhostchannel, its header, hcrun and hc-probe under $(PREFIX)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/libexec/hostchannel
	install -m 0755 $(HCRUN) $(DESTDIR)$(PREFIX)/bin/hcrun
	install -m 0755 $(PROBE) $(DESTDIR)$(PREFIX)/libexec/hostchannel/hc-probe
	install -m 0644 $(LIBA) $(DESTDIR)$(PREFIX)/lib/libhostchannel.a
	install -m 0755 $(LIBSO) $(DESTDIR)$(PREFIX)/lib/libhostchannel.so.0
	ln -sf libhostchannel.so.0 $(DESTDIR)$(PREFIX)/lib/libhostchannel.so
	install -m 0644 ref/hostchannel.h $(DESTDIR)$(PREFIX)/include/hostchannel.h

uninstall: ## remove exactly what install put there
	rm -f $(DESTDIR)$(PREFIX)/bin/hcrun $(DESTDIR)$(PREFIX)/libexec/hostchannel/hc-probe \
	      $(DESTDIR)$(PREFIX)/lib/libhostchannel.a $(DESTDIR)$(PREFIX)/lib/libhostchannel.so.0 \
	      $(DESTDIR)$(PREFIX)/lib/libhostchannel.so $(DESTDIR)$(PREFIX)/include/hostchannel.h
	-rmdir $(DESTDIR)$(PREFIX)/libexec/hostchannel

clean: ## remove build/ (the project's own output, nothing else)
	scripts/clean.sh build
