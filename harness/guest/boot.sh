# SPDX-License-Identifier: GPL-2.0
# Boot suite: the IOMMU driver came up, every PCI device is in a group on a
# default domain of the expected type (iommutest.domain=), and a disk filled
# by the host reads back through the IOMMU with the host's checksum.
. /tests/common.sh

TESTS="iommu_registered pci_devices_grouped default_domain_type disk_checksum"

test_iommu_registered() {
	want=$(param iommutest.iommu)
	case "$want" in
	intel|intel-nocm) pat='dmar*' ;;
	amd) pat='ivhd*' ;;
	virtio) pat='*virtio*' ;;
	smmuv3) pat='smmu3.*' ;;
	*) echo "unknown iommutest.iommu='$want'"; return 1 ;;
	esac
	ls /sys/class/iommu/
	ls -d /sys/class/iommu/$pat >/dev/null 2>&1 || fail "no $want IOMMU in /sys/class/iommu"
}

test_pci_devices_grouped() {
	n=0
	for d in /sys/bus/pci/devices/*; do
		pci_is_iommu "$d" && continue
		[ -e "$d/iommu_group" ] || fail "${d##*/} is in no IOMMU group" || return 1
		n=$((n + 1))
	done
	echo "$n PCI functions in IOMMU groups"
	[ $n -gt 0 ] || fail "no PCI function found"
}

test_default_domain_type() {
	want=$(param iommutest.domain)
	bad=0
	for g in /sys/kernel/iommu_groups/*; do
		t=$(cat "$g/type")
		[ "$t" = "$want" ] || { echo "group ${g##*/} is $t, want $want"; bad=1; }
	done
	return $bad
}

test_disk_checksum() {
	want=$(param iommutest.sha256)
	pdev=$(disk_pci_dev vda)
	echo "vda is behind ${pdev##*/}, group type $(group_type "$pdev")"
	[ "$(group_type "$pdev")" = "$(param iommutest.domain)" ] ||
		fail "disk not on the expected domain type" || return 1
	got=$(sha256sum /dev/vda | cut -d' ' -f1)
	[ "$got" = "$want" ] || fail "sha256 $got, host says $want"
}
