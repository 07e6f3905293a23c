#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# arm64.sh: the arm64 part of the boot matrix, on $CORE: Debian's arm64
# busybox, the arm64 kernel (configs/arm64.config, boot, arm64-boot), its
# initramfs, and boots on QEMU's virt machine with an SMMUv3 in front of
# PCI: the boot suite in strict, lazy and passthrough mode, VFIO, and the
# base's iommufd selftests with the SMMUv3 driver up.
#
# The base's SMMUv3 KUnit suite is built in and runs at every boot; only
# the strict boot lets it run (and judges its KTAP on the console), the
# others pass kunit.enable=0, so each of its results is counted once.
#
# Each stage prints its time; each boot adds its line to $RESULTS_FILE
# (ktap.py), and a build that fails adds a failed one.  Exits non-zero if
# any stage failed.  check.sh runs it after the x86_64 matrix; it also
# runs alone after deps.sh.
. "$(dirname "$0")/lib.sh"

H=$TOP/harness
failed=()
try() { stage "$@" || failed+=("$1"); }
broken() {
	[ -z "${RESULTS_FILE:-}" ] || echo "$1 0 1 0" >>"$RESULTS_FILE"
	die "arm64: $1 failed, no boots"
}

stage "busybox arm64" "$H/busybox-arm64.sh" || broken "busybox-arm64"
"$H/base.sh"
"$H/tree.sh"
kernel=$(stage "build arm64 ($CORE)" "$H/kernel.sh" arm64 boot) ||
	broken "build-arm64($CORE)"
initrd=$(stage "initramfs arm64 ($CORE)" "$H/initramfs.sh" arm64) ||
	broken "initramfs-arm64($CORE)"

boot() { try "boot $1 ($CORE)" "$H/boot.sh" "$@"; }
KTAP_CONSOLE=1 boot smmuv3-strict "$kernel" "$initrd" smmuv3 boot \
	iommu.strict=1 iommutest.domain=DMA
# The SMMUv3 driver does not force strict under QEMU: lazy gives DMA-FQ.
boot smmuv3-lazy "$kernel" "$initrd" smmuv3 boot kunit.enable=0 \
	iommu.strict=0 iommutest.domain=DMA-FQ
boot smmuv3-pt "$kernel" "$initrd" smmuv3 boot kunit.enable=0 \
	iommu.passthrough=1 iommutest.domain=identity
# The GICv3 ITS isolates MSIs: VFIO needs no unsafe-interrupts switch.
boot smmuv3-vfio "$kernel" "$initrd" smmuv3 vfio kunit.enable=0
# Our core gives the selftest's mock bus its own IOMMU, next to the SMMUv3.
boot smmuv3-iommufd "$kernel" "$initrd" smmuv3 iommufd kunit.enable=0 \
	hugepages=128

[ ${#failed[@]} -eq 0 ] || die "arm64: failed: ${failed[*]}"
