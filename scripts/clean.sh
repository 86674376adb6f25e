#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Remove the build directory, which the Makefile created. Refuses when
# anything is mounted below it (a test left a mount: removing would reach
# into that filesystem), and never crosses into another filesystem.
set -euo pipefail

dir=${1:?build directory}
[ -e "$dir" ] || [ -L "$dir" ] || exit 0
# A symlink is someone's pointer elsewhere: what it names was not made here.
if [ -L "$dir" ]; then
	echo "clean: $dir is a symlink; remove what it points to yourself" >&2
	exit 1
fi
abs=$(realpath -e "$dir")
case "$abs" in
/ | "$HOME" | /work | /usr | /etc)
	echo "clean: refusing to remove $abs" >&2
	exit 1
	;;
esac
if awk -v p="$abs/" '{ if (index($5 "/", p) == 1) found = 1 } END { exit !found }' /proc/self/mountinfo; then
	echo "clean: something is mounted below $abs; unmount it first:" >&2
	awk -v p="$abs/" 'index($5 "/", p) == 1 { print "  " $5 }' /proc/self/mountinfo >&2
	exit 1
fi
rm -r --one-file-system -- "$abs"
