#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The installed suite's runner, in the manner of the kernel's
# run_kselftest.sh: the programs listed in kselftest-list.txt beside it
# ("collection:program", written by make install) run as one KTAP stream
# through ktap-run, with the per-program timeout of ./settings, inside the
# engine's session (engine-session: a daemon for docker) when HCT_ENGINE
# names an engine that needs one.
#
#   ./run_kselftest.sh                 everything
#   ./run_kselftest.sh -l              list collection:program
#   ./run_kselftest.sh -c kernel       one collection (repeatable)
#   ./run_kselftest.sh -t kernel:ro_bind   one program (repeatable)
#   ./run_kselftest.sh -T memcg        programs whose path holds PATTERN
#   ./run_kselftest.sh -o SECONDS      another per-program timeout
#   ./run_kselftest.sh -r DIR          also write DIR/results.ktap and
#                                      DIR/machine.json (label: -L LABEL)
#   ./run_kselftest.sh ... PROGRAM...  more programs (paths), run last
#
# Everything it runs is in this tree, found from where the tree is: it runs
# the same wherever the tree was unpacked. HCT_ENGINE=NAME picks a driver
# of engines/ (default ref, hcrun of ref/); other engines are found on PATH.
set -uo pipefail

base=$(dirname "$(realpath "$0")")
list=$base/kselftest-list.txt
timeout=$(sed -n 's/^timeout=//p' "$base/settings")
collections=() tests=() pattern="" results="" label=""

usage() {
	sed -n 's/^#   //p' "$0"
	exit "${1:-0}"
}

while getopts "hlc:t:T:o:r:L:" opt; do
	case "$opt" in
	l) grep -v '^#' "$list"; exit 0 ;;
	c) collections+=("$OPTARG") ;;
	t) tests+=("$OPTARG") ;;
	T) pattern=$OPTARG ;;
	o) timeout=$OPTARG ;;
	r) results=$OPTARG ;;
	L) label=$OPTARG ;;
	h) usage 0 ;;
	*) usage 2 ;;
	esac
done
shift $((OPTIND - 1))
[[ ${timeout:-300} =~ ^[1-9][0-9]*$ ]] || { echo "run_kselftest.sh: -o $timeout: expected seconds" >&2; exit 2; }

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
for p in "$@"; do
	[ -x "$p" ] || { echo "run_kselftest.sh: $p is not an executable" >&2; exit 2; }
	progs+=("$p")
done

run=("$base/engine-session" "${HCT_ENGINE:-ref}" "$base/ktap-run" -t "${timeout:-300}"
	${pattern:+-T "$pattern"} "${progs[@]}")
[ -n "$results" ] || exec "${run[@]}"

# A results directory: the machine first (a run that dies still says
# where it ran), then the stream, to the terminal and to results.ktap.
mkdir -p -- "$results" || exit 2
if ! "$base/machine-info" ${label:+-l "$label"} >"$results/machine.json.tmp"; then
	rm -f -- "$results/machine.json.tmp"
	echo "run_kselftest.sh: cannot write $results/machine.json" >&2
	exit 2
fi
mv -f -- "$results/machine.json.tmp" "$results/machine.json"
"${run[@]}" | tee "$results/results.ktap"
exit "${PIPESTATUS[0]}"
