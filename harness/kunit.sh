#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# kunit.sh KERNEL CONFIG [KUNIT_ARGS...]: run the KUnit suites built into
# the x86_64 test kernel KERNEL (a bzImage of configs/boot.config, whose
# .config is CONFIG and has every option of drivers/iommu/.kunitconfig
# and drivers/iommu/iommufd/.kunitconfig)
# with the kernel's own kunit.py ("exec": no build of its own), under
# QEMU, for $CORE.  The raw output goes to out/$CORE/kunit.log; ktap.py
# judges it and prints the summary line.
#
# The test kernel is the one the boots use, so no separate KUnit kernel is
# built.  The suites are built in with CONFIG_KUNIT_DEFAULT_ENABLED off:
# only this run passes kunit.enable=1.  kunit.py boots it without an
# IOMMU (its x86_64 machine is "pc" with qboot), as it would boot its own.
#
# Cases marked very slow (the iommu-bench suite, which harness/bench.sh
# runs) are built but filtered out: make check compiles them so they cannot
# rot.  Cases marked slow still run.  KUNIT_FILTER replaces that filter
# (check.sh narrows it for the base's core).
. "$(dirname "$0")/lib.sh"

kernel=$1 config=$2
shift 2
log=$OUT/$CORE/kunit.log
# kunit.py takes the kernel from its build directory: give it one holding
# only this image, so that a later build of the other core cannot swap it.
bdir=$OUT/$CORE/kunit-build
mkdir -p "$bdir/arch/x86/boot" "$OUT/$CORE"
cp "$kernel" "$bdir/arch/x86/boot/bzImage"

# Every option the .kunitconfigs ask for is in the kernel's .config, as
# kunit.py run would check after configuring: the core's and ioasid's,
# and iommufd's for the vIOMMU suite.
for kc in drivers/iommu/.kunitconfig drivers/iommu/iommufd/.kunitconfig; do
	missing=$(grep '^CONFIG_' "$TOP/$kc" | grep -vxF -f "$config" || true)
	[ -z "$missing" ] || die "kunit: the test kernel lacks what $kc asks for: $missing"
done
cp "$TOP/drivers/iommu/.kunitconfig" "$bdir/.kunitconfig"

# The host's TSC rate, as for every x86_64 guest (lib.sh's tsc_args):
# KUnit's 300 s a case is measured by the guest's clock.
tsc=$(tsc_args)
[ -z "$tsc" ] || set -- --kernel_args="$tsc" "$@"
rc=0
(cd "$SRC" && python3 tools/testing/kunit/kunit.py exec --arch=x86_64 \
	--build_dir="$bdir" --timeout="${KUNIT_TIMEOUT:-1800}" \
	--raw_output=all --filter "${KUNIT_FILTER:-speed>very_slow}" \
	--kernel_args=kunit.enable=1 --qemu_args="-smp 2" "$@") \
	>"$log" 2>&1 || rc=$?

# kunit.py exits non-zero on any failure, crash or missing result; the
# KTAP in the log says which.  Count leaf results ourselves.
python3 "$TOP/harness/ktap.py" --label "kunit($CORE)" "$log" || rc=1
[ $rc -eq 0 ] || { log "kunit: failed, see $log"; tail -30 "$log" >&2; }
exit $rc
