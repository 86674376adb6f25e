#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# bench/scale.sh OUT_DIR: does the cost of one more channel grow with the
# number of channels that exist? For n in the profile's list, n channels are
# made to exist (background containers holding up to 100 channels each),
# then hyperfine times, with the same n in place:
#   run        hcrun run --rm with one channel, true  (create+mount+delete)
#   cd         hcrun create + delete with one channel (no mount)
#   kernel     mount -t tmpfs + umount, no hcrun: what the kernel costs
#   unshare    unshare -m true: copying the mount table into a new namespace
#              (every container start does it)
#   mountinfo  cat /proc/self/mountinfo: what one full read costs
# and strace counts how often one hcrun run --rm, and one create plus one
# delete, open mountinfo (each open is a read of the whole table).
# hcrun's own part is run minus kernel minus unshare: what is left when the
# kernel's share of a run (one tmpfs mounted and unmounted, one mount
# namespace copied) is taken out. It should not grow with n.
# Writes OUT_DIR/scale-<n>.json (hyperfine) and OUT_DIR/scale.jsonl.
#
# n = 10,000 (full) holds 10,000 tmpfs mounts in the host's namespace, and
# a container started then copies them all into its own: far below
# fs.mount-max (100,000 mounts a namespace by default; sysctl fs.mount-max
# raises it). Growing to 10,000 took 7.4 min on a 2-core machine under
# load (100 run -d of 100 channels), and about 1 GiB of memory.
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=$1
PROFILE=${PROFILE:-quick}
HCRUN=${HCRUN:-$(realpath build/hcrun)}
case $PROFILE in
smoke) levels=(1 10) runs=3 ;;
quick) levels=(1 10 100) runs=10 ;;
full) levels=(1 10 100 1000 10000) runs=30 ;;
esac
tag=hcbench-scale-$$
bg=()	  # background containers, each holding a batch of channels
have=0	  # channels those hold
kdir=/tmp/$tag-kernel
made_kdir=

cleanup() {
	set +e
	mountpoint -q "$kdir" && umount "$kdir"
	[ -n "$made_kdir" ] && rmdir "$kdir"
	for c in "${bg[@]}"; do
		"$HCRUN" delete -f "$c" >/dev/null 2>&1
	done
	"$HCRUN" delete -f "$tag-cd" >/dev/null 2>&1
	true
}
trap cleanup EXIT

mkdir "$kdir"
made_kdir=1

# Opens of any mountinfo by a command and every process it starts (strace
# -f); the command's own output is discarded.
opens() {
	local log
	log=$(mktemp)
	strace -f -qq -e trace=openat -o "$log" "$@" >/dev/null 2>&1 || true
	grep -c 'mountinfo"' "$log" || true
	rm -f "$log"
}

# n channels in all: the measured one is the (n)th, so n-1 in the background.
grow_to() {
	local want=$(($1 - 1)) batch i args
	while [ "$have" -lt "$want" ]; do
		batch=$((want - have))
		[ "$batch" -gt 100 ] && batch=100
		args=()
		for ((i = 0; i < batch; i++)); do
			args+=(--host-channel "/tmp/$tag-$((have + i)):/c$i:rw:4K")
		done
		"$HCRUN" run -d --name "$tag-bg${#bg[@]}" "${args[@]}" -- sleep 1000000 >/dev/null
		bg+=("$tag-bg${#bg[@]}")
		have=$((have + batch))
	done
}

: >"$OUT/scale.jsonl"
for n in "${levels[@]}"; do
	grow_to "$n"
	mounts=$(wc -l </proc/self/mountinfo)
	echo "scale: n=$n channels ($mounts mounts in the host's table)"
	# -N: no shell in between, so that a few-ms command is not lost in
	# the shell's own start-up; the compound ones name their shell.
	hyperfine -N --style basic --warmup 2 --runs "$runs" --export-json "$OUT/scale-$n.json" \
		-n run "$HCRUN run --rm --host-channel /tmp/$tag-k:/ch:rw:4K -- true" \
		-n cd "sh -c '$HCRUN create --name $tag-cd --host-channel /tmp/$tag-k:/ch:rw:4K -- true >/dev/null && $HCRUN delete $tag-cd'" \
		-n kernel "sh -c 'mount -t tmpfs -o size=4k $tag $kdir && umount $kdir'" \
		-n unshare "unshare -m true" \
		-n mountinfo "cat /proc/self/mountinfo" >/dev/null
	# How many times one run --rm, and one create plus one delete, read
	# the whole mount table (every open is a read to its end), and how
	# many bytes that is at this n: the O(n) part that would be ours.
	reads=$(opens "$HCRUN" run --rm --host-channel "/tmp/$tag-k:/ch:rw:4K" -- true)
	cd_reads=$(($(opens "$HCRUN" create --name "$tag-cd" \
		--host-channel "/tmp/$tag-k:/ch:rw:4K" -- true) +
		$(opens "$HCRUN" delete "$tag-cd")))
	bytes=$(wc -c </proc/self/mountinfo)
	jq -c --argjson n "$n" --argjson mounts "$mounts" --argjson reads "$reads" \
		--argjson cd_reads "$cd_reads" --argjson bytes "$bytes" '
		{bench:"scale", n:$n, mounts:$mounts, mountinfo_reads_per_run:$reads,
		 mountinfo_reads_per_create_delete:$cd_reads, mountinfo_bytes:$bytes}
		+ ([.results[] | {key:.command, value:{median_ms:(.median*1000),
			mean_ms:(.mean*1000), min_ms:(.min*1000), max_ms:(.max*1000)}}]
		   | from_entries)
		| .own_ms = (.run.median_ms - .kernel.median_ms - .unshare.median_ms)' \
		"$OUT/scale-$n.json" >>"$OUT/scale.jsonl"
	tail -1 "$OUT/scale.jsonl" | jq -r '"  run \(.run.median_ms|.*100|round/100) ms, create+delete \(.cd.median_ms|.*100|round/100) ms, kernel mount+umount \(.kernel.median_ms|.*100|round/100) ms, unshare -m \(.unshare.median_ms|.*100|round/100) ms, mountinfo read \(.mountinfo.median_ms|.*100|round/100) ms; hcrun'"'"'s own part \(.own_ms|.*100|round/100) ms; mountinfo opens: \(.mountinfo_reads_per_run) per run, \(.mountinfo_reads_per_create_delete) per create+delete"'
done
