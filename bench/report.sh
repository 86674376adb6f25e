#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# bench/report.sh OUT_DIR: report.md and SVG plots from the raw JSON that
# bench/run.sh left in OUT_DIR. The plots are gnuplot scripts beside this
# file, in bench/plots/. Reads only the data; can be rerun on a copied
# directory (docs/bench/ is one: bench/report.sh docs/bench).
set -euo pipefail

OUT=$1
PLOTS=$(cd "$(dirname "$0")" && pwd)/plots
cd "$OUT"
mkdir -p data
J=chanbench.jsonl
R=report.md
M=machine.json

# jq over every record of chanbench.jsonl at once.
q() { jq -rs "$@" "$J"; }
have() { [ -s "$1" ]; }
# runc's lifecycle run, when there was one: an argument, or none.
runc_json=()
have lifecycle-runc.json && runc_json=(lifecycle-runc.json)
fmt() { awk -v v="$1" -v p="${2:-1}" 'BEGIN { if (v == "" || v == "null") print "n/a"; else printf "%.*f", p, v }'; }

# ------------------------------------------------------------- what was run
# The transports come from the records, in the order chanbench measured
# them; nothing here lists them. firsts: each distinct value once, first
# seen first.
firsts='def firsts: reduce .[] as $x ([]; if any(.[]; . == $x) then . else . + [$x] end);'
# "series transport wait" of each line of throughput figures at a label
lines() {
	q --arg l "$1" "$firsts"'[.[] | select(.kind=="throughput" and .label==$l)
		| [.series, .transport, .wait]] | firsts[] | join(" ")'
}
# main series: "transport wait" a line; whole-file transports (series
# file) and the ceiling's transport, as words
main_series=$(lines huge=never | awk '$1 == "main" { print $2, $3 }')
file_ts=$(lines huge=never | awk '$1 == "file" { print $2 }' | paste -sd ' ')
ceil_t=$(lines huge=never | awk '$1 == "ceiling" { print $2; exit }')
# a data file's name for a transport and wait mode: ring-spin, fifo
tag() { if [ "$2" = - ]; then echo "$1"; else echo "$1-$2"; fi; }

# ---------------------------------------------------------------- data files
# throughput per transport/wait/direction: msg MB/s min max
series() { # dir transport wait label series
	q --arg d "$1" --arg t "$2" --arg w "$3" --arg l "$4" --arg s "${5:-main}" '
		.[] | select(.kind=="throughput" and .dir==$d and .transport==$t and .wait==$w
			and .label==$l and (.series==$s) and (.phase // "first")=="first")
		| "\(.msg) \(.mbps_median) \(.mbps_min) \(.mbps_max)"'
}
# the file's phases: msg MB/s min max ns-per-call
phase() { # dir transport phase label
	q --arg d "$1" --arg t "$2" --arg p "$3" --arg l "$4" '.[] | select(.transport==$t
		and .kind=="throughput" and .dir==$d and .phase==$p and .label==$l)
		| "\(.msg) \(.mbps_median) \(.mbps_min) \(.mbps_max) \(.ns_per_syscall)"'
}
ceiling() {
	q '[.[] | select(.series=="ceiling" and .label=="huge=never")] | unique_by(.msg)[]
		| "\(.msg) \(.mbps_median) \(.mbps_min) \(.mbps_max)"'
}
ceiling >data/plot-ceiling.dat
for d in c2h h2c; do
	while read -r t w; do
		series "$d" "$t" "$w" huge=never >"data/plot-$d-$(tag "$t" "$w").dat"
		series "$d" "$t" "$w" huge=within_size >"data/plot-$d-$(tag "$t" "$w")-huge.dat"
	done <<<"$main_series"
	for t in $file_ts; do
		for ph in first rewrite read; do
			phase "$d" "$t" "$ph" huge=never >"data/plot-$d-$t-$ph.dat"
			phase "$d" "$t" "$ph" huge=within_size >"data/plot-$d-$t-$ph-huge.dat"
		done
	done
done
q '[.[] | select(.series=="ring-size" and .label=="huge=never")] | group_by(.msg)[]
	| (.[0].msg|tostring) + " " + ([.[] | "\(.ring):\(.mbps_median)"] | join(" "))' >data/plot-ringsize.raw

# ------------------------------------------------------------------- plots
# One gnuplot per plot, from bench/plots/: gp [-e VARS] SCRIPT.gp...
gp() {
	local args=()
	while [ $# -gt 0 ]; do
		case $1 in
		-e) args+=("$1" "$2") && shift ;;
		*) args+=("$PLOTS/$1") ;;
		esac
		shift
	done
	gnuplot "${args[@]}" 2>&1 | grep -v '^$' || true
}
# words for gnuplot: the main series' transports, their wait modes
ts=$(awk '{ print $1 }' <<<"$main_series" | paste -sd ' ')
ws=$(awk '{ print $2 }' <<<"$main_series" | paste -sd ' ')
for d in c2h h2c; do
	gp -e "dir='$d'; ts='$ts'; ws='$ws'; phased='$file_ts'" common.gp sizes.gp throughput.gp
done
gp common.gp sizes.gp file-syscalls.gp
gp common.gp sizes.gp huge.gp

# ring-size sweep: one line per message size
if have data/plot-ringsize.raw; then
	msgs=()
	while read -r msg rest; do
		for kv in $rest; do echo "${kv%%:*} ${kv##*:}"; done >"data/plot-ringsize-$msg.dat"
		msgs+=("$msg")
	done <data/plot-ringsize.raw
	gp -e "msgs='${msgs[*]}'" common.gp sizes.gp ring-size.gp
fi

# latency: p50/p99/p99.9 per transport, 8 B and 4 KiB
q '.[] | select(.kind=="latency" and .label=="huge=never")
	| "\"\(.transport)\(if .wait=="-" then "" else " "+.wait end) \(if .msg==8 then "8B" else "4K" end)\" \(.p50_ns/1000) \(.p99_ns/1000) \(.p999_ns/1000)"' >data/plot-latency.dat
gp latency.gp

# lifecycle bars and the dd curve
if have lifecycle-run.json; then
	jq -rs '[.[] | .results[]] | .[] | "\"\(.command)\" \(.median*1000) \(.min*1000) \(.max*1000)"' \
		lifecycle-run.json lifecycle-churn.json "${runc_json[@]}" \
		>data/plot-lifecycle.dat
	gp lifecycle.gp
	base=$(jq -r '.results[] | select(.command|test("with a channel")) | .median' lifecycle-run.json)
	jq -r --argjson base "$base" '.results[] | "\(.parameters.bs) \(.median*1000)
		\(67108864 / ((.median - $base) | if . <= 0 then 1e-9 else . end) / 1e6)"' \
		lifecycle-dd.json | tr '\n' ' ' | sed 's/  */ /g' | awk '{for (i = 1; i <= NF; i += 3) print $i, $(i+1), $(i+2)}' >data/plot-dd.dat
	gp common.gp sizes.gp dd.gp
fi

if have scale.jsonl; then
	# hcrun's own part: run minus what the kernel takes (one tmpfs mounted
	# and unmounted, one mount namespace copied), as scale.sh defines it.
	jq -r '"\(.n) \(.run.median_ms) \(.cd.median_ms) \(.kernel.median_ms) \(.unshare.median_ms) \(.mountinfo.median_ms) \(.run.median_ms - .kernel.median_ms - .unshare.median_ms)"' \
		scale.jsonl >data/plot-scale.dat
	gp common.gp scale.gp
fi

# ---------------------------------------------------------------- report.md
tp() { # transport dir wait msg [label] -> MB/s median
	q --arg t "$1" --arg d "$2" --arg w "$3" --argjson m "$4" --arg l "${5:-huge=never}" '
		[.[] | select(.kind=="throughput" and .transport==$t and .dir==$d and .wait==$w
		 and .msg==$m and .label==$l and (.series=="main" or .series=="file"
		 or .series=="ceiling") and ((.phase // "first")=="first"))][0].mbps_median // empty'
}
lat() { # transport wait msg field
	q --arg t "$1" --arg w "$2" --argjson m "$3" --arg f "$4" '
		[.[] | select(.kind=="latency" and .transport==$t and .wait==$w and .msg==$m
		 and .label=="huge=never")][0][$f] // empty'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0) print ""; else printf "%.3f", a / b }'; }
verdict() { # value op limit
	awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN {
		if (v == "") { print "not measured"; exit }
		ok = (op == ">=") ? v >= l : v <= l
		if (ok) print "**met**"; else if (op == ">=") printf "**missed** by %.0f%%\n", 100 * (l - v) / l
		else printf "**missed** by %.0f%%\n", 100 * (v - l) / l }'
}

m() { jq -r ".$1" "$M"; }
nverify=$(q '[.[] | select(.kind=="verify")] | length')
nbad=$(q '[.[] | select(.kind=="verify" and .ok!=true)] | length')
nseq=$(q '[.[] | select((.seq_errors // 0) > 0)] | length')

{
	cat <<EOF
# Host channel benchmarks: $(m profile) profile, $(m date)

Written by \`make bench PROFILE=$(m profile)$([ "$(m pinned)" != none ] && echo " PIN=$(m pinned)")\`
(bench/run.sh) at commit \`$(m commit)\`; every figure below comes from the raw
JSON beside this file (\`chanbench.jsonl\`, \`lifecycle-*.json\`, \`scale*.json*\`)
and can be redrawn with \`bench/report.sh DIR\`.

## The machine

| | |
| --- | --- |
| CPU | $(m cpu) ($(m hypervisor) guest) |
| cores | $(m cores) |
| memory | $(m memory), no swap |
| kernel | $(m kernel) |
| cgroup | $(m cgroup) |
| channel tmpfs (host mount) | \`$(m tmpfs)\` |
| shmem THP (sysfs) | \`$(m shmem_thp)\` |
| pinned | $(m pinned) (host side, container side) |

Correctness: $nverify verify passes (every byte compared, checksums of both
sides), $nbad mismatched; $nseq figures with a sequence-number error.

## Summary: ratio to the memcpy ceiling (container → host, median MB/s)

The ceiling is one thread's memcpy between the same buffers at the same size,
in the same run. Every transport copies each byte at least twice (in and out),
so 1.0 would mean the two copies overlap perfectly on two cores.

| transport | 4 KiB | 64 KiB | 1 MiB | 4 MiB |
| --- | --- | --- | --- | --- |
EOF
	while read -r sr t w; do
		line="| $t"
		[ "$w" != - ] && line+=" $w"
		[ "$sr" = file ] && line+=" (first write, bs = size)"
		d=c2h
		[ "$sr" = ceiling ] && d=-
		for s in 4096 65536 1048576 4194304; do
			v=$(tp "$t" "$d" "$w" "$s")
			c=$(tp "$ceil_t" - - "$s")
			if [ -z "$v" ]; then line+=" | n/a"; else line+=" | $(fmt "$v" 0) MB/s ($(ratio "$v" "$c")×)"; fi
		done
		echo "$line |"
	done < <(lines huge=never | awk '$1 == "ceiling" || $1 == "main" || $1 == "file"')

	# ---- targets
	c1m=$(tp "$ceil_t" - - 1048576)
	ra1m=$(tp ring c2h adaptive 1048576)
	rs1m=$(tp ring c2h spin 1048576)
	best1m=$(awk -v a="$ra1m" -v b="$rs1m" 'BEGIN { print (a > b ? a : b) }')
	minx=""
	for s in 65536 262144 1048576; do
		r=$(tp ring c2h adaptive "$s")
		u=$(tp unix c2h - "$s")
		x=$(ratio "$r" "$u")
		[ -n "$x" ] && minx=$(awk -v a="$minx" -v b="$x" 'BEGIN { print (a == "" || b < a) ? b : a }')
	done
	sp50=$(lat ring spin 8 p50_ns)
	ap50=$(lat ring adaptive 8 p50_ns)
	aidle=$(q '[.[] | select(.kind=="idle" and .wait=="adaptive")][0].cpu_fraction // empty')
	sidle=$(q '[.[] | select(.kind=="idle" and .wait=="spin")][0].cpu_fraction // empty')
	f1k=$(tp file c2h - 1024)
	if have lifecycle-run.json; then
		r0=$(jq -r '.results[0].median*1000' lifecycle-run.json)
		r1=$(jq -r '.results[1].median*1000' lifecycle-run.json)
		dch=$(awk -v a="$r1" -v b="$r0" 'BEGIN { printf "%.2f", a - b }')
	fi
	if have lifecycle-runc.json; then
		hc=$(jq -r '.results[0].median*1000' lifecycle-runc.json)
		rc=$(jq -r '.results[1].median*1000' lifecycle-runc.json)
		hvr=$(ratio "$hc" "$rc")
	fi
	if have scale.jsonl; then
		s1=$(awk 'NR == 1 { print $7 }' data/plot-scale.dat)
		sn=$(awk 'END { print $7 }' data/plot-scale.dat)
		nmax=$(jq -rs '.[-1].n' scale.jsonl)
		sx=$(ratio "$sn" "$s1")
	fi
	cat <<EOF

## Targets

| target | measured | verdict |
| --- | --- | --- |
| ring c→h at 1 MiB ≥ 0.7× memcpy | adaptive $(fmt "$ra1m" 0), spin $(fmt "$rs1m" 0) MB/s; ceiling $(fmt "$c1m" 0): $(ratio "$best1m" "$c1m")× | $(verdict "$(ratio "$best1m" "$c1m")" ">=" 0.7) |
| ring c→h 64 KiB–1 MiB ≥ 3× unix | smallest ratio $(fmt "$minx" 2)× | $(verdict "$minx" ">=" 3) |
| ring spin round trip p50 < 0.5 µs (8 B) | $(fmt "$(awk -v v="$sp50" 'BEGIN { if (v != "") print v / 1000 }')" 3) µs | $(verdict "$(awk -v v="$sp50" 'BEGIN { if (v != "") print v / 1000 }')" "<=" 0.5) |
| adaptive p50 within 2× spin p50 (busy) | $(fmt "$(awk -v v="$ap50" 'BEGIN { if (v != "") print v / 1000 }')" 3) µs, $(ratio "$ap50" "$sp50")× | $(verdict "$(ratio "$ap50" "$sp50")" "<=" 2) |
| adaptive: no busy CPU when idle | $(fmt "$(awk -v v="$aidle" 'BEGIN { if (v != "") print 100 * v }')" 2)% of a CPU while waiting (spin: $(fmt "$(awk -v v="$sidle" 'BEGIN { if (v != "") print 100 * v }')" 0)%) | $(verdict "$(awk -v v="$aidle" 'BEGIN { if (v != "") print 100 * v }')" "<=" 5) |
| file at bs=1024 ≥ 438 MB/s (c→h, first write) | $(fmt "$f1k" 0) MB/s | $(verdict "$f1k" ">=" 438) |
| run --rm with a channel ≤ 2 ms more than without (median) | ${dch:-n/a} ms more | $(verdict "${dch:-}" "<=" 2) |
| hcrun run --rm true ≤ 0.5× runc run | $(fmt "${hc:-}" 2) ms vs $(fmt "${rc:-}" 2) ms: ${hvr:-n/a}× | $(verdict "${hvr:-}" "<=" 0.5) |
| hcrun's own part of run --rm at n = ${nmax:-10000} ≤ 1.2× at n = 1 | $(fmt "${s1:-}" 2) ms → $(fmt "${sn:-}" 2) ms: ${sx:-n/a}× | $(verdict "${sx:-}" "<=" 1.2) |

EOF

	cat <<EOF
## Throughput

![container to host](throughput-c2h.svg)

![host to container](throughput-h2c.svg)

Ring: $(q '[.[] | select(.transport=="ring" and .kind=="throughput")][0] | "ring of \(.ring/1048576) MiB in the main series, index published at least every \(.chunk/1024) KiB"') (so that
the consumer copies out while the producer copies in); the ring-size sweep
below uses adaptive waiting.

![ring size](ring-size.svg)

| transport | dir | wait | message | median MB/s | min | max | × memcpy |
| --- | --- | --- | --- | --- | --- | --- | --- |
EOF
	q '.[] | select(.kind=="throughput" and .series=="main" and .label=="huge=never")
		| "| \(.transport) | \(.dir) | \(.wait) | \(.msg) | \(.mbps_median) | \(.mbps_min) | \(.mbps_max) | \(.ratio_to_memcpy) |"'

	cat <<EOF

## Small writes: the cost is the system call

![file](file-syscalls.svg)

A file write of \`bs\` bytes costs one system call whatever its size; below a
few KiB that fixed cost dominates and throughput is proportional to bs. The
ring makes no system call while neither side waits.

| dir | bs | phase | median MB/s | calls per MiB | ns per call | ring adaptive at the same size, MB/s |
| --- | --- | --- | --- | --- | --- | --- |
EOF
	q '. as $all | .[] | select(.transport=="file" and .kind=="throughput" and .label=="huge=never")
		| . as $f | ([$all[] | select(.transport=="ring" and .wait=="adaptive" and .series=="main"
		   and .dir==$f.dir and .msg==$f.msg and .label=="huge=never")][0].mbps_median // "n/a") as $r
		| "| \(.dir) | \(.msg) | \(.phase) | \(.mbps_median) | \(.syscalls_per_mib) | \(.ns_per_syscall) | \($r) |"'

	cat <<EOF

## Latency

![latency](latency.svg)

| transport | wait | message | p50 µs | p99 µs | p99.9 µs | min µs | iterations |
| --- | --- | --- | --- | --- | --- | --- | --- |
EOF
	q '.[] | select(.kind=="latency" and .label=="huge=never")
		| "| \(.transport) | \(.wait) | \(.msg) | \(.p50_ns/1000) | \(.p99_ns/1000) | \(.p999_ns/1000) | \(.min_ns/1000) | \(.iters) |"'
	cat <<EOF

A consumer waiting with nothing to read (ring, for $(q '[.[] | select(.kind=="idle")][0].wait_ns/1e6 | round') ms):

| wait | CPU used while waiting |
| --- | --- |
EOF
	q '.[] | select(.kind=="idle" and .label=="huge=never") | "| \(.wait) | \(.cpu_fraction*100 | .*10 | round / 10)% |"'

	cat <<EOF

## huge=within_size

The channel was remounted \`-o remount,huge=within_size\` (the container sees
the same superblock) and the ring and file passes run again.

![huge](huge.svg)

| series | size | default MB/s | huge=within_size MB/s | ratio |
| --- | --- | --- | --- | --- |
EOF
	q '. as $all | .[] | select(.label=="huge=within_size" and .kind=="throughput" and .dir=="c2h"
		and ((.transport=="ring" and .wait=="adaptive" and .series=="main") or .transport=="file"))
		| . as $h | ([$all[] | select(.label=="huge=never" and .kind=="throughput" and .dir=="c2h"
		  and .transport==$h.transport and .wait==$h.wait and .msg==$h.msg and .series==$h.series
		  and (.phase // "")==($h.phase // ""))][0].mbps_median) as $d
		| "| \(.transport) \(.phase // .wait) | \(.msg) | \($d) | \(.mbps_median) | \(if $d then (.mbps_median/$d*100|round/100) else "n/a" end) |"'

	if have lifecycle-run.json; then
		cat <<EOF

## Whole commands (hyperfine)

![lifecycle](lifecycle.svg)

| command | median ms | mean ms | σ ms | min ms | max ms | runs |
| --- | --- | --- | --- | --- | --- | --- |
EOF
		jq -r '.results[] | "| \(.command) | \(.median*1000|.*100|round/100) | \(.mean*1000|.*100|round/100) | \(.stddev*1000|.*100|round/100) | \(.min*1000|.*100|round/100) | \(.max*1000|.*100|round/100) | \(.times|length) |"' \
			lifecycle-run.json lifecycle-churn.json lifecycle-dd.json "${runc_json[@]}"
		cat <<EOF

### The seed's dd

![dd](dd.svg)

busybox \`dd if=/dev/zero of=/ch/f bs=BS count=64MiB/BS\` inside \`hcrun run
--rm\` with a channel; MB/s = 64 MiB / (median of that run − median of an
empty run with a channel). dd also reads /dev/zero, one more call per block.

| bs | median ms (whole command) | MB/s (dd part) |
| --- | --- | --- |
EOF
		awk '{ printf "| %d | %.2f | %.0f |\n", $1, $2, $3 }' data/plot-dd.dat
	fi

	if have scale.jsonl; then
		cat <<EOF

## Scale: one more channel while n exist

![scale](scale.svg)

Medians of hyperfine. hcrun's own part is run --rm minus the kernel's
share measured at the same n: a tmpfs mounted and unmounted (mount +
umount) and a mount namespace copied (unshare -m); × n = 1 divides it by
its value at n = 1. mountinfo reads are counted by strace (every open of
a mountinfo file by the command and the processes it starts), for one
run --rm and for one create plus one delete.

| n | mounts in the host table | run --rm ms | create+delete ms | kernel mount+umount ms | unshare -m ms | hcrun's own part ms | × n = 1 | mountinfo reads per run | per create+delete | mountinfo bytes |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
EOF
		jq -rs '(.[0] | .run.median_ms - .kernel.median_ms - .unshare.median_ms) as $own1
			| .[] | (.run.median_ms - .kernel.median_ms - .unshare.median_ms) as $own
			| "| \(.n) | \(.mounts) | \(.run.median_ms|.*100|round/100) | \(.cd.median_ms|.*100|round/100) | \(.kernel.median_ms|.*100|round/100) | \(.unshare.median_ms|.*100|round/100) | \($own|.*100|round/100) | \(if $own1 > 0 then ($own / $own1 | .*100|round/100) else "n/a" end) | \(.mountinfo_reads_per_run) | \(.mountinfo_reads_per_create_delete // "n/a") | \(.mountinfo_bytes) |"' scale.jsonl
	fi
	if [ -s notes.md ]; then
		echo
		cat notes.md
	fi
} >"$R"
echo "report: $OUT/$R"
