# SPDX-License-Identifier: GPL-2.0-or-later
#
# Shared by the mutant drivers: each one is the ref driver with one thing
# broken, to prove the suite catches it (make check-suite). A mutant sources
# this file, defines the hooks it needs, then calls mutant_main "$@".
#
#   mutant_spec SPEC     print the spec to hand to the engine instead
#   mutant_create ARGS   run instead of the ref driver's create (gets all args)
#   mutant_after VERB NAME ARGS  runs after a verb succeeded
#
# Each mutant says on a "# catches:" line which test programs must fail.

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REF="$here/../ref"
# shellcheck source=../../lib/paths.sh
. "$here/../../lib/paths.sh"

mutant_spec() { printf '%s\n' "$1"; }
mutant_after() { :; }

# The host path of each channel NAME was created with, from the engine.
mutant_host_paths() {
	"${HCRUN:-$HCT_HCRUN}" inspect "$1" |
		sed -n 's/^ *"host_path": *"\(.*\)",$/\1/p'
}

mutant_main() {
	local verb=${1:-}
	if [ "$verb" = create ]; then
		local args=() a
		shift
		while [ $# -gt 0 ]; do
			a=$1
			shift
			if [ "$a" = --host-channel ] && [ $# -gt 0 ]; then
				args+=(--host-channel "$(mutant_spec "$1")")
				shift
			else
				args+=("$a")
			fi
		done
		if declare -F mutant_create >/dev/null; then
			mutant_create "${args[@]}"
		else
			"$REF" create "${args[@]}"
		fi
		local rc=$?
		[ $rc -eq 0 ] && mutant_after create "${args[0]}"
		return $rc
	fi
	"$REF" "$@"
	local rc=$?
	[ $rc -eq 0 ] && [ $# -ge 2 ] && mutant_after "$verb" "$2"
	return $rc
}
