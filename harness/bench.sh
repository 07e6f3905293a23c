#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# bench.sh: our core against the base's (CORE=stock), side by side in one
# run, on the same QEMU.
#
# Both cores are built from the one tree, in the same configuration: the
# x86_64 test kernel, which has the KUnit suites built in, the iommu-bench
# suite (drivers/iommu/tests/iommu-bench.c) among them.  Each image is
# kept in out/bench/, so the runs need no rebuild.  Then, BENCH_RUNS times
# (default 3), each core's kernel runs the iommu-bench suite with KUnit
# (no IOMMU emulated, as kunit.py boots it) and boots with an emulated
# VT-d, the two cores taking turns (the first in a run alternates).  Every
# guest has one vCPU and "-icount shift=0,sleep=off": guest time advances
# by one nanosecond per instruction, so the figures are instruction counts
# and do not depend on how busy this machine is.
#
# harness/bench.py turns the logs into out/bench/table.txt (medians,
# min-max spread, ratios ours/stock, the goals met or not), bench.csv and
# probe.png (the probe-scaling curve, drawn with gnuplot), and the table is
# printed.  The tree is left holding CORE=ours.
. "$(dirname "$0")/lib.sh"

H=$TOP/harness
B=$OUT/bench
RUNS=${BENCH_RUNS:-3}
ICOUNT="-icount shift=0,sleep=off"
CORES=(stock ours)

case "$RUNS" in
'' | *[!0-9]* | 0) die "BENCH_RUNS must be a positive number, not '$RUNS'" ;;
esac

"$H/deps.sh" gnuplot-nox
"$H/base.sh"
rm -rf "$B"
mkdir -p "$B"

for core in "${CORES[@]}"; do
	mkdir -p "$B/$core"
	CORE=$core stage "tree ($core)" "$H/tree.sh"
	kernel=$(CORE=$core stage "build x86_64 ($core)" "$H/kernel.sh" x86_64 boot) ||
		die "x86_64 test kernel build failed for CORE=$core"
	cp "$kernel" "$B/$core/boot.bzImage"
	# Its symbols, for harness/prof.sh.
	cp "$(dirname "$kernel")/../../../vmlinux" "$B/$core/vmlinux"
	initrd=$(CORE=$core "$H/initramfs.sh" x86_64) ||
		die "initramfs failed for CORE=$core"
	cp "$initrd" "$B/$core/initrd.cpio.gz"
done

# kunit_run CORE N: the iommu-bench suite on CORE's kernel.
# shellcheck disable=SC2086
kunit_run() {
	local core=$1 n=$2 log=$B/$1/kunit-$2.log rc=0

	timeout -k 10 "${BENCH_TIMEOUT:-1800}" qemu-system-x86_64 -nodefaults \
		-machine pc -accel tcg -m 2048 -bios qboot.rom -smp 1 $ICOUNT \
		-kernel "$B/$core/boot.bzImage" \
		-append "kunit.enable=1 kunit.filter_glob=iommu-bench kunit_shutdown=reboot console=ttyS0" \
		-no-reboot -display none -serial "file:$log" </dev/null || rc=$?
	[ $rc -eq 0 ] || log "kunit run $n ($core): qemu rc=$rc"
	python3 "$H/ktap.py" --label "bench-kunit-$n($core)" "$log" >&2 ||
		{ tail -40 "$log" >&2; die "iommu-bench failed on CORE=$core, see $log"; }
}

# boot_run CORE N: boot CORE's kernel with VT-d; the console has the
# timestamps of the IOMMU initialisation.
boot_run() {
	local core=$1 n=$2

	CORE=$core OUT=$B/boot BOOT_SMP=1 BOOT_QEMU_ARGS="$ICOUNT" \
		"$H/boot.sh" "vtd-$n" "$B/$core/boot.bzImage" \
		"$B/$core/initrd.cpio.gz" intel topology >&2 ||
		die "VT-d boot failed on CORE=$core"
	cp "$B/boot/$core/vtd-$n.console" "$B/$core/vtd-$n.console"
}

for n in $(seq 1 "$RUNS"); do
	order=("${CORES[@]}")
	[ $((n % 2)) -eq 1 ] || order=(ours stock)
	for core in "${order[@]}"; do
		stage "bench run $n/$RUNS ($core)" kunit_run "$core" "$n"
		stage "vt-d boot $n/$RUNS ($core)" boot_run "$core" "$n"
	done
done

python3 "$H/bench.py" --runs "$RUNS" "$B"
cat "$B/table.txt"
