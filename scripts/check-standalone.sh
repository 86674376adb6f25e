#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make check: the repository stands alone. The contract and the seed
# document used to live in a directory beside the clone; they are
# docs/contract.md and docs/seed.md now, and a clone on its own must build,
# test and read. Fails, listing each offending line, when a tracked file
# still points at that directory.
set -euo pipefail
cd "$(dirname "$0")/.."

# The dots are escaped so that this file does not match itself.
pattern='\.\./shared'
shown=${pattern//\\/}

rc=0
hits=$(git grep -n -I -e "$pattern" -- .) || rc=$?
case $rc in
0)
	printf '%s\n' "$hits" >&2
	n=$(printf '%s\n' "$hits" | wc -l)
	printf 'check-standalone: %d tracked line(s) above name %s, outside the repository;\n' \
		"$n" "$shown" >&2
	echo "check-standalone: point them at docs/contract.md or docs/seed.md instead" >&2
	exit 1
	;;
1)
	echo "check-standalone: no tracked file names $shown"
	;;
*)
	echo "check-standalone: git grep failed (status $rc)" >&2
	exit "$rc"
	;;
esac
