#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Other work on the machine, for measuring make check on a busy host (the
# README's "How long it takes"): for LOAD_SECONDS, a loop of x86_64 kernel
# builds (defconfig, -j2, no ccache) and beside it a loop of TCG guests
# whose /init keeps the vCPU busy in user space.
#
# Start it beside a fresh make check.  It installs nothing: it waits until
# make check's own dependency step has put QEMU and linux-source-6.12 on
# the machine, and takes its guest kernel from Debian's linux-image-amd64
# package, downloaded (not installed) into LOAD_DIR.
set -euo pipefail

LOAD_SECONDS=${LOAD_SECONDS:-2400}
LOAD_DIR=${LOAD_DIR:-/tmp/busy-load}
GUEST_SECONDS=${GUEST_SECONDS:-300}
SRC=/usr/src/linux-source-6.12.tar.xz
end=$((SECONDS + LOAD_SECONDS))

say() { echo "busy-load: $(date +%T) $*"; }

wait_for_deps() {
	until [ -x /usr/bin/qemu-system-x86_64 ] && [ -f "$SRC" ] &&
		[ -x /bin/busybox ] &&
		! fuser /var/lib/dpkg/lock-frontend >/dev/null 2>&1; do
		sleep 10
	done
}

guest_kernel() {
	local img
	img=$(apt-cache depends linux-image-amd64 |
		sed -n 's/^ *Depends: \(linux-image-[0-9].*\)$/\1/p' | head -1)
	(cd "$LOAD_DIR" && apt-get download -q "$img" >/dev/null)
	dpkg-deb -x "$LOAD_DIR/${img}"_*.deb "$LOAD_DIR/image"
	ls "$LOAD_DIR"/image/boot/vmlinuz-*
}

# An initramfs whose /init hashes zeroes until the guest is killed.
guest_initramfs() {
	local root=$LOAD_DIR/initramfs
	mkdir -p "$root/bin" "$root/proc"
	cp /bin/busybox "$root/bin/busybox"
	printf '%s\n' '#!/bin/busybox sh' \
		'while :; do /bin/busybox dd if=/dev/zero bs=1M count=64 2>/dev/null |' \
		'	/bin/busybox md5sum >/dev/null; done' >"$root/init"
	chmod +x "$root/init"
	(cd "$root" && find . | cpio -o -H newc 2>/dev/null | gzip) \
		>"$LOAD_DIR/initramfs.gz"
}

guest_loop() {
	local kernel=$1 n=0
	while [ $SECONDS -lt $end ]; do
		timeout "$GUEST_SECONDS" qemu-system-x86_64 -accel tcg -m 512 \
			-nographic -no-reboot -kernel "$kernel" \
			-initrd "$LOAD_DIR/initramfs.gz" \
			-append 'console=ttyS0 quiet panic=-1' >/dev/null 2>&1 || true
		n=$((n + 1))
	done
	say "$n guests"
}

build_loop() {
	local n=0
	tar -C "$LOAD_DIR" -xf "$SRC"
	cd "$LOAD_DIR"/linux-source-6.12
	make -s defconfig
	while [ $SECONDS -lt $end ]; do
		timeout $((end - SECONDS)) make -s -j2 >/dev/null 2>&1 || true
		make -s clean
		n=$((n + 1))
	done
	say "$n kernel builds started"
}

rm -rf "$LOAD_DIR"
mkdir -p "$LOAD_DIR"
say "waiting for make check's dependencies"
wait_for_deps
say "load for $((end - SECONDS)) s"
guest_initramfs
kernel=$(guest_kernel)
guest_loop "$kernel" &
build_loop
wait
say done
