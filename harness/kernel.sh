#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# kernel.sh ARCH FRAGMENT...: configure and build a kernel for $CORE.
#
# The configuration is allnoconfig plus configs/ARCH.config and then the
# named fragments from configs/ (in order, later ones win), each followed by
# its architecture's part configs/ARCH-FRAGMENT.config if there is one (the
# drivers of the IOMMUs QEMU emulates differ by architecture; the tests do
# not).  Every option a fragment asks for must end up in .config as asked,
# otherwise the build fails and names the option: a dependency Kconfig
# silently dropped is a test that silently does not run.  The build
# directory is kept between runs, so an unchanged tree does not rebuild
# and a changed file rebuilds only what depends on it.
#
# Prints the path of the kernel image on stdout, and on stderr how long the
# build itself took apart from the wait for the machine-wide build lock.
#
# For other trees (series-check.sh builds the series after every patch):
# KERNEL_SRC is the source tree (default: the overlaid one), KERNEL_BUILD
# the build directory (default: work/build/NAME), and KERNEL_CONFIG_CHECK=warn
# only logs requested options missing from .config (an option a later
# patch adds) instead of failing.
#
# kernel.sh --config-only ARCH FRAGMENT...: only make the .config, and
# print the build directory (for builds of other targets, harness/gates.sh).
. "$(dirname "$0")/lib.sh"

config_only=0
[ "${1:-}" != --config-only ] || { config_only=1; shift; }
arch=$1
shift
name=$arch-$(IFS=-; echo "$*")
set -- "$arch" "$@"
bdir=${KERNEL_BUILD:-$WORK/build/$name}
SRC=${KERNEL_SRC:-$SRC}
mkdir -p "$bdir"

case "$arch" in
x86_64) image=arch/x86/boot/bzImage target=bzImage cross= ;;
arm64) image=arch/arm64/boot/Image target=Image cross=aarch64-linux-gnu- ;;
*) die "unknown arch $arch" ;;
esac

kmake() {
	make -s -C "$SRC" O="$bdir" ARCH="$arch" CROSS_COMPILE="$cross" \
		CC="ccache ${cross}gcc" HOSTCC="ccache gcc" "$@"
}

frags=()
for f in "$@"; do
	[ -f "$TOP/configs/$f.config" ] || die "no configs/$f.config"
	frags+=("$TOP/configs/$f.config")
	[ "$f" = "$arch" ] || [ ! -f "$TOP/configs/$arch-$f.config" ] ||
		frags+=("$TOP/configs/$arch-$f.config")
done

# Regenerate .config only when the fragments or the base changed.  The
# kernel's scripts/kconfig/merge_config.sh merges them (a later fragment
# overrides an earlier one, and says so) and runs allnoconfig; it only
# warns about a requested option that did not make it into .config,
# which here fails the build.
hash=$(cat "${frags[@]}" "$WORK/base/.version" | sha256sum | cut -d' ' -f1)
if [ "$(cat "$bdir/.config-hash" 2>/dev/null)" != "$hash" ] || [ ! -f "$bdir/.config" ]; then
	rm -f "$bdir/.config-hash"
	# It makes its temporary files in the current directory.
	(cd "$SRC" && ARCH="$arch" CROSS_COMPILE="$cross" \
		scripts/kconfig/merge_config.sh -n -O "$bdir" "${frags[@]}") \
		>"$bdir/merge_config.log" 2>&1 ||
		{ tail -20 "$bdir/merge_config.log" >&2; die "config $name: merge_config.sh failed"; }
	if grep -q '^Value requested for' "$bdir/merge_config.log"; then
		grep -A2 '^Value requested for' "$bdir/merge_config.log" | sed 's/^/[harness] config: /' >&2
		[ "${KERNEL_CONFIG_CHECK:-fail}" = warn ] ||
			die "config $name: requested options missing (above)"
	fi
	echo "$hash" >"$bdir/.config-hash"
fi
[ $config_only -eq 0 ] || { echo "$bdir"; exit 0; }

t_wait=$(date +%s)
# BUILD_LOCK_HELD=1: the caller holds the build lock for a run of builds
# (series-check.sh).
[ "${BUILD_LOCK_HELD:-0}" = 1 ] || build_lock
t_build=$(date +%s)
log "kernel: building $name for CORE=$CORE in $bdir"

# One build directory serves both cores (the base's core is an
# incremental build).  Kconfig touches include/config/SYMBOL when a
# symbol's value changes, which rebuilds every object that tested it, but
# not when the symbol left the tree with our core's Kconfig: an object
# that tested CONFIG_IOMMU_GROUP_CORE would stay as our core's build made
# it.  Touch what was set before and no longer is.
set_symbols() {
	[ ! -f "$bdir/include/config/auto.conf" ] ||
		sed -n 's/^CONFIG_\([A-Za-z0-9_]*\)=.*/\1/p' "$bdir/include/config/auto.conf" | sort
}
was_set=$(set_symbols)
kmake syncconfig >"$bdir/build.log" 2>&1 || {
	tail -20 "$bdir/build.log" >&2
	die "kernel build $name: syncconfig failed, see $bdir/build.log"
}
comm -23 <(echo "$was_set") <(set_symbols) | while read -r sym; do
	[ -z "$sym" ] || touch "$bdir/include/config/$sym"
done
kmake -j"$JOBS" "$target" >>"$bdir/build.log" 2>&1 || {
	grep -E 'error|Error' "$bdir/build.log" | head -40 >&2
	die "kernel build $name failed, see $bdir/build.log"
}
log "kernel: $name built in $(($(date +%s) - t_build))s ($((t_build - t_wait))s waiting for the build lock)"
echo "$bdir/$image"
