#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Put Debian's busybox-static for arm64 at $WORK/busybox-arm64 for the arm64
# guest's initramfs, once; later runs find it there and do nothing.
#
# The host's packages and its apt and dpkg configuration are left alone:
# no dpkg --add-architecture.  apt-get runs with its own package lists and
# cache under $WORK/apt-arm64, configured for arm64 only, against the
# host's configured sources, and only downloads the package; dpkg-deb
# unpacks it there.  Needs no root.
. "$(dirname "$0")/lib.sh"

dest=$WORK/busybox-arm64
if [ -x "$dest" ]; then
	log "busybox-arm64: $(cat "$dest.version" 2>/dev/null || echo present)"
	exit 0
fi

dir=$WORK/apt-arm64
rm -rf "$dir"
mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial" "$dir/deb"
apt_arm64() {
	apt-get -q -o Dir::State::Lists="$dir/lists" -o Dir::Cache="$dir/cache" \
		-o APT::Architecture=arm64 -o APT::Architectures::=arm64 \
		-o Debug::NoLocking=1 "$@"
}

log "busybox-arm64: fetching the arm64 package lists"
apt_arm64 update >"$dir/update.log" 2>&1 ||
	{ tail -20 "$dir/update.log" >&2; die "apt-get update for arm64 failed"; }
(cd "$dir/deb" && apt_arm64 download busybox-static) >"$dir/download.log" 2>&1 ||
	{ tail -20 "$dir/download.log" >&2; die "apt-get download busybox-static (arm64) failed"; }
deb=$(echo "$dir"/deb/busybox-static_*_arm64.deb)
[ -f "$deb" ] || die "no arm64 busybox-static package in $dir/deb"
dpkg-deb -x "$deb" "$dir/root"
# ELF e_machine 183 is EM_AARCH64.
[ "$(od -An -tu2 -j18 -N2 "$dir/root/bin/busybox" | tr -d ' ')" = 183 ] ||
	die "the package's /bin/busybox is not an arm64 program"
install -m 0755 "$dir/root/bin/busybox" "$dest.tmp"
dpkg-deb -W --showformat='${Package} ${Version} ${Architecture}\n' "$deb" >"$dest.version"
mv "$dest.tmp" "$dest"
rm -rf "$dir"
log "busybox-arm64: $(cat "$dest.version")"
