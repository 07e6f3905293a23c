# SPDX-License-Identifier: GPL-2.0
# VFIO suite: DMA ownership from user space with real vfio-pci.
#
# The root virtio-blk disk (alone in its group) is unbound from virtio-pci,
# bound to vfio-pci, claimed and released the container way and the cdev
# way (tools/iommu/vfio-claim.c), then given back to virtio-pci, and the
# disk must read back with the host's checksum again.  Then the refusal:
# q35's 00:1f.* functions share one group and 00:1f.3 has a kernel driver
# (i2c-i801), so 00:1f.0 bound to vfio-pci cannot be claimed, and the
# kernel log names the holder's driver.  On arm64 virt, boot.sh puts the
# same pair there: a PCI test device at 00:1f.0 and a virtio-rng (driver
# virtio-pci) at 00:1f.3, one slot without ACS, so one group.
. /tests/common.sh

TESTS="bind_vfio container_claim cdev_claim back_to_kernel_driver refused_claim"

# The base's core has no dma_owner attribute: vfio-claim leaves it out.
our_core || export VFIO_CLAIM_NO_OWNER=1

test_bind_vfio() {
	DISK=$(disk_bdf root)
	echo "$DISK" >/tmp/disk_bdf
	bind "$DISK" vfio-pci || return 1
	lsiommu
	# vfio-pci manages DMA itself: nobody uses the group until a claim.
	! our_core || grep -qx none "/sys/bus/pci/devices/$DISK/iommu_group/dma_owner" ||
		fail "group of $DISK not free after binding vfio-pci"
}

test_container_claim() { vfio-claim container "$(cat /tmp/disk_bdf)"; }
test_cdev_claim() { vfio-claim cdev "$(cat /tmp/disk_bdf)"; }

test_back_to_kernel_driver() {
	DISK=$(cat /tmp/disk_bdf)
	disk_back_to_kernel "$DISK" VFIO
}

test_refused_claim() {
	victim=0000:00:1f.0
	holder=0000:00:1f.3
	[ -e "/sys/bus/pci/devices/$holder/driver" ] ||
		{ echo "SKIP: $holder has no kernel driver (CONFIG_I2C_I801 on q35)"; return 77; }
	hdrv=$(readlink "/sys/bus/pci/devices/$holder/driver")
	hdrv=${hdrv##*/}
	bind "$victim" vfio-pci || return 1
	lsiommu
	dmesg -c >/dev/null
	vfio-claim refused "$victim"
	rc=$?
	dmesg | grep "refused" | tee /tmp/refusal
	! our_core || grep -q "$holder is bound to driver $hdrv" /tmp/refusal ||
		fail "the kernel log does not name $holder's driver $hdrv" || return 1
	bind "$victim" "" >/dev/null
	return $rc
}
