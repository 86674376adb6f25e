#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# bench/report.sh OUT_DIR: report.md and SVG plots from the raw JSON that
# bench/run.sh left in OUT_DIR. The plots are gnuplot scripts beside this
# file, in bench/plots/. Reads only the data; can be rerun on a copied
# directory (docs/bench/ is one: bench/report.sh docs/bench).
#
# Every chanbench figure says how far to trust it (main.c, probe.c): how
# much CPU other processes used while it was measured ("disturbed" above
# the threshold, or when the placement changed meanwhile) and where the two
# pinned CPUs were ("near": a shared cache, "far": none). Every summary,
# ratio, plot and verdict here is taken from undisturbed figures only, one
# placement at a time; a target whose figures are all disturbed gets "no
# verdict: disturbed", never met or missed. The detailed tables list every
# figure, disturbed ones marked. Records written before chanbench measured
# these (no "disturbed" field) count as undisturbed, placement unknown, and
# the report says so at the top.
set -euo pipefail

OUT=$1
PLOTS=$(cd "$(dirname "$0")" && pwd)/plots
cd "$OUT"
mkdir -p data
J=chanbench.jsonl
R=report.md
M=machine.json

# What every jq program here shares.
#   ok        an undisturbed figure
#   pl        its placement: near, far, changed (during it), unpinned, unknown
#   at($p)    in placement $p; "*": any (figures of one side alone, as the
#             memcpy ceiling, do not depend on where the other side is)
#   pick(sel; $p; $f; agg)  of the records sel selects, the undisturbed ones
#             in $p, agg of them (.[0], best(...)), its field $f; or why
#             there is none: "disturbed" (there are, all disturbed),
#             "elsewhere" (undisturbed, in another placement), "" (none)
lib='
def ok: (.disturbed // false) == false;
def pl: .placement // "unknown";
def at($p): $p == "*" or pl == $p;
def timed: .kind == "throughput" or .kind == "latency" or .kind == "idle";
def firsts: reduce .[] as $x ([]; if any(.[]; . == $x) then . else . + [$x] end);
def best($f): max_by(.[$f]);
def pick(sel; $p; $f; agg):
	[.[] | select(sel)] as $r
	| ($r | map(select(ok and at($p)))) as $g
	| if ($g | length) > 0 then ($g | agg | .[$f])
	  elif ($r | map(select(ok | not)) | length) > 0 then "disturbed"
	  elif ($r | length) > 0 then "elsewhere" else "" end;
'
# jq over every record of chanbench.jsonl at once: q [JQ OPTIONS] PROGRAM
q() {
	local n=$#
	jq -rs "${@:1:n-1}" "$lib${!n}" "$J"
}
have() { [ -s "$1" ]; }
# runc's lifecycle run, when there was one: an argument, or none.
runc_json=()
have lifecycle-runc.json && runc_json=(lifecycle-runc.json)
isnum() { [[ $1 =~ ^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$ ]]; }
fmt() { awk -v v="$1" -v p="${2:-1}" 'BEGIN { if (v == "" || v == "null") print "n/a"; else printf "%.*f", p, v }'; }
# a value of pick() for a table cell
cell() {
	if isnum "$1"; then fmt "$1" "${2:-0}"; else
		case $1 in disturbed) echo "*disturbed*" ;; elsewhere) echo "—" ;; *) echo "n/a" ;; esac
	fi
}
# the ratio of two values of pick(); why not, when not
ratio() {
	if isnum "$1" && isnum "$2"; then
		awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print ""; else printf "%.3f", a / b }'
	elif [ "$1" = disturbed ] || [ "$2" = disturbed ]; then echo disturbed
	elif [ "$1" = elsewhere ] || [ "$2" = elsewhere ]; then echo elsewhere
	else echo ""; fi
}
# value op limit [disturbed-count]: a verdict. A figure that misses is a
# fact whatever else was disturbed; one that meets the target while others
# it depends on were disturbed is no verdict.
verdict() {
	local v=$1 op=$2 l=$3 nd=${4:-0}
	if isnum "$v"; then
		awk -v v="$v" -v op="$op" -v l="$l" -v nd="$nd" 'BEGIN {
			ok = (op == ">=") ? v >= l : v <= l
			if (!ok && op == ">=") printf "**missed** by %.0f%%\n", 100 * (l - v) / l
			else if (!ok) printf "**missed** by %.0f%%\n", 100 * (v - l) / l
			else if (nd > 0) print "no verdict: disturbed"
			else print "**met**" }'
	else
		case $v in
		disturbed) echo "no verdict: disturbed" ;;
		elsewhere) echo "not measured in this placement" ;;
		*) echo "not measured" ;;
		esac
	fi
}
# values...: "min disturbed-count": the smallest number, and how many were
# disturbed ("" as min when none is a number: then the first reason why)
minof() {
	local min="" nd=0 why="" v
	for v in "$@"; do
		if isnum "$v"; then
			min=$(awk -v a="$min" -v b="$v" 'BEGIN { print (a == "" || b < a) ? b : a }')
		else
			[ "$v" = disturbed ] && nd=$((nd + 1))
			[ -z "$why" ] && why=$v
		fi
	done
	if [ -n "$min" ]; then echo "$min $nd"; else echo "${why:-none} $nd"; fi
}
# bytes in binary units: 256 MiB
iec() { if isnum "$1"; then awk -v v="$1" 'BEGIN { if (v >= 1048576) printf "%g MiB", v / 1048576; else if (v >= 1024) printf "%g KiB", v / 1024; else printf "%d B", v }'; else echo "n/a"; fi; }
us() { if isnum "$1"; then awk -v v="$1" 'BEGIN { print v / 1000 }'; else echo "$1"; fi; }
# a cell of two values, min and max: "min–max"
span() { if isnum "$1" && isnum "$2"; then echo "$(fmt "$1" 0)–$(fmt "$2" 0)"; else cell "$1"; fi; }
# a cell with its unit: cellu VALUE PRECISION UNIT
cellu() { if isnum "$1"; then echo "$(fmt "$1" "$2")$3"; else cell "$1"; fi; }

# ------------------------------------------------- selections of records
# throughput of transport T, direction D, wait W, message M, in a series
sel() { # T D W M [series] [label]
	echo ".kind==\"throughput\" and .transport==\"$1\" and .dir==\"$2\" and .wait==\"$3\"
		and .msg==$4 and .series==\"${5:-main}\" and .label==\"${6:-huge=never}\"
		and ((.phase // \"first\")==\"first\")"
}
# pick's value: place selection [field] [agg]
val() { q --arg p "$1" "pick($2; \$p; \"${3:-mbps_median}\"; ${4:-.[0]})"; }
# the ring's (or zc's) figure at a size, c2h: the better of its spin and
# adaptive main series (futex sleeps at every empty ring: not a throughput
# mode)
fast() { # place transport msg [field]
	val "$1" "$(sel "$2" c2h spin "$3") or $(sel "$2" c2h adaptive "$3")" "${4:-mbps_median}" "best(\"${4:-mbps_median}\")"
}
# the best unix figure at a size, c2h, whatever its settings or wait
bestunix() { # place msg
	val "$1" ".kind==\"throughput\" and .transport==\"unix\" and .dir==\"c2h\" and .msg==$2
		and .label==\"huge=never\"" mbps_median 'best("mbps_median")'
}
# the memcpy ceiling at a size, and the memory copy (memcpy of much more
# than the caches hold): the host side alone, any placement
ceil() { val "*" "$(sel memcpy - - "$1" ceiling)"; }
memory() { val "*" '.kind=="throughput" and .transport=="memcpy" and .series=="memory" and .label=="huge=never"'; }
memory_msg() { q '[.[] | select(.transport=="memcpy" and .series=="memory")][0].msg // empty'; }
# the cross-core read at a size, in a placement: the host side's thread
# reading what its own thread on the container side's CPU has just written
handoff() { val "$1" "$(sel memcpy - - "$2" handoff)"; }
lat() { # place transport wait msg field
	val "$1" ".kind==\"latency\" and .transport==\"$2\" and .wait==\"$3\" and .msg==$4 and .label==\"huge=never\"" "$5"
}

# ------------------------------------------------------------- what was run
# The transports come from the records, in the order chanbench measured
# them; nothing here lists them.
# "series transport wait" of each line of throughput figures at a label
lines() {
	q --arg l "$1" '[.[] | select(.kind=="throughput" and .label==$l)
		| [.series, .transport, .wait]] | firsts[] | join(" ")'
}
# main series: "transport wait" a line; whole-file transports (series
# file), as words
main_series=$(lines huge=never | awk '$1 == "main" { print $2, $3 }')
file_ts=$(lines huge=never | awk '$1 == "file" { print $2 }' | paste -sd ' ')
# a data file's name for a transport and wait mode: ring-spin, fifo
tag() { if [ "$2" = - ]; then echo "$1"; else echo "$1-$2"; fi; }

# ------------------------------------------------- trust: disturbance, placement
measured=$(q '[.[] | select(has("disturbed"))] | length > 0')
ntimed=$(q '[.[] | select(timed)] | length')
ndist=$(q '[.[] | select(timed and (ok | not))] | length')
# placements seen (every timed figure but those during which it changed),
# and those with undisturbed figures: near first
placeorder='sort_by(. as $x | ["near","far","unpinned","unknown"] | index($x) // 9) | join(" ")'
# (unknown, where the records measure placement, is a probe that got no
# answer: a disturbed figure, no placement of its own)
seen=$(q "(any(.[]; has(\"placement\"))) as \$m | [.[] | select(timed and pl != \"changed\"
	and (\$m and pl == \"unknown\" | not)) | pl] | unique | $placeorder")
places=$(q "[.[] | select(timed and ok) | pl] | unique | $placeorder")
# plots show one placement: the one with most undisturbed figures
plot_place=$(q '[.[] | select(timed and ok) | pl] | group_by(.) | max_by(length) | .[0] // "unknown"')
place_note() { # place: how many figures, their round trip
	q --arg p "$1" '[.[] | select(timed and pl==$p)] as $f
		| ([$f[] | .rtt_ns_before // empty] | sort) as $r
		| "\($f | length) figures (\([$f[] | select(ok)] | length) undisturbed)"
		  + (if ($r | length) > 0 then ", spin round trip median \($r[($r | length) / 2 | floor]) ns" else "" end)'
}

# ---------------------------------------------------------------- data files
# Undisturbed figures in the plots' placement only: a line through figures
# taken in two placements, or a disturbed one, would draw what no
# configuration does.
# throughput per transport/wait/direction: msg MB/s min max
series() { # dir transport wait label series
	q --arg d "$1" --arg t "$2" --arg w "$3" --arg l "$4" --arg s "${5:-main}" --arg p "$plot_place" '
		.[] | select(.kind=="throughput" and .dir==$d and .transport==$t and .wait==$w
			and .label==$l and (.series==$s) and (.phase // "first")=="first" and ok and at($p))
		| "\(.msg) \(.mbps_median) \(.mbps_min) \(.mbps_max)"'
}
# the file's phases: msg MB/s min max ns-per-call
phase() { # dir transport phase label
	q --arg d "$1" --arg t "$2" --arg ph "$3" --arg l "$4" '.[] | select(.transport==$t
		and .kind=="throughput" and .dir==$d and .phase==$ph and .label==$l and ok)
		| "\(.msg) \(.mbps_median) \(.mbps_min) \(.mbps_max) \(.ns_per_syscall)"'
}
q '[.[] | select(.series=="ceiling" and .label=="huge=never" and ok)] | unique_by(.msg)[]
	| "\(.msg) \(.mbps_median) \(.mbps_min) \(.mbps_max)"' >data/plot-ceiling.dat
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
q --arg p "$plot_place" '[.[] | select(.series=="ring-size" and .label=="huge=never" and ok and at($p))]
	| group_by(.msg)[]
	| (.[0].msg|tostring) + " " + ([.[] | "\(.ring):\(.mbps_median)"] | join(" "))' >data/plot-ringsize.raw
# every timed figure in the order measured: n, other CPU, round trip, disturbed
q '[.[] | select(timed and has("other_cpu"))] | to_entries[]
	| "\(.key) \(.value.other_cpu) \(.value.rtt_ns_before // 0) \(if .value.disturbed then 1 else 0 end)"' \
	>data/plot-disturbance.dat

# ------------------------------------------------------------------- plots
# One gnuplot per plot, from bench/plots/: gp [-e VARS] SCRIPT.gp...
gp() {
	local args=(-e "place='$plot_place'")
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
have data/plot-disturbance.dat && gp -e "near_ns=$(q '[.[] | select(.kind=="run")][0].near_ns // 250'); thr=$(q '[.[] | select(.kind=="run")][0].disturbed_cpu // 0.1')" \
	common.gp disturbance.gp

# ring-size sweep: one line per message size
if have data/plot-ringsize.raw; then
	msgs=()
	while read -r msg rest; do
		for kv in $rest; do echo "${kv%%:*} ${kv##*:}"; done >"data/plot-ringsize-$msg.dat"
		msgs+=("$msg")
	done <data/plot-ringsize.raw
	gp -e "msgs='${msgs[*]}'" common.gp sizes.gp ring-size.gp
fi

# latency: p50/p99/p99.9 per transport and size
q --arg p "$plot_place" '.[] | select(.kind=="latency" and .label=="huge=never" and ok and at($p))
	| "\"\(.transport)\(if .wait=="-" then "" else " "+.wait end) \(if .msg>=1024 then "\(.msg/1024)K" else "\(.msg)B" end)\" \(.p50_ns/1000) \(.p99_ns/1000) \(.p999_ns/1000)"' >data/plot-latency.dat
have data/plot-latency.dat && gp latency.gp

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
m() { jq -r ".$1 // empty" "$M"; }
# hyperfine's scripts, watched whole by chanbench --observe: true, false,
# or "" when the run did not watch them (not with jq's //, which takes an
# undisturbed false for a missing record)
observed() {
	have observe.jsonl && jq -rs --arg n "$1" '[.[] | select(.name==$n)][0]
		| if . == null or .disturbed == null then empty else .disturbed | tostring end' observe.jsonl
}
obs_note() {
	have observe.jsonl && jq -rs --arg n "$1" '[.[] | select(.name==$n)][0]
		| if . == null then empty else "other processes \(.other_cpu) of a CPU over \(.wall_s) s" end' observe.jsonl
}
nverify=$(q '[.[] | select(.kind=="verify")] | length')
nbad=$(q '[.[] | select(.kind=="verify" and .ok!=true)] | length')
nseq=$(q '[.[] | select((.seq_errors // 0) > 0)] | length')
nchanged=$(q '[.[] | select(timed and pl=="changed")] | length')
nunknown=$(q '[.[] | select(timed and has("placement") and pl=="unknown")] | length')
threshold=$(q '[.[] | select(.kind=="run")][0].disturbed_cpu // 0.1')
attempts=$(q '[.[] | select(.kind=="run")][0].max_attempts // "n/a"')
near_ns=$(q '[.[] | select(.kind=="run")][0].near_ns // "n/a"')
# disturbed figures measured once though more attempts were allowed
nonce=$(q '(([.[] | select(.kind=="run")][0].max_attempts) // 1) as $a
	| [.[] | select(timed and (ok | not) and (.attempts // 1) == 1 and $a > 1)] | length')

# The plain statement at the top: how far to trust what follows.
trust() {
	local qj asked got oc waited trust_word
	echo "## How far to trust this report"
	echo
	echo "- **Run:** \`make bench PROFILE=$(m profile)\` at commit \`$(m commit)\`, $(m date)."
	qj=$(jq -c '.quiet // empty' "$M")
	if [ -z "$qj" ]; then
		echo "- **Quiet:** this run did not record how busy the machine was when it began."
	else
		asked=$(jq -r .asked_s <<<"$qj")
		got=$(jq -r .quiet <<<"$qj")
		oc=$(jq -r .other_cpu <<<"$qj")
		waited=$(jq -r .waited_s <<<"$qj")
		if [ "$asked" != 0 ]; then
			if [ "$got" = true ]; then
				echo "- **Quiet:** waited for the machine to go quiet (WAIT_QUIET=$asked) and it did after $waited s: other processes used $oc of a CPU over the last 2 s."
			else
				echo "- **Quiet:** waited $waited s for the machine to go quiet (WAIT_QUIET=$asked) and it **did not**: other processes still used $oc of a CPU over the last 2 s."
			fi
		else
			echo "- **Quiet:** did not wait for quiet (WAIT_QUIET=0); when it began, other processes used $oc of a CPU over 2 s: $([ "$got" = true ] && echo quiet || echo "**not quiet**")."
		fi
	fi
	if [ "$measured" != true ]; then
		echo "- **Disturbance and placement: not measured.** These records predate chanbench's measure of other processes' CPU use and of placement: every figure below counts as undisturbed, placement unknown, and nothing says whether that is so."
		trust_word="unknown"
	else
		echo "- **Placements seen:** $(for p in $seen; do printf '%s: %s; ' "$p" "$(place_note "$p")"; done | sed 's/; $//')$([ -z "$seen" ] && echo "none")$([ "$nchanged" -gt 0 ] && echo "; $nchanged figure(s) saw the placement change while measured")$([ "$nunknown" -gt 0 ] && echo "; $nunknown figure(s) whose round trip got no answer (a side not running: disturbed)")."
		if [[ " $seen " == *" near "* && " $seen " == *" far "* ]]; then
			echo "  The hypervisor moved the two vCPUs during the run: each placement's figures are shown and judged apart."
		fi
		echo "- **Disturbed:** $ndist of $ntimed timed figures (other processes above $threshold of a CPU while one was measured, or the placement changed meanwhile; each was measured up to $attempts times$([ "$nonce" -gt 0 ] && echo ", but $nonce disturbed figures only once: the machine stayed busy, and after 5 figures in a row disturbed through every attempt chanbench measures each once until one comes out undisturbed")). **Every summary, ratio, plot and verdict below is taken from undisturbed figures only**; a target whose figures were all disturbed gets \"no verdict: disturbed\"."
		for n in lifecycle scale; do
			if [ -n "$(observed "$n")" ]; then
				echo "- **$n (hyperfine):** $(obs_note "$n")$([ "$(observed "$n")" = true ] && echo ": **disturbed**, its targets get no verdict" || echo ": undisturbed")."
			fi
		done
		if [ "$ntimed" -gt 0 ] && [ "$ndist" -eq "$ntimed" ]; then
			trust_word="**none**: every figure was disturbed; this run says nothing about speed. Run again on a quiet machine: \`make bench WAIT_QUIET=120\`"
		elif [ "$ndist" -gt 0 ] && [ $((ndist * 4)) -ge "$ntimed" ]; then
			trust_word="**poor**: a quarter or more of the figures were disturbed, and what is left may be missing whole series. Run again on a quiet machine: \`make bench WAIT_QUIET=120\`"
		elif [ "$ndist" -gt 0 ] || [ "$(jq -r '.quiet.quiet // true' "$M")" != true ]; then
			trust_word="**fair**: a few figures were disturbed (left out of every verdict) or the machine was not quiet at the start"
		elif [ "$(observed lifecycle)" = true ] || [ "$(observed scale)" = true ]; then
			trust_word="**fair**: no chanbench figure was disturbed, but a hyperfine phase was (its targets get no verdict)"
		else
			trust_word="**good**: no figure was disturbed"
		fi
	fi
	echo
	echo "Trust: $trust_word."
	echo
}

# One placement's summary: ratio to the memcpy ceiling, c2h.
summary() { # place
	local p=$1 sr t w line d s v c
	echo "| transport | 4 KiB | 64 KiB | 1 MiB | 4 MiB |"
	echo "| --- | --- | --- | --- | --- |"
	while read -r sr t w; do
		line="| $t"
		[ "$w" != - ] && line+=" $w"
		[ "$sr" = file ] && line+=" (first write, bs = size)"
		d=c2h
		[ "$sr" = ceiling ] && d=-
		for s in 4096 65536 1048576 4194304; do
			if [ "$sr" = ceiling ]; then v=$(ceil "$s"); else v=$(val "$p" "$(sel "$t" "$d" "$w" "$s" "$sr")"); fi
			c=$(ceil "$s")
			if isnum "$v"; then
				line+=" | $(fmt "$v" 0) MB/s ($(cellu "$(ratio "$v" "$c")" 3 ×))"
			else line+=" | $(cell "$v")"; fi
		done
		echo "$line |"
	done < <(lines huge=never | awk '$1 == "ceiling" || $1 == "main" || $1 == "file"')
}

# The ring against the best unix figure, 64 KiB to 1 MiB, one placement.
ring_vs_unix() { # place
	local p=$1 s r u
	echo "| message | ring (better of spin, adaptive) MB/s | best unix MB/s | unix settings | ring / unix |"
	echo "| --- | --- | --- | --- | --- |"
	for s in $(q '[.[] | select(.kind=="throughput" and .transport=="unix" and .msg>=65536 and .msg<=1048576) | .msg] | unique[]'); do
		r=$(fast "$p" ring "$s")
		u=$(bestunix "$p" "$s")
		echo "| $(iec "$s") | $(cell "$r") | $(cell "$u") | $(q --arg p "$p" --argjson m "$s" '[.[] | select(.kind=="throughput" and .transport=="unix" and .dir=="c2h" and .msg==$m and .label=="huge=never" and ok and at($p))] | max_by(.mbps_median) | .settings // "n/a"') | $(cellu "$(ratio "$r" "$u")" 2 ×) |"
	done
}

# The ring against memcpy at 1 and 4 MiB and against the memory copy.
ring_vs_memory() { # place
	local p=$1 s r c mem h
	mem=$(memory)
	echo "| message | ring (better of spin, adaptive) MB/s | memcpy at the size MB/s | ring / memcpy | memory copy MB/s | ring / memory copy | cross-core read MB/s | ring / cross-core read |"
	echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
	for s in 1048576 4194304; do
		r=$(fast "$p" ring "$s")
		c=$(ceil "$s")
		h=$(handoff "$p" "$s")
		echo "| $(iec "$s") | $(cell "$r") | $(cell "$c") | $(cellu "$(ratio "$r" "$c")" 3 ×) | $(cell "$mem") | $(cellu "$(ratio "$r" "$mem")" 3 ×) | $(cell "$h") | $(cellu "$(ratio "$r" "$h")" 3 ×) |"
	done
}

# Zero-copy beside the copying ring, one placement.
zc_vs_ring() { # place
	local p=$1 s z r h
	echo "| message | zc MB/s | zc messages/s | ring MB/s | ring messages/s | zc / ring | cross-core read MB/s |"
	echo "| --- | --- | --- | --- | --- | --- | --- |"
	for s in $(q '[.[] | select(.kind=="throughput" and .transport=="zc" and .series=="main") | .msg] | unique[]'); do
		z=$(fast "$p" zc "$s")
		r=$(fast "$p" ring "$s")
		h=$(handoff "$p" "$s")
		echo "| $(iec "$s") | $(cell "$z") | $(cell "$(ratio "$z" "$(awk -v m="$s" 'BEGIN { print m / 1e6 }')")" 0) | $(cell "$r") | $(cell "$(ratio "$r" "$(awk -v m="$s" 'BEGIN { print m / 1e6 }')")" 0) | $(cellu "$(ratio "$z" "$r")" 2 ×) | $(cell "$h") |"
	done
	echo
	echo "Latency of small messages, one way container → host (p50 / p99, µs; \"rtt/2\": half the round trip where the one-way figure is not recorded):"
	echo
	echo "| message | wait | zc p50 | zc p99 | ring p50 | ring p99 |"
	echo "| --- | --- | --- | --- | --- | --- |"
	for s in $(q '[.[] | select(.kind=="latency" and .transport=="zc" and .msg<=4096) | .msg] | unique[]'); do
		for w in spin adaptive; do
			local row
			row="| $(iec "$s") | $w"
			for t in zc ring; do
				for pc in 50 99; do
					local v
					v=$(lat "$p" "$t" "$w" "$s" "oneway_c2h_p${pc}_ns")
					if isnum "$v"; then row+=" | $(fmt "$(us "$v")" 3)"
					else
						v=$(lat "$p" "$t" "$w" "$s" "p${pc}_ns")
						if isnum "$v"; then row+=" | $(fmt "$(awk -v v="$v" 'BEGIN { print v / 2000 }')" 3) (rtt/2)"; else row+=" | $(cell "$v")"; fi
					fi
				done
			done
			echo "$row |"
		done
	done
}

# The ring's store modes side by side, one placement.
stores() { # place
	local p=$1 t s st v row
	echo "| transport | message | temporal MB/s | nt MB/s | auto MB/s | auto stored as (switches) |"
	echo "| --- | --- | --- | --- | --- | --- |"
	for t in $(q '[.[] | select(.series=="store") | .transport] | firsts | join(" ")'); do
		for s in $(q --arg t "$t" '[.[] | select(.series=="store" and .transport==$t) | .msg] | unique[]'); do
			row="| $t | $(iec "$s")"
			for st in temporal nt auto; do
				v=$(val "$p" ".kind==\"throughput\" and .transport==\"$t\" and .series==\"store\" and .msg==$s and .store==\"$st\" and .label==\"huge=never\"")
				row+=" | $(cell "$v")"
			done
			v=$(q --arg p "$p" --arg t "$t" --argjson m "$s" '[.[] | select(.series=="store" and .transport==$t and .msg==$m and .store=="auto" and ok and at($p))][0]
				| if . == null then "—" else "\(.store_used) (\(.store_switches))" end')
			echo "$row | $v |"
		done
	done
}

# What might move the ring's big messages, one placement: each setting of
# the tuning series against the defaults' figure beside it, and huge pages
# (the main series of the run with the channel remounted huge=within_size).
tuning() { # place
	local p=$1 s k f base v row dc
	dc=$(q '[.[] | select(.kind=="throughput" and .transport=="ring" and .series=="main")][0].chunk // 65536')
	echo "| message | setting | MB/s | its repetitions, min–max | against the defaults (chunk $(iec "$dc"), no prefetch) |"
	echo "| --- | --- | --- | --- | --- |"
	for s in $(q '[.[] | select(.series=="tuning") | .msg] | unique[]'); do
		base=$(val "$p" ".kind==\"throughput\" and .series==\"tuning\" and .msg==$s and .chunk==$dc and .prefetch==0")
		for f in $(q --argjson m "$s" '[.[] | select(.series=="tuning" and .msg==$m) | "\(.chunk):\(.prefetch)"] | firsts[]'); do
			k=${f%%:*}
			local one=".kind==\"throughput\" and .series==\"tuning\" and .msg==$s and .chunk==$k and .prefetch==${f#*:}"
			v=$(val "$p" "$one")
			if [ "${f#*:}" = 0 ]; then row="publish every $(iec "$k")"; else row="prefetch $(iec "${f#*:}") ahead"; fi
			[ "$f" = "$dc:0" ] && row="$row (the defaults)"
			echo "| $(iec "$s") | $row | $(cell "$v") | $(span "$(val "$p" "$one" mbps_min)" "$(val "$p" "$one" mbps_max)") | $(cellu "$(ratio "$v" "$base")" 2 ×) |"
		done
		local huge
		huge=$(sel ring c2h spin "$s" main huge=within_size)
		v=$(val "$p" "$huge")
		base=$(val "$p" "$(sel ring c2h spin "$s" main huge=never)")
		echo "| $(iec "$s") | huge pages (channel huge=within_size; main series, spin) | $(cell "$v") | $(span "$(val "$p" "$huge" mbps_min)" "$(val "$p" "$huge" mbps_max)") | $(cellu "$(ratio "$v" "$base")" 2 ×) against $(cell "$base") with huge=never |"
	done
}

# The targets of one placement (place "" : those of none).
targets() { # place
	local p=$1 r x mem zc rg sp50 ap50 v nd s
	local -a xs
	case $p in
	far)
		r=$(fast far ring 1048576)
		mem=$(memory)
		x=$(ratio "$r" "$mem")
		echo "| ring c→h at 1 MiB ≥ 0.9× the memory copy (memcpy of $(iec "$(memory_msg)")) | far | ring $(cell "$r"), memory copy $(cellu "$mem" 0 " MB/s"): $(cellu "$x" 3 ×) | $(verdict "$x" ">=" 0.9) |"
		xs=()
		for s in $(q '[.[] | select(.kind=="throughput" and .transport=="unix" and .msg>=65536 and .msg<=1048576) | .msg] | unique[]'); do
			xs+=("$(ratio "$(fast far ring "$s")" "$(bestunix far "$s")")")
		done
		read -r v nd <<<"$(minof "${xs[@]}")"
		echo "| ring c→h 64 KiB–1 MiB beats the best unix figure | far | smallest ratio $(cellu "$v" 2 ×)$([ "$nd" -gt 0 ] && echo ", $nd size(s) disturbed") | $(verdict "$v" ">=" 1 "$nd") |"
		;;
	near)
		xs=()
		for s in 1048576 4194304; do
			xs+=("$(ratio "$(fast near ring "$s")" "$(ceil "$s")")")
		done
		read -r v nd <<<"$(minof "${xs[@]}")"
		echo "| ring c→h ≥ 0.75× memcpy at 1 MiB and at 4 MiB | near | 1 MiB $(cellu "${xs[0]}" 3 ×), 4 MiB $(cellu "${xs[1]}" 3 ×) | $(verdict "$v" ">=" 0.75 "$nd") |"
		xs=()
		for s in $(q '[.[] | select(.kind=="throughput" and .transport=="unix" and .msg>=65536 and .msg<=1048576) | .msg] | unique[]'); do
			xs+=("$(ratio "$(fast near ring "$s")" "$(bestunix near "$s")")")
		done
		read -r v nd <<<"$(minof "${xs[@]}")"
		echo "| ring c→h 64 KiB–1 MiB ≥ 3× the best unix figure | near | smallest ratio $(cellu "$v" 2 ×)$([ "$nd" -gt 0 ] && echo ", $nd size(s) disturbed") | $(verdict "$v" ">=" 3 "$nd") |"
		;;
	esac
	if [ -n "$p" ]; then
		if [ -n "$(q '[.[] | select(.transport=="zc")][0] // empty | .transport')" ]; then
			zc=$(fast "$p" zc 1048576)
			rg=$(fast "$p" ring 1048576)
			x=$(ratio "$zc" "$rg")
			local h want over=""
			h=$(handoff "$p" 1048576)
			isnum "$rg" && want=$(awk -v r="$rg" 'BEGIN { print 1.5 * r }')
			if isnum "$h" && isnum "$rg" && awk -v w="$want" -v h="$h" 'BEGIN { exit !(w > h) }'; then
				over="; 1.5× the ring, $(cellu "$want" 0 " MB/s"), is $(cellu "$(ratio "$want" "$h")" 2 ×) the cross-core read, $(cellu "$h" 0 " MB/s")"
			elif isnum "$h"; then
				over="; cross-core read $(cellu "$h" 0 " MB/s")"
			fi
			echo "| zero-copy ≥ 1.5× the copying ring at 1 MiB | $p | zc $(cell "$zc"), ring $(cellu "$rg" 0 " MB/s"): $(cellu "$x" 2 ×)$over | $(verdict "$x" ">=" 1.5) |"
		else
			echo "| zero-copy ≥ 1.5× the copying ring at 1 MiB | $p | this chanbench has no zero-copy transport | not measured |"
		fi
		sp50=$(lat "$p" ring spin 8 p50_ns)
		ap50=$(lat "$p" ring adaptive 8 p50_ns)
		echo "| ring spin round trip p50 < 0.5 µs (8 B) | $p | $(cellu "$(us "$sp50")" 3 " µs") | $(verdict "$(us "$sp50")" "<=" 0.5) |"
		x=$(ratio "$ap50" "$sp50")
		echo "| adaptive p50 within 2× spin p50 (busy) | $p | $(cellu "$(us "$ap50")" 3 " µs"), $(cellu "$x" 3 ×) | $(verdict "$x" "<=" 2) |"
		return
	fi
	# Targets of one side at a time, or of whole commands: any placement.
	v=$(val "*" '.kind=="idle" and .wait=="adaptive" and .label=="huge=never"' cpu_fraction)
	x=$(val "*" '.kind=="idle" and .wait=="spin" and .label=="huge=never"' cpu_fraction)
	isnum "$v" && v=$(awk -v v="$v" 'BEGIN { print 100 * v }')
	isnum "$x" && x=$(awk -v v="$x" 'BEGIN { print 100 * v }')
	echo "| adaptive: no busy CPU when idle | any | $(cellu "$v" 2 %) of a CPU while waiting (spin: $(cellu "$x" 0 %)) | $(verdict "$v" "<=" 5) |"
	v=$(val "*" "$(sel file c2h - 1024 file)")
	echo "| file at bs=1024 ≥ 438 MB/s (c→h, first write) | any | $(cellu "$v" 0 " MB/s") | $(verdict "$v" ">=" 438) |"
	local dch="" hvr="" sx="" hc="" rc="" s1="" sn="" nmax=""
	if have lifecycle-run.json; then
		dch=$(jq -r '(.results[1].median - .results[0].median) * 1000' lifecycle-run.json)
		[ "$(observed lifecycle)" = true ] && dch=disturbed
	fi
	if have lifecycle-runc.json; then
		hc=$(jq -r '.results[0].median*1000' lifecycle-runc.json)
		rc=$(jq -r '.results[1].median*1000' lifecycle-runc.json)
		hvr=$(ratio "$hc" "$rc")
		[ "$(observed lifecycle)" = true ] && hvr=disturbed
	fi
	if have scale.jsonl; then
		s1=$(awk 'NR == 1 { print $7 }' data/plot-scale.dat)
		sn=$(awk 'END { print $7 }' data/plot-scale.dat)
		nmax=$(jq -rs '.[-1].n' scale.jsonl)
		sx=$(ratio "$sn" "$s1")
		[ "$(observed scale)" = true ] && sx=disturbed
	fi
	# hyperfine's figures: watched whole, or not at all (older runs)
	local lw="" sw=""
	if [ "$measured" = true ]; then
		have lifecycle-run.json && [ -z "$(observed lifecycle)" ] && lw=" (not watched for disturbance)"
		have scale.jsonl && [ -z "$(observed scale)" ] && sw=" (not watched for disturbance)"
	fi
	echo "| run --rm with a channel ≤ 2 ms more than without (median) | any | $(cellu "$dch" 2 " ms") more$lw | $(verdict "$dch" "<=" 2) |"
	echo "| hcrun run --rm true ≤ 0.5× runc run | any | $(fmt "$hc" 2) ms vs $(fmt "$rc" 2) ms: $(cellu "$hvr" 3 ×)$lw | $(verdict "$hvr" "<=" 0.5) |"
	echo "| hcrun's own part of run --rm at n = ${nmax:-10000} ≤ 1.2× at n = 1 | any | $(fmt "$s1" 2) ms → $(fmt "$sn" 2) ms: $(cellu "$sx" 3 ×)$sw | $(verdict "$sx" "<=" 1.2) |"
}

{
	cat <<EOF
# Host channel benchmarks: $(m profile) profile, $(m date)

Written by \`make bench PROFILE=$(m profile)$([ "$(m pinned)" != none ] && echo " PIN=$(m pinned)")\`
(bench/run.sh) at commit \`$(m commit)\`; every figure below comes from the raw
JSON beside this file (\`chanbench.jsonl\`, \`lifecycle-*.json\`, \`scale*.json*\`,
\`observe.jsonl\`) and can be redrawn with \`bench/report.sh DIR\`.

EOF
	trust
	cat <<EOF
## The machine

| | |
| --- | --- |
| CPU | $(m cpu)$([ -n "$(m hypervisor)" ] && echo " ($(m hypervisor) guest)") |
| cores | $(m cores) |
| memory | $(m memory), no swap |
| kernel | $(m kernel) |
| cgroup | $(m cgroup) |
| channel tmpfs (host mount) | \`$(m tmpfs)\` |
| shmem THP (sysfs) | \`$(m shmem_thp)\` |
| pinned | $(m pinned) (host side, container side) |
| placement | $([ "$measured" = true ] && echo "near below $near_ns ns of spin round trip between the two pinned CPUs, far at or above; seen: ${seen:-none}" || echo "not measured") |
| other processes' CPU from | $(q '[.[] | select(.kind=="run")][0].busy_source // "not measured"') |

Correctness: $nverify verify passes (every byte compared, checksums of both
sides), $nbad mismatched; $nseq figures with a sequence-number error.

## Targets

Verdicts from undisturbed figures only, each in the placement it is set
for (near: the two CPUs share a cache; far: they do not). A target whose
figures were all disturbed is "no verdict: disturbed"; one set for a
placement this run did not see is "not measured in this placement".
"The ring" is the better of its spin and adaptive main series.

| target | placement | measured | verdict |
| --- | --- | --- | --- |
EOF
	for p in near far; do
		if [[ " $seen " == *" $p "* ]]; then
			targets "$p"
		else
			case $p in
			near)
				echo "| ring c→h ≥ 0.75× memcpy at 1 MiB and at 4 MiB | near | this run saw no near placement | not measured in this placement |"
				echo "| ring c→h 64 KiB–1 MiB ≥ 3× the best unix figure | near | this run saw no near placement | not measured in this placement |"
				;;
			far)
				echo "| ring c→h at 1 MiB ≥ 0.9× the memory copy | far | this run saw no far placement | not measured in this placement |"
				echo "| ring c→h 64 KiB–1 MiB beats the best unix figure | far | this run saw no far placement | not measured in this placement |"
				;;
			esac
		fi
	done
	for p in $seen; do
		case $p in near | far) ;; *) targets "$p" ;; esac
	done
	targets ""

	if [ -z "$places" ]; then
		printf '\n## Summary\n\nNo undisturbed figure in any placement: no summary, no ratio.\n'
	fi
	for p in $places; do
		cat <<EOF

## Summary, $p placement: ratio to the memcpy ceiling (container → host, median MB/s)

The ceiling is one thread's memcpy between the same buffers at the same size,
in the same run. Every transport copies each byte at least twice (in and out),
so 1.0 would mean the two copies overlap perfectly on two cores. Undisturbed
figures in the $p placement only; "—": measured in another placement only.

EOF
		summary "$p"
		cat <<EOF

### The ring against the best unix figure ($p)

EOF
		ring_vs_unix "$p"
		cat <<EOF

### The ring against memcpy and the memory copy ($p)

The memory copy is one memcpy of $(iec "$(memory_msg)"), far more than the
caches hold: what the memory itself moves. The cross-core read is how fast
one of the two CPUs reads lines the other has just written (below).

EOF
		ring_vs_memory "$p"
		if [ -n "$(q '[.[] | select(.transport=="zc")][0] // empty | .transport')" ]; then
			cat <<EOF

### Zero-copy beside the copying ring ($p)

Container → host; each the better of its spin and adaptive main series.
The cross-core read is how fast the host side's CPU reads the lines the
container side's CPU has just written (chanbench's handoff ceiling, at
256 KiB and up, in turns, only the reads timed): what every consumer does
to every byte, copies or none, measured alone: both come near it at best
(a little above at times, their reads and writes overlapping), and zc
gains on the ring only where the ring's copies, not that read, hold the
ring back.

EOF
			zc_vs_ring "$p"
		fi
		if [ -n "$(q '[.[] | select(.series=="tuning")][0] // empty | .series')" ]; then
			cat <<EOF

### What might move the ring ($p)

Container → host, spinning, in the main series' store mode: how often the
producer publishes its index inside a big message, and the consumer asking
for the lines ahead of its copy (the hardware's prefetchers stop at the
end of each page), each measured once beside the defaults' own figure; and
huge pages for the channel, from the run with the channel remounted
huge=within_size. A ratio inside the spread of the figures' own
repetitions says nothing.

EOF
			tuning "$p"
		fi
		if [ -n "$(q '[.[] | select(.series=="store")][0] // empty | .series')" ]; then
			cat <<EOF

### Store modes ($p)

Container → host, spinning: the producer's plain (temporal) stores,
non-temporal (nt) stores, and auto, which chooses while it runs.

EOF
			stores "$p"
		fi
	done

	# the baselines: transports without store modes, in their main series
	baselines='[.[] | select(.kind=="throughput" and .series=="main" and (has("store") | not)
		and (.settings // "") != "") | [.transport, .settings]] | firsts[]'
	if [ -n "$(q "$baselines")" ]; then
		cat <<EOF

## The baselines' settings

What each baseline's ends asked and were granted, as chanbench recorded it.

| transport | settings |
| --- | --- |
EOF
		q "$baselines"' | "| \(.[0]) | \(.[1]) |"'
	fi

	if [ "$measured" = true ]; then
		cat <<EOF

## Disturbance and placement, figure by figure

![disturbance](disturbance.svg)

Each timed figure in the order measured: how much CPU other processes used
while it was (the threshold: $threshold of a CPU) and the spin round trip
between the two pinned CPUs just before it. Disturbed figures per transport:

| transport | figures | disturbed | by other processes | by a placement change | measured more than once |
| --- | --- | --- | --- | --- | --- |
EOF
		q '[.[] | select(timed)] | group_by(.transport)[]
			| "| \(.[0].transport) | \(length) | \([.[] | select(ok | not)] | length) | \([.[] | select((.disturbed_by // "") | test("cpu"))] | length) | \([.[] | select((.disturbed_by // "") | test("placement"))] | length) | \([.[] | select((.attempts // 1) > 1)] | length) |"'
	fi

	cat <<EOF

## Throughput

$(if [ "$ndist" -lt "$ntimed" ]; then echo "Plots: undisturbed figures in the $plot_place placement."; else echo "Plots: none, every figure was disturbed."; fi)

![container to host](throughput-c2h.svg)

![host to container](throughput-h2c.svg)

Ring: $(q '[.[] | select(.transport=="ring" and .kind=="throughput")][0] | "ring of \(.ring/1048576) MiB in the main series, index published at least every \(.chunk/1024) KiB"') (so that
the consumer copies out while the producer copies in); the ring-size sweep
below uses adaptive waiting.

![ring size](ring-size.svg)

Every figure; a disturbed one is marked and is in no summary or verdict.

| transport | dir | wait | message | median MB/s | min | max | × memcpy | placement | other CPU | attempts |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
EOF
	q '.[] | select(.kind=="throughput" and .series=="main" and .label=="huge=never")
		| "| \(.transport) | \(.dir) | \(.wait) | \(.msg) | \(.mbps_median)\(if ok then "" else " *disturbed*" end) | \(.mbps_min) | \(.mbps_max) | \(.ratio_to_memcpy) | \(pl) | \(.other_cpu // "n/a") | \(.attempts // "n/a") |"'

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
		   and .dir==$f.dir and .msg==$f.msg and .label=="huge=never")][0] | if . == null then "n/a" elif ok then .mbps_median else "*disturbed*" end) as $r
		| "| \(.dir) | \(.msg) | \(.phase) | \(.mbps_median)\(if ok then "" else " *disturbed*" end) | \(.syscalls_per_mib) | \(.ns_per_syscall) | \($r) |"'

	cat <<EOF

## Latency

![latency](latency.svg)

| transport | wait | message | p50 µs | p99 µs | p99.9 µs | min µs | iterations | placement |
| --- | --- | --- | --- | --- | --- | --- | --- | --- |
EOF
	q '.[] | select(.kind=="latency" and .label=="huge=never")
		| "| \(.transport) | \(.wait) | \(.msg) | \(.p50_ns/1000)\(if ok then "" else " *disturbed*" end) | \(.p99_ns/1000) | \(.p999_ns/1000) | \(.min_ns/1000) | \(.iters) | \(pl) |"'
	cat <<EOF

A consumer waiting with nothing to read (ring, for $(q '[.[] | select(.kind=="idle")][0].wait_ns/1e6 | round') ms):

| wait | CPU used while waiting |
| --- | --- |
EOF
	q '.[] | select(.kind=="idle" and .label=="huge=never") | "| \(.wait) | \(.cpu_fraction*100 | .*10 | round / 10)%\(if ok then "" else " *disturbed*" end) |"'

	cat <<EOF

## huge=within_size

The channel was remounted \`-o remount,huge=within_size\` (the container sees
the same superblock) and the ring and file passes run again. Pairs of
undisturbed figures in the same placement only.

![huge](huge.svg)

| series | size | default MB/s | huge=within_size MB/s | ratio |
| --- | --- | --- | --- | --- |
EOF
	q '. as $all | .[] | select(.label=="huge=within_size" and .kind=="throughput" and .dir=="c2h"
		and ((.transport=="ring" and .wait=="adaptive" and .series=="main") or .transport=="file"))
		| . as $h | ([$all[] | select(.label=="huge=never" and .kind=="throughput" and .dir=="c2h"
		  and .transport==$h.transport and .wait==$h.wait and .msg==$h.msg and .series==$h.series
		  and (.phase // "")==($h.phase // ""))][0]) as $dr
		| (if ($h | ok) and $dr != null and ($dr | ok) and ($dr | pl) == ($h | pl) then ($dr.mbps_median) else null end) as $d
		| "| \(.transport) \(.phase // .wait) | \(.msg) | \($dr.mbps_median // "n/a")\(if $dr != null and ($dr | ok | not) then " *disturbed*" else "" end) | \(.mbps_median)\(if ok then "" else " *disturbed*" end) | \(if $d then (.mbps_median/$d*100|round/100) else "n/a" end) |"'

	if have lifecycle-run.json; then
		cat <<EOF

## Whole commands (hyperfine)

$([ -n "$(observed lifecycle)" ] && echo "Watched whole by chanbench --observe: $(obs_note lifecycle)$([ "$(observed lifecycle)" = true ] && echo ": **disturbed**, no verdict is taken from these" || echo ": undisturbed")." || echo "Not watched for disturbance (this run has no observe.jsonl).")

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

$([ -n "$(observed scale)" ] && echo "Watched whole by chanbench --observe: $(obs_note scale)$([ "$(observed scale)" = true ] && echo ": **disturbed**, no verdict is taken from these" || echo ": undisturbed")." || echo "Not watched for disturbance (this run has no observe.jsonl).")

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
