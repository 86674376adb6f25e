#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Extract the kernel's kselftest harness (kselftest_harness.h, kselftest.h)
# from Debian's linux-source tarball into DEST, once. The headers are used
# from there at build time, never copied into the tree.
#   scripts/ksft-headers.sh /usr/src/linux-source-6.1.tar.xz build/ksft
set -euo pipefail

tarball=${1:?tarball}
dest=${2:?destination}

if [ ! -r "$tarball" ]; then
	echo "ksft-headers: $tarball not found: run 'make deps' (package linux-source-6.1)," >&2
	echo "  or point KSFT_DIR at a kernel tree's tools/testing/selftests" >&2
	exit 1
fi
mkdir -p "$dest"
tar -xJf "$tarball" -C "$dest" --wildcards '*/tools/testing/selftests/kselftest*.h'
# The stamp the Makefile waits for is the harness header itself.
touch "$dest"/*/tools/testing/selftests/kselftest_harness.h
