#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# kunit.sh [KUNITCONFIG]: run the KUnit suites with the kernel's own
# kunit.py on x86_64 under QEMU, in the tree for $CORE.  The build
# directory is kept between runs.  The raw KTAP goes to out/; the summary
# line ("kunit: N passed, N failed, N skipped") to stdout.
#
# Cases marked very slow (the iommu-bench suite, which harness/bench.sh
# runs) are built but filtered out: make check compiles them so they cannot
# rot.  Cases marked slow still run.
. "$(dirname "$0")/lib.sh"

kconf=${1:-drivers/iommu/.kunitconfig}
bdir=$WORK/build/kunit
log=$OUT/$CORE/kunit.log
mkdir -p "$bdir" "$OUT/$CORE"

build_lock
rc=0
(cd "$SRC" && python3 tools/testing/kunit/kunit.py run --arch=x86_64 \
	--build_dir="$bdir" --kunitconfig="$kconf" --jobs="$JOBS" \
	--make_options="CC=ccache gcc" --timeout=900 --raw_output=all \
	--filter "speed>very_slow" \
	--qemu_args="-smp 2") \
	>"$log" 2>&1 || rc=$?

# kunit.py exits non-zero on any failure, crash or missing result; the
# KTAP in the log says which.  Count leaf results ourselves.
python3 "$TOP/harness/ktap.py" --label "kunit($CORE)" "$log" || rc=1
[ $rc -eq 0 ] || { log "kunit: failed, see $log"; tail -30 "$log" >&2; }
exit $rc
