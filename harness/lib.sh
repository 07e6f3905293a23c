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
# Paths below the checkout hash as relative ones: work trees and fresh
# clones elsewhere share cached objects.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$TOP}
export KBUILD_BUILD_TIMESTAMP="Thu Jan  1 00:00:00 UTC 2026"
export KBUILD_BUILD_USER=iommu
export KBUILD_BUILD_HOST=harness

log() { printf '[harness] %s\n' "$*" >&2; }
die() { printf '[harness] error: %s\n' "$*" >&2; exit 1; }

# stage NAME CMD...: run CMD and print how long it took, on success or not.
stage() {
	local name=$1 start rc=0
	shift
	start=$(date +%s)
	"$@" || rc=$?
	printf '[time] %-32s %4ds%s\n' "$name" $(($(date +%s) - start)) \
		"$([ $rc -eq 0 ] || echo " (failed, rc=$rc)")" >&2
	return $rc
}

# build_lock: one kernel build at a time on this machine (two cores),
# across work trees; held until the calling script exits.
build_lock() {
	exec 9>/tmp/iommu-core-build.lock
	flock -n 9 || { log "waiting for another kernel build to finish"; flock 9; }
}
