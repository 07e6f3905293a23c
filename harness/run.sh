#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# run.sh: the main job.  Build our kernel (if needed), boot it under QEMU
# with the emulated IOMMU named by $IOMMU (any of harness/boot.sh's; the
# SMMUv3 ones boot the arm64 kernel), show the IOMMU group topology and
# power off.
. "$(dirname "$0")/lib.sh"

H=$TOP/harness
IOMMU=${IOMMU:-intel}
"$H/deps.sh"
"$H/base.sh"
"$H/tree.sh"
case "$IOMMU" in
smmuv3*) arch=arm64; "$H/busybox-arm64.sh" ;;
*) arch=x86_64 ;;
esac
kernel=$(stage "build $arch ($CORE)" "$H/kernel.sh" "$arch" boot)
initrd=$("$H/initramfs.sh" "$arch")
rc=0
stage "boot ($IOMMU)" "$H/boot.sh" "run-$IOMMU" "$kernel" "$initrd" "$IOMMU" topology || rc=$?
echo "--- $(grep -m1 -o 'Linux version [^ ]*' "$OUT/$CORE/run-$IOMMU.console"), CORE=$CORE, IOMMU=$IOMMU"
grep -E '\] (DMAR|AMD-Vi|iommu|virtio_iommu|arm-smmu-v3)[: ]' "$OUT/$CORE/run-$IOMMU.console" |
	sed 's/^\[[^]]*\] /  /' | head -20 || true
sed -E -n '/^ *# Subtest/d; s/^ *# ?//p' "$OUT/$CORE/run-$IOMMU.ktap"
exit $rc
