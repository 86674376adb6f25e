#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# bench/lifecycle.sh OUT_DIR: whole commands under hyperfine, JSON export
# into OUT_DIR/lifecycle-*.json.
#   run:      hcrun run --rm ... true, without and with a host channel
#   churn:    create + start -a + delete of a container with a channel
#   dd:       the seed's dd inside a container, bs 1 KiB .. 1 MiB, 64 MiB each
#   runc:     runc run of the same rootfs and command (an OCI bundle made
#             here), when runc is installed
# Run by bench/run.sh; PROFILE (quick|full) sets the number of runs.
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=$1
PROFILE=${PROFILE:-quick}
HCRUN=${HCRUN:-$(realpath build/hcrun)}
ROOTFS=$(realpath "${ROOTFS:-build/rootfs}")
runs=20 ddruns=5
[ "$PROFILE" = full ] && runs=100 ddruns=10
chan=/tmp/hcbench-life-$$
churn=hcbench-churn-$$
rid=hcbench-runc-$$

cleanup() {
	set +e
	"$HCRUN" delete -f "$churn" >/dev/null 2>&1
	command -v runc >/dev/null && runc delete -f "$rid" >/dev/null 2>&1
	# Each command's --rm removes its channel; a leftover means it failed.
	[ -e "$chan" ] && "$HCRUN" gc >/dev/null 2>&1
	true
}
trap cleanup EXIT

hf() {
	local tag=$1
	shift
	hyperfine --style basic --export-json "$OUT/lifecycle-$tag.json" "$@"
}

hf run --warmup 3 --runs "$runs" \
	-n "run --rm true" "$HCRUN run --rm -- true" \
	-n "run --rm true, with a channel" "$HCRUN run --rm --host-channel $chan:/ch:rw:64M -- true"

hf churn --warmup 2 --runs "$runs" \
	-n "create + start -a + delete" \
	"$HCRUN create --name $churn --host-channel $chan:/ch:rw:64M -- true >/dev/null && $HCRUN start -a $churn && $HCRUN delete $churn"

# The seed's dd (busybox's, inside the container), 64 MiB whatever the bs.
hf dd --warmup 1 --runs "$ddruns" --parameter-list bs 1024,4096,16384,65536,262144,1048576 \
	-n "dd bs={bs}" \
	"$HCRUN run --rm --host-channel $chan:/ch:rw:80M -- sh -c 'dd if=/dev/zero of=/ch/f bs={bs} count=\$((67108864 / {bs})) 2>/dev/null'"

if command -v runc >/dev/null; then
	# The same rootfs, read-only (runc would otherwise write into it),
	# the same command; runc run deletes the container when it exits.
	bundle=$OUT/runc-bundle
	mkdir -p "$bundle"
	(cd "$bundle" && rm -f config.json && runc spec)
	jq --arg root "$ROOTFS" '.root = {path: $root, readonly: true}
		| .process.args = ["true"] | .process.terminal = false' \
		"$bundle/config.json" >"$bundle/config.json.new"
	mv "$bundle/config.json.new" "$bundle/config.json"
	hf runc --warmup 3 --runs "$runs" \
		-n "hcrun run --rm true" "$HCRUN run --rm -- true" \
		-n "runc run true" "runc run --bundle $bundle $rid"
else
	echo "lifecycle: runc is not installed; no runc comparison" >&2
fi
