# SPDX-License-Identifier: GPL-2.0
# edu suite: a real device does DMA for a user-space driver through the
# IOMMU, and isolation is proven by DMA that must not land.
#
# QEMU's edu device (boot.sh puts one at 00:04.0 of every guest) is bound
# to vfio-pci and driven by tools/iommu/edu-dma.c, claimed the container
# way and the cdev way, one case per run (see edu-dma.c for each): the
# copies land byte-exact (in 4 KiB pages and in a 2 MiB hugetlbfs page),
# nothing lands after an unmap or through a read-only mapping, a detached
# device reaches nothing, a replaced IOAS is gone for the device, 10,000
# mappings each reach their own page.  After an unmap, the IOMMU driver
# must also report the refused DMA in the kernel log, each in its own
# words.  Drivers rate-limit those lines (at most 10 per 5 s; VT-d prints
# two a fault, virtio-iommu one for each 4 bytes QEMU failed to write), so
# each unmapped case starts 5 s after anything faulted: the container's
# comes first, the cdev's after the container's cases that do not fault.
# Two negative controls break the driver on purpose and the case must
# notice.  Last, closing everything gives the group back to the kernel:
# the suites that run after this one in the same boot (boot, bridge,
# vfio) read the disks through the IOMMU again.
. /tests/common.sh

TESTS="bind_vfio container_unmapped container_mapped container_huge
	container_many cdev_unmapped cdev_mapped cdev_huge cdev_many
	container_readonly container_phys cdev_readonly cdev_phys
	cdev_blocked cdev_replace cdev_nested negative_controls release"

EDU_ID=0x1234:0x11e8
our_core || export EDU_DMA_NO_OWNER=1

edu_bdf() {
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/vendor"):$(cat "$d/device")" = $EDU_ID ] &&
			{ echo "${d##*/}"; return 0; }
	done
	return 1
}

# The IOMMU driver's line for a DMA it refused.  QEMU 10.0's AMD-Vi reports
# none to the guest (harness/boot.sh), so the AMD-Vi driver cannot print
# its IO_PAGE_FAULT line.
fault_pattern() {
	case "$(param iommutest.iommu)" in
	intel*) echo 'DMAR: \[DMA (Read|Write)' ;;
	virtio) echo 'fault from EP' ;;
	smmuv3*) echo 'event 0x1[0-3] received' ;;
	esac
}

test_bind_vfio() {
	EDU=$(edu_bdf) || fail "no edu device ($EDU_ID)" || return 1
	echo "$EDU" >/tmp/edu_bdf
	bind "$EDU" vfio-pci || return 1
	! our_core || grep -qx none "/sys/bus/pci/devices/$EDU/iommu_group/dma_owner" ||
		fail "group of $EDU not free after binding vfio-pci"
}

uptime_s() { cut -d. -f1 /proc/uptime; }

# -n N for the many case if the row asks for another number of mappings
# than edu-dma's 10,000 (iommutest.edu_mappings=).
mappings_arg() {
	n=$(param iommutest.edu_mappings)
	[ -z "$n" ] || echo "-n $n"
}

# Until the drivers' rate limits let the first line of a fault through.
wait_rate_limits() {
	[ -f /tmp/edu_faulted ] || return 0
	wait_s=$(($(cat /tmp/edu_faulted) + 6 - $(uptime_s)))
	[ $wait_s -le 0 ] || { echo "waiting ${wait_s}s for the rate limits"; sleep $wait_s; }
}

# edu WAY CASE [FAULT]: one run of edu-dma; with FAULT, the IOMMU driver
# must have logged a refused DMA during it, and the run starts once the
# drivers' rate limits let the first line of a fault through.
edu() {
	[ -f /tmp/edu_bdf ] || fail "edu is not on vfio-pci" || return 1
	[ -z "$3" ] || wait_rate_limits
	dmesg -c >/dev/null
	# shellcheck disable=SC2046
	edu-dma $(mappings_arg) "$1" "$2" "$(cat /tmp/edu_bdf)"
	rc=$?
	pat=$(fault_pattern)
	[ -z "$pat" ] || ! dmesg | grep -qE "$pat" || uptime_s >/tmp/edu_faulted
	[ $rc -eq 0 ] && [ -n "$3" ] || return $rc
	[ -n "$pat" ] || { echo "no fault line to look for: QEMU's AMD-Vi reports no IO page faults"; return 0; }
	fault_logged "$pat" || fail "no fault line /$pat/ in the kernel log" || return 1
	dmesg | grep -E "$pat" | head -3
	uptime_s >/tmp/edu_faulted
}

# fault_logged PATTERN: whether the kernel logs PATTERN within 300 s.  The
# driver prints from its fault interrupt or event queue, which the guest
# may take after edu-dma is done.  On an idle host the line is there at
# the first look or after one more second; in a busy fresh-clone make
# check (three kernel builds and guests on two cores) virtio-iommu's line
# came after the 30 s this used to wait (cold8, virtio-lazy,
# cdev_unmapped).  300 s guards against a driver that never reports.
fault_logged() {
	for i in $(seq 300); do
		! dmesg | grep -qE "$1" || return 0
		sleep 1
	done
	return 1
}

# test_WAY_CASE: one run of edu-dma; the unmapped cases look for the
# fault line too.
for way in container cdev; do
	for c in mapped huge readonly many phys; do
		eval "test_${way}_$c() { edu $way $c; }"
	done
	eval "test_${way}_unmapped() { edu $way unmapped fault; }"
done
test_cdev_blocked() { edu cdev blocked; }
test_cdev_replace() {
	# 6.12's virtio-iommu learns its aperture at a domain's first attach;
	# iommufd's replace adds the new domain to the IOAS before it
	# attaches it, so the IOAS gets all of it reserved (EADDRINUSE), on
	# either core.
	[ "$(param iommutest.iommu)" != virtio ] ||
		{ echo "SKIP: virtio-iommu 6.12 cannot replace an IOAS (aperture known only at attach)"; return 77; }
	edu cdev replace
}

# A VMM's vIOMMU on an SMMUv3 with both stages (tools/iommu/edu-nested.c):
# edu's DMA goes through a stage 1 that the program writes as a guest
# would, on top of the IOAS's stage 2.  Its DMA to an IOVA the stage 1
# leaves unmapped must be reported by the SMMU driver.  Elsewhere the
# program says why it cannot run and exits 77.
test_cdev_nested() {
	[ -f /tmp/edu_bdf ] || fail "edu is not on vfio-pci" || return 1
	wait_rate_limits
	dmesg -c >/dev/null
	edu-nested "$(cat /tmp/edu_bdf)"
	rc=$?
	[ $rc -eq 0 ] || return $rc
	fault_logged 'event 0x1[0-3] received' ||
		fail "no SMMU event line for the stage-1 fault" || return 1
	dmesg | grep -E 'event 0x1[0-3] received' | head -3
	uptime_s >/tmp/edu_faulted
}

# The cases can fail: with the unmap left out, or the destination mapped
# to another page than the one checked, edu-dma must report failure.
test_negative_controls() {
	bdf=$(cat /tmp/edu_bdf)
	for s in "skip-unmap unmapped" "wrong-page mapped"; do
		set -- $s
		EDU_DMA_SABOTAGE=$1 edu-dma cdev "$2" "$bdf" >/tmp/sabotage 2>&1
		rc=$?
		grep FAILED /tmp/sabotage
		[ $rc -eq 1 ] || fail "edu-dma cdev $2 with $1 exited $rc, want 1" || return 1
	done
}

test_release() {
	EDU=$(cat /tmp/edu_bdf)
	! our_core || grep -qx none "/sys/bus/pci/devices/$EDU/iommu_group/dma_owner" ||
		fail "the group of $EDU is still owned after every fd was closed" || return 1
	bind "$EDU" "" >/dev/null
	[ ! -e "/sys/bus/pci/devices/$EDU/driver" ] || fail "$EDU still has a driver"
}
