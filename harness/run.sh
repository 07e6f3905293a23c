#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# run.sh: the main job.  Build our kernel (if needed), boot it under QEMU
# with the emulated IOMMU named by $IOMMU, show the IOMMU group topology
# and power off.
. "$(dirname "$0")/lib.sh"

H=$TOP/harness
IOMMU=${IOMMU:-intel}
"$H/deps.sh"
"$H/base.sh"
"$H/tree.sh"
kernel=$(stage "build x86_64 ($CORE)" "$H/kernel.sh" x86_64 boot)
initrd=$("$H/initramfs.sh" x86_64)
rc=0
stage "boot ($IOMMU)" "$H/boot.sh" "run-$IOMMU" "$kernel" "$initrd" "$IOMMU" topology || rc=$?
echo "--- $(grep -m1 -o 'Linux version [^ ]*' "$OUT/$CORE/run-$IOMMU.console"), CORE=$CORE, IOMMU=$IOMMU"
grep -E '\] (DMAR|AMD-Vi|iommu|virtio_iommu|arm-smmu-v3)[: ]' "$OUT/$CORE/run-$IOMMU.console" |
	sed 's/^\[[^]]*\] /  /' | head -20 || true
sed -E -n '/^# guest done/d; s/^# ?//p' "$OUT/$CORE/run-$IOMMU.ktap"
exit $rc
