#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# check.sh: every test.  First everything on $CORE (default: ours); then,
# unless COMPARE=0 or CORE=stock, the suites that must give the same result
# on the base's core (the KUnit suites and the iommufd selftests) again on
# CORE=stock, in the same run.  Stages run in order; a failed stage does
# not stop the ones that do not depend on it.  Prints each stage's time and
# ends with the tally "N passed, N failed, N skipped".
. "$(dirname "$0")/lib.sh"

H=$TOP/harness
COMPARE=${COMPARE:-1}
mkdir -p "$OUT"
export RESULTS_FILE=$OUT/results
: >"$RESULTS_FILE"
failed_stages=()
t0=$(date +%s)

# must NAME CMD...: a stage whose failure stops the run (set-up).
must() { stage "$@" || { tally; die "stage $1 failed"; }; }
# try NAME CMD...: a test stage; its failure is recorded and the run goes on.
try() { stage "$@" || failed_stages+=("$1"); }
# broken NAME: a build the later stages needed failed.
broken() { failed_stages+=("$1"); echo "$1 0 1 0" >>"$RESULTS_FILE"; }

tally() {
	awk -v stages="${#failed_stages[@]}" '
		{ p += $2; f += $3; s += $4 }
		END {
			# A stage that failed without a result line still fails the run.
			if (f == 0 && stages > 0) f = stages
			printf "%d passed, %d failed, %d skipped\n", p, f, s
		}' "$RESULTS_FILE"
}

# The IOMMU suites on one core: KUnit, the boots, the iommufd selftests.
# With "compare", only what must match the other core.
run_core() {
	local core=$1 what=$2 kernel initrd
	export CORE=$core

	must "tree ($core)" "$H/tree.sh"
	try "kunit ($core)" "$H/kunit.sh"

	kernel=$(stage "build x86_64 ($core)" "$H/kernel.sh" x86_64 boot) ||
		{ broken "build-x86_64($core)"; return; }
	initrd=$(stage "initramfs ($core)" "$H/initramfs.sh" x86_64) ||
		{ broken "initramfs($core)"; return; }

	if [ "$what" = full ]; then
		for iommu in intel amd virtio; do
			boot_matrix "$core" "$kernel" "$initrd" "$iommu"
		done
	fi
	# Ours gives a private bus (the selftest's mock) its own IOMMU, so
	# the selftests run with the VT-d driver up, as on a host.  The base's
	# core probes a device without a fwspec with the first IOMMU
	# registered without a fwnode, so with DMAR up every mock device would
	# go to the VT-d driver: VT-d off for it.
	# shellcheck disable=SC2046
	try "iommufd selftests ($core)" "$H/boot.sh" iommufd-selftests \
		"$kernel" "$initrd" intel iommufd hugepages=128 \
		$([ "$core" = stock ] && echo intel_iommu=off)
	[ "$what" != full ] || try "arm64 smmuv3 ($core)" "$H/arm64.sh"
}

# boot_matrix CORE KERNEL INITRD IOMMU: the default domain in strict, lazy
# and passthrough mode with the disk read through it, and VFIO.
boot_matrix() {
	local core=$1 kernel=$2 initrd=$3 iommu=$4 lazy_iommu=$4 lazy=DMA-FQ
	local vfio_args=

	case "$iommu" in
	# Caching mode makes the VT-d driver force strict invalidation.
	intel) lazy_iommu=intel-nocm ;;
	# QEMU's AMD-Vi always reports NpCache, for which the driver forces
	# strict ("Using strict mode due to virtualization"): lazy gives DMA.
	amd) lazy=DMA ;;
	# QEMU's virtio-iommu does not isolate MSIs; VFIO must be told.
	virtio) vfio_args="vfio_iommu_type1.allow_unsafe_interrupts=1 iommufd.allow_unsafe_interrupts=1" ;;
	esac
	try "boot $iommu strict ($core)" "$H/boot.sh" "$iommu-strict" "$kernel" \
		"$initrd" "$iommu" boot iommu.strict=1 iommutest.domain=DMA
	try "boot $iommu lazy ($core)" "$H/boot.sh" "$iommu-lazy" "$kernel" \
		"$initrd" "$lazy_iommu" boot iommu.strict=0 iommutest.domain=$lazy
	try "boot $iommu passthrough ($core)" "$H/boot.sh" "$iommu-pt" "$kernel" \
		"$initrd" "$iommu" boot iommu.passthrough=1 iommutest.domain=identity
	# shellcheck disable=SC2086
	try "vfio $iommu ($core)" "$H/boot.sh" "$iommu-vfio" "$kernel" "$initrd" \
		"$iommu" vfio $vfio_args
}

must deps "$H/deps.sh"
must base "$H/base.sh"
log "base: $BASE_PKG $(cat "$WORK/base/.version")"

run_core "$CORE" full
# The static checks read our core, so they run on CORE=ours, before the
# stock comparison puts the base's core into the tree.
if [ "$CORE" = ours ]; then
	for gate in build kdoc cocci tools docs; do
		try "gate $gate" "$H/gates.sh" "$gate"
	done
fi
[ "$COMPARE" = 0 ] || [ "$CORE" = stock ] || run_core stock compare

printf '[time] %-32s %4ds\n' total $(($(date +%s) - t0)) >&2
[ ${#failed_stages[@]} -eq 0 ] || log "failed stages: ${failed_stages[*]}"
tally
[ ${#failed_stages[@]} -eq 0 ]
