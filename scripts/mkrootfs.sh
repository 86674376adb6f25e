#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Build the default container rootfs: busybox-static with its applets as
# symlinks, hc-probe, and the few files a system container expects.
#   scripts/mkrootfs.sh build/rootfs build/hc-probe
# Only ever writes inside DIR; rebuilding refreshes the files it owns.
set -euo pipefail

dir=${1:?rootfs directory}
probe=${2:?hc-probe binary}
busybox=${BUSYBOX:-/bin/busybox}

if ! "$busybox" --list >/dev/null 2>&1; then
	echo "mkrootfs: $busybox is not a working busybox; run 'make deps' (busybox-static)" >&2
	exit 1
fi
if ldd "$busybox" >/dev/null 2>&1; then
	echo "mkrootfs: $busybox is dynamically linked; the rootfs has no libc (install busybox-static)" >&2
	exit 1
fi

mkdir -p "$dir"
for d in bin sbin usr/bin usr/sbin etc proc sys dev tmp root run var/tmp home; do
	mkdir -p "$dir/$d"
done
chmod 1777 "$dir/tmp" "$dir/var/tmp"
chmod 0700 "$dir/root"

install -m 0755 "$busybox" "$dir/bin/busybox"
# Every applet as a relative symlink in bin/ (so the rootfs is also usable
# from the host side for inspection).
for applet in $("$busybox" --list); do
	case "$applet" in busybox) continue ;; esac
	ln -sfn busybox "$dir/bin/$applet"
done
install -m 0755 "$probe" "$dir/bin/hc-probe"

cat >"$dir/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
user:x:1000:1000:user:/tmp:/bin/sh
PASSWD
cat >"$dir/etc/group" <<'GROUP'
root:x:0:
nogroup:x:65534:
user:x:1000:
GROUP
echo "hostchannel" >"$dir/etc/hostname"
: >"$dir/etc/resolv.conf"
echo "rootfs: $dir ($("$busybox" --list | wc -l) busybox applets, hc-probe)"
