# SPDX-License-Identifier: GPL-2.0-or-later
#
# What the shell tests share: KTAP output in the shape the C harness
# prints (so ktap-run folds both into one stream), the memory cgroup under
# its v1 or v2 names for cgroup-tools, and a sandbox (a mount point under
# /tmp and a cgroup parent) that an EXIT trap takes down again.
#
#   . "$(dirname "$0")/../lib/ktap.sh"
#   ktap_private_ns "$@"            # re-run in a private mount namespace
#   ktap_plan "first test" "second test" ...
#   ktap_require_root cgcreate ...  # or every test is skipped, with the reason
#   memcg_detect                    # CG_VERSION, CG_ROOT, CG_LIMIT, CG_USAGE, CG_EVENTS
#   hc_sandbox                      # HC_MNT, HC_CG; hc_leaf NAME [LIMIT]
#   ktap_result $? "why it failed"  # one per planned test, in order
#   ktap_finish
#
# Run with --list, a shell test prints the names its ktap_plan is given, one
# a line, and exits there: nothing before ktap_plan may touch the system, so
# that listing runs no test and needs no root (scripts/list-tests). A name
# made at run time is listed as a pattern, "*" for the part not known yet.

KTAP_NAMES=()
KTAP_N=0 KTAP_PASS=0 KTAP_FAIL=0 KTAP_SKIP=0
HC_LEAVES=()
HC_MNT="" HC_CG=""
# The script's own arguments: a sourced file sees them.
KTAP_LIST=0
if [ "${1:-}" = --list ]; then
	KTAP_LIST=1
fi

ktap_listing() {
	[ $KTAP_LIST = 1 ]
}

ktap_info() {
	echo "# $*"
}

# The plan is the list of test names, printed as each result comes in;
# with --list, the names alone, and the script ends.
ktap_plan() {
	if ktap_listing; then
		printf '%s\n' "$@"
		exit 0
	fi
	KTAP_NAMES=("$@")
	echo "TAP version 13"
	echo "1..$#"
}

# ktap_result STATUS [WHY]: the next planned test passed when STATUS is 0.
ktap_result() {
	local name=${KTAP_NAMES[$KTAP_N]:-unplanned test}

	KTAP_N=$((KTAP_N + 1))
	if [ "$1" -eq 0 ]; then
		KTAP_PASS=$((KTAP_PASS + 1))
		echo "ok $KTAP_N $name"
	else
		KTAP_FAIL=$((KTAP_FAIL + 1))
		[ -n "${2:-}" ] && echo "# $name: $2"
		echo "not ok $KTAP_N $name"
	fi
}

ktap_skip() {
	KTAP_N=$((KTAP_N + 1))
	KTAP_SKIP=$((KTAP_SKIP + 1))
	echo "ok $KTAP_N ${KTAP_NAMES[$((KTAP_N - 1))]:-unplanned test} # SKIP $1"
}

# Totals in the C harness's words; exit 4 (kselftest's skip) when nothing ran.
ktap_finish() {
	local missing=$((${#KTAP_NAMES[@]} - KTAP_N))

	if [ $missing -gt 0 ]; then
		echo "# $missing planned tests did not report"
		KTAP_FAIL=$((KTAP_FAIL + missing))
	fi
	echo "# Totals: pass:$KTAP_PASS fail:$KTAP_FAIL xfail:0 xpass:0 skip:$KTAP_SKIP error:0"
	[ $KTAP_FAIL -gt 0 ] && exit 1
	[ $KTAP_PASS -eq 0 ] && [ $KTAP_SKIP -gt 0 ] && exit 4
	exit 0
}

# Skip every test not reported yet, with one reason, and finish.
ktap_skip_all() {
	while [ $KTAP_N -lt ${#KTAP_NAMES[@]} ]; do
		ktap_skip "$1"
	done
	ktap_finish
}

# Mounts made from here on stay in this namespace and die with it, even if
# the EXIT trap never runs. Re-executes the script once, before any output.
ktap_private_ns() {
	if [ -n "${HCT_PRIVATE_NS:-}" ] || ktap_listing; then
		return 0
	fi
	[ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null || return 0
	HCT_PRIVATE_NS=1 exec unshare -m --propagation private bash "$0" "$@"
}

ktap_require_root() {
	local tool

	[ "$(id -u)" -eq 0 ] || ktap_skip_all "needs root (mount, cgroups); uid is $(id -u)"
	[ -n "${HCT_PRIVATE_NS:-}" ] || ktap_skip_all "no private mount namespace (unshare -m)"
	for tool in "$@"; do
		command -v "$tool" >/dev/null || ktap_skip_all "$tool not found (cgroup-tools, util-linux)"
	done
}

# ktap_near GOT WANT: |GOT - WANT| within 5% of WANT or 1 MiB, the larger.
ktap_near() {
	local got=$1 want=$2 tol=$(($2 / 20))

	[ $tol -lt $((1 << 20)) ] && tol=$((1 << 20))
	[ -n "$got" ] && [ $((got > want ? got - want : want - got)) -le $tol ]
}

# ktap_poll_near WANT COMMAND...: run COMMAND (it prints a number) until
# its figure is near WANT, for at most 5 s; GOT holds the last figure. The
# kernel folds per-CPU statistics into memory.stat lazily.
ktap_poll_near() {
	local want=$1 i

	shift
	for i in $(seq 50); do
		GOT=$("$@")
		ktap_near "$GOT" "$want" && return 0
		sleep 0.1
	done
	return 1
}

# ktap_run COMMAND...: RC is its exit status, OUT what it printed on
# either stream; a kill notice from the shell stays out of the KTAP stream.
# shellcheck disable=SC2034 # RC and OUT are for the caller
ktap_run() {
	OUT=$(
		exec 2>&1
		"$@"
	)
	RC=$?
}

mib() {
	awk -v b="${1:-0}" 'BEGIN { printf "%.2f MiB", b / 1048576 }'
}

# ktap_retry N FUNCTION: call FUNCTION TRY (1..N) until it succeeds; each
# miss prints $MISS, which the function sets. For figures other users can
# move (v1's system-wide count of dying cgroups); a real miss repeats.
ktap_retry() {
	local n=$1 try

	for try in $(seq "$n"); do
		"$2" "$try" && return 0
		[ "$n" -gt 1 ] && ktap_info "try $try of $n: $MISS"
	done
	return 1
}

# ------------------------------------------------------------ memory cgroup

# The hierarchy holding the memory controller, found through findmnt
# (libmount), and the names of its files in that version.
memcg_detect() {
	local root

	root=$(findmnt -rn -t cgroup -O memory -o FSROOT,TARGET | awk '$1 == "/" { print $2; exit }')
	if [ -n "$root" ]; then
		CG_VERSION=1 CG_ROOT=$root
		CG_LIMIT=memory.limit_in_bytes CG_USAGE=memory.usage_in_bytes
		CG_EVENTS=memory.oom_control
		return 0
	fi
	root=$(findmnt -rn -t cgroup2 -o FSROOT,TARGET | awk '$1 == "/" { print $2; exit }')
	if [ -z "$root" ]; then
		ktap_skip_all "no memory controller: no cgroup v1 memory mount, no cgroup2 mount"
	fi
	if ! grep -qw memory "$root/cgroup.controllers"; then
		ktap_skip_all "no memory controller: no cgroup v1 memory mount, and $root/cgroup.controllers (cgroup2) lacks memory"
	fi
	if ! grep -qw memory "$root/cgroup.subtree_control"; then
		ktap_skip_all "cgroup v2 at $root: memory is not in its cgroup.subtree_control"
	fi
	CG_VERSION=2 CG_ROOT=$root
	CG_LIMIT=memory.max CG_USAGE=memory.current CG_EVENTS=memory.events
}

# cg_key CGROUP FILE KEY: one "key value" line of a cgroup file, via cgget.
cg_key() {
	cgget -n -v -r "$2" "$1" | awk -v k="$3" '$1 == k { print $2 }'
}

cg_shmem() {
	cg_key "$1" memory.stat shmem
}

cg_usage() {
	cgget -n -v -r "$CG_USAGE" "$1"
}

cg_oom_kills() {
	cg_key "$1" "$CG_EVENTS" oom_kill
}

# Dying (removed, not yet freed) memory cgroups: v2 counts the subtree's
# own in cgroup.stat; v1 only has num_cgroups in /proc/cgroups for the
# whole hierarchy, live ones included, so the live directories are taken off.
cg_dying() {
	local num live

	if [ "$CG_VERSION" = 2 ]; then
		awk '$1 == "nr_dying_descendants" { print $2 }' "$CG_ROOT/$HC_CG/cgroup.stat"
		return
	fi
	num=$(awk '$1 == "memory" { print $3 }' /proc/cgroups)
	live=$(find "$CG_ROOT" -type d | wc -l)
	echo $((num - live))
}

# Give back what the parent's subtree holds and could let go: per-CPU charge
# caches and reclaimable pages (the binaries cgexec ran). Only pages nothing
# can reclaim, tmpfs without swap, keep a removed cgroup dying after this.
cg_drain() {
	if [ "$CG_VERSION" = 1 ]; then
		cgset -r memory.force_empty=0 "$HC_CG"
	else
		cgset -r memory.high=0 "$HC_CG" && cgset -r memory.high=max "$HC_CG"
	fi
}

# cg_dying_settles WANT: poll (draining every 0.5 s) until the dying count
# is WANT, for at most 10 s; GOT holds the last count.
cg_dying_settles() {
	local i

	for i in $(seq 100); do
		GOT=$(cg_dying)
		[ "$GOT" = "$1" ] && return 0
		[ $((i % 5)) -eq 0 ] && cg_drain
		sleep 0.1
	done
	return 1
}

# ------------------------------------------------------------------ sandbox

# HC_MNT, a mount point under /tmp, and HC_CG, the cgroup parent
# hostchannel-selftest-<pid> under the memory root; both go on exit.
hc_sandbox() {
	HC_CG=hostchannel-selftest-$$
	HC_MNT=$(mktemp -d /tmp/hostchannel-selftest-sh-XXXXXX) || ktap_skip_all "mktemp -d failed"
	trap hc_cleanup EXIT
	trap 'exit 130' INT TERM
	cgcreate -g "memory:/$HC_CG" || ktap_skip_all "cgcreate -g memory:/$HC_CG failed"
	if [ "$CG_VERSION" = 2 ]; then
		echo +memory >"$CG_ROOT/$HC_CG/cgroup.subtree_control" ||
			ktap_skip_all "cannot enable memory under $CG_ROOT/$HC_CG"
	fi
	ktap_info "memory cgroup v$CG_VERSION at $CG_ROOT ($CG_LIMIT, $CG_EVENTS), parent $HC_CG, mount point $HC_MNT"
}

# hc_leaf NAME [LIMIT]: cgroup $HC_CG/NAME, with a memory limit and no swap.
hc_leaf() {
	local cg=$HC_CG/$1

	cgcreate -g "memory:/$cg" || return 1
	HC_LEAVES+=("$cg")
	[ -n "${2:-}" ] || return 0
	cgset -r "$CG_LIMIT=$2" "$cg" || return 1
	# Over its limit a cgroup that may swap swaps instead of being OOM-killed.
	if [ "$(awk '$1 == "SwapTotal:" { print $2 }' /proc/meminfo)" != 0 ]; then
		if [ "$CG_VERSION" = 2 ]; then
			cgset -r memory.swap.max=0 "$cg"
		else
			cgset -r "memory.memsw.limit_in_bytes=$2" "$cg"
		fi
	fi
}

hc_mounted() {
	findmnt -rn --mountpoint "$HC_MNT" >/dev/null
}

# The same order as the contract's delete: unmount, then the cgroups.
hc_cleanup() {
	local i

	[ -n "$HC_MNT" ] || return 0
	hc_mounted && umount "$HC_MNT"
	if [ -n "$HC_CG" ] && [ -d "$CG_ROOT/$HC_CG" ]; then
		cg_drain 2>/dev/null
		for ((i = ${#HC_LEAVES[@]} - 1; i >= 0; i--)); do
			[ -d "$CG_ROOT/${HC_LEAVES[$i]}" ] && cgdelete -g "memory:/${HC_LEAVES[$i]}"
		done
		cgdelete -g "memory:/$HC_CG"
	fi
	rmdir "$HC_MNT"
}
