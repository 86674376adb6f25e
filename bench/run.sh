#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make bench [PROFILE=smoke|quick|full] [PIN=HOST_CPU,CONT_CPU|none]
#            [WAIT_QUIET=SECONDS] [NEAR_NS=NS]
#
# Runs every benchmark against a real hcrun container and writes
# build/bench/<timestamp>/: the raw JSON lines, report.md and the SVG plots.
#   1. chanbench: the host side here, the container side inside a container
#      started with a host channel, talking through that channel (and over a
#      veth for the TCP baseline);
#   2. the same for ring and file with the channel remounted huge=within_size;
#   3. bench/lifecycle.sh: whole commands under hyperfine (not in smoke);
#   4. bench/scale.sh: the k-th channel's create+delete while n exist;
#   5. bench/report.sh: report.md and the plots.
# 3 and 4 run under chanbench --observe, which records how much CPU other
# processes took meanwhile (OUT/observe.jsonl).
# smoke checks correctness only (every checksum, every sequence number) and
# takes seconds; no profile ever fails on a speed.
#
# Every figure says how far to trust it: how much CPU other processes took
# while it was measured (above 0.1 of a CPU it is "disturbed", measured
# again up to 3 times, and the report takes no verdict from it), and where
# the two pinned CPUs are from each other ("near": they share a cache, a
# spin round trip below NEAR_NS, 250 by default; "far": they do not).
# WAIT_QUIET=60 first waits up to 60 s for a 2 s window in which other
# processes use less than that; machine.json says whether it came.
#
# Everything this creates (container, channel, veth, files) goes at exit,
# also on failure.
set -euo pipefail
cd "$(dirname "$0")/.."

PROFILE=${PROFILE:-quick}
# Spin-waiting on both sides needs two CPUs for sure: left to the
# scheduler, both sides can land on one and a spinning side then burns the
# time slice its peer needs. So pin when there are two; PIN=none does not.
if [ -z "${PIN:-}" ] && [ "$(nproc)" -ge 2 ]; then PIN=0,1; fi
[ "${PIN:-}" = none ] && PIN=
PIN=${PIN:-}
WAIT_QUIET=${WAIT_QUIET:-0}
NEAR_NS=${NEAR_NS:-250}
B=${O:-build}
HCRUN=$(realpath "$B/hcrun")
CB=$B/bench/chanbench
case $PROFILE in smoke | quick | full) ;; *)
	echo "bench: PROFILE must be smoke, quick or full, not '$PROFILE'" >&2
	exit 2
	;;
esac
[[ $WAIT_QUIET =~ ^[0-9]+$ ]] || {
	echo "bench: WAIT_QUIET must be a number of seconds, not '$WAIT_QUIET'" >&2
	exit 2
}
[[ $NEAR_NS =~ ^[1-9][0-9]*$ ]] || {
	echo "bench: NEAR_NS must be a number of nanoseconds, not '$NEAR_NS'" >&2
	exit 2
}
[ "$(id -u)" -eq 0 ] || {
	echo "bench: needs root (containers, mounts, veth)" >&2
	exit 2
}

OUT=${OUT:-$B/bench/$(date -u +%Y%m%dT%H%M%SZ)-$PROFILE}
mkdir -p "$OUT"
OUT=$(realpath "$OUT")
echo "bench: profile $PROFILE, output $OUT"

name=hcbench-$$
chan=/tmp/hcbench-$$
veth_h=hcbh$$
veth_c=hcbc$$
# A /30 of our own, on this machine only; TCP is skipped if it is in use.
net=10.203.51
cside=
veth_made=

cleanup() {
	local rc=$?
	set +e
	[ -n "$cside" ] && kill "$cside" 2>/dev/null && wait "$cside" 2>/dev/null
	"$HCRUN" delete -f "$name" >/dev/null 2>&1
	[ -n "$veth_made" ] && ip link del "$veth_h" 2>/dev/null
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

machine() {
	local cg thp
	if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then cg=v2; else
		cg="v1 (hybrid)"
		[ -d /sys/fs/cgroup/unified ] || cg=v1
	fi
	thp=$(cat /sys/kernel/mm/transparent_hugepage/shmem_enabled 2>/dev/null || echo n/a)
	jq -nc --arg cpu "$(lscpu | sed -n 's/^Model name: *//p' | head -1)" \
		--arg cores "$(nproc)" --arg kernel "$(uname -r)" --arg cg "$cg" \
		--arg mem "$(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)" \
		--arg hyp "$(lscpu | sed -n 's/^Hypervisor vendor: *//p')" \
		--arg thp "$thp" --arg pin "${PIN:-none}" --arg profile "$PROFILE" \
		--arg date "$(date -u +%FT%TZ)" --arg commit "$(git rev-parse --short HEAD 2>/dev/null || echo -)" \
		'{bench:"machine",cpu:$cpu,cores:($cores|tonumber),kernel:$kernel,cgroup:$cg,
		  memory:$mem,hypervisor:$hyp,shmem_thp:$thp,pinned:$pin,profile:$profile,
		  date:$date,commit:$commit}'
}
machine >"$OUT/machine.json"

# How busy the machine is before anything starts: one 2 s window, or, with
# WAIT_QUIET, windows until one is quiet or the time is up. Nothing of ours
# runs yet, so what is busy is someone else.
[ "$WAIT_QUIET" -gt 0 ] && echo "bench: waiting up to $WAIT_QUIET s for the machine to go quiet"
quiet=$("$CB" --wait-quiet "$WAIT_QUIET")
jq -r '"bench: other processes used \(.other_cpu) of a CPU over the last \(.window_s) s: "
	+ (if .quiet then "quiet" else "NOT quiet" end)
	+ (if .asked_s > 0 then " after \(.waited_s) s of waiting (up to \(.asked_s))" else "" end)' <<<"$quiet"
jq -c --argjson q "$quiet" '. + {quiet:$q}' "$OUT/machine.json" >"$OUT/machine.json.new"
mv "$OUT/machine.json.new" "$OUT/machine.json"

size=256M
[ "$PROFILE" = smoke ] && size=64M
"$HCRUN" run -d --name "$name" --host-channel "$chan:/ch:rw:$size" -- sleep 1000000 >/dev/null
# The channel is mounted noexec (the contract), so the static binary goes
# through it and is copied into the container's own (in-memory) root.
cp "$CB" "$chan/chanbench"
"$HCRUN" exec "$name" -- cp /ch/chanbench /chanbench
rm -f "$chan/chanbench"
tmpfs_opts=$(findmnt -no OPTIONS --mountpoint "$chan")
jq -c --arg o "$tmpfs_opts" '. + {tmpfs:$o}' "$OUT/machine.json" >"$OUT/machine.json.new"
mv "$OUT/machine.json.new" "$OUT/machine.json"

tcp=()
if ip -4 addr | grep -q " $net\."; then
	echo "bench: $net.0/30 is in use here; no TCP baseline" >&2
else
	pid=$("$HCRUN" inspect "$name" | jq -r .pid)
	ip link add "$veth_h" type veth peer name "$veth_c"
	veth_made=1
	ip link set "$veth_c" netns "$pid"
	ip addr add "$net.1/30" dev "$veth_h"
	ip link set "$veth_h" up
	nsenter -t "$pid" -n ip addr add "$net.2/30" dev "$veth_c"
	nsenter -t "$pid" -n ip link set "$veth_c" up
	tcp=(--tcp "$net.1:47291")
fi

pin=()
[ -n "$PIN" ] && pin=(--pin "$PIN")

# One chanbench run: the container side in the background, the host side
# here. A failing side makes the other stop (chanbench's control page).
chanbench() {
	local label=$1 log=$2
	shift 2
	"$HCRUN" exec "$name" -- /chanbench --side container --dir /ch \
		>"$OUT/container-$log.log" 2>&1 &
	cside=$!
	local rc=0
	"$CB" --side host --dir "$chan" --profile "$PROFILE" --json "$OUT/chanbench.jsonl" \
		--label "$label" --near-ns "$NEAR_NS" "${pin[@]}" "$@" |
		tee "$OUT/chanbench-$log.txt" || rc=$?
	wait "$cside" || rc=1
	cside=
	return $rc
}

echo "== chanbench (tmpfs: $tmpfs_opts)"
chanbench "huge=never" main "${tcp[@]}"

echo "== chanbench, the channel remounted huge=within_size (ring, file)"
mount -o remount,huge=within_size "$chan"
chanbench "huge=within_size" huge --only ring,file
mount -o remount,huge=never "$chan"

"$HCRUN" delete -f "$name" >/dev/null
if [ -n "$veth_made" ]; then
	# Its peer went with the container's network namespace already.
	ip link del "$veth_h" 2>/dev/null || true
	veth_made=
fi

# hyperfine's figures: chanbench cannot see inside them, so it watches each
# script whole (OUT/observe.jsonl): how much CPU others used meanwhile.
observe() {
	local name=$1
	shift
	"$CB" --observe "$name" --json "$OUT/observe.jsonl" -- \
		env PROFILE="$PROFILE" HCRUN="$HCRUN" "$@" "$OUT"
}
if [ "$PROFILE" != smoke ]; then
	echo "== lifecycle (hyperfine)"
	observe lifecycle bench/lifecycle.sh
fi
echo "== scale: the k-th channel while n exist"
observe scale bench/scale.sh

echo "== report"
bench/report.sh "$OUT"
echo "bench: $OUT/report.md"
