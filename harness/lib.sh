# SPDX-License-Identifier: GPL-2.0
# Shared settings and helpers for the harness scripts: where things live,
# which CORE is being built, and how a stage reports its time.

set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=${WORK:-$TOP/work}
OUT=${OUT:-$TOP/out}
CORE=${CORE:-ours}
JOBS=${JOBS:-$(nproc)}
BASE_PKG=linux-source-6.12
BASE_TARBALL=/usr/src/$BASE_PKG.tar.xz
BASE=$WORK/base/$BASE_PKG

case "$CORE" in
ours|stock) ;;
*) echo "CORE must be 'ours' or 'stock', not '$CORE'" >&2; exit 2 ;;
esac

# One source tree and one build directory per configuration serve both
# cores: switching CORE rewrites only the files that differ (tree.sh keeps
# the others' mtimes), so the other core's build is incremental.
SRC=$WORK/src

export CCACHE_DIR=${CCACHE_DIR:-$HOME/.ccache}
# Measured on drivers/acpi/ (200 files, 2 cores): no ccache 52 s, a cold
# ccache in its default mode 86 s (it runs the preprocessor besides the
# compiler to hash each file), in depend mode without compression and with
# its inode cache 59 s; a warm one 14 s.  Uncompressed entries take about
# twice the room: the cache may hold every configuration make check builds.
export CCACHE_NOCOMPRESS=${CCACHE_NOCOMPRESS:-1}
export CCACHE_INODECACHE=${CCACHE_INODECACHE:-1}
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-20G}
# Paths below the checkout hash as relative ones: work trees and fresh
# clones elsewhere share cached objects.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$TOP}
# Depend mode: on a miss ccache hashes the headers the compiler's -MD list
# names instead of running the preprocessor first, and a miss costs one
# compiler run, not two (kbuild passes -Wp,-MMD to every compile).
# Measured on kernel/, mm/ and block/ of the x86_64 test kernel, empty
# cache, 2 cores: 325 s of CPU in ccache's default mode, 251 s in depend
# mode, 277 s without ccache; a warm rebuild 34 s in both modes.
export CCACHE_DEPEND=${CCACHE_DEPEND:-1}
export KBUILD_BUILD_TIMESTAMP="Thu Jan  1 00:00:00 UTC 2026"
export KBUILD_BUILD_USER=iommu
export KBUILD_BUILD_HOST=harness

# tsc_args: the kernel argument that gives an x86_64 TCG guest the host's
# TSC rate (harness/host/tsc-khz.c, built once), so that its clock does
# not hang on a calibration against the PIT, which a busy host can
# disturb (harness/boot.sh says more); nothing on another host.
tsc_args() {
	local src=$TOP/harness/host/tsc-khz.c bin=$WORK/host/tsc-khz
	[ "$(uname -m)" = x86_64 ] || return 0
	if [ ! -x "$bin" ] || [ "$src" -nt "$bin" ]; then
		mkdir -p "$WORK/host"
		gcc -O2 -Wall -o "$bin.$$" "$src"
		mv "$bin.$$" "$bin"
	fi
	echo "tsc_early_khz=$("$bin")"
}

log() { printf '[harness] %s\n' "$*" >&2; }
die() { printf '[harness] error: %s\n' "$*" >&2; exit 1; }

# stage NAME CMD...: run CMD and print how long it took, on success or not,
# the CPU time its processes used (user and system, of every core), and
# when it ended, in seconds since HARNESS_T0 (set by check.sh).  The CPU
# time is that of the processes the shell waited for meanwhile: a stage in
# make check's own shell, which reaps the pool's jobs too, runs in a
# subshell (check.sh's must and try).
stage() {
	local name=$1 start end rc=0 cpu0
	shift
	start=$(date +%s)
	children_cpu
	cpu0=$cpu
	"$@" || rc=$?
	end=$(date +%s)
	children_cpu
	printf '[time] %-32s %4ds, %5ds CPU%s%s\n' "$name" $((end - start)) \
		$(((cpu - cpu0) / CPU_HZ)) \
		"$([ $rc -eq 0 ] || echo " (failed, rc=$rc)")" \
		"${HARNESS_T0:+, ended at +$((end - HARNESS_T0))s}" >&2
	return $rc
}

# children_cpu: sets cpu to the CPU time, in clock ticks, of this shell's
# children it has waited for (cutime and cstime of proc(5)), without a
# fork.
CPU_HZ=$(getconf CLK_TCK)
children_cpu() {
	local -a st
	read -ra st <"/proc/$BASHPID/stat"
	cpu=$((st[15] + st[16]))
}

# build_lock: one kernel build at a time on this machine (two cores),
# across work trees; held until the calling script exits.
build_lock() {
	exec 9>/tmp/iommu-core-build.lock
	flock -n 9 || { log "waiting for another kernel build to finish"; flock 9; }
}

# is_core_only PATH: whether harness/core.list names PATH (a path of the
# repository, such as drivers/iommu/core/probe.c or patches/NNNN-*.patch).
is_core_only() {
	local path=$1 pat
	while read -r pat; do
		case "$pat" in ''|'#'*) continue ;; esac
		# shellcheck disable=SC2254
		case "$path" in $pat) return 0 ;; esac
	done <"$TOP/harness/core.list"
	return 1
}

# overlay_stage DIR CORE: fill the empty directory DIR with every file the
# overlay for CORE changes: our files copied from the work tree (so
# uncommitted edits count too), then base files changed by our patches,
# applied in the order of patches/series.  The overlaid tree is the base
# with DIR copied over it (tree.sh), and the series ends with that same
# tree (series.sh checks).
overlay_stage() {
	local stage=$1 core=$2 f p
	wanted() { [ "$core" = ours ] || ! is_core_only "$1"; }

	rm -rf "$stage"
	mkdir -p "$stage"
	(cd "$TOP" && { find drivers include Documentation tools -type f 2>/dev/null || true; } | sort) |
	while read -r f; do
		wanted "$f" || continue
		mkdir -p "$stage/$(dirname "$f")"
		cp "$TOP/$f" "$stage/$f"
	done

	# Our patches, each against the base or against our copied files.
	while read -r p; do
		case "$p" in ''|'#'*) continue ;; esac
		wanted "patches/$p" || continue
		[ -f "$TOP/patches/$p" ] || die "patches/series names missing patches/$p"
		for f in $(lsdiff --strip=1 "$TOP/patches/$p"); do
			[ -e "$stage/$f" ] || [ ! -e "$BASE/$f" ] ||
				{ mkdir -p "$stage/$(dirname "$f")"; cp "$BASE/$f" "$stage/$f"; }
		done
		patch -s -p1 -d "$stage" --no-backup-if-mismatch -F0 <"$TOP/patches/$p" ||
			die "patches/$p does not apply"
	done <"$TOP/patches/series"
}
