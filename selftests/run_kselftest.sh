#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The installed suite's runner, in the manner of the kernel's
# run_kselftest.sh: the programs listed in kselftest-list.txt beside it
# ("collection:program", written by make install) run as one KTAP stream
# through ktap-run, with the per-program timeout of ./settings.
#
#   ./run_kselftest.sh                 everything
#   ./run_kselftest.sh -l              list collection:program
#   ./run_kselftest.sh -c kernel       one collection (repeatable)
#   ./run_kselftest.sh -t kernel:ro_bind   one program (repeatable)
#   ./run_kselftest.sh -T memcg        programs whose path holds PATTERN
set -uo pipefail

base=$(dirname "$(realpath "$0")")
list=$base/kselftest-list.txt
timeout=$(sed -n 's/^timeout=//p' "$base/settings")
collections=() tests=() pattern=""

usage() {
	sed -n 's/^#   //p' "$0"
	exit "${1:-0}"
}

while getopts "hlc:t:T:" opt; do
	case "$opt" in
	l) grep -v '^#' "$list"; exit 0 ;;
	c) collections+=("$OPTARG") ;;
	t) tests+=("$OPTARG") ;;
	T) pattern=$OPTARG ;;
	h) usage 0 ;;
	*) usage 2 ;;
	esac
done

progs=()
while IFS= read -r entry; do
	[ -n "$entry" ] || continue
	coll=${entry%%:*}
	if [ ${#collections[@]} -gt 0 ] || [ ${#tests[@]} -gt 0 ]; then
		keep=0
		for c in "${collections[@]}"; do [ "$c" = "$coll" ] && keep=1; done
		for t in "${tests[@]}"; do [ "$t" = "$entry" ] && keep=1; done
		[ $keep = 1 ] || continue
	fi
	progs+=("$base/$coll/${entry#*:}")
done <"$list"

exec "$base/ktap-run" -t "${timeout:-300}" ${pattern:+-T "$pattern"} "${progs[@]}"
