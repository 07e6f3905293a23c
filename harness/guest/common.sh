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

# behind_bridge DEV: the PCI function sits on a bus behind a bridge, not on
# a root bus (its parent in the device tree is a PCI function).
behind_bridge() {
	case "$(basename "$(dirname "$(readlink -f "$1")")")" in
	[0-9a-f][0-9a-f][0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]:*) return 0 ;;
	esac
	return 1
}

# group_type DEV: the default domain type of a device's IOMMU group.
group_type() { cat "$1/iommu_group/type"; }

# disk_pci_dev DISK: sysfs path of the PCI function behind a virtio disk.
disk_pci_dev() { readlink -f "/sys/block/$1/device/.."; }

# disk_serials: the serial numbers of the host's disks (boot.sh), "root"
# first.
disk_serials() { param iommutest.disks | tr , '\n' | cut -d: -f1; }

# disk_sha SERIAL: the checksum the host computed for that disk.
disk_sha() { param iommutest.disks | tr , '\n' | sed -n "s/^$1://p"; }

# disk_named SERIAL: the block device (vda, ...) with that serial number,
# waiting up to 60 s for it to appear after a driver bind (a guard: it
# takes under a second).
disk_named() {
	for i in $(seq 60); do
		for b in /sys/block/vd*; do
			[ "$(cat "$b/serial" 2>/dev/null)" = "$1" ] &&
				{ echo "${b##*/}"; return 0; }
		done
		sleep 1
	done
	return 1
}

# disk_bdf SERIAL: the PCI address of that disk.
disk_bdf() { basename "$(disk_pci_dev "$(disk_named "$1")")"; }

# disk_checksum SERIAL: the disk reads back with the host's checksum.
disk_checksum() {
	b=$(disk_named "$1") || fail "no disk with serial $1" || return 1
	got=$(sha256sum "/dev/$b" | cut -d' ' -f1)
	[ "$got" = "$(disk_sha "$1")" ] ||
		fail "$1 ($b) reads $got, host says $(disk_sha "$1")"
}

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

# disk_back_to_kernel BDF AFTER: give the root disk at BDF back to its
# driver and check that it reads with the host's checksum after AFTER.
disk_back_to_kernel() {
	bind "$1" "" || return 1
	! our_core || cat "/sys/bus/pci/devices/$1/iommu_group/dma_owner"
	disk_checksum root || fail "after $2" || return 1
}
