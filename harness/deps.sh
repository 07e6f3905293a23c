#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Install what the build and the tests need on a Debian 12 machine, and
# nothing when it is all there already.  Runs as root (or through sudo).
# Packages named as arguments are wanted too (harness/bench.sh: gnuplot).
#
# QEMU comes from bookworm-backports (10.0): bookworm's own 7.2 emulates
# an SMMUv3 with stage 1 only (no nesting parent, so no real driver can
# back a vIOMMU) and a VT-d without first-stage tables in scalable mode.
# The suite is added to apt's sources if no source names it yet; backports
# are pinned at 100 by Debian, so nothing else is taken from them.
. "$(dirname "$0")/lib.sh"

PKGS=(
	linux-source-6.12
	build-essential bc bison flex libelf-dev libssl-dev dwarves
	cpio xz-utils rsync kmod python3 ccache
	busybox-static
	gcc-aarch64-linux-gnu libc6-dev-arm64-cross
	sparse coccinelle patchutils
	# harness/gates.sh: coccicheck's scripts with OCaml rules need
	# ocamlopt; our Documentation pages are built with Debian's Sphinx
	# (make htmldocs also wants PyYAML).
	ocaml-nox python3-sphinx python3-yaml
	"$@"
)
BACKPORTS=bookworm-backports
QEMU_PKGS=(qemu-system-x86 qemu-system-arm qemu-utils)
QEMU_MIN=1:10.0

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive

installed() {
	dpkg-query -W -f='${Status}\n' "$1" 2>/dev/null | grep -q '^install ok installed'
}

# qemu_ok PKG: installed at version QEMU_MIN or later.
qemu_ok() {
	installed "$1" || return 1
	dpkg --compare-versions "$(dpkg-query -W -f='${Version}' "$1")" ge "$QEMU_MIN"
}

add_backports() {
	grep -rqs "$BACKPORTS" /etc/apt/sources.list /etc/apt/sources.list.d/ &&
		return 0
	log "dependencies: adding $BACKPORTS to apt's sources (for QEMU 10)"
	printf '%s\n' 'Types: deb' 'URIs: http://deb.debian.org/debian' \
		"Suites: $BACKPORTS" 'Components: main' \
		'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg' |
		$SUDO tee "/etc/apt/sources.list.d/$BACKPORTS.sources" >/dev/null
}

missing=() qemu_missing=()
for p in "${PKGS[@]}"; do
	installed "$p" || missing+=("$p")
done
for p in "${QEMU_PKGS[@]}"; do
	qemu_ok "$p" || qemu_missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ] && [ ${#qemu_missing[@]} -eq 0 ]; then
	log "dependencies: all $((${#PKGS[@]} + ${#QEMU_PKGS[@]})) packages present, $(qemu-system-x86_64 --version | head -1)"
	exit 0
fi

[ ${#qemu_missing[@]} -eq 0 ] || add_backports
log "dependencies: installing ${missing[*]} ${qemu_missing[*]}"
$SUDO apt-get update -q >/dev/null
[ ${#missing[@]} -eq 0 ] ||
	$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
[ ${#qemu_missing[@]} -eq 0 ] ||
	$SUDO apt-get install -y -q --no-install-recommends -t "$BACKPORTS" \
		"${qemu_missing[@]}" >/dev/null
for p in "${QEMU_PKGS[@]}"; do
	qemu_ok "$p" || die "$p: $(dpkg-query -W -f='${Version}' "$p" 2>/dev/null || echo none) installed, $QEMU_MIN or later needed"
done
log "dependencies: installed, $(qemu-system-x86_64 --version | head -1)"
