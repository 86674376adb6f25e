#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The seed's memory note, by hand with cgroup-tools: a file the container
# writes into the channel counts against the container's memory cgroup; a
# file the host writes does not, even when the container reads it.
#
# By hand (as root, v1 names; on v2 the same with memory.current):
#   unshare -m --propagation private bash      # mounts stay in here
#   cgcreate -g memory:/demo
#   mkdir /tmp/ch && mount -t tmpfs -o mode=1777,size=64M,nosuid,nodev,noexec hc /tmp/ch
#   cgexec -g memory:/demo dd if=/dev/zero of=/tmp/ch/c bs=1M count=32
#   cgget -r memory.stat demo | grep -w shmem    # 32 MiB, the container's
#   dd if=/dev/zero of=/tmp/ch/h bs=1M count=32
#   cgexec -g memory:/demo cat /tmp/ch/h >/dev/null
#   cgget -r memory.stat demo | grep -w shmem    # still 32 MiB
#   umount /tmp/ch; rmdir /tmp/ch; cgdelete -g memory:/demo

# shellcheck source=../lib/ktap.sh
. "$(dirname "$0")/../lib/ktap.sh"
ktap_private_ns "$@"
ktap_plan "container dd of 32 MiB is charged to the container" \
	"host dd of 32 MiB is not charged to the container" \
	"container reading the host's file takes no charge"
ktap_require_root cgcreate cgset cgexec cgget cgdelete findmnt dd
memcg_detect
hc_sandbox

hc_leaf container || ktap_skip_all "cgcreate of $HC_CG/container failed"
cg=$HC_CG/container
mount -t tmpfs -o mode=1777,size=64M,nosuid,nodev,noexec hostchannel "$HC_MNT" ||
	ktap_skip_all "mount -t tmpfs on $HC_MNT failed"

cgexec -g "memory:/$cg" dd if=/dev/zero of="$HC_MNT/from-container" bs=1M count=32 status=none
ktap_poll_near $((32 << 20)) cg_shmem "$cg"
ktap_result $? "shmem of $cg is $(mib "$GOT"), want 32 MiB +- 5% or 1 MiB"

dd if=/dev/zero of="$HC_MNT/from-host" bs=1M count=32 status=none
# A charge that does not happen cannot be waited for: give the kernel's
# periodic statistics flush (every 2 s) the time to show one if it did.
sleep 2.1
ktap_poll_near $((32 << 20)) cg_shmem "$cg"
ktap_result $? "shmem of $cg is $(mib "$GOT") after the host's dd, want still 32 MiB"

cgexec -g "memory:/$cg" cat "$HC_MNT/from-host" >/dev/null
sleep 2.1
ktap_poll_near $((32 << 20)) cg_shmem "$cg"
ktap_result $? "shmem of $cg is $(mib "$GOT") after reading the host's file, want still 32 MiB"

ktap_finish
