#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# initramfs.sh ARCH: build the guest initramfs (busybox-static, our /init,
# the guest suites and our static test programs, compiled against the
# tree's UAPI headers) and print its path.
. "$(dirname "$0")/lib.sh"

arch=${1:-x86_64}
case "$arch" in
x86_64) busybox=/bin/busybox cc=gcc ;;
arm64) busybox=$WORK/busybox-arm64 cc=aarch64-linux-gnu-gcc ;;
*) die "unknown arch $arch" ;;
esac
[ -x "$busybox" ] || die "$busybox missing (busybox-static)"

root=$WORK/initramfs-$CORE-$arch
img=$WORK/initramfs-$CORE-$arch.cpio.gz
rm -rf "$root"
mkdir -p "$root/bin" "$root/tests" "$root/usr/bin"
cp "$busybox" "$root/bin/busybox"
cp "$TOP/harness/guest/init" "$root/init"
cp "$TOP"/harness/guest/*.sh "$root/tests/"

# The tree's UAPI headers, for the programs below (the kernel selftests
# include <linux/iommufd.h> and friends of this tree, not the host's).
# headers_install is incremental: a second run takes well under a second.
hdrs=$WORK/build/hdrs-$arch
mkdir -p "$hdrs"
make -s -C "$SRC" O="$hdrs" ARCH="$arch" headers_install >&2 ||
	die "headers_install into $hdrs failed"

# Static guest programs: harness/guest-programs.list names them, with any
# extra compiler flags the program needs among its sources.  They build
# $JOBS at a time (each is one compiler run).
program() {
	# shellcheck disable=SC2086
	(cd "$SRC" && $cc -static -O2 -Wall -Werror -D_GNU_SOURCE \
		-I"$SRC/usr/include" -I"$hdrs/usr/include" \
		-o "$root/usr/bin/$1" $2) || { log "guest program $1 does not build"; return 1; }
}
building=()
while read -r name srcs; do
	case "$name" in ''|'#'*) continue ;; esac
	program "$name" "$srcs" &
	building+=($!)
	if [ ${#building[@]} -ge "$JOBS" ]; then
		wait "${building[0]}" || die "a guest program does not build"
		building=("${building[@]:1}")
	fi
done <"$TOP/harness/guest-programs.list"
for pid in "${building[@]}"; do
	wait "$pid" || die "a guest program does not build"
done

chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc -R 0:0 --quiet | gzip -1) >"$img"
echo "$img"
