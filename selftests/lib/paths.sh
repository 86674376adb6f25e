# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash disable=SC2034 # the variables are for the script that sources this
#
# Where the suite's own pieces are, for the drivers (engines/*) and the shell
# tests: sourced, it sets
#   HCT_HCRUN    the reference engine's hcrun (hostchannel-runtime beside it)
#   HCT_ROOTFS   the busybox rootfs the containers run
#   HCT_HOOKS    the OCI hooks.d templates (hostchannel-*.json.in)
#   HCT_STATE    a directory of the suite's for an engine's data (docker...)
# and exports nothing. The caller's HCRUN / HCRUN_ROOTFS still win.
#
# Two layouts, told apart by the kselftest-list.txt that only an installed
# tree has at its top (beside lib/):
#   installed (make install INSTALL_PATH=DIR, make gen_tar): everything in
#     the tree, wherever it was unpacked: DIR/ref/hcrun, DIR/ref/rootfs,
#     DIR/ref/hook, DIR/state;
#   the source tree: its build, build/hcrun, build/rootfs, ref/hook, build/.
# No path of an installed tree ever points back into the tree it was built
# in: a farm unpacks it on a machine that has no such tree.

hct_lib_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ -e "$hct_lib_dir/../kselftest-list.txt" ]; then
	hct_prefix=$(cd "$hct_lib_dir/.." && pwd)
	HCT_HCRUN=$hct_prefix/ref/hcrun
	HCT_ROOTFS=$hct_prefix/ref/rootfs
	HCT_HOOKS=$hct_prefix/ref/hook
	HCT_STATE=$hct_prefix/state
else
	hct_prefix=$(cd "$hct_lib_dir/../.." && pwd)
	HCT_HCRUN=$hct_prefix/build/hcrun
	HCT_ROOTFS=$hct_prefix/build/rootfs
	HCT_HOOKS=$hct_prefix/ref/hook
	HCT_STATE=$hct_prefix/build
fi
unset hct_lib_dir hct_prefix
