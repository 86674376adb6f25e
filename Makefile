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
# -Iref/include: the library's one public header. Its private headers
# (ref/lib/*.h) are on no include path but the library's own.
CFLAGS += -std=gnu11 $(WARN) $(SAN_FLAGS) -D_GNU_SOURCE -Iref/include
# Every object's header dependencies, written beside it (-MMD) with a phony
# target per header (-MP) so that a removed header does not break the build.
DEPFLAGS = -MMD -MP
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

LIB_SRCS := $(wildcard ref/lib/*.c)
LIB_OBJS := $(patsubst %.c,$(O)/obj/%.o,$(LIB_SRCS))
LIB_PIC_OBJS := $(patsubst %.c,$(O)/pic/%.o,$(LIB_SRCS))
HCRUN_SRCS := $(wildcard ref/hcrun/*.c)
HCRUN_OBJS := $(patsubst %.c,$(O)/obj/%.o,$(HCRUN_SRCS))
UNIT_SRCS := $(wildcard ref/tests/*_test.c)
UNIT_BINS := $(patsubst ref/tests/%.c,$(O)/tests/ref/%,$(UNIT_SRCS))

LIBA := $(O)/libhostchannel.a
LIBSO := $(O)/libhostchannel.so
HCRUN := $(O)/hcrun
# The runc shim: hcrun under a second name (main() dispatches on it).
RUNTIME_SHIM := $(O)/hostchannel-runtime
PROBE := $(O)/hc-probe
ROOTFS := $(O)/rootfs
ROOTFS_STAMP := $(O)/rootfs.stamp

.PHONY: check-suite all deps lib run_tests run_unit_tests unit_tests check check-matrix format install uninstall clean help gen_tar matrix check-relocatable

all: $(LIBA) $(LIBSO) $(HCRUN) $(RUNTIME_SHIM) $(PROBE) $(ROOTFS_STAMP) ## build the library, hcrun (and hostchannel-runtime), hc-probe and the rootfs

help: ## list the targets
	@grep -hE '^[a-z_-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s $$'\t'

deps: ## install what the project needs (apt-get; idempotent)
	scripts/deps.sh

$(O)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(DEPFLAGS) $(PKG_CFLAGS) -c -o $@ $<

$(O)/pic/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(DEPFLAGS) $(PKG_CFLAGS) -fPIC -c -o $@ $<

$(LIBA): $(LIB_OBJS)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(LIBSO): $(LIB_PIC_OBJS)
	$(CC) -shared -Wl,-soname,libhostchannel.so.0 $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(HCRUN): $(HCRUN_OBJS) $(LIBA)
	$(CC) $(LDFLAGS) -o $@ $(HCRUN_OBJS) $(LIBA) $(PKG_LIBS)

$(RUNTIME_SHIM): $(HCRUN)
	ln -sfn hcrun $@

# The in-container helper is static: the rootfs has no libc. No sanitizer:
# ASan does not link statically.
$(PROBE): ref/probe/hc-probe.c
	@mkdir -p $(@D)
	$(CC) -std=gnu11 $(WARN) -O2 -g -D_GNU_SOURCE $(DEPFLAGS) -MF $@.d -static -o $@ $<

$(ROOTFS_STAMP): $(PROBE) scripts/mkrootfs.sh
	scripts/mkrootfs.sh $(ROOTFS) $(PROBE)
	@touch $@

$(KSFT_STAMP):
	scripts/ksft-headers.sh $(KSFT_TARBALL) build/ksft

$(O)/tests/ref/%: ref/tests/%.c $(LIBA) $(KSFT_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(DEPFLAGS) -MF $@.d $(TEST_CFLAGS) $(PKG_CFLAGS) $(LDFLAGS) -o $@ $< $(TEST_OBJS) $(LIBA) $(PKG_LIBS)

# policy_test also calls hcrun's policy checks directly (policy.c stands on
# the library alone): the window between the gate's check and prepare is
# reached there, not through a command line.
$(O)/tests/ref/policy_test: $(O)/obj/ref/hcrun/policy.o
$(O)/tests/ref/policy_test: TEST_OBJS = $(O)/obj/ref/hcrun/policy.o
$(O)/tests/ref/policy_test: TEST_CFLAGS += -Iref/hcrun

unit_tests: $(UNIT_BINS)

# The suite (selftests/) builds into $(O)/selftests with its own Makefile;
# its programs join the unit tests in one KTAP stream.
SELFTESTS = $(MAKE) --no-print-directory -C selftests OUTPUT=$(abspath $(O))/selftests \
	KSFT_DIR=$(abspath $(KSFT_INC)) \
	$(if $(SAN_FLAGS),CFLAGS='-O1 -g $(SAN_FLAGS)' LDFLAGS='$(SAN_FLAGS)')

# The engine the channel tests drive: a driver in selftests/engines/.
ENGINE ?= ref
export HCT_ENGINE := $(ENGINE)

# The ref driver and the stress tests run this tree's hcrun on its rootfs
# (and the suite built in $(O) finds the drivers of this tree):
# build/asan's with SANITIZE=1 (hc-probe and the rootfs have no sanitizer).
SUITE_ENV = HCRUN=$(abspath $(HCRUN)) HCRUN_ROOTFS=$(abspath $(ROOTFS)) \
	HCT_ENGINES_DIR=$(abspath selftests/engines)

# SANITIZE=1: every sanitized process (hcrun, the unit tests, the suite's C
# programs) stops at its first report and writes it under $(SAN_LOG): a
# detached monitor's stderr is a console.log that goes with its container.
# run_tests fails when any report is there, and prints them.
ifeq ($(SANITIZE),1)
SAN_LOG := $(abspath $(O))/sanitizer
export ASAN_OPTIONS := halt_on_error=1:detect_leaks=1:log_path=$(SAN_LOG)/asan
export UBSAN_OPTIONS := halt_on_error=1:print_stacktrace=1:log_path=$(SAN_LOG)/ubsan
SAN_BEFORE = mkdir -p $(SAN_LOG) && scripts/sanitizer-reports --clear $(SAN_LOG) &&
SAN_AFTER = ; rc=$$?; scripts/sanitizer-reports $(SAN_LOG) && exit $$rc
endif

# T=PATTERN runs only the test programs whose path contains PATTERN. An
# engine with a daemon (docker) runs in a session of its own: engine-session
# starts the daemon and stops it after the tests. RESULTS_DIR=DIR also
# writes DIR/machine.json (selftests/machine-info, RESULTS_LABEL=) and the
# stream as DIR/results.ktap, for make matrix.
run_tests: all unit_tests $(KSFT_STAMP) ## build, then run every test as one KTAP stream (as root; ENGINE=, T=, RESULTS_DIR=)
	$(SELFTESTS) all
	$(if $(RESULTS_DIR),mkdir -p '$(RESULTS_DIR)' && $(SUITE_ENV) selftests/machine-info \
		$(if $(RESULTS_LABEL),-l '$(RESULTS_LABEL)') >'$(RESULTS_DIR)/machine.json')
	$(SAN_BEFORE) $(SUITE_ENV) scripts/engine-session '$(ENGINE)' \
		scripts/ktap-run $(if $(T),-T '$(T)') $(UNIT_BINS) $$($(SELFTESTS) -s list) \
		$(if $(RESULTS_DIR),| tee '$(RESULTS_DIR)/results.ktap'; (exit $${PIPESTATUS[0]})) $(SAN_AFTER)

# roots_test, oci_kit_test, runtime_test and hostile_test run this build's hcrun (runtime_test
# as hostchannel-runtime), roots_test on its rootfs.
run_unit_tests: $(LIBA) $(HCRUN) $(RUNTIME_SHIM) $(ROOTFS_STAMP) unit_tests
	scripts/ktap-run $(if $(T),-T '$(T)') $(UNIT_BINS)

check-suite: all ## run the channel tests against every mutant driver: each must be caught
	$(SELFTESTS) all
	O=$(O) $(SUITE_ENV) scripts/check-suite

check: ## clang-format, cppcheck, shellcheck, standalone, ASan+UBSan unit tests, hcrun's layers, the matrix
	scripts/check.sh

# Builds the suite (in $(O)/selftests, as run_tests does) for its -l lists.
check-matrix: $(KSFT_STAMP) ## reports/conformance.md lists exactly the suite's tests (nothing run)
	$(SELFTESTS) all
	scripts/check-matrix -b $(O)/selftests

# libFuzzer targets for the option grammar and the OCI kit's input
# (ref/fuzz/): clang only. spec.c, error.c and fileio.c (and oci.c) are
# built again, with the same sanitizers, into build/fuzz/ whatever $(O) is.
# Each target runs FUZZ_SECONDS on a copy of its seed corpus;
# FUZZ_TARGETS=annotation runs one.
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_O := build/fuzz
FUZZ_TARGETS := spec size path annotation
FUZZ_CFLAGS := -std=gnu11 $(WARN) -O1 -g -D_GNU_SOURCE -Iref/include $(DEPFLAGS) \
	-fno-omit-frame-pointer -fno-sanitize-recover=all
FUZZ_SAN := address,undefined
FUZZ_OBJS := $(FUZZ_O)/obj/spec.o $(FUZZ_O)/obj/error.o $(FUZZ_O)/obj/fileio.o \
	$(FUZZ_O)/obj/fuzz/fuzz.o
FUZZ_BINS := $(addprefix $(FUZZ_O)/fuzz_,$(FUZZ_TARGETS))

.PHONY: fuzz fuzz-smoke fuzz-build
# Made by a pattern rule, so make would delete them after each link.
.SECONDARY: $(FUZZ_OBJS)

$(FUZZ_O)/obj/%.o: ref/lib/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,$(FUZZ_SAN) -c -o $@ $<

$(FUZZ_O)/obj/fuzz/%.o: ref/fuzz/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,$(FUZZ_SAN) -c -o $@ $<

$(FUZZ_O)/fuzz_%: ref/fuzz/fuzz_%.c $(FUZZ_OBJS)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -MF $@.d -fsanitize=fuzzer,$(FUZZ_SAN) -o $@ $< $(FUZZ_OBJS)

# fuzz_annotation: the OCI kit's readers of the container author's input
# (ref/hcrun/oci.c) and the host policy (policy.c), with json-c.
FUZZ_OCI_OBJS := $(FUZZ_O)/obj/hcrun/oci.o $(FUZZ_O)/obj/hcrun/policy.o
JSONC_CFLAGS = $(shell $(PKG_CONFIG) --cflags json-c 2>/dev/null)
JSONC_LIBS = $(shell $(PKG_CONFIG) --libs json-c 2>/dev/null)
.SECONDARY: $(FUZZ_OCI_OBJS)

$(FUZZ_O)/obj/hcrun/%.o: ref/hcrun/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(JSONC_CFLAGS) -fsanitize=fuzzer-no-link,$(FUZZ_SAN) -c -o $@ $<

$(FUZZ_O)/fuzz_annotation: ref/fuzz/fuzz_annotation.c $(FUZZ_OBJS) $(FUZZ_OCI_OBJS)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(JSONC_CFLAGS) -MF $@.d -fsanitize=fuzzer,$(FUZZ_SAN) -o $@ $< \
		$(FUZZ_OBJS) $(FUZZ_OCI_OBJS) $(JSONC_LIBS)

fuzz-build: $(FUZZ_BINS)

fuzz: $(FUZZ_BINS) ## build the libFuzzer targets (clang) and run each for FUZZ_SECONDS (60)
	scripts/fuzz.sh $(FUZZ_SECONDS) $(FUZZ_O) $(FUZZ_BINS)

fuzz-smoke: ## the fuzz targets, 10 s each (CI)
	$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=10

format: ## apply .clang-format to every C file
	clang-format -i $$(git ls-files '*.c' '*.h')

# INSTALL_PATH=DIR: the whole suite instead, one relocatable tree
# (selftests' install, scripts/install-suite, docs/relocatable.md): what a
# kselftest farm unpacks on its targets and runs with run_kselftest.sh.
ifdef INSTALL_PATH
install: all unit_tests $(KSFT_STAMP) ## libhostchannel, its header, hcrun (hostchannel-runtime), hc-probe under $(PREFIX); INSTALL_PATH=DIR: the whole suite, relocatable
	$(SELFTESTS) install INSTALL_PATH=$(abspath $(INSTALL_PATH)) HC_BUILD=$(abspath $(O)) HC_BUILT=1 \
		UNIT_TESTS='$(abspath $(UNIT_BINS))'

uninstall: ## remove exactly what install put there (INSTALL_PATH=: the suite's tree)
	$(SELFTESTS) uninstall INSTALL_PATH=$(abspath $(INSTALL_PATH))
else
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/libexec/hostchannel
	install -m 0755 $(HCRUN) $(DESTDIR)$(PREFIX)/bin/hcrun
	ln -sfn hcrun $(DESTDIR)$(PREFIX)/bin/hostchannel-runtime
	install -m 0755 $(PROBE) $(DESTDIR)$(PREFIX)/libexec/hostchannel/hc-probe
	install -m 0644 $(LIBA) $(DESTDIR)$(PREFIX)/lib/libhostchannel.a
	install -m 0755 $(LIBSO) $(DESTDIR)$(PREFIX)/lib/libhostchannel.so.0
	ln -sf libhostchannel.so.0 $(DESTDIR)$(PREFIX)/lib/libhostchannel.so
	install -m 0644 ref/include/hostchannel.h $(DESTDIR)$(PREFIX)/include/hostchannel.h

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/hcrun $(DESTDIR)$(PREFIX)/bin/hostchannel-runtime \
	      $(DESTDIR)$(PREFIX)/libexec/hostchannel/hc-probe \
	      $(DESTDIR)$(PREFIX)/lib/libhostchannel.a $(DESTDIR)$(PREFIX)/lib/libhostchannel.so.0 \
	      $(DESTDIR)$(PREFIX)/lib/libhostchannel.so $(DESTDIR)$(PREFIX)/include/hostchannel.h
	-rmdir $(DESTDIR)$(PREFIX)/libexec/hostchannel
endif

# The kselftest name: the installed tree as one tarball, its files at the
# top (./run_kselftest.sh), what KernelCI and LAVA fetch and unpack. The
# tree it is made from ($(O)/hostchannel-selftests) is install's, replaced
# at each gen_tar.
SUITE_TREE := $(O)/hostchannel-selftests
SUITE_TAR := $(O)/hostchannel-selftests.tar.gz
gen_tar: all unit_tests $(KSFT_STAMP) ## the whole suite as build/hostchannel-selftests.tar.gz (relocatable; unpack, ./run_kselftest.sh)
	$(SELFTESTS) install INSTALL_PATH=$(abspath $(SUITE_TREE)) HC_BUILD=$(abspath $(O)) HC_BUILT=1 \
		UNIT_TESTS='$(abspath $(UNIT_BINS))'
	tar -C $(SUITE_TREE) --sort=name --owner=0 --group=0 --numeric-owner \
		-czf $(SUITE_TAR).tmp .
	mv -f $(SUITE_TAR).tmp $(SUITE_TAR)
	@echo "gen_tar: $(SUITE_TAR)"

# The tarball unpacked under /tmp runs there (scripts/check-relocatable: a
# unit test, the driver test and a channel test, and the kernel's own
# run_kselftest.sh when linux-source-6.1 is there). Root.
check-relocatable: gen_tar ## unpack the gen_tar tarball under /tmp and run a few tests from there (root)
	scripts/check-relocatable $(SUITE_TAR)

# RESULTS="DIR..." (results directories: results.ktap + machine.json, as
# run_tests RESULTS_DIR=, vmtest and run_kselftest.sh -r write them) merged
# into one Markdown matrix, tests x machines, MATRIX_OUT (build/matrix.md);
# identical machines share a column unless MATRIX_ALL=1.
MATRIX_OUT ?= $(O)/matrix.md
matrix: ## merge results directories (RESULTS="DIR...") into one matrix, tests x machines (MATRIX_OUT=, MATRIX_TITLE=)
	@[ -n "$(RESULTS)" ] || { echo 'make matrix: give RESULTS="DIR..."' >&2; exit 2; }
	scripts/merge-results -o '$(MATRIX_OUT)' $(if $(MATRIX_TITLE),-t '$(MATRIX_TITLE)') \
		$(if $(filter 1,$(MATRIX_ALL)),-a) $(RESULTS)

# --- bench: chanbench and the report; bench/run.sh does the work.
# chanbench is static: its container side runs in build/rootfs, which has
# no libc. PROFILE=smoke|quick|full (quick), PIN=HOST_CPU,CONT_CPU|none,
# WAIT_QUIET=SECONDS (wait for other processes to go quiet first), NEAR_NS=NS.
CHANBENCH := $(O)/bench/chanbench
CHANBENCH_SRCS := $(wildcard bench/chanbench/*.c)
PROFILE ?= quick

.PHONY: bench
$(CHANBENCH): $(CHANBENCH_SRCS) bench/chanbench/chanbench.h
	@mkdir -p $(@D)
	$(CC) -std=gnu11 $(WARN) -O2 -g -D_GNU_SOURCE -static -o $@ $(CHANBENCH_SRCS)

bench: all $(CHANBENCH) ## run the benchmarks, write build/bench/<time>/report.md (PROFILE=smoke|quick|full, WAIT_QUIET=s)
	O=$(O) PROFILE=$(PROFILE) $(if $(PIN),PIN=$(PIN)) $(if $(WAIT_QUIET),WAIT_QUIET=$(WAIT_QUIET)) \
		$(if $(NEAR_NS),NEAR_NS=$(NEAR_NS)) bench/run.sh
# --- end bench

# --- vmtest: run_tests inside a qemu VM, Debian's cloud kernel (or
# VM_KERNEL=bzImage), the memory controller on cgroup v2 (VM_CGROUP=v2, the
# default) or v1 (VM_CGROUP=v1). The same programs as run_tests; the header
# of scripts/vmtest lists VM_ACCEL, VM_MEM, VM_CPUS, VM_TIMEOUT and the rest.
.PHONY: vmtest
# The VM boots the suite's tarball (gen_tar), unpacked where nothing of
# this tree is, as a farm would: every lane proves it relocatable.
vmtest: gen_tar ## run_tests inside a qemu VM, from the gen_tar tarball (VM_CGROUP=v2|v1, VM_KERNEL=bzImage, T=)
	O=$(O) scripts/vmtest $(if $(T),-T '$(T)') $(UNIT_BINS) $$($(SELFTESTS) -s list)
# --- end vmtest

# --- engines: validation reports (scripts/validate-engine, reports/)
# ENGINE= a driver of selftests/engines/. validate-all writes one report per
# engine and the matrix reports/conformance.md (isula: expected, not run).
# An engine whose driver says lane=vm:v2 (crun) runs in make vmtest's VM on
# cgroup v2, and NAME@vm-v2 runs NAME there as a column of its own. validate
# fails when ENGINE fails a test its notes do not explain; validate-all
# fails only when an engine could not be validated at all.
VALIDATE_ENGINES ?= ref runc crun podman docker containerd lxc lxc@vm-v2 isula
.PHONY: validate validate-all
validate: all ## run the suite through ENGINE (default ref), write reports/ENGINE.md and .ktap
	O=$(O) scripts/validate-engine $(ENGINE)

validate-all: all ## validate every engine, then reports/conformance.md (tests x engines)
	O=$(O) scripts/validate-engine --matrix $(VALIDATE_ENGINES)
# --- end engines

# --- hardening: the stress tests at full size, valgrind over hcrun.
# run_tests runs selftests/stress/ at a CI size; `make stress` at full size
# (STRESS_* to change it). `make valgrind` needs valgrind (deps).
STRESS_CONTAINERS ?= 200
STRESS_CLIENTS ?= 8
STRESS_CYCLES ?= 10000
.PHONY: stress valgrind
stress: all ## the load and crash-fault tests at full size (200 containers, 8 clients, 10000 cycles)
	$(SUITE_ENV) STRESS_CONTAINERS=$(STRESS_CONTAINERS) STRESS_CLIENTS=$(STRESS_CLIENTS) \
		STRESS_CYCLES=$(STRESS_CYCLES) scripts/ktap-run -t 3600 selftests/stress/*.sh

valgrind: all ## valgrind memcheck over every hcrun verb and its error paths
	HCRUN_ROOTFS=$(abspath $(ROOTFS)) scripts/valgrind-verbs $(abspath $(HCRUN))
# --- end hardening

clean: ## remove build/ (the project's own output, nothing else)
	scripts/clean.sh build

# Header dependencies of everything compiled above (see DEPFLAGS).
-include $(PROBE).d $(LIB_OBJS:.o=.d) $(LIB_PIC_OBJS:.o=.d) $(HCRUN_OBJS:.o=.d) $(UNIT_BINS:=.d) \
	$(FUZZ_OBJS:.o=.d) $(FUZZ_OCI_OBJS:.o=.d) $(FUZZ_BINS:=.d)
