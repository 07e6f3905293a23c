# SPDX-License-Identifier: GPL-2.0
# Boot suite: the IOMMU driver came up with the translation the emulated
# IOMMU offers (VT-d's scalable mode and its first- or second-stage
# tables, SMMUv3's stages and nesting), every PCI device that the firmware
# puts behind the IOMMU is in a group on a default domain of the expected
# type (iommutest.domain=), and every disk the host filled reads back
# through the IOMMU with the host's checksum.
. /tests/common.sh

TESTS="iommu_registered translation_offered pci_devices_grouped default_domain_type disk_checksums"

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
	intel*) pat='dmar*' ;;
	amd) pat='ivhd*' ;;
	virtio) pat=$(virtio_iommu_bdf) ;;
	smmuv3*) pat='smmu3.*' ;;
	*) echo "unknown iommutest.iommu='$want'"; return 1 ;;
	esac
	ls /sys/class/iommu/
	[ -n "$pat" ] && ls -d /sys/class/iommu/$pat >/dev/null 2>&1 ||
		fail "no $want IOMMU in /sys/class/iommu"
}

# bit VALUE N: bit N of the hexadecimal VALUE (without 0x) is set.
bit() { [ $(((0x$1 >> $2) & 1)) -eq 1 ]; }

# VT-d: the extended capabilities say which tables the driver can use
# (ECAP.SMTS bit 43, SLTS 46, FLTS 47); QEMU 10 offers one kind of table
# in scalable mode, so the driver uses that one.  SMMUv3: the driver's
# features word (ARM_SMMU_FEAT_TRANS_S1 bit 9, TRANS_S2 10, NESTING 19).
test_translation_offered() {
	iommu=$(param iommutest.iommu)
	case "$iommu" in
	intel*)
		ecap=$(cat /sys/class/iommu/dmar0/intel-iommu/ecap)
		echo "dmar0 ecap 0x$ecap"
		case "$iommu" in
		intel-sl*) bit "$ecap" 43 && bit "$ecap" 46 && ! bit "$ecap" 47 ||
			fail "not scalable mode with second-stage tables only" ;;
		intel-fl*) bit "$ecap" 43 && bit "$ecap" 47 && ! bit "$ecap" 46 ||
			fail "not scalable mode with first-stage tables only" ;;
		*) ! bit "$ecap" 43 || fail "scalable mode where legacy was asked" ;;
		esac ;;
	smmuv3*)
		line=$(grep -m1 'arm-smmu-v3.*features 0x' /tmp/dmesg.boot)
		echo "$line"
		f=$(echo "$line" | sed 's/.*features 0x\([0-9a-f]*\).*/\1/')
		[ -n "$f" ] || fail "no features line from arm-smmu-v3" || return 1
		bit "$f" 9 || fail "no stage 1" || return 1
		if [ "$iommu" = smmuv3-s1 ]; then
			! bit "$f" 10 || fail "stage 2 offered where stage 1 alone was asked"
		else
			bit "$f" 10 && bit "$f" 19 || fail "stage 2 and nesting not both found"
		fi ;;
	*) echo "SKIP: one kind of translation on $iommu"; return 77 ;;
	esac
}

# Firmware tables that name endpoints (VIOT, IORT) get a device its
# fwspec when a driver binds (dma_configure); a function without a driver
# is not behind the IOMMU yet.  DMAR and IVRS cover every function.
probed_at_bind() {
	case "$(param iommutest.iommu)" in virtio|smmuv3*) return 0 ;; esac
	return 1
}

# QEMU's VIOT names the root bus only: on virtio-iommu, the devices
# behind the PCIe-to-PCI bridge have no IOMMU (bridge suite).
outside_iommu() {
	[ "$(param iommutest.iommu)" = virtio ] && behind_bridge "$1"
}

test_pci_devices_grouped() {
	n=0 unbound=0 outside=0
	for d in /sys/bus/pci/devices/*; do
		pci_is_iommu "$d" && continue
		if outside_iommu "$d"; then
			[ ! -e "$d/iommu_group" ] ||
				fail "${d##*/} is behind the bridge, outside VIOT, but in a group" ||
				return 1
			outside=$((outside + 1))
			continue
		fi
		if probed_at_bind && [ ! -e "$d/driver" ]; then
			unbound=$((unbound + 1))
			continue
		fi
		[ -e "$d/iommu_group" ] || fail "${d##*/} is in no IOMMU group" || return 1
		n=$((n + 1))
	done
	echo "$n PCI functions in IOMMU groups ($unbound without a driver and $outside outside the IOMMU not counted)"
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

test_disk_checksums() {
	for s in $(disk_serials); do
		pdev=$(disk_pci_dev "$(disk_named "$s")")
		if [ -e "$pdev/iommu_group" ]; then
			echo "$s is behind ${pdev##*/}, group type $(group_type "$pdev")"
			[ "$(group_type "$pdev")" = "$(param iommutest.domain)" ] ||
				fail "$s not on the expected domain type" || return 1
		else
			echo "$s is behind ${pdev##*/}, outside the IOMMU"
			outside_iommu "$pdev" || fail "$s has no group" || return 1
		fi
		disk_checksum "$s" || return 1
	done
}
