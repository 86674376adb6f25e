#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make fuzz: run each libFuzzer target for SECONDS on a copy of its seed
# corpus, then print one line per target (executions, cov, ft, corpus,
# crashes). Exits non-zero when any target crashed, leaked, timed out or
# broke a property.
#
#   scripts/fuzz.sh SECONDS OUTDIR BINARY...
#
# OUTDIR/corpus/<target>     working corpus: the seeds of ref/fuzz/corpus/<target>
#                            plus what this run found (the committed seeds are
#                            never written; merge back by hand, see README)
# OUTDIR/artifacts/<target>/ crash-*, leak-*, timeout-*, oom-*: kept across runs
# OUTDIR/<target>.log        libFuzzer's output
# OUTDIR/tmp/                a target's private files ($TMPDIR), left by a crash
#
# FUZZ_ARGS adds libFuzzer flags (e.g. FUZZ_ARGS=-seed=1 for a repeatable run).
set -euo pipefail
cd "$(dirname "$0")/.."

secs=${1:?seconds}
out=${2:?output directory}
shift 2
[ $# -gt 0 ] || {
	echo "fuzz: no target given" >&2
	exit 2
}
read -r -a extra <<<"${FUZZ_ARGS:-}"

status=0
summary=()
for bin in "$@"; do
	name=$(basename "$bin")
	target=${name#fuzz_}
	seeds=ref/fuzz/corpus/$target
	work=$out/corpus/$target
	art=$out/artifacts/$target
	log=$out/$target.log

	# The working corpus is this script's own copy (flat, as libFuzzer writes
	# it); start each run from the seeds.
	# TMPDIR: where a target makes its private files (fuzz_annotation's
	# policy directory), so that a crash leaves them under OUTDIR.
	mkdir -p "$work" "$art" "$out/tmp"
	find "$work" -maxdepth 1 -type f -delete
	if [ -d "$seeds" ]; then
		cp -- "$seeds"/* "$work"/
	fi
	marker=$(mktemp "$out/.start.XXXXXX")

	echo "== $name: ${secs}s, $(find "$work" -type f | wc -l) seeds"
	rc=0
	TMPDIR=$out/tmp "$bin" -max_len=8192 -max_total_time="$secs" -timeout=10 -print_final_stats=1 \
		-artifact_prefix="$art/" "${extra[@]}" "$work" >"$log" 2>&1 || rc=$?

	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	last=$(grep -E '^#[0-9]+.* cov: ' "$log" | tail -n 1 || true)
	cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
	ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
	corp=$(sed -n 's/.* corp: \([0-9]*\/[0-9]*[a-zA-Z]*\).*/\1/p' <<<"$last")
	# slow-unit-* is libFuzzer's note of a slow input, not a failure (a unit
	# over -timeout is reported as timeout-*).
	mapfile -t found < <(find "$art" -type f -newer "$marker" ! -name 'slow-unit-*')
	rm -f -- "$marker"
	crashes=${#found[@]}
	# A report without an artifact (e.g. libFuzzer's own failure) still counts.
	if [ "$crashes" -eq 0 ] && { [ "$rc" -ne 0 ] ||
		grep -qE 'PROPERTY VIOLATED|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:' "$log"; }; then
		crashes=1
	fi

	line=$(printf '%-16s %12s execs  cov: %-5s ft: %-6s corpus: %-14s crashes: %s' \
		"$name" "${execs:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$crashes")
	summary+=("$line")
	if [ "$crashes" -ne 0 ]; then
		status=1
		echo "$name: FAILED (exit $rc); from $log:"
		{
			grep -E -A2 'PROPERTY VIOLATED' "$log" || true
			grep -E -A8 'ERROR: (AddressSanitizer|LeakSanitizer)' "$log" || true
			grep -E 'runtime error:|^SUMMARY: |ERROR: libFuzzer: (timeout|out-of-memory)' "$log" || true
		} | head -n 40 | sed 's/^/    /'
		for f in "${found[@]}"; do
			echo "    artifact: $f (reproduce: $bin $f)"
		done
	fi
done

echo
echo "== fuzz summary (${secs}s per target; logs in $out/*.log)"
printf '%s\n' "${summary[@]}"
if [ "$status" -ne 0 ]; then
	echo "fuzz: FAILED: artifacts in $out/artifacts/" >&2
fi
exit $status
