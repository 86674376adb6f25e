#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The seed's memory note, by hand with cgroup-tools: a container that writes
# more into the channel than its memory limit leaves room for is OOM-killed
# (it never sees ENOSPC); what the host wrote does not count, even when the
# container reads all of it; and raising the limit by the channel's size
# (the seed's advice) turns the OOM kill back into the channel's ENOSPC.
#
# By hand (as root, v1 names; v2: memory.max, memory.events):
#   unshare -m --propagation private bash
#   cgcreate -g memory:/demo && cgset -r memory.limit_in_bytes=32M demo
#   mkdir /tmp/ch && mount -t tmpfs -o mode=1777,size=64M,nosuid,nodev,noexec hc /tmp/ch
#   cgexec -g memory:/demo dd if=/dev/zero of=/tmp/ch/f bs=1M count=64; echo $?   # 137
#   cgget -r memory.oom_control demo                                   # oom_kill 1
#   rm /tmp/ch/f; cgset -r memory.limit_in_bytes=96M demo              # 32M + 64M
#   cgexec -g memory:/demo dd if=/dev/zero of=/tmp/ch/f bs=1M count=80 # No space left
#   umount /tmp/ch; rmdir /tmp/ch; cgdelete -g memory:/demo

# shellcheck source=../lib/ktap.sh
. "$(dirname "$0")/../lib/ktap.sh"
ktap_private_ns "$@"
ktap_plan "limit 32M, channel 64M: container dd of 64 MiB is killed (137), no ENOSPC" \
	"limit 32M, channel 64M: oom_kill counts the kill" \
	"limit 32M: container reads 64 MiB the host wrote, no OOM kill" \
	"limit 32M + 64M channel: container dd of 80 MiB stops at 64 MiB with ENOSPC" \
	"limit 32M + 64M channel: no OOM kill"
ktap_require_root cgcreate cgset cgexec cgget cgdelete findmnt dd stat
memcg_detect
hc_sandbox

mount -t tmpfs -o mode=1777,size=64M,nosuid,nodev,noexec hostchannel "$HC_MNT" ||
	ktap_skip_all "mount -t tmpfs on $HC_MNT failed"
# 1. The channel is bigger than the limit.
hc_leaf small 32M || ktap_skip_all "cgroup $HC_CG/small with a 32M limit failed"
ktap_run cgexec -g "memory:/$HC_CG/small" dd if=/dev/zero of="$HC_MNT/f" bs=1M count=64 status=none
[[ $RC -eq 137 && $OUT != *"No space"* ]]
ktap_result $? "dd exit $RC ($OUT), want 137 (SIGKILL) and no ENOSPC"
kills=$(cg_oom_kills "$HC_CG/small")
[ "$kills" = 1 ]
ktap_result $? "oom_kill of $HC_CG/small is '$kills' ($CG_EVENTS), want 1"
rm -f "$HC_MNT/f"

# 2. The host writes, the container reads.
hc_leaf reader 32M || ktap_skip_all "cgroup $HC_CG/reader with a 32M limit failed"
dd if=/dev/zero of="$HC_MNT/host" bs=1M count=64 status=none
ktap_run cgexec -g "memory:/$HC_CG/reader" sh -c "cat '$HC_MNT/host' >/dev/null"
kills=$(cg_oom_kills "$HC_CG/reader")
[ "$RC" -eq 0 ] && [ "$kills" = 0 ]
ktap_result $? "cat exit $RC ($OUT), oom_kill '$kills'; want 0 and 0"
rm -f "$HC_MNT/host"

# 3. The seed's advice: limit = usual limit + channel size.
hc_leaf advised $((32 + 64))M || ktap_skip_all "cgroup $HC_CG/advised with a 96M limit failed"
ktap_run cgexec -g "memory:/$HC_CG/advised" dd if=/dev/zero of="$HC_MNT/f" bs=1M count=80 status=none
size=$(stat -c %s "$HC_MNT/f")
[[ $RC -eq 1 && $OUT == *"No space left on device"* && $size -eq $((64 << 20)) ]]
ktap_result $? "dd exit $RC ($OUT), file $size bytes; want exit 1, ENOSPC, $((64 << 20)) bytes"
kills=$(cg_oom_kills "$HC_CG/advised")
[ "$kills" = 0 ]
ktap_result $? "oom_kill of $HC_CG/advised is '$kills', want 0"

ktap_finish
