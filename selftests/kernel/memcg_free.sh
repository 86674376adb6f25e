#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Why the contract says "unmount the channel, then delete the cgroup", by
# hand with cgroup-tools: tmpfs pages stay charged to the cgroup that wrote
# them, and a deleted memory cgroup whose pages still exist lives on as a
# "dying" cgroup until they are freed.
#
# By hand (as root; v1 shown, on v2 read nr_dying_descendants in the
# parent's cgroup.stat instead of /proc/cgroups):
#   unshare -m --propagation private bash
#   cgcreate -g memory:/demo/c
#   mkdir /tmp/ch && mount -t tmpfs -o mode=1777,size=128M,nosuid,nodev,noexec hc /tmp/ch
#   cgexec -g memory:/demo/c dd if=/dev/zero of=/tmp/ch/f bs=1M count=64
#   grep memory /proc/cgroups                   # num_cgroups N
#   cgdelete -g memory:/demo/c                  # succeeds...
#   grep memory /proc/cgroups                   # ...but still N: c is dying
#   cgget -r memory.usage_in_bytes demo         # the 64 MiB are still charged
#   umount /tmp/ch; sleep 1
#   grep memory /proc/cgroups                   # N - 1: c is gone
#   rmdir /tmp/ch; cgdelete -g memory:/demo
#
# Counts of dying cgroups: v2's is the parent's own; v1's is system-wide
# (num_cgroups less live directories), so another user's cgroup can move it:
# each sequence is tried up to 3 times on v1, every miss printed.

# shellcheck disable=SC2317 # the functions below run through ktap_retry
# shellcheck source=../lib/ktap.sh
. "$(dirname "$0")/../lib/ktap.sh"
ktap_private_ns "$@"
ktap_plan "umount frees the 64 MiB charged to the container" \
	"cgdelete after umount leaves no dying cgroup" \
	"cgdelete before umount leaves a dying cgroup holding the 64 MiB" \
	"...until the umount frees it"
ktap_require_root cgcreate cgset cgexec cgget cgdelete findmnt dd
memcg_detect
hc_sandbox
tries=1
[ "$CG_VERSION" = 1 ] && tries=3

# A fresh channel, and cgroup $HC_CG/$1 that wrote 64 MiB into it.
written_by() {
	hc_mounted && umount "$HC_MNT"
	if ! mount -t tmpfs -o mode=1777,size=128M,nosuid,nodev,noexec hostchannel "$HC_MNT" ||
		! hc_leaf "$1" ||
		! cgexec -g "memory:/$HC_CG/$1" dd if=/dev/zero of="$HC_MNT/f" bs=1M count=64 status=none; then
		ktap_skip_all "setting up $HC_CG/$1 and its channel failed"
	fi
}

# The count of dying cgroups once it held still for 0.5 s.
dying_now() {
	local a b

	b=$(cg_dying)
	until [ "$a" = "$b" ]; do
		a=$b
		sleep 0.5
		b=$(cg_dying)
	done
	echo "$b"
}

written_by c1
before=$(cg_usage "$HC_CG/c1")
umount "$HC_MNT"
after=$(cg_usage "$HC_CG/c1")
ktap_near $((before - after)) $((64 << 20))
ktap_result $? "usage of $HC_CG/c1 $(mib "$before") -> $(mib "$after"), want a 64 MiB drop +- 5%"

unmount_then_delete() {
	[ "$1" -gt 1 ] && written_by "c$1" && umount "$HC_MNT"
	dying=$(dying_now)
	cgdelete -g "memory:/$HC_CG/c$1"
	cg_dying_settles "$dying" && return 0
	MISS="dying cgroups $dying before cgdelete, $GOT 10 s after, want $dying"
	return 1
}
ktap_retry $tries unmount_then_delete
ktap_result $? "$MISS"

delete_then_unmount() {
	written_by "d$1"
	dying=$(dying_now)
	cgdelete -g "memory:/$HC_CG/d$1"
	cg_drain
	sleep 1
	now=$(cg_dying)
	held=$(cg_usage "$HC_CG")
	# Pages nothing but the umount can free keep the parent charged.
	STEP=3
	MISS="dying cgroups $dying -> $now after cgdelete, parent usage $(mib "$held"); want +1 and >= 61 MiB"
	[ "$now" = $((dying + 1)) ] && [ "$held" -ge $((61 << 20)) ] || return 1
	STEP=4
	dying=$(dying_now)
	umount "$HC_MNT"
	cg_dying_settles $((dying - 1)) && return 0
	MISS="dying cgroups $dying before umount, $GOT 10 s after, want $((dying - 1))"
	return 1
}
if ktap_retry $tries delete_then_unmount; then
	ktap_result 0
	ktap_result 0
elif [ "$STEP" = 3 ]; then
	ktap_result 1 "$MISS"
	ktap_result 1 "not reached"
else
	ktap_result 0
	ktap_result 1 "$MISS"
fi

ktap_finish
