#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make check: the layers of hcrun hold. From the objects of ref/hcrun (nm):
# an edge A -> B when A.o uses a symbol that B.o defines. Fails when
#  - two files call each other in a circle (tsort finds a cycle), or
#  - a cmd_<verb>.c is called by anything but main.c (a verb that another
#    verb calls is a lifecycle step living in the wrong file).
# Also fails when a file outside ref/lib includes the library's private
# mountapi.h. Prints the edges so that a failure shows where.
#
#   scripts/check-layers.sh OBJDIR     (e.g. build/obj/ref/hcrun)
set -euo pipefail
cd "$(dirname "$0")/.."

dir=${1:?usage: check-layers.sh OBJDIR}
shopt -s nullglob
# Only the objects of sources that exist: a build dir may keep a renamed
# file's old object.
objs=()
for o in "$dir"/*.o; do
	[ -f "ref/hcrun/$(basename "$o" .o).c" ] && objs+=("$o")
done
if [ ${#objs[@]} -eq 0 ]; then
	echo "check-layers: no objects in $dir (build hcrun first)" >&2
	exit 2
fi

declare -A owner=()
for o in "${objs[@]}"; do
	f=$(basename "$o" .o)
	while read -r _ type sym; do
		case $type in [TDBRC]) owner[$sym]=$f ;; esac
	done < <(nm --defined-only -g "$o")
done

declare -A edge=()
for o in "${objs[@]}"; do
	f=$(basename "$o" .o)
	while read -r _ sym; do
		to=${owner[$sym]:-}
		[ -n "$to" ] && [ "$to" != "$f" ] && edge["$f $to"]=1
	done < <(nm -u "$o")
done

status=0
for e in "${!edge[@]}"; do
	read -r from to <<<"$e"
	if [[ $to == cmd_* ]] && [ "$from" != main ]; then
		echo "check-layers: $from.c calls into $to.c: a verb is called only by main.c" >&2
		status=1
	fi
done

# Every file is a node of its own, so that lone files show in the order.
if ! order=$({
	for o in "${objs[@]}"; do f=$(basename "$o" .o) && echo "$f $f"; done
	printf '%s\n' "${!edge[@]}"
} | tsort 2>&1 >/dev/null); then
	echo "check-layers: files of ref/hcrun call each other in a circle:" >&2
	echo "$order" >&2
	status=1
fi

private=$(git grep -l '#include "mountapi.h"' -- '*.c' '*.h' ':!ref/lib/' || true)
if [ -n "$private" ]; then
	echo "check-layers: outside ref/lib, these include the library's private mountapi.h:" >&2
	echo "$private" >&2
	status=1
fi

if [ $status -ne 0 ]; then
	printf '%s\n' "${!edge[@]}" | sort | sed 's/ / -> /' >&2
	exit 1
fi
echo "check-layers: ${#objs[@]} files of ref/hcrun, ${#edge[@]} calls between them, no circle"
