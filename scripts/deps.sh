#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Install, with apt-get, everything the project needs on a fresh Debian 12
# machine. Idempotent: when every package is present it only checks (a second
# or two) and touches nothing.
set -euo pipefail

PACKAGES=(
	build-essential pkg-config
	libmount-dev libcap-dev libjson-c-dev
	busybox-static
	linux-source-6.1
	cgroup-tools
	iproute2
	valgrind cppcheck clang-format shellcheck
	qemu-system-x86 cpio xz-utils kmod
	clang libclang-rt-14-dev
	hyperfine gnuplot-nox jq strace runc
	perl # syscall.ph: the binds-rshared mutant calls open_tree and move_mount
	podman
	docker.io containerd # the docker and containerd drivers: private daemons
	lxc crun # the lxc driver; crun for the VM lane's cgroup v2
)

missing=()
for p in "${PACKAGES[@]}"; do
	# dpkg-query prints "install ok installed" only for a fully installed package.
	if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != "install ok installed" ]; then
		missing+=("$p")
	fi
done

if [ ${#missing[@]} -eq 0 ]; then
	echo "deps: all ${#PACKAGES[@]} packages present"
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing ${missing[*]}; run as root (sudo make deps)" >&2
	exit 1
fi

echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
