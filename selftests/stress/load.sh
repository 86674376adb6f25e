#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Load: many containers with a channel each, driven concurrently, then
# nothing left; and many create/delete cycles with memory held flat.
#
# 1. STRESS_CONTAINERS containers (40; `make stress`: 200), shared out over
#    STRESS_CLIENTS parallel clients (4; `make stress`: 8). Each client, for
#    each of its containers: create (channel at scratch/cN/ch, its parent
#    made by create too), start, the host writes a file the container reads,
#    the container writes a file the host reads, stop, start again (both
#    files intact: the tmpfs lives from start to delete), stop, delete. Every
#    command's exit status is checked, and every byte read.
# 2. STRESS_CYCLES cycles (300; `make stress`: 10000) of
#    `hcrun run --rm` with a channel that the container writes: Shmem
#    (/proc/meminfo), the number of memory cgroups (/proc/cgroups) and the
#    peak RSS of hcrun (/usr/bin/time %M) in the first and the last 10% of
#    the cycles, and the descriptors a detached monitor holds, sampled
#    every 10%, are printed as "# " lines and must not grow: Shmem within
#    16 MiB (other users share the host), cgroups within 8 or 1% of the
#    cycles (a removed cgroup may stay dying a while; a leak is one a
#    cycle), RSS within 512 KiB, descriptors equal.
#
# After each part: no mount of the load's tmpfs (source hostchannel-hcl-*)
# in mountinfo, no state dir, no cgroup under hcrun's parent, no process of
# the load, and the scratch directory empty. hcrun only (it reads hcrun's
# state for the monitor's pid).
# shellcheck source=../lib/ktap.sh
. "$(dirname "$0")/../lib/ktap.sh"
ktap_private_ns "$@"

# shellcheck source=../lib/paths.sh
. "$(dirname "$0")/../lib/paths.sh"
HCRUN=${HCRUN:-$HCT_HCRUN}
N=${STRESS_CONTAINERS:-40}
C=${STRESS_CLIENTS:-4}
CYCLES=${STRESS_CYCLES:-300}
P=hcl-$$
MARK=86$$
ROOT=${HCRUN_ROOT:-/run/hcrun}
T=60

ktap_plan "$N containers, $C clients: every command and every byte right" \
	"$N containers, $C clients: nothing left" \
	"$CYCLES run --rm cycles: every one right" \
	"$CYCLES run --rm cycles: Shmem, cgroups, hcrun's RSS and descriptors flat" \
	"$CYCLES run --rm cycles: nothing left"
if [ "${HCT_ENGINE:-ref}" != ref ]; then
	ktap_skip_all "engine ${HCT_ENGINE}: this load reads hcrun's state (ENGINE=ref)"
fi
[ "$(id -u)" -eq 0 ] && [ -x "$HCRUN" ] || ktap_skip_all "needs root and $HCRUN (make)"
[ -x /usr/bin/time ] || ktap_skip_all "needs /usr/bin/time (GNU time) for the peak RSS"

S=$(mktemp -d /tmp/hostchannel-selftest-load-XXXXXX) || exit 1
cleanup() {
	local f name

	for f in "$ROOT/$P"-*; do
		[ -e "$f" ] || continue
		name=${f##*/}
		timeout $T "$HCRUN" delete -f "$name" >/dev/null 2>&1
	done
	rm -f -- "$S"/fail.* "$S"/rss "$S"/fds
	rmdir -- "$S" 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT TERM

hc() {
	timeout $T "$HCRUN" "$@"
}

CGROOT=$(findmnt -rn -t cgroup -O memory -o FSROOT,TARGET | awk '$1 == "/" { print $2; exit }')
[ -n "$CGROOT" ] || CGROOT=$(findmnt -rn -t cgroup2 -o FSROOT,TARGET | awk '$1 == "/" { print $2; exit }')

leaks() {
	local f cmd

	findmnt -rn -o TARGET,SOURCE | awk -v p="hostchannel-$P-" 'index($2, p) == 1 { print "mount " $1 }'
	# shellcheck disable=SC2010 # the scratch holds the test's own plain names
	[ -z "$(ls -A "$S" | grep -v -e '^fail\.' -e '^rss$' -e '^fds$')" ] ||
		echo "scratch holds: $(ls -A "$S" | tr '\n' ' ')"
	# hcrun/ for the default state root, hcrun.<hash>/ for another.
	for f in "$ROOT/$P"-* "$CGROOT"/hcrun*/"$P"-*; do
		[ -e "$f" ] && echo "left: $f"
	done
	for f in /proc/[0-9]*/cmdline; do
		cmd=$(tr '\0' ' ' 2>/dev/null <"$f") || continue
		case $cmd in
		*"$MARK"* | *" $P-"*) echo "process ${f//[^0-9]/}: $cmd" ;;
		esac
	done
}

IDLE=(/bin/sh -c "trap 'exit 0' TERM; sleep $MARK & wait")

# One container's whole life; says what went wrong, if anything.
life() {
	local i=$1 name=$P-$1 ch=$S/c$1/ch out

	hc create --name "$name" --host-channel "$ch:/ch:rw:1M" -- "${IDLE[@]}" >/dev/null ||
		{ echo "$name: create exited $?"; return 1; }
	hc start "$name" || { echo "$name: start exited $?"; return 1; }
	echo "host-$i-$RANDOM$RANDOM" >"$ch/from-host" || { echo "$name: host write"; return 1; }
	out=$(hc exec "$name" /bin/sh -c "cat /ch/from-host && echo cont-$i >/ch/from-cont") ||
		{ echo "$name: exec exited $?"; return 1; }
	[ "$out" = "$(cat "$ch/from-host")" ] || { echo "$name: the container read \"$out\""; return 1; }
	[ "$(cat "$ch/from-cont")" = "cont-$i" ] || { echo "$name: the host read $(cat "$ch/from-cont")"; return 1; }
	hc stop -t 5 "$name" || { echo "$name: stop exited $?"; return 1; }
	hc start "$name" || { echo "$name: restart exited $?"; return 1; }
	out=$(hc exec "$name" cat /ch/from-host /ch/from-cont) || { echo "$name: exec after restart"; return 1; }
	[ "$out" = "$(cat "$ch/from-host" "$ch/from-cont")" ] ||
		{ echo "$name: after restart the container reads \"$out\""; return 1; }
	hc stop -t 5 "$name" || { echo "$name: second stop exited $?"; return 1; }
	hc delete "$name" || { echo "$name: delete exited $?"; return 1; }
	[ ! -e "$S/c$i" ] || { echo "$name: delete left $S/c$i"; return 1; }
}

client() {
	local c=$1 i

	for ((i = c; i < N; i += C)); do
		life "$i" >>"$S/fail.$c" 2>&1
	done
}

start=$(date +%s.%N)
for ((c = 0; c < C; c++)); do
	client "$c" &
done
wait
ktap_info "part 1: $N containers, $C clients: $(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }') s"
fails=$(cat "$S"/fail.* 2>/dev/null)
ktap_result "$([ -z "$fails" ] && echo 0 || echo 1)" "$(head -n 20 <<<"$fails" | tr '\n' ';')"
left=$(leaks)
ktap_result "$([ -z "$left" ] && echo 0 || echo 1)" "$(head -n 20 <<<"$left" | tr '\n' ';')"

# ------------------------------------------------------------------ cycles
shmem() { awk '$1 == "Shmem:" { print $2 }' /proc/meminfo; }
memcgs() { awk '$1 == "memory" { print $3 }' /proc/cgroups; }

# Descriptors of a detached monitor: started, counted, deleted.
monitor_fds() {
	local name=$P-fd pid

	hc run -d --name "$name" --host-channel "$S/fd/ch:/ch" -- "${IDLE[@]}" >/dev/null || return 1
	pid=$(sed -n 's/^ *"monitor_pid": *\([0-9]*\).*/\1/p' "$ROOT/$name/state.json")
	ls "/proc/$pid/fd" | wc -l
	hc delete -f "$name" >/dev/null
}

tenth=$((CYCLES / 10))
[ $tenth -ge 1 ] || tenth=1
bad=0 why=""
: >"$S/rss"
: >"$S/fds"
start=$(date +%s.%N)
for ((k = 1; k <= CYCLES; k++)); do
	[ $k -eq 1 ] && { shm0=$(shmem); cg0=$(memcgs); }
	if [ $((k % tenth)) -eq 1 ] || [ $tenth -eq 1 ]; then
		monitor_fds >>"$S/fds" || { bad=1; why="monitor probe failed at cycle $k"; }
	fi
	out=$(/usr/bin/time -a -o "$S/rss" -f %M "$HCRUN" run --rm --name "$P-$k" \
		--host-channel "$S/cy/ch:/ch:rw:1M" -- /bin/sh -c "echo $k >/ch/f && cat /ch/f" 2>&1)
	if [ "$out" != "$k" ]; then
		bad=1
		why="cycle $k printed \"$out\""
		break
	fi
	[ $k -eq $tenth ] && { shm1=$(shmem); cg1=$(memcgs); }
done
shm2=$(shmem)
cg2=$(memcgs)
ktap_info "part 2: $CYCLES cycles: $(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }') s"
ktap_result $bad "$why"

# First and last 10%: the averages of the peak RSS, the extremes of the rest.
read -r rss_first rss_last < <(awk -v t=$tenth '{ v[NR] = $1 } END {
	for (i = 1; i <= t && i <= NR; i++) a += v[i];
	for (i = NR - t + 1; i <= NR; i++) if (i >= 1) b += v[i];
	printf "%d %d\n", a / t, b / t }' "$S/rss")
fd_first=$(head -n 1 "$S/fds")
fd_last=$(tail -n 1 "$S/fds")
ktap_info "Shmem: $shm0 kB before, $shm1 kB after the first 10%, $shm2 kB at the end"
ktap_info "memory cgroups (/proc/cgroups): $cg0 before, $cg1 after the first 10%, $cg2 at the end"
ktap_info "hcrun run --rm peak RSS: $rss_first kB average in the first 10%, $rss_last kB in the last 10%"
ktap_info "detached monitor descriptors, every 10%: $(tr '\n' ' ' <"$S/fds")"
why=""
[ $((shm2 - shm1)) -le 16384 ] || why="Shmem grew by $((shm2 - shm1)) kB;"
# A leak is a cgroup a cycle; the rest is the host's other users.
cg_tol=$((CYCLES / 100 > 8 ? CYCLES / 100 : 8))
[ $((cg2 - cg1)) -le $cg_tol ] || why="$why memory cgroups grew by $((cg2 - cg1)) (> $cg_tol);"
[ $((rss_last - rss_first)) -le 512 ] || why="$why hcrun's peak RSS grew by $((rss_last - rss_first)) kB;"
[ "$fd_first" = "$fd_last" ] || why="$why the monitor's descriptors went from $fd_first to $fd_last;"
ktap_result "$([ -z "$why" ] && echo 0 || echo 1)" "$why"
rm -f -- "$S/rss" "$S/fds"
left=$(leaks)
ktap_result "$([ -z "$left" ] && echo 0 || echo 1)" "$(head -n 20 <<<"$left" | tr '\n' ';')"
rm -f -- "$S"/fail.*
ktap_finish
