#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Regenerate the seed corpus of the libFuzzer targets from the cases of the
# unit test ref/tests/spec_test.c, one input per file, so that fuzzing starts
# from every case a person thought of:
#
#   ref/fuzz/corpus/spec/test-*   option strings (VALID, INVALID, SIZE_OK,
#                                 SIZE_BAD as "/a:/b:rw:<size>", ROUND_TRIP,
#                                 .text = ..., hc_spec_parse("..."))
#   ref/fuzz/corpus/size/test-*   size texts (SIZE_*, SIZE_PARSE_*, SIZE_FORMAT)
#   ref/fuzz/corpus/path/test-*   paths (CLEAN_*, the two paths of every option)
#
# Only test-* files are this script's: it replaces them and leaves every
# other file (hand-*, bug-*, inputs merged from fuzzing runs) alone. Run it
# after changing the unit test, and commit what changes.
set -euo pipefail
cd "$(dirname "$0")/.."

src=${1:-ref/tests/spec_test.c}
dst=ref/fuzz/corpus
for t in spec size path; do
	mkdir -p "$dst/$t"
	find "$dst/$t" -maxdepth 1 -type f -name 'test-*' -delete
done

# A statement starts with one of the case macros (or is a line of interest)
# and runs to its ");". Its string literals are read with C's escapes and
# adjacent literals joined, as the compiler would.
awk -v dst="$dst" '
function literals(s,    i, c, n, cur, open, joined) {
	n = 0; open = 0; joined = 0
	for (i = 1; i <= length(s); i++) {
		c = substr(s, i, 1)
		if (!open) {
			if (c == "\"") {
				open = 1
				if (!joined) { n++; lit[n] = "" }
			} else if (c !~ /[ \t]/) {
				joined = 0
			}
			continue
		}
		if (c == "\\") {
			i++; c = substr(s, i, 1)
			if (c == "t") c = "\t"
			else if (c == "n") c = "\n"
			lit[n] = lit[n] c
		} else if (c == "\"") {
			open = 0; joined = 1
		} else {
			lit[n] = lit[n] c
		}
	}
	return n
}
function emit(target, name, text,    f) {
	if ((target, text) in seen)
		return
	seen[target, text] = 1
	gsub(/[^A-Za-z0-9_.-]/, "_", name)
	f = dst "/" target "/test-" name
	if (f in used) f = f "-" (++dup)
	used[f] = 1
	printf "%s", text > f
	close(f)
	count[target]++
}
# The host and container fields of an option are path seeds too.
function emit_paths(name, text,    nf, fld) {
	nf = split(text, fld, ":")
	if (nf >= 1 && fld[1] != "") emit("path", name "-host", fld[1])
	if (nf >= 2 && fld[2] != "") emit("path", name "-container", fld[2])
}
function handle(stmt,    macro, name, n) {
	macro = stmt; sub(/\(.*/, "", macro)
	name = stmt; sub(/^[A-Z_]+\([ \t]*/, "", name); sub(/[ \t]*,.*/, "", name)
	n = literals(stmt)
	if (n < 1) return
	if (macro == "SIZE_OK" || macro == "SIZE_BAD") {
		emit("spec", "size-" name, "/a:/b:rw:" lit[1])
		emit("size", name, lit[1])
	} else if (macro == "VALID" || macro == "INVALID") {
		emit("spec", name, lit[1])
		emit_paths(name, lit[1])
	} else if (macro == "ROUND_TRIP") {
		emit("spec", "round-trip-" name, lit[1])
		if (n >= 2) emit("spec", "round-trip-" name "-canonical", lit[2])
		emit_paths("round-trip-" name, lit[1])
	} else if (macro ~ /^SIZE_PARSE_/ || macro == "SIZE_FORMAT") {
		emit("size", tolower(macro) "-" name, lit[1])
	} else if (macro ~ /^CLEAN_/) {
		emit("path", "clean-" name, lit[1])
	}
}
BEGIN { stmt = "" }
/^#/ { next }
stmt != "" {
	stmt = stmt " " $0
	if (stmt ~ /\);[ \t]*$/) { handle(stmt); stmt = "" }
	next
}
/^(SIZE_OK|SIZE_BAD|VALID|INVALID|ROUND_TRIP|SIZE_PARSE_OK|SIZE_PARSE_BAD|SIZE_FORMAT|CLEAN_OK|CLEAN_BAD)\(/ {
	stmt = $0
	if (stmt ~ /\);[ \t]*$/) { handle(stmt); stmt = "" }
	next
}
/^FIXTURE_VARIANT_ADD\(parse, / {
	variant = $0; sub(/^FIXTURE_VARIANT_ADD\(parse, */, "", variant); sub(/\).*/, "", variant)
	next
}
/^[ \t]*\.text = "/ && variant != "" {
	if (literals($0) >= 1) { emit("spec", variant, lit[1]); emit_paths(variant, lit[1]) }
	variant = ""
	next
}
/hc_spec_parse\("|hc_size_parse\("|hc_path_clean\("/ {
	line = $0
	while (match(line, /hc_(spec_parse|size_parse|path_clean)\("/)) {
		call = substr(line, RSTART + 3, RLENGTH - 5)
		line = substr(line, RSTART + RLENGTH - 1)
		if (literals(line) >= 1) {
			if (call == "spec_parse") emit("spec", "call-" (++calls["spec"]), lit[1])
			else if (call == "size_parse") emit("size", "call-" (++calls["size"]), lit[1])
			else emit("path", "call-" (++calls["path"]), lit[1])
		}
		line = substr(line, 2)
	}
}
END {
	printf "fuzz-corpus: %d spec, %d size, %d path seeds from %s\n", count["spec"], count["size"], count["path"], FILENAME
}
' "$src"
