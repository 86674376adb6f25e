#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Crash faults of the OCI kit, the hook and the runtime shim: each killed
# (SIGKILL, no cleanup of any kind) at every fault point of its way in and
# out, then `hcrun oci gc` and the next ordinary command must leave
# nothing behind:
#
#   - no mount of a kit's tmpfs (source hostchannel-oci-*) under the
#     scratch directory (findmnt, libmount);
#   - no directory, no file: the scratch directory holds exactly what the
#     test put there (the host paths, their made parents, the temporary
#     .hostchannel-<token> directories, the hook's and the shim's state
#     directories and records, the bundle's record and temporary files are
#     all gone), and the fake runtime has no container left;
#   - a sibling directory next to the channels (files, a subdirectory, a
#     mode) byte-for-byte and stat-for-stat unchanged.
#
# The fault points are hcrun's (ref/hcrun/fault.c): HCRUN_FAULT=VERB:K
# kills it at the K-th point of VERB, HCRUN_FAULT_LOG lists the points it
# passes. A first run of each scenario with K=0 counts the points; then
# every K from 1 to that count is one test. Two channels, one with two
# missing parents, so that every kind of directory step is crossed:
#
#   scratch/sib/...        the sibling, never to be touched
#   scratch/p/q/ch         channel 1: p and q made too
#   scratch/c2             channel 2
#   scratch/bundle/        a private bundle: config.json
#   scratch/fake-runc      the shim's real runtime: a script that keeps
#   scratch/fr/            its "containers" as files here (--root)
#
# The hook's states go to scratch/hook (HOSTCHANNEL_HOOK_DIR), the shim's
# to scratch/rstate (HOSTCHANNEL_RUNTIME_STATE): this never touches the
# state of another run. Scenarios (VERB: precondition; the faulted
# command; the next ordinary command after gc):
#   oci-prepare:    nothing;          oci prepare BUNDLE;   oci teardown BUNDLE
#   oci-teardown:   prepared;         oci teardown BUNDLE;  oci teardown BUNDLE
#   hook-precreate: nothing;          hook precreate;       hook poststop
#   hook-poststop:  precreate;        hook poststop;        hook poststop
#   runtime-create: nothing;          shim create;          shim delete --force
#   runtime-delete: shim create;      shim delete --force;  shim delete --force
# (an engine deletes a container whose create failed with --force, as
# containerd's shim does; the fake runtime answers as runc does: "state"
# and a "delete" without --force of a container it has not say "container
# does not exist").
#
# hcrun only: other engines have no fault points (skipped).
# shellcheck source=../lib/ktap.sh
. "$(dirname "$0")/../lib/ktap.sh"
ktap_private_ns "$@"

# shellcheck source=../lib/paths.sh
. "$(dirname "$0")/../lib/paths.sh"
HCRUN=${HCRUN:-$HCT_HCRUN}
SHIM=$(dirname "$HCRUN")/hostchannel-runtime
ID=hcof$$
VERBS=(oci-prepare oci-teardown hook-precreate hook-poststop runtime-create runtime-delete)
T=30 # seconds any one command may take

NOT_RUN="oci crash faults"
FINAL="no leak, no change, after all of them"
ktap_listing && ktap_plan "$NOT_RUN" "${VERBS[@]/%/:*}" "$FINAL"

if [ "${HCT_ENGINE:-ref}" != ref ]; then
	ktap_plan "$NOT_RUN"
	ktap_skip_all "engine ${HCT_ENGINE}: the fault points are hcrun's (ENGINE=ref)"
fi
if [ "$(id -u)" -ne 0 ] || [ ! -x "$HCRUN" ] || [ ! -x "$SHIM" ]; then
	ktap_plan "$NOT_RUN"
	ktap_skip_all "needs root, $HCRUN and $SHIM (make)"
fi

S=$(mktemp -d /tmp/hostchannel-selftest-ocicrash-XXXXXX) || exit 1
LOG=$S.log
CH1=$S/p/q/ch
CH2=$S/c2
B=$S/bundle
export HOSTCHANNEL_HOOK_DIR=$S/hook
export HOSTCHANNEL_RUNTIME_STATE=$S/rstate
export HOSTCHANNEL_RUNTIME=$S/fake-runc
# The hook and the shim apply the host policy: this run's paths are its
# scratch directory's (docs/policy.md).
export HOSTCHANNEL_POLICY=$S.policy
printf 'allow-prefix = %s\n' "$S" >"$HOSTCHANNEL_POLICY"
chmod 0644 "$HOSTCHANNEL_POLICY"
SPECS="$CH1:/ch:rw:1M;$CH2:/c2:ro:1M"
BASE='"ociVersion": "1.0.2", "process": {"args": ["true"]}, "root": {"path": "rootfs"}'

hc() {
	timeout $T "$HCRUN" "$@"
}
shim() {
	timeout $T "$SHIM" --root "$S/fr" "$@"
}

# Whatever a failed test left, taken down by what the records say (never
# by a recursive delete); then the test's own files, by name.
cleanup() {
	local f

	shim delete --force "$ID" >/dev/null 2>&1
	hc oci teardown --force "$B" >/dev/null 2>&1
	for f in "$S"/hook/*.json "$S"/rstate/*.json; do
		[ -f "$f" ] && hc oci teardown --force "$f" >/dev/null 2>&1
	done
	hc oci gc "$B" >/dev/null 2>&1
	rm -f -- "$LOG" "$HOSTCHANNEL_POLICY" "$S/sib/f1" "$S/sib/d/f2" "$B/config.json" "$S/fake-runc" "$S/fr/$ID" "$S.out"
	rmdir -- "$S/sib/d" "$S/sib" "$B" "$S/fr" "$S" 2>/dev/null
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
mkdir "$B" "$S/fr"

# The shim's real runtime: runc's command line, its containers as files
# in --root, and runc's words when one does not exist.
cat >"$S/fake-runc" <<'EOF'
#!/bin/sh
root=/nonexistent
while [ $# -gt 0 ]; do
	case $1 in
	--root) root=$2; shift 2 ;;
	--root=*) root=${1#*=}; shift ;;
	-*) shift ;;
	*) break ;;
	esac
done
verb=$1
shift
force=0 id=
while [ $# -gt 0 ]; do
	case $1 in
	--force | -f) force=1 ;;
	--bundle | -b) shift ;;
	-*) ;;
	*) id=$1 ;;
	esac
	shift
done
case $verb in
create)
	[ -e "$root/$id" ] && { echo "container with id exists: $id" >&2; exit 1; }
	: >"$root/$id" ;;
delete)
	if [ -e "$root/$id" ]; then
		rm -f "$root/$id"
	elif [ $force = 0 ]; then
		echo "container does not exist" >&2
		exit 1
	fi ;;
state)
	[ -e "$root/$id" ] && { echo '{"status": "created"}'; exit 0; }
	echo "container does not exist" >&2
	exit 1 ;;
esac
exit 0
EOF
chmod 0755 "$S/fake-runc"

bundle_config() { # the bundle's config.json, fresh
	printf '{%s}\n' "$BASE" >"$B/config.json"
}
shim_config() { # the same, asking the shim for the channels
	printf '{%s, "annotations": {"org.hostchannel.spec": "%s"}}\n' "$BASE" "$SPECS" >"$B/config.json"
}
hook_config() { # what an engine hands precreate
	printf '{%s, "annotations": {"org.hostchannel.spec": "%s"}}\n' "$BASE" "$SPECS"
}
# The OCI state an engine hands poststop: the hook's record by annotation.
hook_state() {
	local f

	for f in "$S"/hook/*.json; do
		[ -f "$f" ] && break
		f=$S/hook/none.json # a record already gone: poststop has nothing to do
	done
	printf '{"ociVersion": "1.0.2", "id": "%s", "status": "stopped", "bundle": "%s",
 "annotations": {"org.hostchannel.state": "%s"}}\n' "$ID" "$B" "$f"
}

prepare() {
	hc oci prepare --id "$ID" --host-channel "$CH1:/ch:rw:1M" --host-channel "$CH2:/c2:ro:1M" "$B"
}
precreate() {
	hook_config | hc oci hook precreate >"$S.out"
}
poststop() {
	hook_state | hc oci hook poststop
}

# The precondition of each scenario, without faults.
precondition() {
	case $1 in
	oci-prepare) bundle_config ;;
	oci-teardown) bundle_config && prepare ;;
	hook-precreate) return 0 ;;
	hook-poststop) precreate ;;
	runtime-create) shim_config ;;
	runtime-delete) shim_config && shim create --bundle "$B" "$ID" ;;
	esac
}
# The faulted command (environment from the caller).
faulted() {
	case $1 in
	oci-prepare) prepare ;;
	oci-teardown | oci-teardown-again) hc oci teardown "$B" ;;
	hook-precreate) precreate ;;
	hook-poststop | hook-poststop-again) poststop ;;
	runtime-create) shim create --bundle "$B" "$ID" ;;
	runtime-delete | runtime-delete-again) shim delete --force "$ID" ;;
	esac
}
# The next ordinary command after the kill (and gc).
next() {
	case $1 in
	oci-prepare | oci-teardown) faulted oci-teardown-again ;;
	hook-precreate | hook-poststop) faulted hook-poststop-again ;;
	runtime-create | runtime-delete) faulted runtime-delete-again ;;
	esac
}

# What is left; empty when nothing.
leaks() {
	local want="bundle fake-runc fr sib "

	findmnt -rn -o TARGET,SOURCE | awk -v s="$S" 'index($1, s) == 1 && $2 ~ /^hostchannel-oci-/ {
		print "mount " $1 " (" $2 ")" }'
	[ "$(ls -A "$S" | tr '\n' ' ')" = "$want" ] || echo "scratch holds: $(ls -A "$S" | tr '\n' ' ')"
	[ "$(ls -A "$B")" = config.json ] || echo "the bundle holds: $(ls -A "$B" | tr '\n' ' ')"
	[ -z "$(ls -A "$S/fr")" ] || echo "the fake runtime has containers: $(ls -A "$S/fr" | tr '\n' ' ')"
	[ "$(manifest)" = "$SIB" ] || echo "the sibling $S/sib changed"
}

# Count the points: the whole scenario with K=0.
declare -A COUNT
names=()
for verb in "${VERBS[@]}"; do
	rm -f -- "$LOG"
	left=""
	if ! precondition "$verb" >/dev/null 2>&1 ||
		! HCRUN_FAULT=$verb:0 HCRUN_FAULT_LOG=$LOG faulted "$verb" >/dev/null 2>&1 ||
		! next "$verb" >/dev/null 2>&1 || ! left=$(leaks) || [ -n "$left" ]; then
		ktap_plan "$NOT_RUN"
		ktap_result 1 "the $verb scenario fails without any fault${left:+: $left}"
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
ktap_info "hcrun $HCRUN, scratch $S, id $ID"

for verb in "${VERBS[@]}"; do
	for k in $(seq "${COUNT[$verb]}"); do
		why=""
		rm -f -- "$LOG"
		precondition "$verb" >/dev/null 2>&1 || why="precondition failed"
		HCRUN_FAULT=$verb:$k HCRUN_FAULT_LOG=$LOG faulted "$verb" >/dev/null 2>&1
		grep -q "^$k .* KILL$" "$LOG" 2>/dev/null || why="${why:+$why; }the fault did not fire"
		ktap_run hc oci gc "$B"
		[ "$RC" -eq 0 ] || why="${why:+$why; }gc exited $RC: $OUT"
		ktap_run next "$verb"
		[ "$RC" -eq 0 ] || why="${why:+$why; }the next command exited $RC: $OUT"
		left=$(leaks)
		[ -z "$left" ] || why="${why:+$why; }left behind: $(echo "$left" | tr '\n' ';')"
		if [ -n "$why" ]; then
			ktap_result 1 "$why"
			# Start the next from a clean slate, whatever this one left.
			cleanup_left=$(next "$verb" 2>&1; hc oci gc "$B" 2>&1)
			[ -z "$cleanup_left" ] || ktap_info "after the failure: $cleanup_left"
		else
			ktap_result 0
		fi
	done
done
left=$(leaks)
ktap_result "$([ -z "$left" ] && echo 0 || echo 1)" "$(echo "$left" | tr '\n' ';')"
ktap_finish
