# SPDX-License-Identifier: GPL-2.0
# Helpers shared by the guest suites.

# our_core: the kernel runs our IOMMU core, not the base's (CORE=stock),
# which lacks what some checks read (the dma_owner attribute, the logged
# reason for a refused claim).
our_core() { [ "$(param iommutest.core)" != stock ]; }

# fail MSG: print MSG and return failure (use as "cond || fail msg").
fail() { echo "$*"; return 1; }

# pci_is_iommu DEV: the PCI function is an IOMMU itself: class 08.06
# (AMD-Vi) or a virtio-iommu (1af4:1057), which translates for others.
pci_is_iommu() {
	case $(cat "$1/class") in 0x0806*) return 0 ;; esac
	[ "$(cat "$1/vendor"):$(cat "$1/device")" = 0x1af4:0x1057 ]
}

# group_type DEV: the default domain type of a device's IOMMU group.
group_type() { cat "$1/iommu_group/type"; }

# disk_pci_dev DISK: sysfs path of the PCI function behind a virtio disk.
disk_pci_dev() { readlink -f "/sys/block/$1/device/.."; }

# bind BDF DRIVER: move a PCI function to DRIVER ("" for its own match).
bind() {
	d=/sys/bus/pci/devices/$1
	[ -e "$d/driver" ] && echo "$1" >"$d/driver/unbind"
	echo "$2" >"$d/driver_override"
	echo "$1" >/sys/bus/pci/drivers_probe
	drv=$(readlink "$d/driver") || drv=none
	echo "$1 is now bound to ${drv##*/}"
	[ -z "$2" ] || [ "${drv##*/}" = "$2" ]
}

# disk_back_to_kernel BDF AFTER: give the disk at BDF back to its driver
# and check that it reads with the host's checksum after AFTER.
disk_back_to_kernel() {
	bind "$1" "" || return 1
	for i in 1 2 3 4 5 6 7 8 9 10; do [ -b /dev/vda ] && break; sleep 1; done
	[ -b /dev/vda ] || fail "no /dev/vda after rebinding" || return 1
	! our_core || cat "/sys/bus/pci/devices/$1/iommu_group/dma_owner"
	got=$(sha256sum /dev/vda | cut -d' ' -f1)
	[ "$got" = "$(param iommutest.sha256)" ] ||
		fail "disk reads $got after $2, host says $(param iommutest.sha256)"
}
