#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Why the contract says "unmount the channel, then delete the cgroup", by
# hand with cgroup-tools: tmpfs pages stay charged to the cgroup that wrote
# them, and a deleted memory cgroup whose pages still exist lives on as a
# "dying" cgroup until they are freed.
#
# By hand (as root; v1 shown, on v2 read shmem instead of total_shmem, and
# nr_dying_descendants in demo's cgroup.stat counts the dying cgroups too):
#   unshare -m --propagation private bash
#   cgcreate -g memory:/demo/c
#   mkdir /tmp/ch && mount -t tmpfs -o mode=1777,size=128M,nosuid,nodev,noexec hc /tmp/ch
#   cgexec -g memory:/demo/c dd if=/dev/zero of=/tmp/ch/f bs=1M count=64
#   cgdelete -g memory:/demo/c                  # succeeds...
#   cgget -r memory.stat demo | grep shmem      # ...yet total_shmem is 64 MiB, demo's own
#                                               # shmem 0: c holds them, dying
#   umount /tmp/ch; sleep 2
#   cgget -r memory.stat demo | grep shmem      # 0: c is freed
#   rmdir /tmp/ch; cgdelete -g memory:/demo
#
# What keeps a deleted cgroup dying is read in the test's own parent: its
# tmpfs pages charged to no live cgroup (its hierarchical shmem less its own
# and its live children's). A deleted memory cgroup stays dying as long as a
# page is charged to it, and the figure moves with this subtree alone; v1's
# count of dying cgroups (/proc/cgroups) is the whole machine's, so it is not
# used. v2 also checks its own count, nr_dying_descendants of the parent.
# The statistics are folded lazily (every 2 s at most): polled for 10 s.

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
TOL=$(((64 << 20) / 20))

# A fresh channel, and cgroup $HC_CG/$1 that wrote 64 MiB into it.
written_by() {
	hc_mounted && umount "$HC_MNT"
	if ! mount -t tmpfs -o mode=1777,size=128M,nosuid,nodev,noexec hostchannel "$HC_MNT" ||
		! hc_leaf "$1" ||
		! cgexec -g "memory:/$HC_CG/$1" dd if=/dev/zero of="$HC_MNT/f" bs=1M count=64 status=none; then
		ktap_skip_all "setting up $HC_CG/$1 and its channel failed"
	fi
}

# tmpfs pages in $HC_CG charged to deleted (so dying) cgroups.
removed_shmem() {
	local tree own=0 live=0 d v

	if [ "$CG_VERSION" = 1 ]; then
		tree=$(cg_key "$HC_CG" memory.stat total_shmem)
		own=$(cg_key "$HC_CG" memory.stat shmem)
	else
		tree=$(cg_key "$HC_CG" memory.stat shmem)
	fi
	for d in "$CG_ROOT/$HC_CG"/*/; do
		[ -d "$d" ] || continue
		v=$(cg_key "$HC_CG/$(basename "$d")" memory.stat "$([ "$CG_VERSION" = 1 ] && echo total_)shmem")
		live=$((live + ${v:-0}))
	done
	echo $((tree - own - live))
}

# removed_settles CMP BYTES: poll (draining every 0.5 s) until removed_shmem
# is -le or -ge BYTES, for at most 10 s; GOT holds the last figure.
removed_settles() {
	local i

	for i in $(seq 100); do
		GOT=$(removed_shmem)
		if [ "$1" = le ]; then [ "$GOT" -le "$2" ]; else [ "$GOT" -ge "$2" ]; fi && return 0
		[ $((i % 5)) -eq 0 ] && cg_drain
		sleep 0.1
	done
	return 1
}

# The count of dying cgroups (v2: the parent's own) once it held still for 0.5 s.
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

# 2: nothing left to keep c1 dying once it is deleted.
[ "$CG_VERSION" = 2 ] && dying=$(dying_now)
cgdelete -g "memory:/$HC_CG/c1"
rc=0 miss=""
if ! removed_settles le $TOL; then
	rc=1 miss="$(mib "$GOT") of tmpfs pages charged to deleted cgroups of $HC_CG 10 s after cgdelete, want <= $(mib $TOL)"
elif [ "$CG_VERSION" = 2 ] && ! cg_dying_settles "$dying"; then
	rc=1 miss="nr_dying_descendants of $HC_CG: $dying before cgdelete, $GOT 10 s after"
fi
ktap_result $rc "$miss"

# 3: deleted before the umount, d1 holds its 64 MiB, dying.
written_by d1
[ "$CG_VERSION" = 2 ] && dying=$(dying_now)
cgdelete -g "memory:/$HC_CG/d1"
cg_drain
sleep 1
held=$(cg_usage "$HC_CG")
removed_settles ge $((61 << 20))
removed=$GOT
rc=0 miss=""
# Pages nothing but the umount can free keep the parent charged.
if [ "$held" -lt $((61 << 20)) ] || [ "$removed" -lt $((61 << 20)) ]; then
	rc=1 miss="parent usage $(mib "$held"), tmpfs pages charged to deleted cgroups $(mib "$removed") after cgdelete; want >= 61 MiB each"
elif [ "$CG_VERSION" = 2 ] && [ "$(cg_dying)" != $((dying + 1)) ]; then
	rc=1 miss="nr_dying_descendants of $HC_CG: $dying before cgdelete, $(cg_dying) after, want $((dying + 1))"
fi
ktap_result $rc "$miss"

# 4: the umount frees the pages, and with them d1.
[ "$CG_VERSION" = 2 ] && dying=$(dying_now)
umount "$HC_MNT"
rc=0 miss=""
if ! removed_settles le $TOL; then
	rc=1 miss="$(mib "$GOT") of tmpfs pages charged to deleted cgroups of $HC_CG 10 s after umount, want <= $(mib $TOL)"
elif [ "$CG_VERSION" = 2 ] && ! cg_dying_settles $((dying - 1)); then
	rc=1 miss="nr_dying_descendants of $HC_CG: $dying before umount, $GOT 10 s after, want $((dying - 1))"
fi
ktap_result $rc "$miss"

ktap_finish
