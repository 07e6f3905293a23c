# SPDX-License-Identifier: GPL-2.0
# Bridge suite: the two virtio disks behind the PCIe-to-PCI bridge
# (boot.sh), whose requests reach the IOMMU with the bridge's requester ID.
#
# VT-d and AMD-Vi see one requester for both: the core must put them in
# one group (with the bridge), and each disk must still read its own data
# through the shared domain.  QEMU's virtio-iommu covers only the root bus
# in its VIOT table: the disks have no IOMMU at all, keep working with
# their kernel driver, cannot be bound to vfio-pci (its probe fails: no
# group) and lsiommu lists them as outside any group.
. /tests/common.sh

TESTS="bridge_disks_found grouping disks_read vfio_without_group"

test_bridge_disks_found() {
	for s in br0 br1; do
		b=$(disk_bdf "$s") || fail "no disk $s" || return 1
		behind_bridge "/sys/bus/pci/devices/$b" ||
			fail "$s at $b is not behind a bridge" || return 1
		echo "$s at $b, behind $(basename "$(dirname "$(readlink -f "/sys/bus/pci/devices/$b")")")"
		echo "$b" >"/tmp/$s.bdf"
	done
}

group_of() { basename "$(readlink "/sys/bus/pci/devices/$1/iommu_group")"; }

test_grouping() {
	a=$(cat /tmp/br0.bdf) b=$(cat /tmp/br1.bdf)
	lsiommu | tee /tmp/lsiommu
	if [ "$(param iommutest.iommu)" = virtio ]; then
		for d in "$a" "$b"; do
			[ ! -e "/sys/bus/pci/devices/$d/iommu_group" ] ||
				fail "$d is in group $(group_of "$d"), outside VIOT" || return 1
			# lsiommu's "no IOMMU group" section lists it.
			sed -n '/^no IOMMU group/,$p' /tmp/lsiommu | grep -q "$d" ||
				fail "lsiommu does not list $d as having no group" || return 1
		done
		return 0
	fi
	ga=$(group_of "$a") gb=$(group_of "$b")
	[ -n "$ga" ] && [ "$ga" = "$gb" ] ||
		fail "$a in group '$ga', $b in group '$gb': want one group" || return 1
	bridge=$(basename "$(dirname "$(readlink -f "/sys/bus/pci/devices/$a")")")
	[ "$(group_of "$bridge")" = "$ga" ] ||
		fail "the bridge $bridge is in group $(group_of "$bridge"), not $ga" || return 1
	# lsiommu shows both under that group.
	sed -n "/^group $ga:/,/^[^ ]/p" /tmp/lsiommu | grep -q "$a" &&
		sed -n "/^group $ga:/,/^[^ ]/p" /tmp/lsiommu | grep -q "$b" ||
		fail "lsiommu does not show $a and $b in group $ga"
}

test_disks_read() {
	disk_checksum br0 && disk_checksum br1
}

test_vfio_without_group() {
	[ "$(param iommutest.iommu)" = virtio ] ||
		{ echo "SKIP: the disks behind the bridge have an IOMMU here"; return 77; }
	a=$(cat /tmp/br0.bdf)
	dmesg -c >/dev/null
	! bind "$a" vfio-pci || fail "vfio-pci took $a, which has no IOMMU group" || return 1
	dmesg | grep -i "vfio\|$a" | tail -5
	[ ! -e "/sys/bus/pci/devices/$a/driver" ] || fail "$a still has a driver"
	bind "$a" "" || return 1
	disk_checksum br0
}
