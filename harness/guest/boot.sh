# SPDX-License-Identifier: GPL-2.0
# Boot suite: the IOMMU driver came up, every PCI device is in a group on a
# default domain of the expected type (iommutest.domain=), and a disk filled
# by the host reads back through the IOMMU with the host's checksum.
. /tests/common.sh

TESTS="iommu_registered pci_devices_grouped default_domain_type disk_checksum"

# The PCI function of a virtio-iommu, which names its IOMMU in sysfs.
virtio_iommu_bdf() {
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/vendor"):$(cat "$d/device")" = 0x1af4:0x1057 ] &&
			echo "${d##*/}"
	done
}

test_iommu_registered() {
	want=$(param iommutest.iommu)
	case "$want" in
	intel|intel-nocm) pat='dmar*' ;;
	amd) pat='ivhd*' ;;
	virtio) pat=$(virtio_iommu_bdf) ;;
	smmuv3) pat='smmu3.*' ;;
	*) echo "unknown iommutest.iommu='$want'"; return 1 ;;
	esac
	ls /sys/class/iommu/
	[ -n "$pat" ] && ls -d /sys/class/iommu/$pat >/dev/null 2>&1 ||
		fail "no $want IOMMU in /sys/class/iommu"
}

# Firmware tables that name endpoints (VIOT, IORT) get a device its
# fwspec when a driver binds (dma_configure); a function without a driver
# is not behind the IOMMU yet.  DMAR and IVRS cover every function.
probed_at_bind() {
	case "$(param iommutest.iommu)" in virtio|smmuv3) return 0 ;; esac
	return 1
}

test_pci_devices_grouped() {
	n=0 unbound=0
	for d in /sys/bus/pci/devices/*; do
		pci_is_iommu "$d" && continue
		if probed_at_bind && [ ! -e "$d/driver" ]; then
			unbound=$((unbound + 1))
			continue
		fi
		[ -e "$d/iommu_group" ] || fail "${d##*/} is in no IOMMU group" || return 1
		n=$((n + 1))
	done
	echo "$n PCI functions in IOMMU groups ($unbound without a driver not counted)"
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
