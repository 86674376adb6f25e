#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Crash faults: hcrun killed (SIGKILL, no cleanup of any kind) at every
# fault point of create, start, stop and delete, then `hcrun gc` and the
# next ordinary command, must leave nothing behind and lose nothing:
#
#   - no mount of the container's tmpfs (source hostchannel-NAME) anywhere
#     in mountinfo (findmnt, libmount);
#   - no directory: the scratch directory holds exactly what the test put
#     there (the host paths, their made parents and the temporary
#     .hostchannel-<token> directories are all gone);
#   - a sibling directory next to the channels (files, a subdirectory, a
#     mode) byte-for-byte and stat-for-stat unchanged;
#   - no state dir, no memory cgroup under hcrun's parent, no process of the
#     container or of its monitor;
#   - the same name and host paths can be created, started, stopped and
#     deleted again, cleanly.
#
# The fault points are hcrun's own (ref/hcrun/fault.c): HCRUN_FAULT=VERB:K
# kills it at the K-th point of VERB, HCRUN_FAULT_LOG lists the points it
# passes. A first run of each scenario with K=0 counts the points; then
# every K from 1 to that count is one test. Two channels, one with two
# missing parents, so that every kind of directory step is crossed:
#
#   scratch/sib/...        the sibling, never to be touched
#   scratch/p/q/ch         channel 1: p and q made by create too
#   scratch/c2             channel 2
#
# Scenarios (VERB: precondition; the faulted command; what follows):
#   create: nothing;           create;                  gc, delete -f
#   start:  created;           start, then stop -t 1;   gc, delete -f
#           (the detached monitor inherits the fault: its points, when it
#           records the exit, are crossed during the stop)
#   stop:   created, started;  stop -t 1;               gc, delete -f
#   delete: created, started;  delete -f;               gc, delete -f
#
# hcrun only: other engines have no fault points (skipped). The state root
# is $HCRUN_ROOT, else hcrun's default.
# shellcheck source=../lib/ktap.sh
. "$(dirname "$0")/../lib/ktap.sh"
ktap_private_ns "$@"

# shellcheck source=../lib/paths.sh
. "$(dirname "$0")/../lib/paths.sh"
HCRUN=${HCRUN:-$HCT_HCRUN}
NAME=hcf-$$
MARK=87$$ # the container's sleep: "sleep 87<pid>" is ours alone
IDLE=(/bin/sh -c "trap 'exit 0' TERM; sleep $MARK & wait")
VERBS=(create start stop delete)
T=30 # seconds any one hcrun command may take

# The tests: "VERB:K WHAT" for each fault point (counted at run time, so
# listed as "VERB:*"), then FINAL; NOT_RUN alone when the points cannot be
# counted. Every plan below is made of these.
NOT_RUN="crash faults"
FINAL="no leak, no change, after all of them"
ktap_listing && ktap_plan "$NOT_RUN" "${VERBS[@]/%/:*}" "$FINAL"

if [ "${HCT_ENGINE:-ref}" != ref ]; then
	ktap_plan "$NOT_RUN"
	ktap_skip_all "engine ${HCT_ENGINE}: the fault points are hcrun's (ENGINE=ref)"
fi
if [ "$(id -u)" -ne 0 ] || [ ! -x "$HCRUN" ]; then
	ktap_plan "$NOT_RUN"
	ktap_skip_all "needs root and $HCRUN (make)"
fi

S=$(mktemp -d /tmp/hostchannel-selftest-crash-XXXXXX) || exit 1
LOG=$S.log
CH1=$S/p/q/ch
CH2=$S/c2

cleanup() {
	timeout $T "$HCRUN" delete -f "$NAME" >/dev/null 2>&1
	rm -f -- "$LOG" "$S/sib/f1" "$S/sib/d/f2"
	rmdir -- "$S/sib/d" "$S/sib" "$S" 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The sibling: a file, a subdirectory with a file, an odd mode.
mkdir -m 0750 "$S/sib" "$S/sib/d"
head -c 65536 /dev/urandom >"$S/sib/f1"
echo "keep me" >"$S/sib/d/f2"
chmod 0640 "$S/sib/d/f2"
manifest() {
	(cd "$S/sib" && find . -printf '%p %y %m %s %T@ %C@ %i\n' | sort &&
		find . -type f -exec sha256sum {} + | sort)
}
SIB=$(manifest)

memcg_root() {
	local root

	root=$(findmnt -rn -t cgroup -O memory -o FSROOT,TARGET | awk '$1 == "/" { print $2; exit }')
	[ -n "$root" ] || root=$(findmnt -rn -t cgroup2 -o FSROOT,TARGET | awk '$1 == "/" { print $2; exit }')
	echo "$root"
}
CGROOT=$(memcg_root)

hc() {
	timeout $T "$HCRUN" "$@"
}

create() {
	hc create --name "$NAME" --host-channel "$CH1:/ch:rw:1M" \
		--host-channel "$CH2:/c2:ro:1M" -- "${IDLE[@]}"
}

# The precondition of each verb's scenario, without faults.
precondition() {
	case $1 in
	create) return 0 ;;
	start) create >/dev/null ;;
	stop | delete) create >/dev/null && hc start "$NAME" ;;
	esac
}

# The faulted command (environment from the caller), and what follows it.
faulted() {
	case $1 in
	create) create >/dev/null ;;
	start) hc start "$NAME" ;;
	stop) hc stop -t 1 "$NAME" ;;
	delete) hc delete -f "$NAME" ;;
	esac
}
after() {
	[ "$1" = start ] && hc stop -t 1 "$NAME"
	return 0
}

# What is left of the container; empty when nothing.
leaks() {
	findmnt -rn -o TARGET,SOURCE | awk -v s="hostchannel-$NAME" '$2 == s { print "mount " $1 }'
	[ "$(ls -A "$S")" = sib ] || echo "scratch holds: $(ls -A "$S" | tr '\n' ' ')"
	[ "$(manifest)" = "$SIB" ] || echo "the sibling $S/sib changed"
	[ -e "${HCRUN_ROOT:-/run/hcrun}/$NAME" ] && echo "state dir ${HCRUN_ROOT:-/run/hcrun}/$NAME"
	# hcrun/ for the default state root, hcrun.<hash>/ for another.
	for d in "$CGROOT"/hcrun*/"$NAME"; do
		[ -n "$CGROOT" ] && [ -e "$d" ] && echo "cgroup $d"
	done
	# Read in the shell: a grep for the name would find itself.
	for f in /proc/[0-9]*/cmdline; do
		cmd=$(tr '\0' ' ' 2>/dev/null <"$f") || continue
		case $cmd in
		*"$MARK"* | *"$NAME"*) echo "process ${f//[^0-9]/}: $cmd" ;;
		esac
	done
}

# The full life again, same name and host paths; the first failure's words.
relive() {
	create >/dev/null || { echo "re-create failed"; return 1; }
	hc start "$NAME" || { echo "re-start failed"; return 1; }
	[ "$(findmnt -rn -o SOURCE "$CH1")" = "hostchannel-$NAME" ] || { echo "no tmpfs at $CH1"; return 1; }
	echo hello >"$CH1/f" && [ "$(hc exec "$NAME" cat /ch/f)" = hello ] ||
		{ echo "the channel does not carry data"; return 1; }
	hc stop -t 1 "$NAME" || { echo "stop failed"; return 1; }
	hc delete "$NAME" || { echo "delete failed"; return 1; }
}

# Count the points: the whole scenario with K=0.
declare -A COUNT
names=()
for verb in "${VERBS[@]}"; do
	rm -f -- "$LOG"
	if ! precondition "$verb" >/dev/null 2>&1 ||
		! HCRUN_FAULT=$verb:0 HCRUN_FAULT_LOG=$LOG faulted "$verb" >/dev/null 2>&1 ||
		! after "$verb" >/dev/null 2>&1 ||
		{ [ "$verb" != delete ] && ! hc delete -f "$NAME" >/dev/null 2>&1; }; then
		ktap_plan "$NOT_RUN"
		ktap_result 1 "the $verb scenario fails without any fault"
		ktap_finish
	fi
	COUNT[$verb]=$(wc -l <"$LOG" 2>/dev/null || echo 0)
	ktap_info "$verb: ${COUNT[$verb]} fault points"
	for k in $(seq "${COUNT[$verb]}"); do
		names+=("$verb:$k $(sed -n "${k}s/^[0-9]* //p" "$LOG")")
	done
done
names+=("$FINAL")
ktap_plan "${names[@]}"
ktap_info "hcrun $HCRUN, scratch $S, container $NAME"

for verb in "${VERBS[@]}"; do
	for k in $(seq "${COUNT[$verb]}"); do
		why=""
		rm -f -- "$LOG"
		precondition "$verb" >/dev/null 2>&1 || why="precondition failed"
		HCRUN_FAULT=$verb:$k HCRUN_FAULT_LOG=$LOG faulted "$verb" >/dev/null 2>&1
		after "$verb" >/dev/null 2>&1
		grep -q "^$k .* KILL$" "$LOG" 2>/dev/null || why="${why:+$why; }the fault did not fire"
		ktap_run hc gc
		[ "$RC" -eq 0 ] || why="${why:+$why; }gc exited $RC: $OUT"
		ktap_run hc delete -f "$NAME"
		if [ "$RC" -ne 0 ] && [[ "$OUT" != *"no such container"* ]]; then
			why="${why:+$why; }delete -f exited $RC: $OUT"
		fi
		left=$(leaks)
		[ -z "$left" ] || why="${why:+$why; }left behind: $(echo "$left" | tr '\n' ';')"
		if [ -z "$left" ]; then
			again=$(relive 2>&1) || why="${why:+$why; }same name and paths again: $again"
			hc delete -f "$NAME" >/dev/null 2>&1
		fi
		if [ -n "$why" ]; then
			ktap_result 1 "$why"
			# Start the next from a clean slate, whatever this one left.
			hc delete -f "$NAME" >/dev/null 2>&1
			hc gc >/dev/null 2>&1
		else
			ktap_result 0
		fi
	done
done
left=$(leaks)
ktap_result "$([ -z "$left" ] && echo 0 || echo 1)" "$(echo "$left" | tr '\n' ';')"
ktap_finish
