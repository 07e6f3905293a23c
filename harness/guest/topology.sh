# SPDX-License-Identifier: GPL-2.0
# The main job's suite: show the IOMMU group topology.
. /tests/common.sh

TESTS="topology"

test_topology() {
	ls /sys/class/iommu/ | sed 's/^/iommu: /'
	lsiommu
	[ -n "$(ls /sys/kernel/iommu_groups)" ] || fail "no IOMMU groups"
}
