#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make check: the static checks and the sanitizer lane.
#  1. clang-format: every tracked C file matches .clang-format;
#  2. cppcheck: warnings, portability and performance findings are errors;
#  3. shellcheck: warnings in any tracked shell script (found by its #!);
#  4. no tracked file points outside the repository;
#  5. an ASan+UBSan build (build/asan) running the unit tests;
#  6. the layers of hcrun: no two files call each other in a circle;
#  7. reports/conformance.md lists exactly the suite's tests (the suite
#     built into the same build/asan, for its programs' -l; nothing run);
#  8. merge-results and ktap-to-lava on fixtures (scripts/check-results).
#  9. bench/report.sh's trust section on fixtures (scripts/check-report).
# O= moves build/asan elsewhere, as it does for make.
set -euo pipefail
cd "$(dirname "$0")/.."
o=${O:-build/asan}

status=0
step() { printf '\n== %s\n' "$*"; }

step "clang-format"
mapfile -t files < <(git ls-files '*.c' '*.h')
if [ ${#files[@]} -gt 0 ]; then
	if clang-format --dry-run --Werror "${files[@]}"; then
		echo "clang-format: ${#files[@]} files clean"
	else
		echo "clang-format: run 'make format'" >&2
		status=1
	fi
fi

step "cppcheck"
# The library, hcrun and the tools; the suite (on the kernel's harness,
# whose own findings are not ours) and the benchmark. varFuncNullUB: glibc's
# NULL is ((void *)0), and every variadic call that ends in NULL is to a
# function declared __attribute__((sentinel)), which gcc checks.
ksft=build/ksft/linux-source-6.1/tools/testing/selftests
[ -f "$ksft/kselftest_harness.h" ] || scripts/ksft-headers.sh /usr/src/linux-source-6.1.tar.xz build/ksft
mapfile -t srcs < <(git ls-files 'ref/*.c' 'selftests/*.c' 'bench/*.c' | grep -v '^ref/tests/')
if cppcheck --quiet --error-exitcode=1 --std=c11 --enable=warning,portability,performance \
	--inline-suppr -D_GNU_SOURCE -I ref/include -I ref/lib -I ref/probe -I selftests/lib \
	-I "$ksft" --suppress="*:$ksft/*" --suppress=varFuncNullUB "${srcs[@]}"; then
	echo "cppcheck: ${#srcs[@]} files clean"
else
	status=1
fi

step "shellcheck"
mapfile -t scripts < <(git ls-files | while IFS= read -r f; do
	[ -f "$f" ] && head -n 1 "$f" | grep -qE '^#!.*/(env )?(ba|da|busybox )?sh( |$)' && echo "$f"
done)
# -x follows what a script sources; notes and style are advice, not errors.
if shellcheck -x -S warning "${scripts[@]}"; then
	echo "shellcheck: ${#scripts[@]} scripts clean"
else
	status=1
fi

step "standalone"; scripts/check-standalone.sh || status=1

step "ASan+UBSan: unit tests"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
if ! make --no-print-directory SANITIZE=1 O="$o" run_unit_tests; then
	status=1
fi

step "layers of hcrun"
scripts/check-layers.sh "$o/obj/ref/hcrun" || status=1

step "conformance matrix"
make --no-print-directory SANITIZE=1 O="$o" check-matrix || status=1

step "results: merge-results and ktap-to-lava"
scripts/check-results || status=1

step "bench/report.sh: what a report says about how far to trust it"
scripts/check-report || status=1

exit $status
