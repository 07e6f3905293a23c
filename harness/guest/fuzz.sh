# SPDX-License-Identifier: GPL-2.0
# fuzz suite: tools/iommu/iommu-fuzz.c throws random sizes, flags, IDs and
# orders at the iommufd vIOMMU/vDEVICE ioctls (on the selftest's mock
# IOMMUs, and on the real one through the disk's cdev: the SMMUv3's
# vIOMMU on arm64) and at the VFIO group/container ioctls (on the virtio
# disk bound to vfio-pci, and on 00:1f.0, whose group a kernel driver
# holds), checking each answer against a model of what the kernel must
# accept or refuse.
# Then the disk goes back to virtio-pci and must read with the host's
# checksum; on a debug kernel /init then has kmemleak judge the run.
#
# The run is bounded by its work and reproducible: seed and iterations come
# from the command line (iommutest.seed=, iommutest.fuzz_iterations=) with
# fixed defaults; the seed and the number of iterations done are printed,
# so "iommu-fuzz -s SEED -n N" replays a run, and iommutest.fuzz_verbose=1
# prints every call.  No time limit is passed to the fuzzer: the guest's
# clock is no measure of work on an emulated CPU (one x86 boot calibrated
# its TSC at 57 MHz instead of 2.1 GHz, and its clock ran 36 times fast),
# and the harness's QEMU timeout guards against a hang.  A run by hand may
# still set one with iommutest.fuzz_seconds=.
. /tests/common.sh

# The case that runs the fuzzer is not called "fuzz": the kernel's
# kunit_parser.py takes a result named like its suite for the suite's own
# and then reports the suite as crashed.
TESTS="bind_vfio random_ioctls cdev_ioctls back_to_kernel_driver"

VICTIM=0000:00:1f.0
HOLDER=0000:00:1f.3

test_bind_vfio() {
	DISK=$(disk_bdf root)
	echo "$DISK" >/tmp/disk_bdf
	bind "$DISK" vfio-pci || return 1
	# A group that is never viable: one function bound to vfio-pci, the
	# other to a kernel driver.
	if [ -e "/sys/bus/pci/devices/$HOLDER/driver" ] &&
	    [ -e "/sys/bus/pci/devices/$VICTIM" ]; then
		bind "$VICTIM" vfio-pci && echo "$VICTIM" >/tmp/refused_bdf
	fi
	lsiommu
}

# run_fuzz [ARG...]: iommu-fuzz with the run's seed, iterations and
# devices, and ARGs.
run_fuzz() {
	extra="$*"
	seed=$(param iommutest.seed)
	iterations=$(param iommutest.fuzz_iterations)
	seconds=$(param iommutest.fuzz_seconds)
	set -- -s "${seed:-0x10af0221}" -n "${iterations:-60000}"
	[ -z "$seconds" ] || set -- "$@" -t "$seconds"
	[ ! -f /tmp/disk_bdf ] || set -- "$@" -d "$(cat /tmp/disk_bdf)"
	[ ! -f /tmp/refused_bdf ] || set -- "$@" -r "$(cat /tmp/refused_bdf)"
	# shellcheck disable=SC2086
	set -- "$@" $extra
	# Every call and its answer, to replay a failure (long)
	[ -z "$(param iommutest.fuzz_verbose)" ] || set -- "$@" -v
	echo "iommu-fuzz $*"
	read -r start _ </proc/uptime
	# Straight to the KTAP port: if the kernel dies, the seed and the
	# last lines are there already.
	{ iommu-fuzz "$@"; echo $? >/tmp/fuzz.rc; } 2>&1 | sed 's/^/# /' >&3
	rc=$(cat /tmp/fuzz.rc 2>/dev/null) || rc=1
	read -r end _ </proc/uptime
	echo "iommu-fuzz: exit status $rc after $(echo "$start $end" | awk '{ printf "%.1f", $2 - $1 }') s"
	return $rc
}

test_random_ioctls() {
	[ -c /dev/iommu ] || { echo "SKIP: no /dev/iommu (CONFIG_IOMMUFD)"; return 77; }
	run_fuzz
}

# The disk through its cdev alone (iommu-fuzz -c): bound to the iommufd
# all along, so the real IOMMU's HWPTs, and on arm64 the SMMUv3's
# vIOMMUs, nested HWPTs and guest commands, get the run instead of the
# few moments the group path leaves the cdev.
test_cdev_ioctls() {
	[ -c /dev/iommu ] || { echo "SKIP: no /dev/iommu (CONFIG_IOMMUFD)"; return 77; }
	[ -f /tmp/disk_bdf ] || fail "the disk was not bound to vfio-pci" || return 1
	# At most 20,000 iterations: the x86_64 drivers have no vIOMMU, and
	# the arm64 debug row asks for 10,000 anyway.
	n=$(param iommutest.fuzz_iterations)
	n=${n:-60000}
	[ "$n" -le 20000 ] || n=20000
	run_fuzz -c -n "$n"
}

test_back_to_kernel_driver() {
	[ -f /tmp/disk_bdf ] || fail "the disk was not bound to vfio-pci" || return 1
	DISK=$(cat /tmp/disk_bdf)
	[ ! -f /tmp/refused_bdf ] || bind "$(cat /tmp/refused_bdf)" "" >/dev/null
	disk_back_to_kernel "$DISK" "the fuzzing"
}
