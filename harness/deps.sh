#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Install what the build and the tests need on a Debian 12 machine, and
# nothing when it is all there already.  Runs as root (or through sudo).
# Packages named as arguments are wanted too (harness/bench.sh: gnuplot).
. "$(dirname "$0")/lib.sh"

PKGS=(
	linux-source-6.12
	build-essential bc bison flex libelf-dev libssl-dev dwarves
	cpio xz-utils rsync kmod python3 ccache
	qemu-system-x86 qemu-system-arm qemu-utils busybox-static
	gcc-aarch64-linux-gnu libc6-dev-arm64-cross
	sparse coccinelle patchutils
	# harness/gates.sh: coccicheck's scripts with OCaml rules need
	# ocamlopt; our Documentation pages are built with Debian's Sphinx
	# (make htmldocs also wants PyYAML).
	ocaml-nox python3-sphinx python3-yaml
	"$@"
)

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' ||
		missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
	log "dependencies: all ${#PKGS[@]} packages present"
	exit 0
fi

log "dependencies: installing ${missing[*]}"
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q >/dev/null
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
log "dependencies: installed"
